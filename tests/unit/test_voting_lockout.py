"""Per-credential lockout kept in the store (kiosk/voting/lockout.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.audit import AuditEvent
from kiosk.clock import ManualClock
from kiosk.election.model import VoterId
from kiosk.store import KioskStore, LockoutRecord, StoreKey, create_key_file
from kiosk.voting.lockout import (
    ASSESSEUR_SUBJECT,
    DEFAULT_POLICY,
    CredentialGuard,
    Gate,
    GateState,
    LockoutPolicy,
    SharedFailures,
    Subject,
    SubjectKind,
    login_subject,
    reassort_subject,
    refusal_after_failure,
    vote_code_subject,
)
from kiosk.voting.model import Notice, Refusal

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
VOTER = VoterId("v0001")


def fail_times(guard: CredentialGuard, subject: object, times: int, clock: ManualClock) -> Gate:
    """``times`` failures, each attempted once the previous delay is over."""
    gate = Gate(GateState.OPEN)
    for _ in range(times):
        if gate.until is not None:
            clock.current = max(clock.current, gate.until)
        gate = guard.record_failure(subject, clock.now())  # type: ignore[arg-type]
    return gate


@pytest.fixture
def key(tmp_path: Path) -> StoreKey:
    return create_key_file(tmp_path / "store.key")


@pytest.fixture
def store(tmp_path: Path, key: StoreKey) -> Iterator[KioskStore]:
    with KioskStore.create(tmp_path / "kiosk.db", key, ManualClock(T0)) as created:
        yield created


@pytest.mark.parametrize(
    ("failures", "delay"),
    [
        (1, None),
        (2, None),
        (3, timedelta(seconds=30)),
        (4, timedelta(minutes=1)),
        (5, timedelta(minutes=2)),
        (6, timedelta(minutes=5)),
        (7, timedelta(minutes=10)),
        (8, timedelta(minutes=15)),
        (9, timedelta(minutes=30)),
    ],
)
def test_delays_grow_after_three_failures(failures: int, delay: timedelta | None) -> None:
    record = LockoutRecord("login", "x", failures=failures - 1)
    after = DEFAULT_POLICY.after_failure(record, T0)
    assert after.failures == failures
    assert after.locked is False
    assert after.locked_until == (None if delay is None else T0 + delay)


def test_the_tenth_failure_locks_until_an_assesseur_unlocks() -> None:
    assert DEFAULT_POLICY.lock_after == 10
    after = DEFAULT_POLICY.after_failure(LockoutRecord("login", "x", failures=9), T0)
    assert after.locked is True
    assert after.locked_until is None
    assert DEFAULT_POLICY.gate(after, T0 + timedelta(days=30)) == Gate(GateState.LOCKED)


def test_a_delay_is_never_shorter_than_the_rule_once_stored_to_the_second() -> None:
    now = T0 + timedelta(microseconds=250_000)
    after = DEFAULT_POLICY.after_failure(LockoutRecord("login", "x", failures=2), now)
    assert after.locked_until == T0 + timedelta(seconds=31)


def test_the_gate_waits_until_the_delay_is_over() -> None:
    record = LockoutRecord("login", "x", failures=3, locked_until=T0 + timedelta(seconds=30))
    assert DEFAULT_POLICY.gate(record, T0 + timedelta(seconds=29)) == Gate(
        GateState.WAIT, T0 + timedelta(seconds=30)
    )
    assert DEFAULT_POLICY.gate(record, T0 + timedelta(seconds=30)).open


def test_refusals_say_wait_locked_or_wrong() -> None:
    until = T0 + timedelta(seconds=30)
    assert Gate(GateState.WAIT, until).refusal() == Refusal(Notice.WAIT, until)
    assert Gate(GateState.LOCKED).refusal() == Refusal(Notice.LOCKED)
    with pytest.raises(ValueError, match="refuses nothing"):
        Gate(GateState.OPEN).refusal()
    wrong = Notice.WRONG_VOTE_CODE
    assert refusal_after_failure(Gate(GateState.OPEN), wrong) == Refusal(wrong)
    assert refusal_after_failure(Gate(GateState.WAIT, until), wrong) == Refusal(wrong, until)
    assert refusal_after_failure(Gate(GateState.LOCKED), wrong) == Refusal(Notice.LOCKED)


def test_a_custom_policy_changes_the_table() -> None:
    policy = LockoutPolicy(free_failures=0, delays=(timedelta(seconds=5),))
    assert policy.lock_after == 2
    assert policy.after_failure(LockoutRecord("k", "s"), T0).locked_until == T0 + timedelta(
        seconds=5
    )
    assert policy.after_failure(LockoutRecord("k", "s", failures=1), T0).locked


def test_the_login_subject_is_the_same_for_every_spelling_of_an_identifier() -> None:
    subject = login_subject("Agent1@AC-Exemple.fr ")
    assert subject == login_subject("agent1@ac-exemple.fr")
    assert subject != login_subject("agent2@ac-exemple.fr")
    assert subject.kind is SubjectKind.LOGIN
    assert "agent1" not in subject.id
    assert "agent1" not in repr(subject)
    assert vote_code_subject(VOTER).kind is SubjectKind.VOTE_CODE
    assert reassort_subject(VOTER).kind is SubjectKind.REASSORT


def test_failures_are_counted_per_credential(store: KioskStore) -> None:
    guard = CredentialGuard(store)
    clock = ManualClock(T0)
    fail_times(guard, vote_code_subject(VOTER), 3, clock)
    assert guard.gate(vote_code_subject(VOTER), clock.now()).state is GateState.WAIT
    assert guard.gate(vote_code_subject(VoterId("v0002")), clock.now()).open
    assert guard.gate(reassort_subject(VOTER), clock.now()).open
    assert guard.gate(login_subject("agent1@ac-exemple.fr"), clock.now()).open


def test_a_success_clears_the_counter(store: KioskStore) -> None:
    guard = CredentialGuard(store)
    subject = login_subject("agent1@ac-exemple.fr")
    clock = ManualClock(T0)
    fail_times(guard, subject, 3, clock)
    clock.advance(timedelta(seconds=30))
    guard.record_success(subject)
    assert guard.record(subject) == LockoutRecord("login", subject.id)
    assert guard.record_failure(subject, clock.now()).open  # counting starts again


def test_the_lock_is_journaled_once_and_survives_reopening_the_store(
    tmp_path: Path, key: StoreKey
) -> None:
    clock = ManualClock(T0)
    path = tmp_path / "kiosk.db"
    subject = vote_code_subject(VOTER)
    with KioskStore.create(path, key, clock) as store:
        guard = CredentialGuard(store)
        gate = fail_times(guard, subject, 10, clock)
        assert gate == Gate(GateState.LOCKED)
        gate = guard.record_failure(subject, clock.now())  # an eleventh: still locked
        locks = [e for e in store.audit_entries() if e.event is AuditEvent.CREDENTIAL_LOCKED]
        assert [dict(e.fields) for e in locks] == [{"subject_kind": "vote_code"}]
    clock.advance(timedelta(days=2))
    with KioskStore.open(path, key, clock) as reopened:
        guard = CredentialGuard(reopened)
        assert guard.gate(subject, clock.now()) == Gate(GateState.LOCKED)
        assert guard.unlock(subject) is True
        assert guard.gate(subject, clock.now()).open
        assert guard.unlock(subject) is False
        unlocked = [
            e for e in reopened.audit_entries() if e.event is AuditEvent.CREDENTIAL_UNLOCKED
        ]
        assert len(unlocked) == 1


def test_a_delay_survives_reopening_the_store(tmp_path: Path, key: StoreKey) -> None:
    clock = ManualClock(T0)
    path = tmp_path / "kiosk.db"
    subject = login_subject("nobody@example.fr")
    with KioskStore.create(path, key, clock) as store:
        fail_times(CredentialGuard(store), subject, 4, clock)
    with KioskStore.open(path, key, clock) as reopened:
        gate = CredentialGuard(reopened).gate(subject, clock.now())
        assert gate.state is GateState.WAIT
        assert gate.until == clock.now() + timedelta(minutes=1)


def test_forgive_clears_delays_but_never_a_lock(store: KioskStore) -> None:
    guard = CredentialGuard(store)
    clock = ManualClock(T0)
    delayed, locked = vote_code_subject(VOTER), vote_code_subject(VoterId("v0002"))
    fail_times(guard, delayed, 4, clock)
    fail_times(guard, locked, 10, clock)
    guard.forgive(delayed)
    guard.forgive(locked)
    assert guard.gate(delayed, clock.now()).open
    assert guard.gate(locked, clock.now()).state is GateState.LOCKED


def test_an_assesseur_unlocks_every_credential_of_a_voter(store: KioskStore) -> None:
    guard = CredentialGuard(store)
    clock = ManualClock(T0)
    identifier = "agent1@ac-exemple.fr"
    for subject in (login_subject(identifier), vote_code_subject(VOTER), reassort_subject(VOTER)):
        fail_times(guard, subject, 10, clock)
    assert guard.unlock_voter(" AGENT1@ac-exemple.fr", VOTER) == 3
    assert guard.gate(login_subject(identifier), clock.now()).open
    assert guard.unlock_voter(identifier, VOTER) == 0


# ---- shared counters (an online kiosk) --------------------------------------------------------


class MemoryCounters:
    """The server's counters in memory; ``online`` False answers nothing, as a server down."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.online = True
        self.counts: dict[tuple[str, str], SharedFailures] = {}
        self.asked: list[str] = []

    def _key(self, subject: Subject) -> tuple[str, str]:
        assert subject.kind is not SubjectKind.ASSESSEUR  # one per kiosk: never shared
        return (subject.kind.value, subject.id)

    def read(self, subject: Subject) -> SharedFailures | None:
        self.asked.append("read")
        if not self.online:
            return None
        return self.counts.get(self._key(subject), SharedFailures(0, None))

    def count_failure(self, subject: Subject) -> SharedFailures | None:
        self.asked.append("failure")
        if not self.online:
            return None
        before = self.counts.get(self._key(subject), SharedFailures(0, None))
        self.counts[self._key(subject)] = SharedFailures(before.failures + 1, self.clock.now())
        return self.counts[self._key(subject)]

    def clear(self, subject: Subject) -> bool:
        self.asked.append("clear")
        if not self.online:
            return False
        self.counts.pop(self._key(subject), None)
        return True


class Kiosks:
    """Two kiosks' stores and guards sharing one server's counters."""

    def __init__(self, tmp_path: Path, clock: ManualClock) -> None:
        self.counters = MemoryCounters(clock)
        self.stores = [
            KioskStore.create(
                tmp_path / f"{name}.db", create_key_file(tmp_path / f"{name}.key"), clock
            )
            for name in ("a", "b")
        ]
        self.a, self.b = (CredentialGuard(s, DEFAULT_POLICY, self.counters) for s in self.stores)


@pytest.fixture
def kiosks(tmp_path: Path) -> Iterator[Kiosks]:
    made = Kiosks(tmp_path, ManualClock(T0))
    yield made
    for opened in made.stores:
        opened.close()


def test_ten_failures_spread_over_two_kiosks_lock_the_credential_on_both(kiosks: Kiosks) -> None:
    clock, a, b = kiosks.counters.clock, kiosks.a, kiosks.b
    subject = login_subject("agent@ac-exemple.fr")
    gate = Gate(GateState.OPEN)
    for attempt in range(10):
        guard = a if attempt % 2 == 0 else b
        if gate.until is not None:
            clock.current = max(clock.current, gate.until)
        assert guard.gate(subject, clock.now()).open
        gate = guard.record_failure(subject, clock.now())
    assert gate.state is GateState.LOCKED
    assert a.gate(subject, clock.now()).state is GateState.LOCKED
    assert b.gate(subject, clock.now()).state is GateState.LOCKED
    # Each kiosk counted five: locally neither is locked; the journal of the kiosk whose failure
    # locked it on the server says so.
    assert a.record(subject).failures == b.record(subject).failures == 5
    assert kiosks.stores[1].audit_entries()[-1].event is AuditEvent.CREDENTIAL_LOCKED
    # An assesseur's unlock at one kiosk clears it on the server: both kiosks let it through.
    assert b.unlock(subject)
    assert a.gate(subject, clock.now()).open
    assert b.gate(subject, clock.now()).open


def test_a_delay_counted_elsewhere_applies_here(kiosks: Kiosks) -> None:
    clock, a, b = kiosks.counters.clock, kiosks.a, kiosks.b
    subject = vote_code_subject(VOTER)
    fail_times(a, subject, 3, clock)
    gate = b.gate(subject, clock.now())
    assert gate.state is GateState.WAIT
    assert gate.until == T0 + timedelta(seconds=30)
    clock.advance(timedelta(seconds=30))
    assert b.gate(subject, clock.now()).open
    b.record_success(subject)  # a success anywhere clears it everywhere
    assert a.gate(subject, clock.now()).open
    assert a.record(subject).failures == 3


def test_offline_the_guard_goes_on_with_its_own_counters(kiosks: Kiosks) -> None:
    kiosks.counters.online = False
    subject = reassort_subject(VOTER)
    assert fail_times(kiosks.a, subject, 10, kiosks.counters.clock).state is GateState.LOCKED
    kiosks.counters.online = True
    assert kiosks.b.gate(subject, kiosks.counters.clock.now()).open  # nothing reached it


def test_the_assesseur_pin_is_never_shared(kiosks: Kiosks) -> None:
    clock = kiosks.counters.clock
    fail_times(kiosks.a, ASSESSEUR_SUBJECT, 3, clock)
    kiosks.a.gate(ASSESSEUR_SUBJECT, clock.now())
    kiosks.a.record_success(ASSESSEUR_SUBJECT)
    assert kiosks.counters.asked == []
