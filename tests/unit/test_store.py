"""The encrypted kiosk store (kiosk/store, docs/store.md)."""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3

from kiosk import audit
from kiosk.audit import AuditEvent
from kiosk.clock import ManualClock
from kiosk.election import package as election_package
from kiosk.election import signing
from kiosk.election.kdf import SecretKind, hash_secret
from kiosk.election.model import ElectionPackage, KioskId, ScrutinId, VoterId
from kiosk.store import (
    SCHEMA_VERSION,
    AlreadyVotedError,
    CorruptStoreError,
    KeyFileError,
    KioskStore,
    LockoutRecord,
    MigrationMismatchError,
    NewerSchemaError,
    OlderSchemaError,
    PackageConflictError,
    PollsState,
    StoreBusyError,
    StoreError,
    StoreExistsError,
    StoreFileError,
    StoreKey,
    StoreMissingError,
    StoreStateError,
    SyncState,
    WrongKeyError,
    create_key_file,
    parse_kiosk_id,
    schema,
)
from tests.factories import KDF, small_package

CAPN = ScrutinId("capn")
CAP = ScrutinId("cap")
PASSPHRASE = "Isoloir kiosk 01 — clé d'administration"


@pytest.fixture(scope="module")
def package() -> ElectionPackage:
    return small_package(voters=5)


@pytest.fixture(scope="module")
def big_package() -> ElectionPackage:
    return small_package(voters=300)  # enough rows for a store of many pages


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def key(tmp_path: Path) -> StoreKey:
    return create_key_file(tmp_path / "store.key")


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "kiosk.db"


@pytest.fixture
def store(store_path: Path, key: StoreKey, clock: ManualClock) -> Iterator[KioskStore]:
    with KioskStore.create(store_path, key, clock) as opened:
        yield opened


@pytest.fixture
def voting(store: KioskStore, package: ElectionPackage) -> KioskStore:
    store.load_package(package)
    store.set_polls_state(PollsState.OPEN)
    return store


def snapshot(path: Path) -> dict[str, str]:
    """The store file and any SQLite companions beside it, by name and content hash."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.parent.iterdir())
        if p.name.startswith(path.name)
    }


@contextmanager
def raw_connection(path: Path, key: StoreKey) -> Iterator[Any]:
    """A plain SQLCipher connection, to look at or tamper with the file behind the store's back."""
    salt = path.read_bytes()[:16]
    connection = sqlcipher3.connect(str(path), isolation_level=None)
    connection.execute(f"PRAGMA key = \"x'{key.raw_key(salt).hex()}'\"")
    connection.execute("PRAGMA cipher_log_level = NONE")
    try:
        yield connection
    finally:
        connection.close()


def envelope_id(n: int) -> bytes:
    return hashlib.sha256(b"envelope %d" % n).digest()[:16]


NO_WAIT = timedelta(0)  # a busy timeout of zero: a held lock fails at once, and no test sleeps


# ---- creating, opening, migrations ------------------------------------------------------------


def test_a_new_store_runs_every_migration_and_records_it(
    store: KioskStore, store_path: Path, key: StoreKey
) -> None:
    assert store.status().schema_version == SCHEMA_VERSION
    store.close()
    with raw_connection(store_path, key) as db:
        rows = db.execute("SELECT version, name, sha256, applied_at FROM schema_version").fetchall()
    shipped = schema.shipped()
    assert [(r[0], r[1], r[2]) for r in rows] == [(m.version, m.name, m.sha256) for m in shipped]
    assert rows[0][3] == "2026-12-01T08:00:00Z"


def test_shipped_migrations_are_numbered_up_to_the_schema_version() -> None:
    shipped = schema.shipped()
    assert [m.version for m in shipped] == list(range(1, SCHEMA_VERSION + 1))
    assert all(m.statements() for m in shipped)


def test_statements_split_on_semicolons_outside_triggers_comments_and_strings() -> None:
    script = """
        -- a comment; with a semicolon
        CREATE TABLE t (x TEXT DEFAULT 'a;b');
        CREATE TRIGGER g BEFORE DELETE ON t BEGIN SELECT RAISE(ABORT, 'no'); END;
    """
    statements = schema.split_statements(script)
    assert len(statements) == 2
    assert statements[1].endswith("END;")
    with pytest.raises(RuntimeError, match="unterminated"):
        schema.split_statements("CREATE TABLE t (x)")


def test_a_new_store_journal_starts_with_its_creation(store: KioskStore) -> None:
    events = [entry.event for entry in store.audit_entries()]
    assert events == [AuditEvent.STORE_CREATED, AuditEvent.STORE_OPENED]


def test_a_store_reopens_with_its_content(
    store: KioskStore, store_path: Path, key: StoreKey, clock: ManualClock, package: ElectionPackage
) -> None:
    store.load_package(package)
    before = store.status()
    store.close()
    assert snapshot(store_path).keys() == {store_path.name}  # closed cleanly: no WAL left
    with KioskStore.open(store_path, key, clock) as reopened:
        after = reopened.status()
    assert after.fingerprint == before.fingerprint
    assert after.voters == before.voters
    assert after.audit_length == before.audit_length + 1  # store-opened


def test_create_refuses_an_existing_file(
    store_path: Path, key: StoreKey, clock: ManualClock
) -> None:
    store_path.write_bytes(b"something precious")
    with pytest.raises(StoreExistsError, match="exists already"):
        KioskStore.create(store_path, key, clock)
    assert store_path.read_bytes() == b"something precious"
    assert sorted(p.name for p in store_path.parent.iterdir()) == ["kiosk.db", "store.key"]


def test_create_refuses_a_leftover_write_ahead_log(
    store_path: Path, key: StoreKey, clock: ManualClock
) -> None:
    wal = store_path.with_name(store_path.name + "-wal")
    wal.write_bytes(b"frames of a lost store")
    with pytest.raises(StoreExistsError, match=r"leftover kiosk\.db-wal"):
        KioskStore.create(store_path, key, clock)
    assert not store_path.exists()


def test_open_refuses_a_missing_store(store_path: Path, key: StoreKey, clock: ManualClock) -> None:
    with pytest.raises(StoreMissingError, match="no such store"):
        KioskStore.open(store_path, key, clock)
    assert not store_path.exists()


def test_the_store_file_is_private_to_its_owner(store: KioskStore, store_path: Path) -> None:
    assert stat.S_IMODE(store_path.stat().st_mode) == 0o600
    assert not list(store_path.parent.glob(".*creating*"))


def test_all_errors_are_store_errors() -> None:
    errors: list[type[Exception]] = [
        WrongKeyError,
        CorruptStoreError,
        NewerSchemaError,
        OlderSchemaError,
        MigrationMismatchError,
        StoreBusyError,
        StoreFileError,
        StoreExistsError,
        StoreMissingError,
        AlreadyVotedError,
        KeyFileError,
        PackageConflictError,
        StoreStateError,
    ]
    assert all(issubclass(error, StoreError) for error in errors)


# ---- keys -------------------------------------------------------------------------------------


def test_a_passphrase_opens_and_a_wrong_one_changes_nothing(
    store_path: Path, clock: ManualClock
) -> None:
    KioskStore.create(store_path, StoreKey.from_passphrase(PASSPHRASE), clock).close()
    before = snapshot(store_path)
    wrong = "Isoloir kiosk 01 — clé d'administratioN"
    with pytest.raises(WrongKeyError) as caught:
        KioskStore.open(store_path, StoreKey.from_passphrase(wrong), clock)
    message = str(caught.value)
    assert message == (
        f"cannot open {store_path}: wrong passphrase or key, not an Isoloir store, "
        "or the file is damaged"
    )
    assert wrong not in message
    assert PASSPHRASE not in message
    assert snapshot(store_path) == before
    KioskStore.open(store_path, StoreKey.from_passphrase(PASSPHRASE), clock).close()


def test_a_passphrase_store_opens_in_the_stock_sqlcipher_way(
    store_path: Path, clock: ManualClock
) -> None:
    KioskStore.create(store_path, StoreKey.from_passphrase(PASSPHRASE), clock).close()
    connection = sqlcipher3.connect(str(store_path))
    try:
        connection.execute("PRAGMA key = '{}'".format(PASSPHRASE.replace("'", "''")))
        assert connection.execute("SELECT max(version) FROM schema_version").fetchone() == (
            SCHEMA_VERSION,
        )
    finally:
        connection.close()


def test_a_key_file_opens_and_another_one_does_not(
    store: KioskStore, store_path: Path, key: StoreKey, clock: ManualClock, tmp_path: Path
) -> None:
    store.close()
    KioskStore.open(store_path, StoreKey.from_key_file(tmp_path / "store.key"), clock).close()
    other = create_key_file(tmp_path / "other.key")
    before = snapshot(store_path)
    with pytest.raises(WrongKeyError, match="wrong passphrase or key"):
        KioskStore.open(store_path, other, clock)
    with pytest.raises(WrongKeyError):
        KioskStore.open(store_path, StoreKey.from_passphrase("a passphrase"), clock)
    assert snapshot(store_path) == before


def test_a_key_file_is_32_private_bytes_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "store.key"
    create_key_file(path)
    assert len(path.read_bytes()) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = path.read_bytes()
    with pytest.raises(KeyFileError, match="never overwritten"):
        create_key_file(path)
    assert path.read_bytes() == content


def test_a_key_file_of_the_wrong_size_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "short.key"
    path.write_bytes(b"too short")
    with pytest.raises(KeyFileError, match="exactly 32 bytes") as caught:
        StoreKey.from_key_file(path)
    assert "too short" not in str(caught.value)
    with pytest.raises(KeyFileError, match="cannot read"):
        StoreKey.from_key_file(tmp_path / "absent.key")


def test_key_material_never_shows(tmp_path: Path) -> None:
    phrase = StoreKey.from_passphrase("hunter2 hunter2")
    file_key = create_key_file(tmp_path / "k.key")
    raw = (tmp_path / "k.key").read_bytes()
    for text in (repr(phrase), str(phrase), repr(file_key), f"{file_key}"):
        assert "hunter2" not in text
        assert raw.hex() not in text
        assert "redacted" in text
    with pytest.raises(TypeError):
        pickle.dumps(phrase)
    with pytest.raises(ValueError, match="empty"):
        StoreKey.from_passphrase("")


def test_passphrases_compare_after_unicode_normalization(
    store_path: Path, clock: ManualClock
) -> None:
    KioskStore.create(store_path, StoreKey.from_passphrase("caf\u00e9 clé"), clock).close()
    KioskStore.open(store_path, StoreKey.from_passphrase("cafe\u0301 cle\u0301"), clock).close()


# ---- refusing damaged, foreign or newer stores, untouched ---------------------------------------


def test_a_corrupted_page_is_refused_and_the_file_left_alone(
    store: KioskStore,
    store_path: Path,
    key: StoreKey,
    clock: ManualClock,
    big_package: ElectionPackage,
) -> None:
    store.load_package(big_package)
    store.close()
    data = bytearray(store_path.read_bytes())
    pages = len(data) // 4096
    assert pages >= 20
    middle = (pages // 2) * 4096
    for offset in range(middle + 200, middle + 208):
        data[offset] ^= 0x5A
    store_path.write_bytes(bytes(data))
    before = snapshot(store_path)
    with pytest.raises((CorruptStoreError, WrongKeyError)) as caught:
        KioskStore.open(store_path, key, clock)
    assert isinstance(caught.value, CorruptStoreError)
    assert "integrity check found 1 problem(s)" in str(caught.value)
    assert f"page {pages // 2 + 1}" in str(caught.value)
    assert snapshot(store_path) == before


def test_a_newer_schema_is_refused_and_the_file_left_alone(
    store: KioskStore, store_path: Path, key: StoreKey, clock: ManualClock
) -> None:
    store.close()
    with raw_connection(store_path, key) as db:
        db.execute(
            "INSERT INTO schema_version (version, name, sha256, applied_at) VALUES (?, ?, ?, ?)",
            (SCHEMA_VERSION + 1, "from_the_future", "0" * 64, "2027-01-01T00:00:00Z"),
        )
    before = snapshot(store_path)
    assert before.keys() == {store_path.name}
    with pytest.raises(NewerSchemaError) as caught:
        KioskStore.open(store_path, key, clock)
    assert str(caught.value) == (
        f"cannot open {store_path}: store schema {SCHEMA_VERSION + 1} is newer than this "
        f"program's {SCHEMA_VERSION}; upgrade Isoloir"
    )
    assert snapshot(store_path) == before


def test_a_store_left_with_its_write_ahead_log_recovers(
    voting: KioskStore, store_path: Path, key: StoreKey, clock: ManualClock, tmp_path: Path
) -> None:
    voting.record_cast(VoterId("v0001"), CAPN, envelope_id(1), b"sealed")
    # Copy the files while the store is open: what a power cut leaves behind.
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    for source in store_path.parent.glob(store_path.name + "*"):
        (crashed / source.name).write_bytes(source.read_bytes())
    copy = crashed / store_path.name
    before = snapshot(copy)
    assert {"kiosk.db-wal", "kiosk.db-shm"} <= before.keys()
    with pytest.raises(WrongKeyError):
        KioskStore.open(copy, StoreKey.from_passphrase("not the key"), clock)
    after = snapshot(copy)
    # The file and its log hold the data and stay as they were; -shm is an index SQLite rebuilds.
    for name in ("kiosk.db", "kiosk.db-wal"):
        assert after[name] == before[name]
    with KioskStore.open(copy, key, clock) as recovered:
        assert recovered.status().emargements == 1
        assert [e.envelope for e in recovered.outbox()] == [b"sealed"]
        assert recovered.verify_audit_chain().ok
    assert snapshot(copy).keys() == {"kiosk.db"}


def test_a_plain_sqlite_file_is_not_a_store(
    store_path: Path, key: StoreKey, clock: ManualClock
) -> None:
    import sqlite3

    plain = sqlite3.connect(store_path)
    plain.execute("CREATE TABLE schema_version (version INTEGER)")
    plain.commit()
    plain.close()
    before = snapshot(store_path)
    with pytest.raises(WrongKeyError, match="not an Isoloir store"):
        KioskStore.open(store_path, key, clock)
    assert snapshot(store_path) == before


def test_another_encrypted_database_is_not_a_store(
    store_path: Path, key: StoreKey, clock: ManualClock
) -> None:
    salt = os.urandom(16)
    other = sqlcipher3.connect(str(store_path), isolation_level=None)
    other.execute(f"PRAGMA key = \"x'{key.raw_key(salt).hex()}{salt.hex()}'\"")
    other.execute("CREATE TABLE notes (text TEXT)")
    other.close()
    before = snapshot(store_path)
    with pytest.raises(WrongKeyError, match="not an Isoloir store"):
        KioskStore.open(store_path, key, clock)
    assert snapshot(store_path) == before


def test_an_empty_file_is_not_a_store(store_path: Path, key: StoreKey, clock: ManualClock) -> None:
    store_path.write_bytes(b"")
    with pytest.raises(WrongKeyError):
        KioskStore.open(store_path, key, clock)
    assert store_path.read_bytes() == b""


def test_an_edited_migration_is_refused_and_the_file_left_alone(
    store: KioskStore, store_path: Path, key: StoreKey, clock: ManualClock
) -> None:
    store.close()
    with raw_connection(store_path, key) as db:
        db.execute("UPDATE schema_version SET sha256 = ? WHERE version = 1", ("ab" * 32,))
    before = snapshot(store_path)
    for read_only in (False, True):
        with pytest.raises(MigrationMismatchError) as caught:
            KioskStore.open(store_path, key, clock, read_only=read_only)
        message = str(caught.value)
        assert "migration 0001_initial.sql was applied with SHA-256 abababababababab" in message
        assert "not trusted" in message
        assert caught.value.migration == "0001_initial.sql"
        assert snapshot(store_path) == before


def test_a_missing_migration_record_is_refused(
    store: KioskStore, store_path: Path, key: StoreKey, clock: ManualClock
) -> None:
    store.close()
    with raw_connection(store_path, key) as db:
        db.execute(
            "INSERT INTO schema_version (version, name, sha256, applied_at) VALUES (?, ?, ?, ?)",
            (SCHEMA_VERSION + 1, "from_the_future", "0" * 64, "2027-01-01T00:00:00Z"),
        )
        db.execute("DELETE FROM schema_version WHERE version = 1")
    # Pretend this program ships one more migration, so that the stored version is known.
    with pytest.MonkeyPatch.context() as patch:
        _ship_one_more_migration(patch)
        with pytest.raises(MigrationMismatchError, match=r"0001_initial\.sql is not recorded"):
            KioskStore.open(store_path, key, clock, read_only=True)


def _ship_one_more_migration(patch: pytest.MonkeyPatch) -> schema.Migration:
    extra = schema.Migration(SCHEMA_VERSION + 1, "test_notes", "CREATE TABLE test_note (t TEXT);")
    shipped = (*schema.shipped(), extra)
    patch.setattr(schema, "shipped", lambda: shipped)
    patch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    return extra


def test_an_older_schema_is_upgraded_only_by_a_read_write_opening(
    store: KioskStore, store_path: Path, key: StoreKey, clock: ManualClock
) -> None:
    store.close()
    before = snapshot(store_path)
    with pytest.MonkeyPatch.context() as patch:
        extra = _ship_one_more_migration(patch)
        with pytest.raises(OlderSchemaError) as caught:
            KioskStore.open(store_path, key, clock, read_only=True)
        assert str(caught.value) == (
            f"cannot open {store_path} read-only: store schema {SCHEMA_VERSION} is older than "
            f"this program's {extra.version}; it must be opened read-write once (by the kiosk, "
            "or `isoloir admin load-package`) to be upgraded"
        )
        assert snapshot(store_path) == before
        with KioskStore.open(store_path, key, clock) as upgraded:
            assert upgraded.status().schema_version == extra.version
            migrated = upgraded.audit_entries()[-2]
        assert migrated.event is AuditEvent.STORE_MIGRATED
        assert dict(migrated.fields) == {
            "from_version": SCHEMA_VERSION,
            "to_version": extra.version,
        }
        with KioskStore.open(store_path, key, clock, read_only=True) as inspected:
            assert inspected.status().schema_version == extra.version


# ---- read-only openings, a busy store, unreadable files -----------------------------------------


def test_a_read_only_opening_writes_nothing_at_all(
    voting: KioskStore, store_path: Path, key: StoreKey, clock: ManualClock
) -> None:
    voting.record_cast(VoterId("v0001"), CAPN, envelope_id(1), b"sealed")
    voting.close()
    before_files = snapshot(store_path)
    with KioskStore.open(store_path, key, clock) as reopened:  # read-write: journals the opening
        head = reopened.status().audit_head
    assert snapshot(store_path) != before_files
    before_files = snapshot(store_path)
    for _ in range(2):
        with KioskStore.open(store_path, key, clock, read_only=True) as inspected:
            assert inspected.read_only
            status = inspected.status()
            assert inspected.verify_audit_chain().ok
            assert inspected.outbox()[0].envelope == b"sealed"
        assert status.audit_head == head
        assert status.emargements == 1
    assert snapshot(store_path) == before_files  # same bytes, and no -wal or -shm beside it


def test_every_write_on_a_read_only_store_is_refused(
    voting: KioskStore, store_path: Path, key: StoreKey, clock: ManualClock
) -> None:
    voting.close()
    before = snapshot(store_path)
    seed = signing.generate().private_bytes_raw()
    writes: list[Callable[[KioskStore], object]] = [
        lambda s: s.record_cast(VoterId("v0001"), CAPN, envelope_id(1), b"sealed"),
        lambda s: s.append_audit(AuditEvent.SESSION_TIMED_OUT),
        lambda s: s.set_polls_state(PollsState.PAUSED),
        lambda s: s.load_package(small_package(voters=2)),
        lambda s: s.set_kiosk_key(KioskId("kiosk-01"), seed),
        lambda s: s.save_lockout(LockoutRecord("voter", "v0001", failures=1)),
        lambda s: s.set_sync_state([envelope_id(1)], SyncState.ACCEPTED),
        lambda s: s.replace_vote_code(VoterId("v0001"), None, method="sms"),
    ]
    with KioskStore.open(store_path, key, clock, read_only=True) as inspected:
        for write in writes:
            with pytest.raises(StoreStateError, match="opened read-only; nothing was recorded"):
                write(inspected)
        assert inspected.polls_state() is PollsState.OPEN
    assert snapshot(store_path) == before


def test_a_read_only_opening_works_while_another_connection_writes(
    voting: KioskStore, store_path: Path, key: StoreKey, clock: ManualClock
) -> None:
    head = voting.status().audit_head
    with voting._write() as db:  # the kiosk, in the middle of a transaction
        db.execute("UPDATE polls SET state = 'paused'")
        with KioskStore.open(store_path, key, clock, read_only=True, busy_timeout=NO_WAIT) as ro:
            status = ro.status()
            assert ro.verify_audit_chain().ok
    assert status.audit_head == head
    assert status.polls is PollsState.OPEN  # the committed state, not the one being written
    assert voting.status().polls is PollsState.PAUSED


def test_a_store_locked_by_another_program_is_busy(
    voting: KioskStore, store_path: Path, key: StoreKey, clock: ManualClock
) -> None:
    with KioskStore.open(store_path, key, clock, busy_timeout=NO_WAIT) as admin:
        before = voting.status()
        with voting._write():  # the kiosk holds the write lock
            with pytest.raises(StoreBusyError) as caught:
                admin.append_audit(AuditEvent.REPORT_PRINTED, report="opening")
            assert str(caught.value) == (
                f"the store {store_path} is in use by another program (the kiosk?); "
                "try again when it is closed"
            )
            with pytest.raises(StoreBusyError):
                admin.record_cast(VoterId("v0001"), CAPN, envelope_id(1), b"sealed")
            with pytest.raises(StoreBusyError, match="in use by another program"):
                KioskStore.open(store_path, key, clock, busy_timeout=NO_WAIT)
        assert voting.status() == before
        admin.append_audit(AuditEvent.REPORT_PRINTED, report="opening")  # free again
    assert voting.audit_entries()[-1].event is AuditEvent.REPORT_PRINTED


def test_a_folder_in_place_of_the_store_is_named_with_the_reason(
    store_path: Path, key: StoreKey, clock: ManualClock
) -> None:
    store_path.mkdir()
    for read_only in (False, True):
        with pytest.raises(StoreFileError) as caught:
            KioskStore.open(store_path, key, clock, read_only=read_only)
        assert str(caught.value) == f"cannot open {store_path}: Is a directory"


def test_a_folder_in_place_of_the_write_ahead_log_is_not_a_wrong_key(
    store: KioskStore, store_path: Path, key: StoreKey, clock: ManualClock
) -> None:
    store.close()
    store_path.with_name(store_path.name + "-wal").mkdir()
    for read_only in (False, True):
        with pytest.raises(StoreFileError, match="unable to open database file"):
            KioskStore.open(store_path, key, clock, read_only=read_only)


def test_an_unreadable_store_is_named_with_the_reason(
    store: KioskStore, store_path: Path, key: StoreKey, clock: ManualClock
) -> None:
    store.close()
    store_path.chmod(0)
    try:
        if os.access(store_path, os.R_OK):
            pytest.skip("this user (root?) reads files whatever their mode")
        with pytest.raises(StoreFileError, match=f"cannot open {store_path}: Permission denied"):
            KioskStore.open(store_path, key, clock)
    finally:
        store_path.chmod(0o600)


def test_a_store_that_cannot_be_created_says_why(
    tmp_path: Path, key: StoreKey, clock: ManualClock
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    path = blocker / "kiosk.db"
    with pytest.raises(StoreFileError, match=f"cannot create {path}: "):
        KioskStore.create(path, key, clock)
    assert blocker.read_bytes() == b""


# ---- the schema keeps ballots apart from voters --------------------------------------------------


def _columns(db: Any, table: str) -> list[str]:
    return [str(row[1]) for row in db.execute(f"PRAGMA table_info({table})").fetchall()]


def test_the_outbox_has_no_rowid_no_voter_and_no_time(
    store: KioskStore, store_path: Path, key: StoreKey
) -> None:
    store.close()
    with raw_connection(store_path, key) as db:
        sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'outbox'").fetchone()[0]
        assert "WITHOUT ROWID" in sql.upper()
        with pytest.raises(sqlcipher3.OperationalError, match="no such column"):
            db.execute("SELECT rowid FROM outbox")
        columns = _columns(db, "outbox")
    assert columns == ["envelope_id", "scrutin_id", "envelope", "sync_state", "reason"]
    for column in columns:
        parts = column.split("_")
        for word in ("voter", "time", "at", "date", "seq", "cast", "created", "ts"):
            assert word not in parts, column


def test_emargement_and_outbox_share_only_the_scrutin(
    store: KioskStore, store_path: Path, key: StoreKey
) -> None:
    store.close()
    with raw_connection(store_path, key) as db:
        shared = set(_columns(db, "emargement")) & set(_columns(db, "outbox"))
        # No index or view joins the two either.
        linking = db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'view' OR"
            " (sql LIKE '%outbox%' AND sql LIKE '%emargement%')"
        ).fetchall()
    assert shared == {"scrutin_id"}
    assert linking == []


def test_the_file_on_disk_is_encrypted(
    voting: KioskStore, store_path: Path, package: ElectionPackage
) -> None:
    voting.record_cast(VoterId("v0001"), CAPN, envelope_id(1), b"SEALED-BALLOT-BYTES")
    voter = package.roll[1]
    secrets_in_clear = [
        b"SQLite format 3",
        voter.identifier.encode(),
        voter.display_name.encode(),
        package.manifest.title.encode(),
        b"SEALED-BALLOT-BYTES",
        b"ballot-cast",
        voter.password.digest,
    ]
    wal = store_path.with_name(store_path.name + "-wal")
    while_open = [store_path.read_bytes(), wal.read_bytes()]  # newest pages are in the WAL
    voting.close()
    for data in [*while_open, store_path.read_bytes()]:
        for needle in secrets_in_clear:
            assert needle not in data, needle


def test_the_write_ahead_log_is_encrypted_while_open(
    voting: KioskStore, store_path: Path, package: ElectionPackage
) -> None:
    voting.record_cast(VoterId("v0001"), CAPN, envelope_id(1), b"SEALED-BALLOT-BYTES")
    wal = store_path.with_name(store_path.name + "-wal")
    assert wal.stat().st_size > 0
    data = wal.read_bytes()
    assert b"SEALED-BALLOT-BYTES" not in data
    assert package.roll[1].identifier.encode() not in data


# ---- casting ------------------------------------------------------------------------------------


def test_a_cast_writes_emargement_ballot_and_journal_together(
    voting: KioskStore, clock: ManualClock
) -> None:
    clock.advance(timedelta(minutes=5, microseconds=700))
    instant = voting.record_cast(VoterId("v0001"), CAPN, envelope_id(1), b"sealed")
    assert instant == clock.now().replace(microsecond=0)
    status = voting.status()
    assert status.emargements == 1
    assert status.outbox.pending == 1
    assert status.outbox.total == 1
    assert voting.voted_scrutins(VoterId("v0001")) == {CAPN}
    [entry] = voting.outbox()
    assert (entry.envelope_id, entry.scrutin_id, entry.envelope) == (
        envelope_id(1),
        CAPN,
        b"sealed",
    )
    last = voting.audit_entries()[-1]
    assert last.event is AuditEvent.BALLOT_CAST
    assert dict(last.fields) == {"scrutin_id": "capn"}
    assert last.at == "2026-12-01T08:05:00Z"


def test_a_second_cast_in_the_same_scrutin_is_refused_and_stores_nothing(
    voting: KioskStore,
) -> None:
    voting.record_cast(VoterId("v0001"), CAPN, envelope_id(1), b"first")
    before = voting.status()
    with pytest.raises(AlreadyVotedError, match="already voted in scrutin 'capn'"):
        voting.record_cast(VoterId("v0001"), CAPN, envelope_id(2), b"second")
    assert voting.status() == before
    assert [e.envelope for e in voting.outbox()] == [b"first"]
    voting.record_cast(VoterId("v0001"), CAP, envelope_id(3), b"other scrutin")
    assert voting.status().emargements == 2


def test_a_failure_after_the_emargement_leaves_neither_row(voting: KioskStore) -> None:
    voting.record_cast(VoterId("v0001"), CAPN, envelope_id(1), b"first")
    before = voting.status()
    # The ballot insert fails (same envelope id) after the émargement row was written.
    with pytest.raises(StoreStateError, match="nothing was recorded"):
        voting.record_cast(VoterId("v0003"), CAPN, envelope_id(1), b"clash")
    assert voting.status() == before
    assert voting.voted_scrutins(VoterId("v0003")) == frozenset()


def test_an_exception_at_the_last_step_leaves_neither_row(
    voting: KioskStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = voting.status()

    def crash(*args: object) -> bytes:
        raise RuntimeError("power cut")

    monkeypatch.setattr(audit, "chain_hash", crash)  # the audit entry is written last
    with pytest.raises(RuntimeError, match="power cut"):
        voting.record_cast(VoterId("v0001"), CAPN, envelope_id(1), b"sealed")
    monkeypatch.undo()
    assert voting.status() == before
    assert voting.outbox() == []
    assert voting.voted_scrutins(VoterId("v0001")) == frozenset()
    voting.record_cast(VoterId("v0001"), CAPN, envelope_id(1), b"sealed")
    assert voting.status().emargements == 1


def test_casting_needs_open_polls_and_an_eligible_voter(
    store: KioskStore, package: ElectionPackage
) -> None:
    store.load_package(package)
    with pytest.raises(StoreStateError, match="polls are not_opened"):
        store.record_cast(VoterId("v0001"), CAPN, envelope_id(1), b"sealed")
    store.set_polls_state(PollsState.OPEN)
    with pytest.raises(StoreStateError, match="may not vote"):
        store.record_cast(VoterId("nobody"), CAPN, envelope_id(1), b"sealed")
    with pytest.raises(ValueError, match="16 random bytes"):
        store.record_cast(VoterId("v0001"), CAPN, b"short", b"sealed")
    store.set_polls_state(PollsState.CLOSED)
    with pytest.raises(StoreStateError, match="polls are closed"):
        store.record_cast(VoterId("v0001"), CAPN, envelope_id(1), b"sealed")
    assert store.status().emargements == 0


def test_ballots_and_emargements_are_never_rewritten(
    voting: KioskStore, store_path: Path, key: StoreKey
) -> None:
    voting.record_cast(VoterId("v0001"), CAPN, envelope_id(1), b"sealed")
    voting.close()
    with raw_connection(store_path, key) as db:
        for statement in (
            "DELETE FROM emargement",
            "UPDATE emargement SET cast_at = 'x'",
            "DELETE FROM outbox",
            "UPDATE outbox SET envelope = x'00'",
            "UPDATE audit_journal SET at = 'x'",
            "DELETE FROM audit_journal",
        ):
            with pytest.raises(sqlcipher3.IntegrityError):
                db.execute(statement)
        db.execute("UPDATE outbox SET sync_state = 'accepted'")  # the one thing that moves


def test_sync_states_move_and_are_counted(voting: KioskStore) -> None:
    for n, voter in enumerate(("v0001", "v0003", "v0004")):
        voting.record_cast(VoterId(voter), CAPN, envelope_id(n), b"sealed %d" % n)
    pending = voting.outbox(SyncState.PENDING, limit=2)
    assert len(pending) == 2
    assert [e.envelope_id for e in pending] == sorted(e.envelope_id for e in pending)
    changed = voting.set_sync_state([e.envelope_id for e in pending], SyncState.ACCEPTED)
    assert changed == 2
    assert voting.set_sync_state([b"\x00" * 16], SyncState.REJECTED) == 0
    counts = voting.status().outbox
    assert (counts.pending, counts.accepted, counts.total) == (1, 2, 3)
    assert voting.audit_entries()[-1].fields == {"state": "accepted", "count": 2}


# ---- the package, the roll, polls, kiosk key, lockouts -------------------------------------------


def test_a_loaded_package_round_trips(
    store: KioskStore, package: ElectionPackage, clock: ManualClock
) -> None:
    assert store.status().fingerprint is None
    assert store.load_package(package) is True
    status = store.status()
    assert status.fingerprint == package.fingerprint
    assert status.election_id == package.manifest.election_id
    assert status.election_title == package.manifest.title
    assert (status.voters, status.scrutins) == (5, 2)
    stored = store.stored_package()
    assert stored is not None
    assert stored.manifest == package.manifest_bytes
    assert stored.signature == package.signature
    assert stored.loaded_at == clock.now()
    for path, data in package.assets.items():
        assert store.package_asset(path) == data
    assert store.package_asset("nope.pdf") is None
    for voter in package.roll:
        assert store.voter(voter.id) == voter
        assert store.find_voter(voter.identifier) == voter
    invalidated = store.voter(package.roll[2].id)  # the factory invalidates voter 2's code
    assert invalidated is not None
    assert invalidated.vote_code is None
    assert store.find_voter("nobody@example.org") is None
    assert store.audit_entries()[-1].fields == {
        "election_id": "test-2026",
        "fingerprint": package.fingerprint,
    }


def test_a_voter_is_found_whatever_the_case_and_spaces_typed(
    store: KioskStore, package: ElectionPackage
) -> None:
    store.load_package(package)
    voter = package.roll[1]
    assert voter.identifier == "agent1@ac-exemple.fr"
    for typed in ("AGENT1@AC-EXEMPLE.FR", " Agent1@Ac-Exemple.fr\t", "agent1@ac-exemple.fr"):
        assert store.find_voter(typed) == voter
    assert store.find_voter("agent1@ac-exemple.f") is None


def test_loading_the_same_package_again_changes_nothing(
    store: KioskStore, package: ElectionPackage
) -> None:
    store.load_package(package)
    before = store.status()
    assert store.load_package(package) is False
    assert store.status() == before


def test_another_package_replaces_the_first_until_the_polls_are_opened(
    store: KioskStore, package: ElectionPackage
) -> None:
    store.load_package(package)
    other = small_package(voters=4)
    assert store.load_package(other) is True
    assert store.status().fingerprint == other.fingerprint
    assert store.status().voters == 4
    store.set_polls_state(PollsState.OPEN)
    for state in (PollsState.PAUSED, PollsState.CLOSED):
        # A running kiosk seals ballots for the loaded election: never another under it.
        store.set_polls_state(state)
        with pytest.raises(StoreStateError, match=f"the polls are {state.value}: a package"):
            store.load_package(package)
        assert store.status().fingerprint == other.fingerprint
    assert store.load_package(other) is False  # the same package: nothing to change


def test_a_package_is_never_replaced_under_ballots(
    store: KioskStore, package: ElectionPackage
) -> None:
    store.load_package(package)
    store.set_polls_state(PollsState.OPEN)
    store.record_cast(VoterId("v0001"), CAPN, envelope_id(1), b"sealed")
    other = small_package(voters=4)
    with pytest.raises(StoreStateError, match="the polls are open: a package"):
        store.load_package(other)
    assert store.status().fingerprint == package.fingerprint


def test_polls_move_only_along_allowed_transitions(
    store: KioskStore, package: ElectionPackage
) -> None:
    assert store.polls_state() is PollsState.NOT_OPENED
    with pytest.raises(StoreStateError, match="no election package"):
        store.set_polls_state(PollsState.OPEN)
    store.load_package(package)
    store.set_polls_state(PollsState.OPEN)
    store.set_polls_state(PollsState.PAUSED)
    store.set_polls_state(PollsState.OPEN)
    store.set_polls_state(PollsState.CLOSED)
    with pytest.raises(StoreStateError, match="from closed to paused"):
        store.set_polls_state(PollsState.PAUSED)
    assert store.status().polls is PollsState.CLOSED
    # Reopening: the store allows it; only an administrator may ask (kiosk/admin/roles.py).
    with pytest.raises(StoreStateError, match="are closed now, not paused"):
        store.set_polls_state(PollsState.OPEN, expected=PollsState.PAUSED)
    store.set_polls_state(PollsState.OPEN)
    states = [
        e.fields["state"] for e in store.audit_entries() if e.event is AuditEvent.POLLS_CHANGED
    ]
    assert states == ["open", "paused", "open", "closed", "open"]


def test_the_kiosk_key_is_kept_and_checked_against_the_package(store: KioskStore) -> None:
    kiosk_key = signing.generate()
    seed = kiosk_key.private_bytes_raw()
    package = small_package(kiosk_key=kiosk_key)
    store.load_package(package)
    identity = store.set_kiosk_key(KioskId("kiosk-01"), seed)
    assert identity.public_key == signing.public_bytes(kiosk_key)
    assert seed.hex() not in repr(identity)
    assert store.kiosk_identity() == identity
    assert identity.signing_key().sign(b"m") == kiosk_key.sign(b"m")
    assert store.status().kiosk_id == "kiosk-01"
    entry = store.audit_entries()[-1]
    assert entry.event is AuditEvent.KIOSK_KEY_SET
    assert seed.hex() not in str(entry.fields)
    with pytest.raises(StoreStateError, match="another public key"):
        store.set_kiosk_key(KioskId("kiosk-01"), signing.generate().private_bytes_raw())
    assert store.kiosk_identity() == identity


def test_a_package_that_lists_kiosks_must_list_this_one(store: KioskStore) -> None:
    store.set_kiosk_key(KioskId("kiosk-02"), signing.generate().private_bytes_raw())
    before = store.status()
    package = small_package()  # lists kiosk-01 only
    with pytest.raises(StoreStateError, match="lists 1 kiosk\\(s\\) but not 'kiosk-02'") as caught:
        store.load_package(package)
    assert "nothing was recorded" in str(caught.value)
    assert store.status() == before


def test_a_kiosk_key_is_refused_for_an_id_the_package_does_not_list(store: KioskStore) -> None:
    store.load_package(small_package())
    before = store.status()
    with pytest.raises(StoreStateError, match="but not 'kiosk-02'; refusing to install the key"):
        store.set_kiosk_key(KioskId("kiosk-02"), signing.generate().private_bytes_raw())
    assert store.status() == before
    assert store.kiosk_identity() is None


def test_a_package_that_lists_no_kiosk_accepts_any(store: KioskStore) -> None:
    organizer = signing.generate()
    listed = small_package(organizer)
    unlisted = election_package.resign(listed, replace(listed.manifest, kiosks=()), organizer)
    store.set_kiosk_key(KioskId("kiosk-02"), signing.generate().private_bytes_raw())
    assert store.load_package(unlisted) is True
    store.set_kiosk_key(KioskId("kiosk-03"), signing.generate().private_bytes_raw())


def test_kiosk_ids_follow_the_package_rule(store: KioskStore) -> None:
    assert parse_kiosk_id("kiosk-01.lycee_a") == "kiosk-01.lycee_a"
    seed = signing.generate().private_bytes_raw()
    for bad in ("", "Kiosk-01", "-kiosk", "kiosk 01", "k" * 65, "kiosk/01"):
        with pytest.raises(ValueError, match="is not a kiosk id"):
            parse_kiosk_id(bad)
        with pytest.raises(ValueError, match="is not a kiosk id"):
            store.set_kiosk_key(KioskId(bad), seed)
    assert store.kiosk_identity() is None


def test_lockout_counters_round_trip(store: KioskStore, clock: ManualClock) -> None:
    assert store.lockout("voter", "v0001") == LockoutRecord("voter", "v0001")
    record = LockoutRecord("voter", "v0001", failures=3, locked_until=clock.now(), locked=False)
    store.save_lockout(record)
    assert store.lockout("voter", "v0001") == record
    assert store.lockout("voter", "v0002").failures == 0
    store.save_lockout(LockoutRecord("voter", "v0001"))
    assert store.lockout("voter", "v0001") == LockoutRecord("voter", "v0001")


def test_a_vote_code_can_be_replaced(store: KioskStore, package: ElectionPackage) -> None:
    store.load_package(package)
    code = hash_secret(SecretKind.VOTE_CODE, "NEWCODE", KDF)
    store.replace_vote_code(VoterId("v0002"), code, method="sms")
    replaced = store.voter(VoterId("v0002"))
    assert replaced is not None
    assert replaced.vote_code == code
    with pytest.raises(StoreStateError, match="no voter"):
        store.replace_vote_code(VoterId("nobody"), None, method="sms")


# ---- the audit journal --------------------------------------------------------------------------


def test_the_audit_chain_verifies_and_pins_the_status(voting: KioskStore) -> None:
    voting.record_cast(VoterId("v0001"), CAPN, envelope_id(1), b"sealed")
    entry = voting.append_audit(AuditEvent.REPORT_PRINTED, report="opening")
    check = voting.verify_audit_chain()
    assert check.ok
    status = voting.status()
    assert check.length == status.audit_length == entry.seq
    assert check.head_hash.hex() == status.audit_head == entry.hash.hex()


def test_an_undeclared_audit_field_is_refused_and_nothing_appended(voting: KioskStore) -> None:
    before = voting.status().audit_length
    with pytest.raises(ValueError, match="does not carry field 'voter_id'"):
        voting.append_audit(AuditEvent.BALLOT_CAST, scrutin_id="capn", voter_id="v0001")
    assert voting.status().audit_length == before


def test_tampering_with_one_entry_is_found_at_its_seq(
    voting: KioskStore, store_path: Path, key: StoreKey, clock: ManualClock
) -> None:
    voting.record_cast(VoterId("v0001"), CAPN, envelope_id(1), b"sealed")
    voting.append_audit(AuditEvent.REPORT_PRINTED, report="opening")
    target = next(e.seq for e in voting.audit_entries() if e.event is AuditEvent.BALLOT_CAST)
    voting.close()
    with raw_connection(store_path, key) as db:
        db.execute("DROP TRIGGER audit_journal_no_update")
        db.execute(
            "UPDATE audit_journal SET fields = ? WHERE seq = ?", ('{"scrutin_id":"cap"}', target)
        )
    with KioskStore.open(store_path, key, clock) as reopened:
        check = reopened.verify_audit_chain()
    assert not check.ok
    assert check.first_broken_seq == target
    assert check.reason == "hash does not match the entry's content"


def test_timestamps_come_from_the_injected_clock(store: KioskStore, clock: ManualClock) -> None:
    clock.advance(timedelta(days=3, seconds=7))
    entry = store.append_audit(AuditEvent.SESSION_TIMED_OUT)
    assert entry.at == "2026-12-04T08:00:07Z"


def test_the_store_serves_another_thread(voting: KioskStore) -> None:
    results: list[object] = []
    worker = threading.Thread(target=lambda: results.append(voting.status().voters))
    worker.start()
    worker.join()
    assert results == [5]


def test_a_closed_store_says_so(store: KioskStore) -> None:
    store.close()
    store.close()  # twice is fine
    with pytest.raises(StoreStateError, match="is closed"):
        store.status()
