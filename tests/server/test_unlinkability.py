"""The émargement does not keep the board's order, on SQLite and PostgreSQL (docs/server.md,
"Privacy"): the tables that name a voter or an envelope id have no row number, SQLite stores them
by their key, a batch writes its émargements by voter id apart from its shuffled board entries,
schema 6 keeps the rows it rebuilds; and many concurrent accepted uploads, at three kiosks served
by two servers on one database, leave one chain with no fork and no gap."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI

from kiosk.clock import ManualClock, isoformat_utc
from kiosk.crypto.tracking import TrackingCode
from kiosk.record import board as board_io
from kiosk.record.layout import RecordLayout
from kiosk.sync.client import ServerClient, ServerFailure, UploadAnswer, UploadStatus
from server.app import create_app, server_state
from server.record_export import export_record
from server.settings import ServerSettings
from server.storage import SCHEMA_VERSION, Backend, ConstraintViolation, Database, migrate
from server.storage.migrations import HISTORY_TABLE, for_backend, shipped
from tests.server.ballots import (  # noqa: F401 - the *_fixture names are fixtures
    Cast,
    SealedElection,
    box_fixture,
    cast,
    client,
    db_fixture,
    enroll_all,
    kiosks_fixture,
    make_sealed_election,
    portal_fixture,
    sealed_fixture,
    voter_id,
)
from tests.server.harness import KIOSK_IDS, ServerThread

KEYED_TABLES = ("emargement", "envelope_receipt", "emargement_conflict")
MANY_VOTERS = 40


def physical_emargement(db: Database) -> list[tuple[str, str]]:
    """The émargement as stored: no ORDER BY, so each engine returns its storage order."""
    with db.transaction() as tx:
        return [
            (str(v), str(s)) for v, s in tx.query("SELECT voter_id, scrutin_id FROM emargement")
        ]


def board_voters(db: Database, casts: list[Cast]) -> list[tuple[str, str]]:
    """(voter, scrutin) of each board entry, in seq order (the test knows who cast what)."""
    voter_of = {c.tracking_code: _CAST_KEYS[c.envelope_id] for c in casts}
    with db.transaction() as tx:
        codes = tx.query("SELECT tracking_code FROM board_entry ORDER BY seq")
    return [voter_of[TrackingCode(str(row[0]))] for row in codes]


_CAST_KEYS: dict[bytes, tuple[str, str]] = {}


def _keys(casts: list[Cast]) -> list[tuple[str, str]]:
    return [_CAST_KEYS[c.envelope_id] for c in casts]


def cast_for(sealed: SealedElection, kiosk_id: str, index: int, scrutin: str) -> Cast:
    made = cast(sealed, kiosk_id, voter_id(index), scrutin)
    _CAST_KEYS[made.envelope_id] = (voter_id(index), scrutin)
    return made


def assert_no_row_number(db: Database) -> None:
    for table in KEYED_TABLES:
        with (
            pytest.raises((sqlite3.OperationalError, psycopg.errors.UndefinedColumn)),
            db.transaction() as tx,
        ):
            tx.query(f"SELECT rowid FROM {table}")  # noqa: S608 - fixed names
    if db.backend is Backend.SQLITE:
        with db.transaction() as tx:
            for table in KEYED_TABLES:
                row = tx.query_one("SELECT sql FROM sqlite_master WHERE name = ?", (table,))
                assert row is not None
                assert str(row[0]).rstrip().endswith("WITHOUT ROWID"), table


# ---- a batch, and single uploads ---------------------------------------------------------------


def test_a_batch_writes_its_emargements_by_voter_not_in_board_order(
    kiosks: Callable[[str], ServerClient], sealed: SealedElection, db: Database
) -> None:
    casts = [cast_for(sealed, "kiosk-01", i, scrutin) for i in reversed(range(8))
             for scrutin in ("capn", "cap")]  # fmt: skip
    answers = kiosks("kiosk-01").upload([c.envelope for c in casts])
    assert isinstance(answers, list)
    assert [a.status for a in answers] == [UploadStatus.ACCEPTED] * len(casts)
    stored = physical_emargement(db)
    assert stored == sorted(_keys(casts))  # by voter, whatever the board's shuffled order
    assert sorted(board_voters(db, casts)) == stored
    assert_no_row_number(db)


def test_single_uploads_leave_no_row_number_linking_emargement_and_board(
    kiosks: Callable[[str], ServerClient], sealed: SealedElection, db: Database
) -> None:
    casts = [cast_for(sealed, KIOSK_IDS[i % 3], i, "cap") for i in reversed(range(8))]
    for one in casts:
        answers = kiosks(one.kiosk_id).upload([one.envelope])
        assert isinstance(answers, list)
        assert [a.status for a in answers] == [UploadStatus.ACCEPTED]
    arrival = _keys(casts)
    assert board_voters(db, casts) == arrival  # one envelope per upload: seq is arrival order
    assert_no_row_number(db)
    stored = physical_emargement(db)
    if db.backend is Backend.SQLITE:
        assert stored == sorted(arrival)
        assert stored != arrival
        return
    # PostgreSQL keeps a heap: its physical order is still the arrival order (the documented
    # limit) until the operator clusters the table on its primary key.
    assert stored == arrival
    with db.transaction(write=True) as tx:
        tx.execute("CLUSTER emargement USING emargement_pkey")
    assert physical_emargement(db) == sorted(arrival)


# ---- schema 6 keeps the rows it rebuilds ------------------------------------------------------


def _migrate_to(db: Database, version: int, clock: ManualClock) -> None:
    for migration in shipped()[:version]:
        with db.transaction(write=True) as tx:
            if not tx.table_exists(HISTORY_TABLE):
                tx.execute(
                    "CREATE TABLE schema_migration (version INTEGER PRIMARY KEY, name TEXT NOT"
                    " NULL, sha256 TEXT NOT NULL, applied_at TEXT NOT NULL)"
                )
            for statement in migration.statements():
                tx.execute(for_backend(statement, tx.backend))
            tx.execute(
                "INSERT INTO schema_migration (version, name, sha256, applied_at)"
                " VALUES (?, ?, ?, ?)",
                (migration.version, migration.name, migration.sha256, isoformat_utc(clock.now())),
            )


@pytest.fixture
def fresh(database_url: str) -> Iterator[Database]:
    with Database.open(database_url) as database:
        yield database


def test_schema_6_keeps_every_row_and_drops_the_row_numbers(
    fresh: Database, clock: ManualClock
) -> None:
    assert SCHEMA_VERSION == 6
    _migrate_to(fresh, 5, clock)
    now = isoformat_utc(clock.now())
    emargements = [("v0003", "cap", "kiosk-01"), ("v0001", "capn", "kiosk-01"),
                   ("v0002", "cap", "kiosk-01")]  # fmt: skip
    receipts = [
        (bytes([9] * 16), "kiosk-01", "cap", bytes(32), "accepted", None, '{"a":1}'),
        (bytes([1] * 16), "kiosk-01", "cap", bytes([1] * 32), "rejected", "already_voted", "{}"),
    ]
    with fresh.transaction(write=True) as tx:
        tx.execute(
            "INSERT INTO kiosk (kiosk_id, public_key, enrolled_at, status) VALUES (?, ?, ?, ?)",
            ("kiosk-01", bytes(32), now, "active"),
        )
        for row in emargements:
            tx.execute("INSERT INTO emargement (voter_id, scrutin_id, kiosk_id) VALUES (?, ?, ?)",
                       row)  # fmt: skip
        for receipt in receipts:
            tx.execute(
                "INSERT INTO envelope_receipt (envelope_id, kiosk_id, scrutin_id,"
                " envelope_sha256, outcome, reason, answer) VALUES (?, ?, ?, ?, ?, ?, ?)",
                receipt,
            )
        tx.execute(
            "INSERT INTO emargement_conflict (envelope_id, voter_id, scrutin_id, kiosk_id,"
            " detected_at) VALUES (?, ?, ?, ?, ?)",
            (bytes([1] * 16), "v0003", "cap", "kiosk-01", now),
        )
    assert [m.version for m in migrate(fresh, clock)] == [6]
    with fresh.transaction() as tx:
        assert tx.query("SELECT voter_id, scrutin_id, kiosk_id FROM emargement") == sorted(
            emargements
        )
        stored = tx.query(
            "SELECT envelope_id, kiosk_id, scrutin_id, envelope_sha256, outcome, reason, answer"
            " FROM envelope_receipt"
        )
        assert [(bytes(r[0]), *r[1:3], bytes(r[3]), *r[4:]) for r in stored] == sorted(receipts)  # type: ignore[arg-type]
        conflict = tx.query("SELECT envelope_id, voter_id FROM emargement_conflict")
        assert [(bytes(r[0]), r[1]) for r in conflict] == [(bytes([1] * 16), "v0003")]  # type: ignore[arg-type]
        assert not tx.table_names() & {f"{t}_copy_0006" for t in KEYED_TABLES}
    assert_no_row_number(fresh)
    # The keys and references still hold after the rebuild.
    with (
        pytest.raises(ConstraintViolation),
        fresh.transaction(write=True) as tx,
    ):
        tx.execute("INSERT INTO emargement (voter_id, scrutin_id, kiosk_id) VALUES (?, ?, ?)",
                   emargements[0])  # fmt: skip
    with pytest.raises(ConstraintViolation), fresh.transaction(write=True) as tx:
        tx.execute(
            "INSERT INTO emargement_conflict (envelope_id, voter_id, scrutin_id, kiosk_id,"
            " detected_at) VALUES (?, ?, ?, ?, ?)",
            (bytes([7] * 16), "v0003", "cap", "kiosk-01", now),
        )


def test_the_keyed_marker_only_changes_sqlite() -> None:
    statement = "-- a comment\nCREATE TABLE t (k TEXT PRIMARY KEY) /* isoloir:keyed */"
    assert for_backend(statement, Backend.SQLITE).endswith(") WITHOUT ROWID")
    assert for_backend(statement, Backend.POSTGRESQL) == statement
    with pytest.raises(RuntimeError, match="may only end a CREATE TABLE"):
        for_backend("INSERT INTO t VALUES (1) /* isoloir:keyed */", Backend.SQLITE)


# ---- many accepted uploads at once: one chain ---------------------------------------------------


@pytest.fixture(scope="module")
def crowd(tmp_path_factory: pytest.TempPathFactory) -> SealedElection:
    return make_sealed_election(tmp_path_factory.mktemp("crowd"), voters=MANY_VOTERS)


@pytest.fixture
def two_servers(
    database_url: str, crowd: SealedElection, clock: ManualClock
) -> Iterator[tuple[FastAPI, FastAPI]]:
    settings = ServerSettings(database_url=database_url, package=crowd.folder)
    first = create_app(settings, clock)
    second = create_app(settings, clock)
    yield first, second
    for application in (first, second):
        server_state(application).database.close()


def test_many_concurrent_accepted_uploads_make_one_chain(
    two_servers: tuple[FastAPI, FastAPI],
    crowd: SealedElection,
    clock: ManualClock,
    database_url: str,
    tmp_path: Path,
) -> None:
    """Every voter in both scrutins, one upload each, all at once, at three kiosks, through two
    real uvicorn servers sharing the database: every one accepted, seqs 1..n, one chain."""
    casts = [cast_for(crowd, KIOSK_IDS[i % 3], i, scrutin) for i in range(MANY_VOTERS)
             for scrutin in ("cap", "capn")]  # fmt: skip
    start = threading.Barrier(len(casts))
    db = server_state(two_servers[0]).database
    with ServerThread(two_servers[0]) as first, ServerThread(two_servers[1]) as second:
        urls = (first.url, second.url)
        enroll_all(db, crowd, clock, first.url)

        def send(job: tuple[int, Cast]) -> list[UploadAnswer] | ServerFailure:
            index, one = job
            with client(crowd, one.kiosk_id, clock, urls[index % 2]) as kiosk:
                start.wait(timeout=60)
                return kiosk.upload([one.envelope], timeout=120)

        with ThreadPoolExecutor(max_workers=len(casts)) as pool:
            results = list(pool.map(send, enumerate(casts)))
    assert [r for r in results if isinstance(r, ServerFailure)] == []
    assert all(isinstance(r, list) and [a.status for a in r] == [UploadStatus.ACCEPTED]
               for r in results)  # fmt: skip
    db = Database.open(database_url)  # the servers closed theirs when they stopped
    with db.transaction() as tx:
        seqs = [row[0] for row in tx.query("SELECT seq FROM board_entry ORDER BY seq")]
        emargements = tx.query_one("SELECT COUNT(*) FROM emargement")
    assert seqs == list(range(1, len(casts) + 1))
    assert emargements == (len(casts),)
    # The record as the auditors get it: the whole board, checked link by link against its head.
    record = tmp_path / "record"
    exported = export_record(database_url, crowd.folder, record, clock=clock)
    layout = RecordLayout(record)
    entries = board_io.parse_board(layout.board.read_bytes())
    head = board_io.parse_head(layout.board_head.read_bytes())
    assert head == exported.head
    assert head.count == len(casts)
    board_io.check_chain(entries, crowd.context.base_hash, head)
    assert {e.tracking_code for e in entries} == {c.tracking_code for c in casts}
    if db.backend is Backend.SQLITE:
        assert physical_emargement(db) == sorted(_keys(casts))
    db.close()
