"""Sign-in attempts counted in the store before the PIN is checked (kiosk/admin/operators.py):
parallel wrong PINs through several connections to one SQLCipher file are each counted; an
unknown name is counted, kept across a reopening and written exactly like an account; and the
store-key holder's recovery of a locked or missing administrator."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from kiosk.admin.operators import (
    OPERATOR_POLICY,
    UNKNOWN_NAME_SHOWN,
    LoginRefused,
    Operator,
    Operators,
    RefusalReason,
)
from kiosk.admin.roles import Role
from kiosk.audit import AuditEvent
from kiosk.clock import ManualClock
from kiosk.election.kdf import KdfParams
from kiosk.store import KioskStore, StoreKey
from kiosk.voting.lockout import LockoutPolicy
from tests.unit.admin.conftest import ADMIN, ADMIN_PIN, ASSESSEUR, ASSESSEUR_PIN, CHEAP_PINS

# Costly enough that the attempts overlap (the race the counting before the check closes).
OVERLAPPING_PINS = KdfParams(log2_n=12)


def store_key(store: KioskStore) -> StoreKey:
    return StoreKey.from_key_file(store.path.parent / "store.key")


def parallel_logins(
    store: KioskStore, clock: ManualClock, name: str, count: int, policy: LockoutPolicy
) -> list[Operator | LoginRefused]:
    """``count`` wrong PINs at once, each through its own connection to the store's file."""
    key = store_key(store)
    stores = [KioskStore.open(store.path, key, clock) for _ in range(count)]
    start = threading.Barrier(count)
    results: list[Operator | LoginRefused] = []
    lock = threading.Lock()

    def attempt(own: KioskStore, pin: str) -> None:
        operators = Operators(own, clock, pin_kdf=OVERLAPPING_PINS, policy=policy)
        start.wait()
        outcome = operators.authenticate(name, pin)
        with lock:
            results.append(outcome)

    threads = [
        threading.Thread(target=attempt, args=(own, f"{900000 + i}"))
        for i, own in enumerate(stores)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for own in stores:
            own.close()
    return results


@pytest.fixture
def accounts(store: KioskStore, clock: ManualClock) -> Operators:
    operators = Operators(store, clock, pin_kdf=OVERLAPPING_PINS)
    operators.add(ADMIN, Role.ADMINISTRATOR, ADMIN_PIN)
    operators.add(ASSESSEUR, Role.ASSESSEUR, ASSESSEUR_PIN)
    return operators


def test_parallel_wrong_pins_are_each_counted(
    store: KioskStore, clock: ManualClock, accounts: Operators
) -> None:
    forgiving = LockoutPolicy(free_failures=50, delays=OPERATOR_POLICY.delays)
    results = parallel_logins(store, clock, ASSESSEUR, 8, forgiving)
    assert results == [LoginRefused(RefusalReason.UNKNOWN_OR_WRONG)] * 8
    assert store.operator(ASSESSEUR).lockout.failures == 8  # type: ignore[union-attr]


def test_parallel_wrong_pins_cannot_pass_the_gate_together(
    store: KioskStore, clock: ManualClock, accounts: Operators
) -> None:
    results = parallel_logins(store, clock, ASSESSEUR, 12, OPERATOR_POLICY)
    # Failures 1 to 3 are heard (the third starts a delay); the nine others find it in force.
    heard = [r for r in results if r == LoginRefused(RefusalReason.UNKNOWN_OR_WRONG)]
    delayed = [
        r for r in results if isinstance(r, LoginRefused) and r.reason is RefusalReason.LOCKED
    ]
    assert len(heard) == 2
    assert len(delayed) == 9
    assert store.operator(ASSESSEUR).lockout.failures == 3  # type: ignore[union-attr]


def test_a_correct_pin_clears_the_count_it_began_with(
    store: KioskStore, clock: ManualClock, accounts: Operators
) -> None:
    assert accounts.authenticate(ASSESSEUR, "999999") == LoginRefused(
        RefusalReason.UNKNOWN_OR_WRONG
    )
    assert accounts.authenticate(ASSESSEUR, ASSESSEUR_PIN) == Operator(ASSESSEUR, Role.ASSESSEUR)
    assert store.operator(ASSESSEUR).lockout.failures == 0  # type: ignore[union-attr]


def test_an_unknown_name_is_counted_in_the_store_across_a_reopening(
    store: KioskStore, clock: ManualClock, accounts: Operators
) -> None:
    for _ in range(3):
        accounts.authenticate("Nobody", "999999")
    # A new program on the same store (a restart) still delays that name, in any case.
    with KioskStore.open(store.path, store_key(store), clock) as reopened:
        again = Operators(reopened, clock, pin_kdf=CHEAP_PINS)
        assert again.authenticate(" NOBODY ", "999999") == LoginRefused(
            RefusalReason.LOCKED, clock.now() + timedelta(seconds=30)
        )
        # ... and a real account with as many failures answers exactly alike.
        for _ in range(3):
            again.authenticate(ASSESSEUR, "999999")
        assert again.authenticate(ASSESSEUR, "999999") == LoginRefused(
            RefusalReason.LOCKED, clock.now() + timedelta(seconds=30)
        )


def test_the_unknown_names_counter_never_holds_the_name(
    store: KioskStore, clock: ManualClock, accounts: Operators
) -> None:
    accounts.authenticate("123456", "999999")  # a PIN typed into the name field
    with store._read() as db:
        rows = db.execute("SELECT name_key, failures FROM operator_unknown_name").fetchall()
    assert len(rows) == 1
    assert rows[0][1] == 1
    assert "123456" not in str(rows)


def test_unknown_and_known_names_write_the_same(
    store: KioskStore, clock: ManualClock, accounts: Operators
) -> None:
    def changes_after(name: str) -> int:
        with store._read() as db:
            before = int(db.execute("SELECT total_changes()").fetchone()[0])
        accounts.authenticate(name, "999999")
        with store._read() as db:
            return int(db.execute("SELECT total_changes()").fetchone()[0]) - before

    assert changes_after("nobody") == changes_after(ASSESSEUR)


def test_ten_failures_lock_an_unknown_name_like_an_account(
    store: KioskStore, clock: ManualClock, accounts: Operators
) -> None:
    for name in ("nobody", ASSESSEUR):
        last: Operator | LoginRefused | None = None
        for _ in range(OPERATOR_POLICY.lock_after):
            last = accounts.authenticate(name, "999999")
            clock.advance(timedelta(hours=1))
        assert last == LoginRefused(RefusalReason.LOCKED)
    locked = [
        dict(e.fields) for e in store.audit_entries() if e.event is AuditEvent.OPERATOR_LOCKED
    ]
    assert locked == [{"operator": UNKNOWN_NAME_SHOWN}, {"operator": ASSESSEUR}]


# ---- recovery with the store key -----------------------------------------------------------------


def test_recover_unlocks_a_locked_administrator_with_a_new_pin(
    store: KioskStore, clock: ManualClock, accounts: Operators
) -> None:
    for _ in range(OPERATOR_POLICY.lock_after):
        accounts.authenticate(ADMIN, "999999")
        clock.advance(timedelta(hours=1))
    assert accounts.authenticate(ADMIN, ADMIN_PIN) == LoginRefused(RefusalReason.LOCKED)
    assert not accounts.recover(ADMIN, Role.ADMINISTRATOR, "24682468")
    assert accounts.authenticate(ADMIN, ADMIN_PIN) == LoginRefused(RefusalReason.UNKNOWN_OR_WRONG)
    assert accounts.authenticate(ADMIN, "24682468") == Operator(ADMIN, Role.ADMINISTRATOR)
    recovered = [e for e in store.audit_entries() if e.event is AuditEvent.OPERATOR_RECOVERED]
    assert [dict(e.fields) for e in recovered] == [
        {"operator": ADMIN, "role": "administrator", "created": False}
    ]
    assert "24682468" not in repr([dict(e.fields) for e in store.audit_entries()])


def test_recover_creates_a_missing_administrator(store: KioskStore, clock: ManualClock) -> None:
    operators = Operators(store, clock, pin_kdf=CHEAP_PINS)
    assert operators.list() == []
    assert operators.recover("chef", Role.ADMINISTRATOR, "24682468")
    assert operators.authenticate("chef", "24682468") == Operator("chef", Role.ADMINISTRATOR)


def test_recover_never_changes_an_accounts_role(
    store: KioskStore, clock: ManualClock, accounts: Operators
) -> None:
    with pytest.raises(ValueError, match="role assesseur, not administrator"):
        accounts.recover(ASSESSEUR, Role.ADMINISTRATOR, "24682468")
    assert accounts.authenticate(ASSESSEUR, ASSESSEUR_PIN) == Operator(ASSESSEUR, Role.ASSESSEUR)


def test_the_journal_names_the_operator_who_approved_a_supervised_reassort(
    store: KioskStore, clock: ManualClock, accounts: Operators
) -> None:
    check = accounts.supervisor_check()
    assert check(ASSESSEUR_PIN)
    assert not check("222222")
    approvals = [e for e in store.audit_entries() if e.event is AuditEvent.REASSORT_SUPERVISED]
    assert [dict(e.fields) for e in approvals] == [{"operator": ASSESSEUR}]
