"""Per-credential lockout, kept in the store so that it survives restarts (docs/voter-flow.md).

Failures are counted per credential, never per kiosk: the identifier for the password step, the
voter for the vote-code step and for the réassort (answers and token), the assesseur credential
for a supervised réassort. The first ``free_failures`` failures cost nothing; each later one
imposes a growing delay (30 s, 1 min, 2 min, 5 min, 10 min, 15 min, 30 min); the tenth locks
the credential until an assesseur unlocks it.

Online, the counters of the login, vote code and réassort are also counted on the central server
(``SharedCounters``, docs/voter-flow.md "Shared lockouts"): the guard reports each failure and
success there and obeys the stricter of its own gate and the one the policy gives the server's
count, so that ten failures spread over several kiosks lock the credential on all of them. The
server is asked with a short timeout; unreachable, the kiosk goes on with its own counters.

The password step's subject is a digest of the typed identifier, whether or not a voter has it:
an unknown identifier is counted, delayed and locked exactly like a known one, so neither the
message nor the lockout tells whether an identifier exists.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from typing import Final, Protocol

from kiosk.audit import AuditEvent, AuditValue
from kiosk.election.model import VoterId
from kiosk.store.records import LockoutRecord
from kiosk.voting.model import Notice, Refusal

LOGIN_SUBJECT_TAG: Final = b"isoloir/login-subject/v1\x00"


class SubjectKind(StrEnum):
    LOGIN = "login"  # identifier + election password; the subject is a digest of the identifier
    VOTE_CODE = "vote_code"  # the voter
    REASSORT = "reassort"  # the voter: secret answer + NUMEN, and réassort tokens
    ASSESSEUR = "assesseur"  # the supervising assesseur's credential on this kiosk


@dataclass(frozen=True)
class Subject:
    kind: SubjectKind
    id: str = field(repr=False)


def login_subject(identifier: str) -> Subject:
    """The password step's subject: the same for every spelling the login lookup accepts."""
    key = identifier.strip().casefold()  # the store's identifier_key rule
    digest = hashlib.sha256(LOGIN_SUBJECT_TAG + key.encode("utf-8")).hexdigest()
    return Subject(SubjectKind.LOGIN, digest[:32])


def vote_code_subject(voter_id: VoterId) -> Subject:
    return Subject(SubjectKind.VOTE_CODE, voter_id)


def reassort_subject(voter_id: VoterId) -> Subject:
    return Subject(SubjectKind.REASSORT, voter_id)


ASSESSEUR_SUBJECT: Final = Subject(SubjectKind.ASSESSEUR, "kiosk")


class GateState(Enum):
    OPEN = "open"
    WAIT = "wait"
    LOCKED = "locked"


@dataclass(frozen=True)
class Gate:
    """May the credential be tried now? ``until`` is set while it must ``WAIT``."""

    state: GateState
    until: datetime | None = None

    @property
    def open(self) -> bool:
        return self.state is GateState.OPEN

    def refusal(self) -> Refusal:
        """The notice for an attempt refused by this gate, unchecked and uncounted."""
        if self.state is GateState.LOCKED:
            return Refusal(Notice.LOCKED)
        if self.state is GateState.WAIT:
            return Refusal(Notice.WAIT, self.until)
        raise ValueError("an open gate refuses nothing")


def refusal_after_failure(gate: Gate, wrong: Notice) -> Refusal:
    """After a counted failure: ``wrong`` with the delay now in force, or ``LOCKED``."""
    if gate.state is GateState.LOCKED:
        return Refusal(Notice.LOCKED)
    return Refusal(wrong, gate.until)


def stricter(first: Gate, second: Gate) -> Gate:
    """The gate that lets fewer attempts through: a lock, else the later wait, else open."""
    if first.state is GateState.LOCKED or second.state is GateState.LOCKED:
        return LOCKED
    waits = [g.until for g in (first, second) if g.state is GateState.WAIT and g.until]
    return Gate(GateState.WAIT, max(waits)) if waits else OPEN


OPEN: Final = Gate(GateState.OPEN)
LOCKED: Final = Gate(GateState.LOCKED)

DEFAULT_DELAYS: Final = (
    timedelta(seconds=30),
    timedelta(minutes=1),
    timedelta(minutes=2),
    timedelta(minutes=5),
    timedelta(minutes=10),
    timedelta(minutes=15),
    timedelta(minutes=30),
)


@dataclass(frozen=True)
class LockoutPolicy:
    """Failure n (counted from 1) costs nothing while n <= ``free_failures``, then waits
    ``delays[n - free_failures - 1]``; failure number ``lock_after`` locks."""

    free_failures: int = 2
    delays: tuple[timedelta, ...] = DEFAULT_DELAYS

    @property
    def lock_after(self) -> int:
        return self.free_failures + len(self.delays) + 1

    def gate(self, record: LockoutRecord, now: datetime) -> Gate:
        if record.locked:
            return LOCKED
        if record.locked_until is not None and now < record.locked_until:
            return Gate(GateState.WAIT, record.locked_until)
        return OPEN

    def after_failure(self, record: LockoutRecord, now: datetime) -> LockoutRecord:
        failures = record.failures + 1
        if failures >= self.lock_after:
            return replace(record, failures=failures, locked=True, locked_until=None)
        if failures > self.free_failures:
            delay = self.delays[failures - self.free_failures - 1]
            # Stored to the second: round up, so that the wait is never shorter than the rule.
            until = (now + delay).replace(microsecond=0)
            if until < now + delay:
                until += timedelta(seconds=1)
            return replace(record, failures=failures, locked_until=until)
        return replace(record, failures=failures)


DEFAULT_POLICY: Final = LockoutPolicy()

SHARED_KINDS: Final = frozenset({SubjectKind.LOGIN, SubjectKind.VOTE_CODE, SubjectKind.REASSORT})
"""Counted on the server too; the assesseur's PIN stays one counter per kiosk."""


@dataclass(frozen=True)
class SharedFailures:
    """A credential's failures on every kiosk since its last success, as the server counts them."""

    failures: int
    # On this kiosk's clock (the server sends how long ago, by its clock: ``ServerLockouts``),
    # so that the policy judges it against the kiosk's ``now``. None without failures.
    last_failure_at: datetime | None

    def record(self, subject: Subject, policy: LockoutPolicy) -> LockoutRecord:
        """The record the policy would hold after these failures, the last one at its time."""
        empty = LockoutRecord(subject.kind.value, subject.id)
        if self.failures < 1 or self.last_failure_at is None:
            return empty
        return policy.after_failure(
            replace(empty, failures=self.failures - 1), self.last_failure_at
        )


class SharedCounters(Protocol):
    """The server's counters (``kiosk.sync.online.ServerLockouts``): None when it cannot be
    reached in time. Only subject kinds of ``SHARED_KINDS`` are asked about."""

    def read(self, subject: Subject) -> SharedFailures | None: ...

    def count_failure(self, subject: Subject) -> SharedFailures | None: ...

    def clear(self, subject: Subject) -> bool: ...


class LockoutStore(Protocol):
    """The part of ``KioskStore`` the guard needs."""

    def lockout(self, subject_kind: str, subject_id: str) -> LockoutRecord: ...

    def save_lockout(self, record: LockoutRecord) -> None: ...

    def append_audit(self, event: AuditEvent, **fields: AuditValue) -> object: ...


class CredentialGuard:
    """Reads and updates the store's counters by the policy; the only writer of lockouts. With
    ``shared`` (an online kiosk), the server's counters too (see the module docstring)."""

    def __init__(
        self,
        store: LockoutStore,
        policy: LockoutPolicy = DEFAULT_POLICY,
        shared: SharedCounters | None = None,
    ) -> None:
        self._store = store
        self._policy = policy
        self._shared = shared

    @property
    def policy(self) -> LockoutPolicy:
        return self._policy

    def record(self, subject: Subject) -> LockoutRecord:
        return self._store.lockout(subject.kind.value, subject.id)

    def gate(self, subject: Subject, now: datetime) -> Gate:
        """May ``subject`` be tried now? A refused attempt is neither checked nor counted."""
        local = self._policy.gate(self.record(subject), now)
        if local.state is GateState.LOCKED:
            return local  # no need to ask the server
        return stricter(local, self._shared_gate(self._read_shared(subject), subject, now))

    def record_failure(self, subject: Subject, now: datetime) -> Gate:
        """Count one failed attempt; the gate now in force (``OPEN``, ``WAIT`` or ``LOCKED``)."""
        before = self.record(subject)
        after = self._policy.after_failure(before, now)
        self._store.save_lockout(after)
        shared = self._counted_shared(subject)
        shared_after = shared.record(subject, self._policy) if shared is not None else None
        # This kiosk's failure locked it here, or was the one that locked it on the server.
        locked_now = (after.locked and not before.locked) or (
            shared_after is not None
            and shared_after.locked
            and not after.locked
            and shared_after.failures == self._policy.lock_after
        )
        if locked_now:
            # Two writes, in this order: a crash between them leaves the lock without its journal
            # line, never a journal line without the lock.
            self._store.append_audit(AuditEvent.CREDENTIAL_LOCKED, subject_kind=subject.kind.value)
        return stricter(self._policy.gate(after, now), self._shared_gate(shared, subject, now))

    def record_success(self, subject: Subject) -> None:
        """A correct attempt clears the counter (the gate was open, so it was not locked)."""
        record = self.record(subject)
        if record.failures or record.locked_until is not None:
            self._store.save_lockout(LockoutRecord(subject.kind.value, subject.id))
        if self._shared is not None and subject.kind in SHARED_KINDS:
            self._shared.clear(subject)  # best effort: unreachable, the server's count stays

    def unlock(self, subject: Subject) -> bool:
        """An assesseur's unlock: the counter is cleared (here and on the server, when online);
        False when there was nothing to clear."""
        record = self.record(subject)
        shared = self._read_shared(subject)
        if shared is not None and shared.failures and self._shared is not None:
            self._shared.clear(subject)
        if record == LockoutRecord(subject.kind.value, subject.id) and not (
            shared is not None and shared.failures
        ):
            return False
        self._store.save_lockout(LockoutRecord(subject.kind.value, subject.id))
        self._store.append_audit(AuditEvent.CREDENTIAL_UNLOCKED, subject_kind=subject.kind.value)
        return True

    def forgive(self, subject: Subject) -> None:
        """Clear delays but never a lock (a new vote code is a new credential, not an unlock)."""
        record = self.record(subject)
        if not record.locked and (record.failures or record.locked_until is not None):
            self._store.save_lockout(LockoutRecord(subject.kind.value, subject.id))
        shared = self._read_shared(subject)
        if (
            shared is not None
            and shared.failures
            and not shared.record(subject, self._policy).locked
            and self._shared is not None
        ):
            self._shared.clear(subject)

    def unlock_voter(self, identifier: str, voter_id: VoterId) -> int:
        """Clear every counter of one voter (login, vote code, réassort); how many were set."""
        subjects = (
            login_subject(identifier),
            vote_code_subject(voter_id),
            reassort_subject(voter_id),
        )
        return sum(self.unlock(subject) for subject in subjects)

    # ---- the server's counters ---------------------------------------------------------------

    def _read_shared(self, subject: Subject) -> SharedFailures | None:
        if self._shared is None or subject.kind not in SHARED_KINDS:
            return None
        return self._shared.read(subject)

    def _counted_shared(self, subject: Subject) -> SharedFailures | None:
        if self._shared is None or subject.kind not in SHARED_KINDS:
            return None
        return self._shared.count_failure(subject)

    def _shared_gate(self, shared: SharedFailures | None, subject: Subject, now: datetime) -> Gate:
        if shared is None:
            return OPEN  # offline: local knowledge only
        return self._policy.gate(shared.record(subject, self._policy), now)
