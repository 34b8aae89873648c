"""What the public page reads of the board: its size and head, and one entry by tracking code.

Read-only queries over the ``board_entry`` and ``board_head`` tables of schema 1
(server/storage/migrations/0001_initial.sql), in read transactions (one snapshot each). They
return the public columns the page shows, never a ballot's bytes; the board holds no voter
reference to leak.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.crypto.tracking import TrackingCode
from kiosk.election.model import KioskId, ScrutinId
from server.storage.database import Database


@dataclass(frozen=True)
class BoardSummary:
    entry_count: int
    head_hash: bytes | None  # None: an empty board of an unsealed package (no genesis yet)


@dataclass(frozen=True)
class PublishedEntry:
    """The public facts of one board entry, as the page shows and a receipt is compared to."""

    seq: int
    scrutin_id: ScrutinId
    tracking_code: TrackingCode
    kiosk_id: KioskId
    kiosk_signature: bytes


def board_summary(database: Database, genesis: bytes | None) -> BoardSummary:
    """The head row, updated with each append. An empty board (no row before the first append,
    or a row of 0 entries) has the current package's genesis as its head (§15.2): a package
    re-sealed before the first ballot has another genesis than the one a row may hold."""
    with database.transaction() as tx:
        row = tx.query_one("SELECT entry_count, head_hash FROM board_head WHERE singleton = 1")
    if row is None:
        return BoardSummary(0, genesis)
    count, head = row
    if not isinstance(count, int) or not isinstance(head, bytes):
        raise TypeError("board_head holds a row of unexpected types")
    return BoardSummary(count, head if count > 0 else genesis)


def find_entry(database: Database, code: TrackingCode) -> PublishedEntry | None:
    """The entry with this canonical tracking code (unique on the board), or None."""
    with database.transaction() as tx:
        row = tx.query_one(
            "SELECT seq, scrutin_id, kiosk_id, kiosk_signature FROM board_entry"
            " WHERE tracking_code = ?",
            (code,),
        )
    if row is None:
        return None
    seq, scrutin_id, kiosk_id, signature = row
    if not isinstance(seq, int) or not isinstance(signature, bytes):
        raise TypeError("board_entry holds a row of unexpected types")
    return PublishedEntry(seq, ScrutinId(str(scrutin_id)), code, KioskId(str(kiosk_id)), signature)
