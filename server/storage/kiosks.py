"""Kiosk identity in the server's database: enrolled kiosks, enrollment tokens, request nonces.

Plain queries over a ``Transaction``; the rules (who may enroll, which request is fresh) live in
``server.enrollment`` and ``server.auth``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kiosk.election.model import KioskId
from server.storage.database import Transaction


class KioskStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


@dataclass(frozen=True)
class KioskRecord:
    kiosk_id: KioskId
    public_key: bytes
    enrolled_at: str  # for a kiosk known from a bundle only: when its first bundle came
    status: KioskStatus
    enrolled: bool = True  # False: known from an imported bundle, never enrolled (schema 4)


@dataclass(frozen=True)
class TokenRecord:
    kiosk_id: KioskId
    issued_at: str
    expires_at: str
    used_at: str | None


def insert_token(
    tx: Transaction, token_hash: bytes, kiosk_id: KioskId, issued_at: str, expires_at: str
) -> None:
    tx.execute(
        "INSERT INTO enrollment_token (token_hash, kiosk_id, issued_at, expires_at, used_at)"
        " VALUES (?, ?, ?, ?, NULL)",
        (token_hash, kiosk_id, issued_at, expires_at),
    )


def find_token(tx: Transaction, token_hash: bytes) -> TokenRecord | None:
    row = tx.query_one(
        "SELECT kiosk_id, issued_at, expires_at, used_at FROM enrollment_token"
        " WHERE token_hash = ?",
        (token_hash,),
    )
    if row is None:
        return None
    kiosk_id, issued_at, expires_at, used_at = row
    return TokenRecord(
        KioskId(str(kiosk_id)),
        str(issued_at),
        str(expires_at),
        None if used_at is None else str(used_at),
    )


def spend_token(tx: Transaction, token_hash: bytes, kiosk_id: KioskId, now: str) -> bool:
    """Mark the token used, only if it is this kiosk's, unused and unexpired: one statement, so
    that two enrollments racing for one token cannot both win."""
    changed = tx.execute(
        "UPDATE enrollment_token SET used_at = ?"
        " WHERE token_hash = ? AND kiosk_id = ? AND used_at IS NULL AND expires_at > ?",
        (now, token_hash, kiosk_id, now),
    )
    return changed == 1


def upsert_kiosk(tx: Transaction, kiosk_id: KioskId, public_key: bytes, now: str) -> None:
    tx.execute(
        "INSERT INTO kiosk (kiosk_id, public_key, enrolled_at, status, enrolled)"
        " VALUES (?, ?, ?, ?, 1)"
        " ON CONFLICT (kiosk_id) DO UPDATE SET public_key = excluded.public_key,"
        " enrolled_at = excluded.enrolled_at, status = excluded.status, enrolled = 1",
        (kiosk_id, public_key, now, KioskStatus.ACTIVE.value),
    )


def ensure_known(tx: Transaction, kiosk_id: KioskId, public_key: bytes, now: str) -> KioskRecord:
    """The kiosk's row, added as known from a bundle only (not enrolled) when it has none: its
    ballots' board entries and émargements name it. An existing row is left as it is."""
    tx.execute(
        "INSERT INTO kiosk (kiosk_id, public_key, enrolled_at, status, enrolled)"
        " VALUES (?, ?, ?, ?, 0) ON CONFLICT (kiosk_id) DO NOTHING",
        (kiosk_id, public_key, now, KioskStatus.ACTIVE.value),
    )
    record = find_kiosk(tx, kiosk_id)
    assert record is not None  # inserted above, or there already
    return record


def find_kiosk(tx: Transaction, kiosk_id: str) -> KioskRecord | None:
    row = tx.query_one(
        "SELECT public_key, enrolled_at, status, enrolled FROM kiosk WHERE kiosk_id = ?",
        (kiosk_id,),
    )
    if row is None:
        return None
    public_key, enrolled_at, status, enrolled = row
    if not isinstance(public_key, bytes):
        raise TypeError("kiosk.public_key is not bytes")
    return KioskRecord(
        KioskId(kiosk_id), public_key, str(enrolled_at), KioskStatus(str(status)), enrolled == 1
    )


def count_kiosks(tx: Transaction) -> dict[KioskStatus, int]:
    counts = dict.fromkeys(KioskStatus, 0)
    for status, count in tx.query(
        "SELECT status, COUNT(*) FROM kiosk WHERE enrolled = 1 GROUP BY status"
    ):
        counts[KioskStatus(str(status))] = int(count or 0)
    return counts


def record_nonce(tx: Transaction, kiosk_id: KioskId, nonce: bytes, now: str) -> bool:
    """True when the nonce is new for this kiosk: one atomic insert, so a replay racing its
    original still finds exactly one of them accepted."""
    inserted = tx.execute(
        "INSERT INTO request_nonce (kiosk_id, nonce, seen_at) VALUES (?, ?, ?)"
        " ON CONFLICT (kiosk_id, nonce) DO NOTHING",
        (kiosk_id, nonce, now),
    )
    return inserted == 1


def prune_nonces(tx: Transaction, seen_before: str) -> int:
    return tx.execute("DELETE FROM request_nonce WHERE seen_at < ?", (seen_before,))
