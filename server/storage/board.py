"""The ballot box in the server's database: émargement, envelope answers, conflicts, the board.

Plain queries over a ``Transaction``; the rules (what is accepted, in which order) live in
``server.envelopes`` and ``server.board``. Appends are serialized by ``lock_head``: the first
statement of every write transaction that appends, it updates the one ``board_head`` row, so
PostgreSQL holds that row's lock until the commit and SQLite holds its write lock anyway
(``BEGIN IMMEDIATE``). Two appenders therefore never read the same head: the chain cannot fork.

A batch of envelopes is read and written a statement per table, not a statement per envelope
(``IN (...)`` lists, multi-row ``INSERT``s, at most ``CHUNK`` items each): the fewer round trips,
the shorter the append lock is held.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, TypeVar

from kiosk.crypto.tracking import TrackingCode
from kiosk.election.model import KioskId, ScrutinId, VoterId
from kiosk.record.board import BoardEntry
from server.storage.database import Row, Transaction

_ENTRY_COLUMNS = (
    "seq, scrutin_id, ballot, tracking_code, kiosk_id, kiosk_signature, prev_hash, entry_hash"
)
T = TypeVar("T")
CHUNK: Final = 1000
"""Items per ``IN (...)`` list or multi-row ``INSERT``, so that a whole upload (at most 1,000
envelopes) takes one statement each (a group commit of more takes a few): 1,000 x 8 columns
stays far below both engines' limits on bound parameters (SQLite 32,766, PostgreSQL 65,535)."""


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
    package's genesis (a package re-sealed before the first ballot has another one). The lock
    and the read are one statement (``UPDATE ... RETURNING``): the row as locked."""
    lock = (
        "UPDATE board_head SET entry_count = entry_count WHERE singleton = 1"
        " RETURNING entry_count, head_hash"
    )
    row = tx.query_one(lock)
    if row is None:
        tx.execute(
            "INSERT INTO board_head (singleton, entry_count, head_hash) VALUES (1, 0, ?)"
            " ON CONFLICT (singleton) DO NOTHING",
            (genesis,),
        )
        row = tx.query_one(lock)
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


def append_entries(tx: Transaction, entries: Sequence[BoardEntry]) -> None:
    """Insert ``entries``, in their order (the heap's order on PostgreSQL)."""
    _insert_rows(
        tx,
        f"board_entry ({_ENTRY_COLUMNS})",
        [
            (
                entry.seq,
                entry.scrutin_id,
                entry.ballot,
                entry.tracking_code,
                entry.kiosk_id,
                entry.kiosk_signature,
                entry.prev_hash,
                entry.hash,
            )
            for entry in entries
        ],
    )


def taken_tracking_codes(tx: Transaction, codes: Sequence[TrackingCode]) -> set[TrackingCode]:
    """Those of ``codes`` that are on the board already."""
    return {
        TrackingCode(str(row[0]))
        for chunk in _chunks(sorted(set(codes)))
        for row in tx.query(
            f"SELECT tracking_code FROM board_entry WHERE tracking_code IN ({_marks(chunk)})",  # noqa: S608
            chunk,
        )
    }


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


def voted_among(
    tx: Transaction, ballots: Sequence[tuple[VoterId, ScrutinId]]
) -> set[tuple[VoterId, ScrutinId]]:
    """Those (voter, scrutin) of ``ballots`` that have an émargement already: the émargements
    of those voters (the primary key's first column), kept when their scrutin is asked."""
    asked = set(ballots)
    found: set[tuple[VoterId, ScrutinId]] = set()
    for chunk in _chunks(sorted({voter for voter, _ in asked})):
        sql = f"SELECT voter_id, scrutin_id FROM emargement WHERE voter_id IN ({_marks(chunk)})"  # noqa: S608
        for voter, scrutin in tx.query(sql, chunk):
            pair = (VoterId(str(voter)), ScrutinId(str(scrutin)))
            if pair in asked:
                found.add(pair)
    return found


def voted_scrutins(tx: Transaction, voter_id: VoterId) -> list[ScrutinId]:
    """The scrutins this voter has an émargement for, sorted: nothing else about them."""
    rows = tx.query(
        "SELECT scrutin_id FROM emargement WHERE voter_id = ? ORDER BY scrutin_id", (voter_id,)
    )
    return [ScrutinId(str(row[0])) for row in rows]


def record_emargements(
    tx: Transaction, emargements: Sequence[tuple[VoterId, ScrutinId, KioskId]]
) -> None:
    """Insert the (voter, scrutin, kiosk) émargements, in the given order. The caller found none
    of them there (``voted_among``, under the append lock): one there now is a writer outside the
    lock, and the unique key refuses it (``ConstraintViolation``: the caller's transaction is
    retried)."""
    _insert_rows(tx, "emargement (voter_id, scrutin_id, kiosk_id)", emargements)


def find_answers(tx: Transaction, envelope_ids: Sequence[bytes]) -> dict[bytes, StoredAnswer]:
    found: dict[bytes, StoredAnswer] = {}
    for chunk in _chunks(sorted(set(envelope_ids))):
        columns = "envelope_id, envelope_sha256, answer"
        sql = f"SELECT {columns} FROM envelope_receipt WHERE envelope_id IN ({_marks(chunk)})"  # noqa: S608
        for envelope_id, sha, answer in tx.query(sql, chunk):
            found[_bytes(envelope_id)] = StoredAnswer(_bytes(sha), str(answer))
    return found


@dataclass(frozen=True)
class NewAnswer:
    """The answer kept for an envelope id (accepted, or a conflict)."""

    envelope_id: bytes
    kiosk_id: KioskId  # the kiosk that sent it
    scrutin_id: ScrutinId
    envelope_sha256: bytes
    outcome: Outcome
    reason: str | None
    answer: str  # canonical JSON, as sent


def insert_answers(tx: Transaction, answers: Sequence[NewAnswer]) -> None:
    """Insert the answers, in the given order."""
    _insert_rows(
        tx,
        "envelope_receipt"
        " (envelope_id, kiosk_id, scrutin_id, envelope_sha256, outcome, reason, answer)",
        [
            (
                a.envelope_id,
                a.kiosk_id,
                a.scrutin_id,
                a.envelope_sha256,
                a.outcome.value,
                a.reason,
                a.answer,
            )
            for a in answers
        ],
    )


def insert_conflicts(
    tx: Transaction,
    detected_at: str,
    refused: Sequence[tuple[bytes, VoterId, ScrutinId, KioskId]],
) -> None:
    """One conflict row per (envelope id, voter, scrutin, refused kiosk) ``already_voted``."""
    _insert_rows(
        tx,
        "emargement_conflict (envelope_id, voter_id, scrutin_id, kiosk_id, detected_at)",
        [(*conflict, detected_at) for conflict in refused],
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


def _insert_rows(tx: Transaction, target: str, rows: Sequence[Row]) -> None:
    """``INSERT INTO target VALUES (...), (...)``: a statement per ``CHUNK`` rows, in order."""
    for chunk in _chunks(rows):
        values = ", ".join(f"({_marks(row)})" for row in chunk)
        params = [value for row in chunk for value in row]
        tx.execute(f"INSERT INTO {target} VALUES {values}", params)  # noqa: S608


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


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
