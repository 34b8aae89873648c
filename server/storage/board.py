"""The ballot box in the server's database: émargement, envelope answers, conflicts, the board.

Plain queries over a ``Transaction``; the rules (what is accepted, in which order) live in
``server.envelopes`` and ``server.board``. Appends are serialized by ``lock_head``: the first
statement of every write transaction that appends, it updates the one ``board_head`` row, so
PostgreSQL holds that row's lock until the commit and SQLite holds its write lock anyway
(``BEGIN IMMEDIATE``). Two appenders therefore never read the same head: the chain cannot fork.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from kiosk.crypto.tracking import TrackingCode
from kiosk.election.model import KioskId, ScrutinId, VoterId
from kiosk.record.board import BoardEntry
from server.storage.database import Row, Transaction

_ENTRY_COLUMNS = (
    "seq, scrutin_id, ballot, tracking_code, kiosk_id, kiosk_signature, prev_hash, entry_hash"
)


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True)
class StoredAnswer:
    envelope_sha256: bytes
    answer: str  # canonical JSON, exactly as first sent


@dataclass(frozen=True)
class Conflict:
    """An envelope refused because its voter had voted in that scrutin already."""

    envelope_id: bytes
    voter_id: VoterId
    scrutin_id: ScrutinId
    refused_kiosk_id: KioskId  # the kiosk whose envelope was refused
    counted_kiosk_id: KioskId | None  # the kiosk whose émargement stands
    detected_at: str

    def __repr__(self) -> str:  # no voter reference in tracebacks
        return f"Conflict(envelope_id={self.envelope_id.hex()}, scrutin_id={self.scrutin_id!r})"


# ---- the head -----------------------------------------------------------------------------------


def lock_head(tx: Transaction, genesis: bytes) -> tuple[int, bytes]:
    """Take the board's append lock and return (count, head). Call it first in the transaction.

    The row is created on the first append; while the board is empty its head is the current
    package's genesis (a package re-sealed before the first ballot has another one)."""
    lock = "UPDATE board_head SET entry_count = entry_count WHERE singleton = 1"
    if tx.execute(lock) == 0:
        tx.execute(
            "INSERT INTO board_head (singleton, entry_count, head_hash) VALUES (1, 0, ?)"
            " ON CONFLICT (singleton) DO NOTHING",
            (genesis,),
        )
        tx.execute(lock)
    row = tx.query_one("SELECT entry_count, head_hash FROM board_head WHERE singleton = 1")
    if row is None:
        raise RuntimeError("board_head has no row after its insert")
    count, head = _int(row[0]), _bytes(row[1])
    if count == 0 and head != genesis:
        tx.execute("UPDATE board_head SET head_hash = ? WHERE singleton = 1", (genesis,))
        head = genesis
    return count, head


def read_head(tx: Transaction) -> tuple[int, bytes] | None:
    """(count, head), or None before the first append."""
    row = tx.query_one("SELECT entry_count, head_hash FROM board_head WHERE singleton = 1")
    return None if row is None else (_int(row[0]), _bytes(row[1]))


def set_head(tx: Transaction, count: int, head: bytes) -> None:
    tx.execute(
        "UPDATE board_head SET entry_count = ?, head_hash = ? WHERE singleton = 1", (count, head)
    )


# ---- entries ------------------------------------------------------------------------------------


def append_entry(tx: Transaction, entry: BoardEntry) -> None:
    tx.execute(
        f"INSERT INTO board_entry ({_ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
        (
            entry.seq,
            entry.scrutin_id,
            entry.ballot,
            entry.tracking_code,
            entry.kiosk_id,
            entry.kiosk_signature,
            entry.prev_hash,
            entry.hash,
        ),
    )


def tracking_code_taken(tx: Transaction, code: TrackingCode) -> bool:
    return tx.query_one("SELECT 1 FROM board_entry WHERE tracking_code = ?", (code,)) is not None


def entries(tx: Transaction, after: int, up_to: int) -> list[BoardEntry]:
    """Entries with ``after`` < seq <= ``up_to``, in order."""
    rows = tx.query(
        f"SELECT {_ENTRY_COLUMNS} FROM board_entry WHERE seq > ? AND seq <= ?"  # noqa: S608
        " ORDER BY seq",
        (after, up_to),
    )
    return [_entry(row) for row in rows]


def entry_by_code(tx: Transaction, code: TrackingCode) -> BoardEntry | None:
    row = tx.query_one(
        f"SELECT {_ENTRY_COLUMNS} FROM board_entry WHERE tracking_code = ?",  # noqa: S608
        (code,),
    )
    return None if row is None else _entry(row)


def _entry(row: Row) -> BoardEntry:
    seq, scrutin, ballot, code, kiosk, signature, prev, entry_hash = row
    return BoardEntry(
        seq=_int(seq),
        scrutin_id=ScrutinId(str(scrutin)),
        ballot=_bytes(ballot),
        tracking_code=TrackingCode(str(code)),
        kiosk_id=KioskId(str(kiosk)),
        kiosk_signature=_bytes(signature),
        prev_hash=_bytes(prev),
        hash=_bytes(entry_hash),
    )


# ---- émargement, answers, conflicts ------------------------------------------------------------


def has_voted(tx: Transaction, voter_id: VoterId, scrutin_id: ScrutinId) -> bool:
    row = tx.query_one(
        "SELECT 1 FROM emargement WHERE voter_id = ? AND scrutin_id = ?", (voter_id, scrutin_id)
    )
    return row is not None


def voted_scrutins(tx: Transaction, voter_id: VoterId) -> list[ScrutinId]:
    """The scrutins this voter has an émargement for, sorted: nothing else about them."""
    rows = tx.query(
        "SELECT scrutin_id FROM emargement WHERE voter_id = ? ORDER BY scrutin_id", (voter_id,)
    )
    return [ScrutinId(str(row[0])) for row in rows]


def record_emargement(
    tx: Transaction, voter_id: VoterId, scrutin_id: ScrutinId, kiosk_id: KioskId
) -> bool:
    """False when the voter had voted in that scrutin already (the unique key decides)."""
    changed = tx.execute(
        "INSERT INTO emargement (voter_id, scrutin_id, kiosk_id) VALUES (?, ?, ?)"
        " ON CONFLICT (voter_id, scrutin_id) DO NOTHING",
        (voter_id, scrutin_id, kiosk_id),
    )
    return changed == 1


def find_answers(tx: Transaction, envelope_ids: Sequence[bytes]) -> dict[bytes, StoredAnswer]:
    found: dict[bytes, StoredAnswer] = {}
    unique = sorted(set(envelope_ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        columns = "envelope_id, envelope_sha256, answer"
        sql = f"SELECT {columns} FROM envelope_receipt WHERE envelope_id IN ({marks})"  # noqa: S608
        rows = tx.query(sql, chunk)
        for envelope_id, sha, answer in rows:
            found[_bytes(envelope_id)] = StoredAnswer(_bytes(sha), str(answer))
    return found


def insert_answer(
    tx: Transaction,
    *,
    envelope_id: bytes,
    kiosk_id: KioskId,
    scrutin_id: ScrutinId,
    envelope_sha256: bytes,
    outcome: Outcome,
    reason: str | None,
    answer: str,
) -> None:
    tx.execute(
        "INSERT INTO envelope_receipt"
        " (envelope_id, kiosk_id, scrutin_id, envelope_sha256, outcome, reason, answer)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (envelope_id, kiosk_id, scrutin_id, envelope_sha256, outcome.value, reason, answer),
    )


def insert_conflict(
    tx: Transaction,
    *,
    envelope_id: bytes,
    voter_id: VoterId,
    scrutin_id: ScrutinId,
    kiosk_id: KioskId,
    detected_at: str,
) -> None:
    tx.execute(
        "INSERT INTO emargement_conflict (envelope_id, voter_id, scrutin_id, kiosk_id, detected_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (envelope_id, voter_id, scrutin_id, kiosk_id, detected_at),
    )


def conflicts(tx: Transaction) -> list[Conflict]:
    """Every conflict, oldest first, with the kiosk whose émargement stands."""
    rows = tx.query(
        "SELECT c.envelope_id, c.voter_id, c.scrutin_id, c.kiosk_id, e.kiosk_id, c.detected_at"
        " FROM emargement_conflict c LEFT JOIN emargement e"
        " ON e.voter_id = c.voter_id AND e.scrutin_id = c.scrutin_id"
        " ORDER BY c.detected_at, c.voter_id, c.scrutin_id, c.envelope_id"
    )
    return [
        Conflict(
            envelope_id=_bytes(envelope_id),
            voter_id=VoterId(str(voter)),
            scrutin_id=ScrutinId(str(scrutin)),
            refused_kiosk_id=KioskId(str(refused)),
            counted_kiosk_id=None if counted is None else KioskId(str(counted)),
            detected_at=str(detected_at),
        )
        for envelope_id, voter, scrutin, refused, counted, detected_at in rows
    ]


def _int(value: object) -> int:
    if not isinstance(value, int):
        raise TypeError("expected an integer column")
    return value


def _bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    raise TypeError("expected a binary column")
