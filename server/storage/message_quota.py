"""Message rate limits in the database, shared by every app process (docs/server.md).

A limit of N messages per window W for one subject (a destination's digest, or a kiosk id) is N
rows of ``message_quota``, one per slot, each holding the time it was last used. Sending claims a
slot that is missing or was last used at least W ago, by one statement that only succeeds if the
slot is still as it was read (``INSERT ... ON CONFLICT DO NOTHING``, or ``UPDATE ... WHERE
used_at = <what was read>``): of two processes racing for the last slot, exactly one wins, on
SQLite (one writer) and on PostgreSQL (``READ COMMITTED`` re-checks the ``WHERE`` on the row
another transaction just changed). That makes an exact sliding window: never more than N
messages in any W. A claim can be given back (the relay failed), as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from server.storage.database import Transaction


class QuotaScope(StrEnum):
    DESTINATION = "destination"  # subject: hex SHA-256 of the channel and normalized address
    KIOSK = "kiosk"  # subject: the kiosk id


@dataclass(frozen=True)
class SlotClaim:
    scope: QuotaScope
    subject: str
    slot: int
    used_at: str  # now, as claimed
    previous: str | None  # what the slot held before: None when the claim created it


@dataclass(frozen=True)
class QuotaFull:
    """No slot free: the earliest time one frees (RFC 3339 UTC, to the second, before + W)."""

    scope: QuotaScope
    oldest_use: str


def claim(
    tx: Transaction, scope: QuotaScope, subject: str, limit: int, now: str, free_before: str
) -> SlotClaim | QuotaFull:
    """Take one of the ``limit`` slots of ``subject`` that is missing or was last used at or
    before ``free_before`` (now minus the window); ``QuotaFull`` if every slot is in use."""
    rows = tx.query(
        "SELECT slot, used_at FROM message_quota WHERE scope = ? AND subject = ? AND slot < ?",
        (scope.value, subject, limit),
    )
    used = {int(str(slot)): str(used_at) for slot, used_at in rows}
    for slot in range(limit):
        if slot not in used and _insert(tx, scope, subject, slot, now):
            return SlotClaim(scope, subject, slot, now, None)
    # Oldest first: with a full quota, the one freed longest ago is taken.
    for slot, used_at in sorted(used.items(), key=lambda item: (item[1], item[0])):
        if used_at > free_before:
            break
        changed = tx.execute(
            "UPDATE message_quota SET used_at = ?"
            " WHERE scope = ? AND subject = ? AND slot = ? AND used_at = ?",
            (now, scope.value, subject, slot, used_at),
        )
        if changed == 1:
            return SlotClaim(scope, subject, slot, now, used_at)
        # Changed or pruned under us: a pruned slot can be taken again as a new row.
        if _insert(tx, scope, subject, slot, now):
            return SlotClaim(scope, subject, slot, now, None)
    current = tx.query_one(
        "SELECT MIN(used_at) FROM message_quota WHERE scope = ? AND subject = ? AND slot < ?",
        (scope.value, subject, limit),
    )
    oldest = str(current[0]) if current is not None and current[0] is not None else now
    return QuotaFull(scope, oldest)


def release(tx: Transaction, claimed: SlotClaim) -> None:
    """Give a claim back as it was (the message was not sent), only if the slot still holds
    this claim: a slot used just now is inside its window, so nobody else has taken it."""
    if claimed.previous is None:
        tx.execute(
            "DELETE FROM message_quota WHERE scope = ? AND subject = ? AND slot = ?"
            " AND used_at = ?",
            (claimed.scope.value, claimed.subject, claimed.slot, claimed.used_at),
        )
    else:
        tx.execute(
            "UPDATE message_quota SET used_at = ?"
            " WHERE scope = ? AND subject = ? AND slot = ? AND used_at = ?",
            (
                claimed.previous,
                claimed.scope.value,
                claimed.subject,
                claimed.slot,
                claimed.used_at,
            ),
        )


def prune(tx: Transaction, used_before: str) -> int:
    """Forget slots last used before ``used_before`` (free anyway): no address digest and time
    is kept longer than the longest window."""
    return tx.execute("DELETE FROM message_quota WHERE used_at < ?", (used_before,))


def _insert(tx: Transaction, scope: QuotaScope, subject: str, slot: int, now: str) -> bool:
    inserted = tx.execute(
        "INSERT INTO message_quota (scope, subject, slot, used_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (scope, subject, slot) DO NOTHING",
        (scope.value, subject, slot, now),
    )
    return inserted == 1
