"""The server's Ed25519 signing key in the database (table ``server_key``, one row)."""

from __future__ import annotations

from server.storage.database import Transaction


def insert_if_absent(tx: Transaction, private_key: bytes, public_key: bytes, now: str) -> None:
    """Store this key unless one is stored already: servers starting together keep the first."""
    tx.execute(
        "INSERT INTO server_key (singleton, private_key, public_key, created_at)"
        " VALUES (1, ?, ?, ?) ON CONFLICT (singleton) DO NOTHING",
        (private_key, public_key, now),
    )


def stored(tx: Transaction) -> tuple[bytes, bytes] | None:
    """(private seed, public key), or None before the first start."""
    row = tx.query_one("SELECT private_key, public_key FROM server_key WHERE singleton = 1")
    if row is None:
        return None
    private, public = row
    if not isinstance(private, bytes) or not isinstance(public, bytes):
        raise TypeError("server_key holds a row of unexpected types")
    return private, public
