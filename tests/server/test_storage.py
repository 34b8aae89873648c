"""The server's storage on both engines: one schema from the same migration files, a checked
history, transactions that roll back, and constraints that refuse the same writes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from kiosk.clock import ManualClock
from kiosk.election.model import KioskId
from kiosk.migrations import split_statements
from server.storage import (
    SCHEMA_VERSION,
    Backend,
    ConstraintViolation,
    Database,
    DatabaseUnavailable,
    DatabaseUrlError,
    MigrationError,
    check,
    migrate,
    parse_database_url,
)
from server.storage import kiosks as kiosk_rows
from server.storage.election import ElectionMismatchError, bind
from server.storage.migrations import shipped
from tests.server.harness import Election

CLOCK = ManualClock(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
TABLES = {
    "schema_migration",
    "election",
    "kiosk",
    "enrollment_token",
    "request_nonce",
    "emargement",
    "envelope_receipt",
    "emargement_conflict",
    "board_entry",
    "board_head",
    "server_key",
    "message_quota",
    "credential_lockout",
}


@pytest.fixture
def fresh(database_url: str) -> Iterator[Database]:
    with Database.open(database_url) as database:
        yield database


def test_migrate_creates_one_schema_and_is_idempotent(fresh: Database) -> None:
    applied = migrate(fresh, CLOCK)
    assert [m.version for m in applied] == list(range(1, SCHEMA_VERSION + 1))
    assert migrate(fresh, CLOCK) == []
    assert check(fresh) == SCHEMA_VERSION
    with fresh.transaction() as tx:
        assert tx.table_names() == TABLES
        history = tx.query("SELECT version, name, sha256, applied_at FROM schema_migration")
    assert [(v, n, s) for v, n, s, _ in history] == [
        (m.version, m.name, m.sha256) for m in shipped()
    ]
    assert {row[3] for row in history} == {"2026-12-01T08:00:00Z"}


def test_check_refuses_a_database_never_migrated(fresh: Database) -> None:
    with pytest.raises(MigrationError, match="schema version 0, this server needs"):
        check(fresh)


def test_an_edited_migration_in_the_history_is_refused(fresh: Database) -> None:
    migrate(fresh, CLOCK)
    with fresh.transaction(write=True) as tx:
        tx.execute("UPDATE schema_migration SET sha256 = ? WHERE version = 1", ("0" * 64,))
    for attempt in (lambda: migrate(fresh, CLOCK), lambda: check(fresh)):
        with pytest.raises(MigrationError, match=r"0001_initial\.sql is recorded with another"):
            attempt()


def test_a_newer_schema_is_refused_and_left_alone(fresh: Database) -> None:
    migrate(fresh, CLOCK)
    with fresh.transaction(write=True) as tx:
        tx.execute(
            "INSERT INTO schema_migration (version, name, sha256, applied_at) VALUES (?, ?, ?, ?)",
            (SCHEMA_VERSION + 1, "future", "f" * 64, "2027-01-01T00:00:00Z"),
        )
    with pytest.raises(MigrationError, match="written by a newer Isoloir"):
        migrate(fresh, CLOCK)
    with fresh.transaction() as tx:
        assert tx.query_one("SELECT COUNT(*) FROM schema_migration") == (SCHEMA_VERSION + 1,)


def test_processes_starting_together_apply_each_migration_once(database_url: str) -> None:
    """Several servers starting at once on an empty database: the lock lets one migrate."""
    results: list[int] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            with Database.open(database_url) as database:
                results.append(len(migrate(database, CLOCK)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(results) == SCHEMA_VERSION  # each migration applied once, by one of them


def test_a_failed_transaction_leaves_nothing(fresh: Database) -> None:
    migrate(fresh, CLOCK)

    def fail_midway() -> None:
        with fresh.transaction(write=True) as tx:
            kiosk_rows.upsert_kiosk(tx, KioskId("kiosk-01"), bytes(32), "2026-12-01T08:00:00Z")
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        fail_midway()
    with fresh.transaction() as tx:
        assert kiosk_rows.find_kiosk(tx, "kiosk-01") is None


def test_both_engines_refuse_the_same_writes(fresh: Database) -> None:
    migrate(fresh, CLOCK)
    now = "2026-12-01T08:00:00Z"
    with fresh.transaction(write=True) as tx:
        tx.execute(
            "INSERT INTO kiosk (kiosk_id, public_key, enrolled_at, status) VALUES (?, ?, ?, ?)",
            ("kiosk-01", bytes(range(32)), now, "active"),
        )
    bad_rows = [
        ("kiosk-01", bytes(32), now, "active"),  # primary key taken
        ("kiosk-02", bytes(31), now, "active"),  # a key is 32 bytes
        ("kiosk-03", bytes(32), "yesterday", "active"),  # times are RFC 3339 to the second
        ("kiosk-04", bytes(32), now, "asleep"),  # unknown status
    ]
    for row in bad_rows:
        with pytest.raises(ConstraintViolation), fresh.transaction(write=True) as tx:
            tx.execute(
                "INSERT INTO kiosk (kiosk_id, public_key, enrolled_at, status) VALUES (?, ?, ?, ?)",
                row,
            )
    with pytest.raises(ConstraintViolation), fresh.transaction(write=True) as tx:
        tx.execute(  # a nonce needs an enrolled kiosk
            "INSERT INTO request_nonce (kiosk_id, nonce, seen_at) VALUES (?, ?, ?)",
            ("kiosk-99", bytes(16), now),
        )
    with fresh.transaction() as tx:
        assert tx.query("SELECT kiosk_id, public_key FROM kiosk") == [
            ("kiosk-01", bytes(range(32)))
        ]


def test_nonces_insert_once_per_kiosk_and_prune_by_age(fresh: Database) -> None:
    migrate(fresh, CLOCK)
    with fresh.transaction(write=True) as tx:
        for kiosk_id in ("kiosk-01", "kiosk-02"):
            kiosk_rows.upsert_kiosk(tx, kiosk_id, bytes(32), "2026-12-01T08:00:00Z")
    nonce = bytes(range(16))
    with fresh.transaction(write=True) as tx:
        assert kiosk_rows.record_nonce(tx, "kiosk-01", nonce, "2026-12-01T08:00:00Z")
        assert not kiosk_rows.record_nonce(tx, "kiosk-01", nonce, "2026-12-01T08:00:05Z")
        assert kiosk_rows.record_nonce(tx, "kiosk-02", nonce, "2026-12-01T08:10:00Z")
    with fresh.transaction(write=True) as tx:
        assert kiosk_rows.prune_nonces(tx, "2026-12-01T08:05:00Z") == 1
        assert tx.query("SELECT kiosk_id FROM request_nonce") == [("kiosk-02",)]


def test_the_database_belongs_to_one_election(fresh: Database, election: Election) -> None:
    migrate(fresh, CLOCK)
    first = bind(fresh, election.package, CLOCK)
    assert bind(fresh, election.package, CLOCK) == first
    other = replace(
        election.package, manifest=replace(election.package.manifest, election_id="other")
    )
    with pytest.raises(ElectionMismatchError, match="belongs to election 'test-2026'"):
        bind(fresh, other, CLOCK)
    resealed = replace(election.package, fingerprint="AAAA-BBBB-CCCC-DDDD")
    assert bind(fresh, resealed, CLOCK).fingerprint == "AAAA-BBBB-CCCC-DDDD"
    with fresh.transaction(write=True) as tx:
        kiosk_rows.upsert_kiosk(tx, "kiosk-01", bytes(32), "2026-12-01T08:00:00Z")
        tx.execute(
            "INSERT INTO board_entry (seq, scrutin_id, ballot, tracking_code, kiosk_id,"
            " kiosk_signature, prev_hash, entry_hash)"
            " VALUES (1, 'cap', ?, 'T', 'kiosk-01', ?, ?, ?)",
            (b"ballot", bytes(64), bytes(64), bytes(range(64))),
        )
    with pytest.raises(ElectionMismatchError, match="ballots were accepted"):
        bind(fresh, election.package, CLOCK)


def test_urls_name_their_engine_and_never_show_a_password() -> None:
    assert parse_database_url("sqlite:///var/isoloir.db").target == "var/isoloir.db"
    assert parse_database_url("sqlite:////var/isoloir.db").target == "/var/isoloir.db"
    url = parse_database_url("postgresql://isoloir:s3cret@db.example:5433/election?sslmode=require")
    assert url.backend is Backend.POSTGRESQL
    assert "s3cret" not in str(url)
    assert "s3cret" not in repr(url)
    assert str(url) == "postgresql://isoloir:***@db.example:5433/election?sslmode=require"
    query = parse_database_url("postgres:///election?host=/run/pg&password=hunter2")
    assert "hunter2" not in str(query)
    for bad in ("sqlite://", "sqlite:///", "sqlite:///:memory:", "mysql://x/y", "postgresql://h/",
                "postgresql://h:port/db", "/var/isoloir.db"):  # fmt: skip
        with pytest.raises(DatabaseUrlError):
            parse_database_url(bad)


def test_an_unreachable_database_is_unavailable_not_a_crash(tmp_path: object) -> None:
    missing_folder = Database.open("sqlite:////nonexistent/folder/server.db")
    with pytest.raises(DatabaseUnavailable, match="does not exist"):
        missing_folder.ping()
    nowhere = Database.open("postgresql://isoloir:s3cret@/db?host=/nonexistent&port=1")
    with pytest.raises(DatabaseUnavailable, match="cannot connect") as caught:
        nowhere.ping()
    assert "s3cret" not in str(caught.value)


def test_migration_files_are_portable_sql() -> None:
    """One text for both engines: no placeholder, no engine-specific type or keyword."""
    for migration in shipped():
        statements = split_statements(migration.sql)
        assert statements, migration.file_name
        upper = migration.sql.upper()
        for word in ("AUTOINCREMENT", "SERIAL", "BLOB", "WITHOUT ROWID", "PRAGMA", "$$", "?", "%"):
            assert word not in upper, (migration.file_name, word)
