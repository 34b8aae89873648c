"""The kiosk's encrypted store: one SQLCipher 4 file (docs/store.md).

Opening validates before it writes: a read-only connection proves the key, runs the integrity
checks, reads the schema version and compares the migration history with the shipped files, so
that every refusal (wrong key, corruption, a newer schema, an edited migration) leaves the file
exactly as it was. A read-only opening keeps that connection and never writes; otherwise a
writable connection switches to WAL, applies pending migrations and records the opening in the
audit journal.

Every multi-table write is one ``BEGIN IMMEDIATE`` transaction; ``record_cast`` writes the
émargement, the sealed ballot and the audit entry together or not at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Final
from urllib.parse import quote

import sqlcipher3
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk import audit
from kiosk.audit import AuditEntry, AuditEvent, AuditValue, ChainCheck, StoredAuditRow
from kiosk.clock import Clock, isoformat_utc
from kiosk.durable import fsync_directory
from kiosk.election.codec import parse_manifest
from kiosk.election.kdf import SecretHash
from kiosk.election.model import (
    ID_PATTERN,
    ElectionId,
    ElectionPackage,
    KioskId,
    Manifest,
    ScrutinId,
    Voter,
    VoterId,
)
from kiosk.encoding import strict_json_loads
from kiosk.store import schema
from kiosk.store.errors import (
    AlreadyVotedError,
    CorruptStoreError,
    MigrationMismatchError,
    NewerSchemaError,
    OlderSchemaError,
    PackageConflictError,
    StoreBusyError,
    StoreError,
    StoreExistsError,
    StoreFileError,
    StoreMissingError,
    StoreStateError,
    WrongKeyError,
)
from kiosk.store.files import existing_sidecars
from kiosk.store.keys import SALT_BYTES, StoreKey
from kiosk.store.records import (
    POLLS_TRANSITIONS,
    KioskIdentity,
    LockoutRecord,
    OperatorAttempt,
    OperatorRecord,
    OutboxCounts,
    OutboxEntry,
    PollsState,
    StoredPackage,
    StoreStatus,
    SyncState,
)

ENVELOPE_ID_BYTES: Final = 16
DEFAULT_BUSY_TIMEOUT: Final = timedelta(seconds=10)
"""How long a store waits for another program's write lock before ``StoreBusyError``."""

Row = tuple[Any, ...]  # sqlcipher3 ships no type hints: every value is converted where it is read


class KioskStore:
    """An open store. Use ``KioskStore.create`` or ``KioskStore.open``; close it, or use ``with``.

    Methods may be called from any one thread at a time (the GUI runs core work off its own
    thread); a lock serializes them. A store opened read-only refuses every write method with
    ``StoreStateError``.
    """

    def __init__(
        self,
        path: Path,
        connection: Any,
        clock: Clock,
        *,
        read_only: bool = False,
        _private: object = None,
    ) -> None:
        if _private is not _TOKEN:
            raise TypeError("use KioskStore.create or KioskStore.open")
        self._path = path
        self._conn = connection
        self._clock = clock
        self._read_only = read_only
        self._lock = threading.RLock()

    # ---- opening and closing ------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path, key: StoreKey, clock: Clock) -> KioskStore:
        """Create a new, empty store at ``path`` (which must not exist) and open it.

        The store is built under a temporary name and linked into place only when complete, so
        a crash during creation never leaves a half-made store at ``path``.
        """
        path = Path(path)
        if path.exists() or path.is_symlink():
            raise StoreExistsError(path)
        leftovers = existing_sidecars(path)
        if leftovers:
            raise StoreExistsError(path, f"a leftover {leftovers[0].name}")
        try:
            cls._build(path, key, clock)
        except OSError as exc:
            raise StoreFileError(path, "create", exc.strerror) from None
        return cls.open(path, key, clock)

    @classmethod
    def _build(cls, path: Path, key: StoreKey, clock: Clock) -> None:
        """Make the store under a temporary name, then link it into place (``create``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{secrets.token_hex(6)}.creating")
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        try:
            salt = os.urandom(SALT_BYTES)
            connection = _connect(
                str(partial), uri=False, timeout=DEFAULT_BUSY_TIMEOUT.total_seconds()
            )
            try:
                _apply_key(connection, key.raw_key(salt), salt)
                _configure(connection)
                store = cls(partial, connection, clock, _private=_TOKEN)
                store._migrate(0)
                store.append_audit(AuditEvent.STORE_CREATED, schema_version=schema.SCHEMA_VERSION)
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                connection.close()
            with open(partial, "rb+") as created:
                os.fsync(created.fileno())
            _link_new(partial, path)
            fsync_directory(path.parent)
        finally:
            for leftover in (partial, *existing_sidecars(partial)):
                leftover.unlink(missing_ok=True)

    @classmethod
    def open(
        cls,
        path: Path,
        key: StoreKey,
        clock: Clock,
        *,
        read_only: bool = False,
        busy_timeout: timedelta = DEFAULT_BUSY_TIMEOUT,
    ) -> KioskStore:
        """Open an existing store: check key, integrity, schema and migration history first.

        Read-write (the kiosk, and commands that change the store), it then migrates if needed
        and journals ``store-opened``. Read-only (inspection), it writes nothing at all: it keeps
        the checked connection, refuses an older schema (``OlderSchemaError``) rather than
        migrating it, and every write method raises ``StoreStateError``. ``busy_timeout`` is how
        long to wait for another program's write lock before ``StoreBusyError``.
        """
        path = Path(path)
        raw_key = key.raw_key(_read_salt(path))
        timeout = busy_timeout.total_seconds()
        try:
            checked, version = _validated_connection(path, raw_key, timeout)
            if read_only:
                if version < schema.SCHEMA_VERSION:
                    checked.close()
                    raise OlderSchemaError(path, version, schema.SCHEMA_VERSION)
                return cls(path, checked, clock, read_only=True, _private=_TOKEN)
            checked.close()
            return cls._open_writable(path, raw_key, clock, version, timeout)
        except sqlcipher3.OperationalError as exc:
            raise _open_failure(path, exc) from None

    @classmethod
    def _open_writable(
        cls, path: Path, raw_key: bytes, clock: Clock, version: int, timeout: float
    ) -> KioskStore:
        connection = _connect(str(path), uri=False, timeout=timeout)
        try:
            _apply_key(connection, raw_key)
            try:
                connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlcipher3.DatabaseError as exc:
                raise _open_failure(path, exc) from None
            _configure(connection)
            store = cls(path, connection, clock, _private=_TOKEN)
            store._migrate(version)
            store.append_audit(AuditEvent.STORE_OPENED, schema_version=schema.SCHEMA_VERSION)
        except BaseException:
            connection.close()
            raise
        return store

    def close(self) -> None:
        """Checkpoint the write-ahead log into the file and close; the WAL file is removed.

        A read-only store just closes: the checkpoint is a write, left to the writer.
        """
        with self._lock:
            if self._conn is None:
                return
            try:
                if not self._read_only:
                    self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> KioskStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"KioskStore({str(self._path)!r})"

    @property
    def path(self) -> Path:
        return self._path

    @property
    def read_only(self) -> bool:
        return self._read_only

    # ---- the election package and the roll ----------------------------------------------------

    def load_package(self, package: ElectionPackage) -> bool:
        """Store a verified package with its assets and roll, in one transaction.

        Returns False when this very package (same fingerprint) is loaded already. Another
        package is loaded only while the polls have never been opened (``StoreStateError``
        otherwise: a running kiosk seals ballots for the loaded election) and replaces the
        current one only while the store holds no émargement and no ballot.
        """
        manifest = package.manifest
        now = self._now()
        with self._write() as db:
            current = db.execute("SELECT election_id, fingerprint FROM election_package").fetchone()
            if current is not None and str(current[1]) == package.fingerprint:
                return False
            polls = _polls(db)
            if polls is not PollsState.NOT_OPENED:
                raise StoreStateError(
                    f"the polls are {polls.value}: a package is loaded only before they are "
                    f"first opened; election {manifest.election_id!r} (package "
                    f"{package.fingerprint}) was not loaded, nothing changed"
                )
            if current is not None:
                cast = _count(db, "emargement") + _count(db, "outbox")
                if cast:
                    raise PackageConflictError(
                        f"the store holds {cast} émargement(s) and ballot(s) for election "
                        f"{current[0]!r} (package {current[1]}); refusing to replace it with "
                        f"{manifest.election_id!r} (package {package.fingerprint})"
                    )
                for table in ("lockout", "voter_scrutin", "voter", "scrutin", "package_asset"):
                    db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
                db.execute("DELETE FROM election_package")
            identity = self._identity(db)
            if identity is not None:
                _check_kiosk_listed(manifest, identity.kiosk_id, identity.public_key, "load it")
            db.execute(
                "INSERT INTO election_package (singleton, election_id, title, fingerprint,"
                " manifest, signature, loaded_at) VALUES (1, ?, ?, ?, ?, ?, ?)",
                (
                    manifest.election_id,
                    manifest.title,
                    package.fingerprint,
                    package.manifest_bytes,
                    package.signature,
                    now,
                ),
            )
            db.executemany(
                "INSERT INTO package_asset (path, sha256, data) VALUES (?, ?, ?)",
                (
                    (path, hashlib.sha256(data).hexdigest(), data)
                    for path, data in sorted(package.assets.items())
                ),
            )
            db.executemany(
                "INSERT INTO scrutin (scrutin_id, title, position) VALUES (?, ?, ?)",
                ((s.id, s.title, i) for i, s in enumerate(manifest.scrutins)),
            )
            db.executemany(
                "INSERT INTO voter (voter_id, identifier, identifier_key, display_name,"
                " password_hash, vote_code_hash, secret_question, secret_answer_hash, numen_hash,"
                " personal_email, phone, station) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        v.id,
                        v.identifier,
                        _identifier_key(v.identifier),
                        v.display_name,
                        _hash_blob(v.password),
                        None if v.vote_code is None else _hash_blob(v.vote_code),
                        v.secret_question,
                        _hash_blob(v.secret_answer),
                        _hash_blob(v.numen),
                        v.personal_email,
                        v.phone,
                        v.station,
                    )
                    for v in package.roll
                ),
            )
            db.executemany(
                "INSERT INTO voter_scrutin (voter_id, scrutin_id) VALUES (?, ?)",
                ((v.id, s) for v in package.roll for s in v.scrutins),
            )
            self._append(
                db,
                now,
                AuditEvent.PACKAGE_LOADED,
                {"election_id": manifest.election_id, "fingerprint": package.fingerprint},
            )
        return True

    def stored_package(self) -> StoredPackage | None:
        with self._read() as db:
            row = db.execute(
                "SELECT election_id, title, fingerprint, manifest, signature, loaded_at"
                " FROM election_package"
            ).fetchone()
        if row is None:
            return None
        return StoredPackage(
            election_id=ElectionId(str(row[0])),
            title=str(row[1]),
            fingerprint=str(row[2]),
            manifest=bytes(row[3]),
            signature=bytes(row[4]),
            loaded_at=_parse_instant(row[5]),
        )

    def package_asset(self, path: str) -> bytes | None:
        """A file of the loaded package (logo, PDF) by its package-relative path."""
        with self._read() as db:
            row = db.execute("SELECT data FROM package_asset WHERE path = ?", (path,)).fetchone()
        return None if row is None else bytes(row[0])

    def voter(self, voter_id: VoterId) -> Voter | None:
        with self._read() as db:
            row = db.execute(f"{_VOTER_SELECT} WHERE voter_id = ?", (voter_id,)).fetchone()
            return None if row is None else _voter_from_row(db, row)

    def find_voter(self, identifier: str) -> Voter | None:
        """The voter who logs in as ``identifier``: surrounding spaces and case do not matter.

        The package codec refuses identifiers that differ only in case, so at most one matches.
        """
        with self._read() as db:
            row = db.execute(
                f"{_VOTER_SELECT} WHERE identifier_key = ?", (_identifier_key(identifier),)
            ).fetchone()
            return None if row is None else _voter_from_row(db, row)

    def replace_vote_code(self, voter_id: VoterId, code: SecretHash | None, *, method: str) -> None:
        """Set a voter's vote-code hash (None invalidates it); ``method`` says how (réassort)."""
        now = self._now()
        with self._write() as db:
            updated = db.execute(
                "UPDATE voter SET vote_code_hash = ? WHERE voter_id = ?",
                (None if code is None else _hash_blob(code), voter_id),
            ).rowcount
            if updated != 1:
                raise StoreStateError(f"no voter {voter_id!r} on the roll")
            self._append(db, now, AuditEvent.VOTE_CODE_REPLACED, {"method": method})

    def voted_scrutins(self, voter_id: VoterId) -> frozenset[ScrutinId]:
        """The scrutins in which this voter's émargement is recorded on this kiosk."""
        with self._read() as db:
            rows = db.execute(
                "SELECT scrutin_id FROM emargement WHERE voter_id = ?", (voter_id,)
            ).fetchall()
        return frozenset(ScrutinId(str(r[0])) for r in rows)

    # ---- casting ------------------------------------------------------------------------------

    def record_cast(
        self, voter_id: VoterId, scrutin_id: ScrutinId, envelope_id: bytes, envelope: bytes
    ) -> datetime:
        """Commit the émargement, the sealed ballot and the audit entry in one transaction.

        Returns the recorded instant (to the second). Raises ``AlreadyVotedError`` when this
        voter has voted in this scrutin already, ``StoreStateError`` when the polls are not open
        or the voter may not vote in it; in every such case nothing at all is written.
        """
        if len(envelope_id) != ENVELOPE_ID_BYTES:
            raise ValueError(f"an envelope id is {ENVELOPE_ID_BYTES} random bytes")
        if not envelope:
            raise ValueError("an empty envelope")
        instant = self._clock.now()
        at = isoformat_utc(instant)
        with self._write() as db:
            polls = _polls(db)
            if polls is not PollsState.OPEN:
                raise StoreStateError(
                    f"the polls are {polls.value}, not open; nothing was recorded"
                )
            eligible = db.execute(
                "SELECT 1 FROM voter_scrutin WHERE voter_id = ? AND scrutin_id = ?",
                (voter_id, scrutin_id),
            ).fetchone()
            if eligible is None:
                raise StoreStateError(
                    f"voter {voter_id!r} may not vote in scrutin {scrutin_id!r}; "
                    "nothing was recorded"
                )
            voted = db.execute(
                "SELECT 1 FROM emargement WHERE voter_id = ? AND scrutin_id = ?",
                (voter_id, scrutin_id),
            ).fetchone()
            if voted is not None:
                raise AlreadyVotedError(scrutin_id)
            db.execute(
                "INSERT INTO emargement (voter_id, scrutin_id, cast_at) VALUES (?, ?, ?)",
                (voter_id, scrutin_id, at),
            )
            try:
                db.execute(
                    "INSERT INTO outbox (envelope_id, scrutin_id, envelope, sync_state)"
                    " VALUES (?, ?, ?, ?)",
                    (envelope_id, scrutin_id, envelope, SyncState.PENDING.value),
                )
            except sqlcipher3.IntegrityError:
                raise StoreStateError(
                    "an envelope with this id is in the outbox already; nothing was recorded"
                ) from None
            # Privacy: the scrutin only. No envelope id, so the journal cannot tie this ballot
            # to the émargement committed with it.
            self._append(db, at, AuditEvent.BALLOT_CAST, {"scrutin_id": scrutin_id})
        return datetime.fromisoformat(at)

    # ---- the outbox ---------------------------------------------------------------------------

    def outbox(
        self, state: SyncState | None = None, *, limit: int | None = None
    ) -> list[OutboxEntry]:
        """Sealed ballots, in envelope-id order (random: it reveals nothing of the cast order)."""
        query = "SELECT envelope_id, scrutin_id, envelope, sync_state, reason FROM outbox"
        params: list[object] = []
        if state is not None:
            query += " WHERE sync_state = ?"
            params.append(state.value)
        query += " ORDER BY envelope_id"
        if limit is not None:
            query += " LIMIT ?"
            params.append(limit)
        with self._read() as db:
            rows = db.execute(query, params).fetchall()
        return [
            OutboxEntry(
                bytes(r[0]),
                ScrutinId(str(r[1])),
                bytes(r[2]),
                SyncState(str(r[3])),
                None if r[4] is None else str(r[4]),
            )
            for r in rows
        ]

    def set_sync_state(self, envelope_ids: Iterable[bytes], state: SyncState) -> int:
        """Move these ballots to ``state``; returns how many exist. One audit entry for all."""
        ids = list(envelope_ids)
        now = self._now()
        with self._write() as db:
            changed = 0
            for envelope_id in ids:
                changed += db.execute(
                    "UPDATE outbox SET sync_state = ? WHERE envelope_id = ?",
                    (state.value, envelope_id),
                ).rowcount
            if changed:
                self._append(
                    db, now, AuditEvent.OUTBOX_SYNCED, {"state": state.value, "count": changed}
                )
        return changed

    def record_sync_answers(
        self,
        accepted: Iterable[bytes],
        rejected: Iterable[tuple[bytes, str]],
        held: Iterable[tuple[bytes, str]] = (),
    ) -> int:
        """The server's answers to an upload, in one transaction: ``accepted`` ids move to
        ``accepted``, each ``(id, reason code)`` of ``rejected`` to ``rejected`` with its code.
        Only a ballot still ``pending`` or ``exported`` moves (an answer never overturns an
        earlier one). Each ``(id, reason code)`` of ``held`` (a refusal that is not final) keeps
        its state and gets the code as its ``reason``. Returns how many moved; one
        ``outbox-synced`` entry per new state."""
        moves: list[tuple[bytes, SyncState, str | None]]
        moves = [(i, SyncState.ACCEPTED, None) for i in accepted]
        moves += [(i, SyncState.REJECTED, reason) for i, reason in rejected]
        now = self._now()
        with self._write() as db:
            for held_id, held_reason in held:
                db.execute(
                    "UPDATE outbox SET reason = ? WHERE envelope_id = ? AND sync_state IN (?, ?)",
                    (held_reason, held_id, SyncState.PENDING.value, SyncState.EXPORTED.value),
                )
            counts = {SyncState.ACCEPTED: 0, SyncState.REJECTED: 0}
            for envelope_id, state, reason in moves:
                counts[state] += db.execute(
                    "UPDATE outbox SET sync_state = ?, reason = ?"
                    " WHERE envelope_id = ? AND sync_state IN (?, ?)",
                    (state.value, reason, envelope_id, SyncState.PENDING.value,
                     SyncState.EXPORTED.value),
                ).rowcount  # fmt: skip
            for state, count in counts.items():
                if count:
                    self._append(
                        db, now, AuditEvent.OUTBOX_SYNCED, {"state": state.value, "count": count}
                    )
        return sum(counts.values())

    def mark_exported(self, envelope_ids: Iterable[bytes]) -> int:
        """``pending`` -> ``exported`` for these ballots (written to a bundle); a ballot in any
        other state keeps it. Returns how many moved; one audit entry for all."""
        ids = list(envelope_ids)
        now = self._now()
        with self._write() as db:
            changed = 0
            for envelope_id in ids:
                changed += db.execute(
                    "UPDATE outbox SET sync_state = ? WHERE envelope_id = ? AND sync_state = ?",
                    (SyncState.EXPORTED.value, envelope_id, SyncState.PENDING.value),
                ).rowcount
            if changed:
                self._append(
                    db,
                    now,
                    AuditEvent.OUTBOX_SYNCED,
                    {"state": SyncState.EXPORTED.value, "count": changed},
                )
        return changed

    def cast_times(self) -> dict[tuple[VoterId, ScrutinId], datetime]:
        """When each émargement was recorded, by (voter, scrutin). An export reads it to state
        whether each ballot was cast inside the voting window; no time leaves the kiosk."""
        with self._read() as db:
            rows = db.execute("SELECT voter_id, scrutin_id, cast_at FROM emargement").fetchall()
        return {(VoterId(str(r[0])), ScrutinId(str(r[1]))): _parse_instant(r[2]) for r in rows}

    # ---- polls, kiosk key, lockouts -----------------------------------------------------------

    def polls_state(self) -> PollsState:
        with self._read() as db:
            return _polls(db)

    def set_polls_state(
        self,
        state: PollsState,
        *,
        expected: PollsState | None = None,
        action: AuditEvent | None = None,
        operator: str | None = None,
    ) -> None:
        """Move the polls to ``state``; refuses a change ``POLLS_TRANSITIONS`` does not allow.

        ``expected``: refuse unless the polls are in that state now (the admin console decided
        on what it saw). ``action`` and ``operator``: also journal who did it (``polls-opened``,
        ``polls-reopened``, ...), in the same transaction.
        """
        if (action is None) != (operator is None):
            raise ValueError("give both the action event and the operator, or neither")
        now = self._now()
        with self._write() as db:
            current = _polls(db)
            if expected is not None and current is not expected:
                raise StoreStateError(
                    f"the polls are {current.value} now, not {expected.value}; nothing changed"
                )
            if state not in POLLS_TRANSITIONS[current]:
                raise StoreStateError(f"the polls cannot go from {current.value} to {state.value}")
            if state is PollsState.OPEN and _count(db, "election_package") == 0:
                raise StoreStateError("the polls cannot open: no election package is loaded")
            db.execute("UPDATE polls SET state = ?, changed_at = ?", (state.value, now))
            self._append(db, now, AuditEvent.POLLS_CHANGED, {"state": state.value})
            if action is not None:
                self._append(db, now, action, {"operator": operator})

    def set_kiosk_key(self, kiosk_id: KioskId, private_key: bytes) -> KioskIdentity:
        """Install this kiosk's Ed25519 signing key (32-byte seed), replacing any previous one.

        Refused when the loaded package lists kiosks but not this id, or names this kiosk with
        another public key.
        """
        kiosk_id = parse_kiosk_id(kiosk_id)
        try:
            signing_key = Ed25519PrivateKey.from_private_bytes(private_key)
        except ValueError:
            raise ValueError("a kiosk key is a 32-byte Ed25519 private key") from None
        public_key = signing_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        now = self._now()
        with self._write() as db:
            manifest = self._manifest(db)
            if manifest is not None:
                _check_kiosk_listed(manifest, kiosk_id, public_key, "install the key")
            db.execute(
                "INSERT OR REPLACE INTO kiosk_key (singleton, kiosk_id, private_key, public_key,"
                " set_at) VALUES (1, ?, ?, ?, ?)",
                (kiosk_id, private_key, public_key, now),
            )
            self._append(
                db,
                now,
                AuditEvent.KIOSK_KEY_SET,
                {
                    "kiosk_id": kiosk_id,
                    "public_key_fingerprint": public_key_fingerprint(public_key),
                },
            )
        return KioskIdentity(kiosk_id, public_key, private_key)

    def kiosk_identity(self) -> KioskIdentity | None:
        with self._read() as db:
            return self._identity(db)

    def lockout(self, subject_kind: str, subject_id: str) -> LockoutRecord:
        """The counters of one credential; a fresh record when it never failed."""
        with self._read() as db:
            row = db.execute(
                "SELECT failures, locked_until, locked FROM lockout"
                " WHERE subject_kind = ? AND subject_id = ?",
                (subject_kind, subject_id),
            ).fetchone()
        if row is None:
            return LockoutRecord(subject_kind, subject_id)
        until = None if row[1] is None else _parse_instant(row[1])
        return LockoutRecord(subject_kind, subject_id, int(row[0]), until, bool(row[2]))

    def save_lockout(self, record: LockoutRecord) -> None:
        until = None if record.locked_until is None else isoformat_utc(record.locked_until)
        with self._write() as db:
            if record.failures == 0 and not record.locked and until is None:
                db.execute(
                    "DELETE FROM lockout WHERE subject_kind = ? AND subject_id = ?",
                    (record.subject_kind, record.subject_id),
                )
                return
            db.execute(
                "INSERT OR REPLACE INTO lockout (subject_kind, subject_id, failures, locked_until,"
                " locked) VALUES (?, ?, ?, ?, ?)",
                (
                    record.subject_kind,
                    record.subject_id,
                    record.failures,
                    until,
                    int(record.locked),
                ),
            )

    # ---- operators (the admin console's accounts) ---------------------------------------------

    def add_operator(self, name: str, role: str, pin_hash: SecretHash, pin_log2_n: int) -> None:
        """A new account; ``StoreStateError`` when the name is taken. Journaled (no PIN)."""
        now = self._now()
        with self._write() as db:
            taken = db.execute("SELECT 1 FROM operator WHERE name = ?", (name,)).fetchone()
            if taken is not None:
                raise StoreStateError(f"an operator named {name!r} exists already")
            db.execute(
                "INSERT INTO operator (name, role, pin_hash, pin_log2_n, failures, locked_until,"
                " locked, created_at) VALUES (?, ?, ?, ?, 0, NULL, 0, ?)",
                (name, role, _hash_blob(pin_hash), pin_log2_n, now),
            )
            self._append(db, now, AuditEvent.OPERATOR_ADDED, {"operator": name, "role": role})

    def operators(self) -> list[OperatorRecord]:
        """Every account, by name."""
        with self._read() as db:
            rows = db.execute(f"{_OPERATOR_SELECT} ORDER BY name").fetchall()
        return [_operator_from_row(r) for r in rows]

    def operator(self, name: str) -> OperatorRecord | None:
        with self._read() as db:
            row = db.execute(f"{_OPERATOR_SELECT} WHERE name = ?", (name,)).fetchone()
        return None if row is None else _operator_from_row(row)

    def remove_operator(self, name: str) -> None:
        """Remove an account; never the last administrator (checked in the same transaction)."""
        now = self._now()
        with self._write() as db:
            row = db.execute("SELECT role FROM operator WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise StoreStateError(f"no operator named {name!r}")
            if str(row[0]) == "administrator":
                others = db.execute(
                    "SELECT count(*) FROM operator WHERE role = 'administrator' AND name != ?",
                    (name,),
                ).fetchone()[0]
                if int(others) == 0:
                    raise StoreStateError(
                        f"{name!r} is the last administrator; add another one before removing it"
                    )
            db.execute("DELETE FROM operator WHERE name = ?", (name,))
            self._append(db, now, AuditEvent.OPERATOR_REMOVED, {"operator": name})

    def set_operator_pin(self, name: str, pin_hash: SecretHash, pin_log2_n: int) -> None:
        """A new PIN hash; the failure counter and any lock are cleared with it. Journaled."""
        now = self._now()
        with self._write() as db:
            changed = db.execute(
                "UPDATE operator SET pin_hash = ?, pin_log2_n = ?, failures = 0,"
                " locked_until = NULL, locked = 0 WHERE name = ?",
                (_hash_blob(pin_hash), pin_log2_n, name),
            ).rowcount
            if changed != 1:
                raise StoreStateError(f"no operator named {name!r}")
            self._append(db, now, AuditEvent.OPERATOR_PIN_CHANGED, {"operator": name})

    def begin_operator_attempt(
        self, name: str, count_failure: Callable[[LockoutRecord], LockoutRecord | None]
    ) -> OperatorAttempt:
        """Count a sign-in attempt under ``name`` before its PIN is checked, in one write
        transaction, so that attempts made in parallel (several programs on one store) are each
        counted and each sees the others' failures.

        ``count_failure`` gets the counter as stored (the account's, or, for a name no account
        has, the name's under its keyed digest) and returns the counter to store as if this
        attempt fails, or None to refuse it (a delay or lock in force): nothing is stored then.
        A wrong PIN leaves the count; ``operator_signed_in`` clears it. Both paths write the same.
        """
        with self._write() as db:
            row = db.execute(f"{_OPERATOR_SELECT} WHERE name = ?", (name,)).fetchone()
            account = None if row is None else _operator_from_row(row)
            if account is not None:
                before = account.lockout
            else:
                before = _unknown_name_lockout(db, _unknown_name_key(db, name))
            counted = count_failure(before)
            if counted is not None:
                if counted.subject_kind != before.subject_kind or (
                    counted.subject_id != before.subject_id
                ):
                    raise ValueError("count_failure must keep the counter's subject")
                _store_attempt_counter(db, counted)
        return OperatorAttempt(account, before, counted)

    def operator_signed_in(self, name: str, role: str) -> None:
        """A correct PIN: clear the account's counter and journal the sign-in, together."""
        now = self._now()
        with self._write() as db:
            changed = db.execute(
                "UPDATE operator SET failures = 0, locked_until = NULL, locked = 0 WHERE name = ?",
                (name,),
            ).rowcount
            if changed != 1:
                raise StoreStateError(f"no operator named {name!r}")
            self._append(db, now, AuditEvent.OPERATOR_LOGIN, {"operator": name, "role": role})

    def recover_operator(self, name: str, role: str, pin_hash: SecretHash, pin_log2_n: int) -> bool:
        """Whoever holds the store key gets an account back: create ``name`` with ``role``, or
        give the existing account (of that role) a new PIN and clear its failures and lock.
        True when it was created. Journaled (``operator-recovered``, no PIN), in one transaction.
        """
        now = self._now()
        with self._write() as db:
            row = db.execute("SELECT role FROM operator WHERE name = ?", (name,)).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO operator (name, role, pin_hash, pin_log2_n, failures,"
                    " locked_until, locked, created_at) VALUES (?, ?, ?, ?, 0, NULL, 0, ?)",
                    (name, role, _hash_blob(pin_hash), pin_log2_n, now),
                )
            elif str(row[0]) != role:
                raise StoreStateError(
                    f"{name!r} is an account of role {row[0]}, not {role}; nothing changed "
                    "(choose another name)"
                )
            else:
                db.execute(
                    "UPDATE operator SET pin_hash = ?, pin_log2_n = ?, failures = 0,"
                    " locked_until = NULL, locked = 0 WHERE name = ?",
                    (_hash_blob(pin_hash), pin_log2_n, name),
                )
            self._append(
                db,
                now,
                AuditEvent.OPERATOR_RECOVERED,
                {"operator": name, "role": role, "created": row is None},
            )
        return row is None

    def save_operator_lockout(self, record: LockoutRecord) -> None:
        """Store an operator's failure counter (``record.subject_id`` is the operator's name)."""
        if record.subject_kind != OPERATOR_SUBJECT_KIND:
            raise ValueError(f"an operator's counter has subject kind {OPERATOR_SUBJECT_KIND!r}")
        until = None if record.locked_until is None else isoformat_utc(record.locked_until)
        with self._write() as db:
            changed = db.execute(
                "UPDATE operator SET failures = ?, locked_until = ?, locked = ? WHERE name = ?",
                (record.failures, until, int(record.locked), record.subject_id),
            ).rowcount
            if changed != 1:
                raise StoreStateError(f"no operator named {record.subject_id!r}")

    # ---- the audit journal --------------------------------------------------------------------

    def append_audit(self, event: AuditEvent, **fields: AuditValue) -> AuditEntry:
        """Append one event; ``ValueError`` when ``fields`` are not exactly the event's fields."""
        checked = event.check_fields(fields)
        now = self._now()
        with self._write() as db:
            return self._append(db, now, event, checked)

    def audit_entries(self) -> list[AuditEntry]:
        """The whole journal in order; ``StoreStateError`` if an entry cannot be read back."""
        with self._read() as db:
            rows = _audit_rows(db)
        entries = []
        for row in rows:
            try:
                event = AuditEvent.from_code(row.event_code)
                fields = event.check_fields(audit.parse_fields(row.fields_json))
            except ValueError as exc:
                raise StoreStateError(f"audit entry {row.seq} is unreadable: {exc}") from None
            entries.append(AuditEntry(row.seq, row.at, event, fields, row.prev_hash, row.hash))
        return entries

    def verify_audit_chain(self) -> ChainCheck:
        with self._read() as db:
            rows = _audit_rows(db)
        return audit.verify_chain(rows)

    # ---- status -------------------------------------------------------------------------------

    def status(self) -> StoreStatus:
        with self._read() as db:
            version = int(db.execute("SELECT max(version) FROM schema_version").fetchone()[0])
            package = db.execute(
                "SELECT election_id, title, fingerprint FROM election_package"
            ).fetchone()
            by_state = {
                SyncState(str(state)).value: int(count)
                for state, count in db.execute(
                    "SELECT sync_state, count(*) FROM outbox GROUP BY sync_state"
                ).fetchall()
            }
            head = db.execute(
                "SELECT seq, hash FROM audit_journal ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            kiosk = db.execute("SELECT kiosk_id FROM kiosk_key").fetchone()
            return StoreStatus(
                schema_version=version,
                election_id=None if package is None else ElectionId(str(package[0])),
                election_title=None if package is None else str(package[1]),
                fingerprint=None if package is None else str(package[2]),
                voters=_count(db, "voter"),
                scrutins=_count(db, "scrutin"),
                emargements=_count(db, "emargement"),
                outbox=OutboxCounts(**by_state),
                polls=_polls(db),
                audit_length=0 if head is None else int(head[0]),
                audit_head=(audit.GENESIS_HASH if head is None else bytes(head[1])).hex(),
                kiosk_id=None if kiosk is None else KioskId(str(kiosk[0])),
            )

    def ballots_per_scrutin(self) -> dict[ScrutinId, int]:
        """Sealed ballots in the outbox by scrutin, every scrutin of the package listed (0 too)."""
        with self._read() as db:
            rows = db.execute(
                "SELECT s.scrutin_id, count(o.envelope_id) FROM scrutin s"
                " LEFT JOIN outbox o USING (scrutin_id) GROUP BY s.scrutin_id ORDER BY s.position"
            ).fetchall()
        return {ScrutinId(str(r[0])): int(r[1]) for r in rows}

    def held_count(self) -> int:
        """Ballots the server refused for a reason that is not final: still to deliver."""
        with self._read() as db:
            row = db.execute(
                "SELECT count(*) FROM outbox WHERE reason IS NOT NULL AND sync_state IN (?, ?)",
                (SyncState.PENDING.value, SyncState.EXPORTED.value),
            ).fetchone()
        return int(row[0])

    def integrity_problems(self) -> list[str]:
        """SQLCipher's page authentication and SQLite's full ``integrity_check`` of the open
        store, now (opening ran them too); an empty list when both pass."""
        with self._lock:
            db = self._open_connection()
            try:
                problems = [str(r[0]) for r in db.execute("PRAGMA cipher_integrity_check")]
                if problems:
                    return problems
                rows = [str(r[0]) for r in db.execute("PRAGMA integrity_check")]
            except sqlcipher3.DatabaseError as exc:
                if _is_busy(exc):
                    raise StoreBusyError(self._path) from None
                return [str(exc)]
        return [] if rows == ["ok"] else rows

    # ---- internals ----------------------------------------------------------------------------

    def _now(self) -> str:
        return isoformat_utc(self._clock.now())

    @contextmanager
    def _write(self) -> Iterator[Any]:
        """One ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back on any error.

        ``StoreBusyError`` when another program kept the write lock past the busy timeout.
        """
        with self._lock:
            db = self._open_connection()
            if self._read_only:
                raise StoreStateError(
                    f"the store {self._path} was opened read-only; nothing was recorded"
                )
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlcipher3.OperationalError as exc:
                raise self._busy_or(exc) from None
            try:
                yield db
                db.execute("COMMIT")
            except sqlcipher3.OperationalError as exc:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise self._busy_or(exc) from None
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    @contextmanager
    def _read(self) -> Iterator[Any]:
        """One read transaction, so that several queries see the same snapshot."""
        with self._lock:
            db = self._open_connection()
            try:
                db.execute("BEGIN")
                yield db
            except sqlcipher3.OperationalError as exc:
                raise self._busy_or(exc) from None
            finally:
                if db.in_transaction:
                    db.execute("ROLLBACK")

    def _busy_or(self, exc: sqlcipher3.OperationalError) -> Exception:
        """``StoreBusyError`` for a lock held too long; any other failure as it came."""
        return StoreBusyError(self._path) if _is_busy(exc) else exc

    def _open_connection(self) -> Any:
        if self._conn is None:
            raise StoreStateError(f"the store {self._path} is closed")
        return self._conn

    def _append(
        self, db: Any, at: str, event: AuditEvent, fields: dict[str, AuditValue]
    ) -> AuditEntry:
        checked = event.check_fields(fields)
        head = db.execute(
            "SELECT seq, hash FROM audit_journal ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        seq, prev_hash = (
            (1, audit.GENESIS_HASH) if head is None else (int(head[0]) + 1, bytes(head[1]))
        )
        digest = audit.chain_hash(prev_hash, seq, at, event, checked)
        db.execute(
            "INSERT INTO audit_journal (seq, at, event, fields, prev_hash, hash)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (seq, at, event.code, audit.fields_json(checked), prev_hash, digest),
        )
        return AuditEntry(seq, at, event, checked, prev_hash, digest)

    def _migrate(self, current: int) -> None:
        """Apply every shipped migration above ``current``, each in its own transaction."""
        for migration in schema.shipped()[current:]:
            now = self._now()
            with self._write() as db:
                for statement in migration.statements():
                    db.execute(statement)
                db.execute(
                    "INSERT INTO schema_version (version, name, sha256, applied_at)"
                    " VALUES (?, ?, ?, ?)",
                    (migration.version, migration.name, migration.sha256, now),
                )
                if current > 0:  # a new store's journal starts with store-created instead
                    self._append(
                        db,
                        now,
                        AuditEvent.STORE_MIGRATED,
                        {"from_version": migration.version - 1, "to_version": migration.version},
                    )

    def _identity(self, db: Any) -> KioskIdentity | None:
        row = db.execute("SELECT kiosk_id, public_key, private_key FROM kiosk_key").fetchone()
        if row is None:
            return None
        return KioskIdentity(KioskId(str(row[0])), bytes(row[1]), bytes(row[2]))

    def _manifest(self, db: Any) -> Manifest | None:
        row = db.execute("SELECT manifest FROM election_package").fetchone()
        if row is None:
            return None
        return parse_manifest(strict_json_loads(bytes(row[0]), "stored manifest"))


_TOKEN: Final = object()

OPERATOR_SUBJECT_KIND: Final = "operator"
"""The ``LockoutRecord.subject_kind`` of an operator's failed PINs."""

_OPERATOR_SELECT: Final = (
    "SELECT name, role, pin_hash, pin_log2_n, failures, locked_until, locked, created_at"
    " FROM operator"
)

OPERATOR_NAME_SUBJECT_KIND: Final = "operator-name"
"""The ``LockoutRecord.subject_kind`` of failed sign-ins under a name no account has."""

_OPERATOR_NAME_TAG: Final = b"isoloir/operator-name/v1\x00"


def _unknown_name_key(db: Any, name: str) -> str:
    """The digest that keys a name's counter: HMAC-SHA256 under this store's secret."""
    secret = bytes(db.execute("SELECT secret FROM operator_name_secret").fetchone()[0])
    message = _OPERATOR_NAME_TAG + name.casefold().encode("utf-8", "surrogatepass")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _unknown_name_lockout(db: Any, key: str) -> LockoutRecord:
    row = db.execute(
        "SELECT failures, locked_until, locked FROM operator_unknown_name WHERE name_key = ?",
        (key,),
    ).fetchone()
    if row is None:
        return LockoutRecord(OPERATOR_NAME_SUBJECT_KIND, key)
    until = None if row[1] is None else _parse_instant(row[1])
    return LockoutRecord(OPERATOR_NAME_SUBJECT_KIND, key, int(row[0]), until, bool(row[2]))


def _store_attempt_counter(db: Any, record: LockoutRecord) -> None:
    """One row written, for an account's counter as for an unknown name's."""
    until = None if record.locked_until is None else isoformat_utc(record.locked_until)
    if record.subject_kind == OPERATOR_SUBJECT_KIND:
        db.execute(
            "UPDATE operator SET failures = ?, locked_until = ?, locked = ? WHERE name = ?",
            (record.failures, until, int(record.locked), record.subject_id),
        )
    else:
        db.execute(
            "INSERT OR REPLACE INTO operator_unknown_name (name_key, failures, locked_until,"
            " locked) VALUES (?, ?, ?, ?)",
            (record.subject_id, record.failures, until, int(record.locked)),
        )


_VOTER_SELECT: Final = (
    "SELECT voter_id, identifier, display_name, password_hash, vote_code_hash, secret_question,"
    " secret_answer_hash, numen_hash, personal_email, phone, station FROM voter"
)


def public_key_fingerprint(public_key: bytes) -> str:
    """A short, safe-to-print name of a public key: 16 hex digits of its SHA-256."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def parse_kiosk_id(text: str) -> KioskId:
    """A kiosk id as the package codec accepts it; ``ValueError`` saying the rule otherwise."""
    if not ID_PATTERN.fullmatch(text):
        raise ValueError(
            f"{text[:70]!r} is not a kiosk id: 1 to 64 of a-z, 0-9, '.', '_', '-', "
            "starting with a letter or digit"
        )
    return KioskId(text)


def _identifier_key(identifier: str) -> str:
    """The login lookup key: the codec treats identifiers as unique up to case."""
    return identifier.strip().casefold()


# ---- opening helpers ------------------------------------------------------------------------


def _connect(target: str, *, uri: bool, timeout: float) -> Any:
    return sqlcipher3.connect(
        target, uri=uri, isolation_level=None, check_same_thread=False, timeout=timeout
    )


def _is_busy(exc: sqlcipher3.DatabaseError) -> bool:
    # sqlcipher3 exposes no error code: SQLITE_BUSY is known by its fixed message.
    return isinstance(exc, sqlcipher3.OperationalError) and "database is locked" in str(exc)


def _open_failure(path: Path, exc: sqlcipher3.DatabaseError) -> StoreError:
    """What a failed first read means: another program's lock, the file system, or the key."""
    if _is_busy(exc):
        return StoreBusyError(path)
    if isinstance(exc, sqlcipher3.OperationalError):  # cannot open, I/O error, disk full
        return StoreFileError(path, "open", str(exc))
    return WrongKeyError(path)  # "file is not a database": SQLCipher could not decrypt page 1


def _apply_key(connection: Any, raw_key: bytes, salt: bytes | None = None) -> None:
    """Key the connection (the first statement on it) and quiet SQLCipher's own logging."""
    material = raw_key.hex() + ("" if salt is None else salt.hex())
    connection.execute(f"PRAGMA key = \"x'{material}'\"")
    # Pin the SQLCipher 4 format, so that a library with other defaults still reads the file.
    connection.execute("PRAGMA cipher_compatibility = 4")
    with contextlib.suppress(sqlcipher3.DatabaseError):  # best effort: only stderr noise
        connection.execute("PRAGMA cipher_log_level = NONE")


def _configure(connection: Any) -> None:
    mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise StoreStateError(f"the store cannot use a write-ahead log (journal mode {mode})")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA secure_delete = ON")
    connection.execute("PRAGMA temp_store = MEMORY")  # no plaintext temporary files on disk


def _read_salt(path: Path) -> bytes:
    try:
        # Non-blocking, so that a FIFO put in the store's place cannot hang the opening.
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as source:
            salt = source.read(SALT_BYTES)
    except FileNotFoundError:
        raise StoreMissingError(path) from None
    except OSError as exc:  # a folder in its place, no permission, an I/O error
        raise StoreFileError(path, "open", exc.strerror) from None
    if len(salt) != SALT_BYTES:
        raise WrongKeyError(path)
    return salt


def _validated_connection(path: Path, raw_key: bytes, timeout: float) -> tuple[Any, int]:
    """A read-only connection that proved the key, the integrity, the schema version and the
    migration history, with that version; it has written nothing at all.

    With no write-ahead log beside the file, it is complete by itself and is read as immutable
    (SQLite then creates no -wal/-shm files); after a crash or beside a running kiosk, the log
    is read too.
    """
    immutable = not existing_sidecars(path)
    target = f"file:{quote(str(path.absolute()))}?mode=ro" + ("&immutable=1" if immutable else "")
    connection = _connect(target, uri=True, timeout=timeout)
    try:
        _apply_key(connection, raw_key)
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.DatabaseError as exc:
            raise _open_failure(path, exc) from None
        connection.execute("PRAGMA temp_store = MEMORY")  # no plaintext temporary files
        problems = _integrity_problems(connection)
        if problems:
            raise CorruptStoreError(path, len(problems), problems[0])
        has_versions = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchone()
        if has_versions is None:
            raise WrongKeyError(path)  # a valid database, but not one of ours
        found = connection.execute("SELECT max(version) FROM schema_version").fetchone()[0]
        if found is None:
            raise WrongKeyError(path)
        if int(found) > schema.SCHEMA_VERSION:
            raise NewerSchemaError(path, int(found), schema.SCHEMA_VERSION)
        _check_history(path, connection, int(found))
    except BaseException:
        connection.close()
        raise
    return connection, int(found)


def _check_history(path: Path, connection: Any, version: int) -> None:
    """Every migration up to ``version`` is recorded as applied, by the name and SHA-256 of the
    file this program ships: an edited migration makes the store's history untrustworthy."""
    recorded = {
        int(row[0]): (str(row[1]), str(row[2]))
        for row in connection.execute("SELECT version, name, sha256 FROM schema_version")
    }
    for migration in schema.shipped()[:version]:
        entry = recorded.get(migration.version)
        if entry is None:
            raise MigrationMismatchError(path, migration.file_name, "is not recorded as applied")
        name, digest = entry
        if name != migration.name:
            raise MigrationMismatchError(
                path, migration.file_name, f"is recorded under another name, {name!r}"
            )
        if digest != migration.sha256:
            raise MigrationMismatchError(
                path,
                migration.file_name,
                f"was applied with SHA-256 {digest[:16]}…, but the shipped file has "
                f"{migration.sha256[:16]}…",
            )


def _integrity_problems(connection: Any) -> list[str]:
    """SQLCipher's page authentication over the whole file, then SQLite's structural check."""
    try:
        problems = [
            str(r[0]) for r in connection.execute("PRAGMA cipher_integrity_check").fetchall()
        ]
        if problems:
            return problems
        rows = [str(r[0]) for r in connection.execute("PRAGMA quick_check").fetchall()]
    except sqlcipher3.DatabaseError as exc:
        if _is_busy(exc):
            raise
        return [str(exc)]
    return [] if rows == ["ok"] else rows


def _link_new(built: Path, path: Path) -> None:
    """Put the finished store in place without ever replacing a file that appeared meanwhile."""
    try:
        os.link(built, path)
    except FileExistsError:
        raise StoreExistsError(path) from None
    except OSError:  # a file system without hard links
        if path.exists():
            raise StoreExistsError(path) from None
        os.replace(built, path)


# ---- row helpers ----------------------------------------------------------------------------


def _count(db: Any, table: str) -> int:
    return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 - fixed names


def _polls(db: Any) -> PollsState:
    return PollsState(str(db.execute("SELECT state FROM polls").fetchone()[0]))


def _hash_blob(secret: SecretHash) -> bytes:
    return secret.salt + secret.digest


def _hash_from_blob(blob: Any) -> SecretHash:
    data = bytes(blob)
    return SecretHash(salt=data[:16], digest=data[16:])


def _parse_instant(text: Any) -> datetime:
    return datetime.fromisoformat(str(text)).astimezone(UTC)


def _voter_from_row(db: Any, row: Row) -> Voter:
    scrutins = db.execute(
        "SELECT vs.scrutin_id FROM voter_scrutin vs JOIN scrutin s USING (scrutin_id)"
        " WHERE vs.voter_id = ? ORDER BY s.position",
        (row[0],),
    ).fetchall()
    return Voter(
        id=VoterId(str(row[0])),
        identifier=str(row[1]),
        display_name=str(row[2]),
        password=_hash_from_blob(row[3]),
        vote_code=None if row[4] is None else _hash_from_blob(row[4]),
        secret_question=str(row[5]),
        secret_answer=_hash_from_blob(row[6]),
        numen=_hash_from_blob(row[7]),
        personal_email=None if row[8] is None else str(row[8]),
        phone=None if row[9] is None else str(row[9]),
        scrutins=tuple(ScrutinId(str(r[0])) for r in scrutins),
        station=None if row[10] is None else str(row[10]),
    )


def _operator_from_row(row: Row) -> OperatorRecord:
    name = str(row[0])
    lockout = LockoutRecord(
        OPERATOR_SUBJECT_KIND,
        name,
        int(row[4]),
        None if row[5] is None else _parse_instant(row[5]),
        bool(row[6]),
    )
    return OperatorRecord(
        name=name,
        role=str(row[1]),
        pin_hash=_hash_from_blob(row[2]),
        pin_log2_n=int(row[3]),
        lockout=lockout,
        created_at=_parse_instant(row[7]),
    )


def _audit_rows(db: Any) -> Sequence[StoredAuditRow]:
    return [
        StoredAuditRow(int(r[0]), str(r[1]), str(r[2]), str(r[3]), bytes(r[4]), bytes(r[5]))
        for r in db.execute(
            "SELECT seq, at, event, fields, prev_hash, hash FROM audit_journal ORDER BY seq"
        ).fetchall()
    ]


def _check_kiosk_listed(
    manifest: Manifest, kiosk_id: KioskId, public_key: bytes, refused: str
) -> None:
    """A package that lists kiosks must list this one, with this kiosk's public key."""
    if not manifest.kiosks:
        return
    listed = next((k for k in manifest.kiosks if k.id == kiosk_id), None)
    if listed is None:
        raise StoreStateError(
            f"the election package lists {len(manifest.kiosks)} kiosk(s) but not {kiosk_id!r}; "
            f"refusing to {refused}, nothing was recorded (check the kiosk id and the package)"
        )
    if listed.public_key != public_key:
        raise StoreStateError(
            f"the election package names kiosk {kiosk_id!r} with another public key "
            f"({public_key_fingerprint(listed.public_key)}, not "
            f"{public_key_fingerprint(public_key)}); refusing to {refused}, nothing was recorded"
        )
