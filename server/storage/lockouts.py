"""Shared failed-attempt counters of voter credentials (docs/server.md, "Shared lockouts").

The server only counts: one row per credential, its failures since the last success and when the
last one happened. The kiosks apply their lockout policy to it (kiosk/voting/lockout.py). A
failure is one statement (``INSERT ... ON CONFLICT DO UPDATE``), so that two kiosks counting at
once both count, on SQLite and on PostgreSQL (the row lock orders the increments).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from server.storage.database import Transaction


class SharedKind(StrEnum):
    """The credentials whose counters are shared; the assesseur's PIN stays one per kiosk."""

    LOGIN = "login"
    VOTE_CODE = "vote_code"
    REASSORT = "reassort"


@dataclass(frozen=True)
class SharedCount:
    kind: SharedKind
    subject_id: str
    failures: int = 0
    last_failure_at: str | None = None  # RFC 3339 UTC; None without failures


def read(tx: Transaction, kind: SharedKind, subject_id: str) -> SharedCount:
    row = tx.query_one(
        "SELECT failures, last_failure_at FROM credential_lockout"
        " WHERE subject_kind = ? AND subject_id = ?",
        (kind.value, subject_id),
    )
    if row is None:
        return SharedCount(kind, subject_id)
    return SharedCount(kind, subject_id, int(str(row[0])), str(row[1]))


def count_failure(tx: Transaction, kind: SharedKind, subject_id: str, now: str) -> SharedCount:
    tx.execute(
        "INSERT INTO credential_lockout (subject_kind, subject_id, failures, last_failure_at)"
        " VALUES (?, ?, 1, ?) ON CONFLICT (subject_kind, subject_id) DO UPDATE"
        " SET failures = credential_lockout.failures + 1,"
        " last_failure_at = excluded.last_failure_at",
        (kind.value, subject_id, now),
    )
    return read(tx, kind, subject_id)


def clear(tx: Transaction, kind: SharedKind, subject_id: str) -> SharedCount:
    tx.execute(
        "DELETE FROM credential_lockout WHERE subject_kind = ? AND subject_id = ?",
        (kind.value, subject_id),
    )
    return SharedCount(kind, subject_id)
