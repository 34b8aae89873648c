"""The server's Ed25519 signing key in the database (table ``server_key``, one row).

The row records the PUBLIC key the server signs the board head with, from the first start on,
whichever its source: a key kept in the database (``private_key`` is its 32-byte seed) or a key
file the operator gives (``private_key`` is ``FILE_KEY``, 32 zero bytes: the seed stays in the
file, never in the database). A server or an export holding another key is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from server.storage.database import Transaction

FILE_KEY: Final = bytes(32)
"""``private_key`` of a row whose key is kept in a file (a zero seed is never generated)."""


@dataclass(frozen=True)
class StoredKey:
    public_key: bytes
    private_key: bytes | None  # None: kept in a key file

    @property
    def in_file(self) -> bool:
        return self.private_key is None


def insert_if_absent(
    tx: Transaction, private_key: bytes | None, public_key: bytes, now: str
) -> None:
    """Record this key unless one is recorded already: servers starting together keep the first.
    ``private_key`` None: the key is kept in a file and only its public key is recorded."""
    tx.execute(
        "INSERT INTO server_key (singleton, private_key, public_key, created_at)"
        " VALUES (1, ?, ?, ?) ON CONFLICT (singleton) DO NOTHING",
        (FILE_KEY if private_key is None else private_key, public_key, now),
    )


def stored(tx: Transaction) -> StoredKey | None:
    """The recorded key, or None before the first start."""
    row = tx.query_one("SELECT private_key, public_key FROM server_key WHERE singleton = 1")
    if row is None:
        return None
    private, public = row
    if not isinstance(private, bytes) or not isinstance(public, bytes):
        raise TypeError("server_key holds a row of unexpected types")
    return StoredKey(public, None if private == FILE_KEY else private)
