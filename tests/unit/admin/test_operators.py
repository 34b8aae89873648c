"""Operator accounts (kiosk/admin/operators.py) on a real store: PIN rules, hashing, the same
refusal for an unknown name and a wrong PIN, growing delays and the lock with an injected clock,
persistence across a reopening, unlocks, and the voter flow's supervisor check."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from kiosk.admin.console import AdminConsole, AdminError, AdminSession
from kiosk.admin.operators import (
    LoginRefused,
    Operator,
    Operators,
    RefusalReason,
)
from kiosk.admin.roles import Role
from kiosk.audit import AuditEvent
from kiosk.clock import ManualClock
from kiosk.store import KioskStore, StoreKey
from tests.unit.admin.conftest import (
    ADMIN,
    ADMIN_PIN,
    ASSESSEUR,
    ASSESSEUR_PIN,
    CHEAP_PINS,
    sign_in,
)

WRONG = LoginRefused(RefusalReason.UNKNOWN_OR_WRONG)


def journal_text(store: KioskStore) -> str:
    return repr([(e.event.code, dict(e.fields)) for e in store.audit_entries()])


def codes(store: KioskStore) -> list[str]:
    return [e.event.code for e in store.audit_entries()]


# ---- accounts ------------------------------------------------------------------------------------


def test_accounts_are_added_listed_and_removed(console: AdminConsole) -> None:
    operators = console.operators
    assert operators.list() == [
        Operator(ADMIN, Role.ADMINISTRATOR),
        Operator(ASSESSEUR, Role.ASSESSEUR),
    ]
    assert operators.add("  bureau-2 ", Role.ASSESSEUR, "13572468") == Operator(
        "bureau-2", Role.ASSESSEUR
    )
    operators.remove("bureau-2")
    assert [o.name for o in operators.list()] == [ADMIN, ASSESSEUR]
    with pytest.raises(ValueError, match="no operator named 'bureau-2'"):
        operators.remove("bureau-2")
    assert "operator-added" in codes(console.store)
    assert "operator-removed" in codes(console.store)


@pytest.mark.parametrize("pin", ["12345", "1234567890123", "12345a", "123 456", "１２３４５６", ""])
def test_a_pin_is_6_to_12_digits_and_the_refusal_never_quotes_it(
    console: AdminConsole, pin: str
) -> None:
    with pytest.raises(ValueError, match="a PIN is 6 to 12 digits") as caught:
        console.operators.add("new", Role.ASSESSEUR, pin)
    assert pin not in str(caught.value) or not pin
    assert console.operators.list() == [
        Operator(ADMIN, Role.ADMINISTRATOR),
        Operator(ASSESSEUR, Role.ASSESSEUR),
    ]


@pytest.mark.parametrize("name", ["", "Admin", "-x", "a" * 33, "nom avec espace", "123456"])
def test_bad_names_are_refused_with_the_rule(console: AdminConsole, name: str) -> None:
    with pytest.raises(ValueError, match="operator name"):
        console.operators.add(name, Role.ASSESSEUR, "123456")


def test_a_taken_name_is_refused_and_the_last_administrator_stays(console: AdminConsole) -> None:
    with pytest.raises(ValueError, match="an operator named 'admin' exists already"):
        console.operators.add(ADMIN, Role.ASSESSEUR, "123456")
    with pytest.raises(ValueError, match="'admin' is the last administrator"):
        console.operators.remove(ADMIN)
    console.operators.add("admin2", Role.ADMINISTRATOR, "654321")
    console.operators.remove(ADMIN)
    assert [o.name for o in console.operators.list()] == ["admin2", ASSESSEUR]


def test_the_pin_is_stored_hashed_and_never_journaled(console: AdminConsole) -> None:
    record = console.store.operator(ADMIN)
    assert record is not None
    assert ADMIN_PIN.encode() not in record.pin_hash.salt + record.pin_hash.digest
    assert record.pin_log2_n == CHEAP_PINS.log2_n
    assert "pin_hash" not in repr(record) or "redacted" in repr(record)
    console.login(ADMIN, "999999")
    console.login(ADMIN, ADMIN_PIN)
    console.login("123456", ADMIN_PIN)  # a PIN typed in the name field
    console.operators.change_pin(ASSESSEUR, "24682468")
    text = journal_text(console.store)
    for secret in (ADMIN_PIN, "999999", "123456", "24682468", ASSESSEUR_PIN):
        assert secret not in text


# ---- signing in ----------------------------------------------------------------------------------


def test_a_correct_pin_signs_in_with_the_role(console: AdminConsole) -> None:
    session = console.login(f" {ASSESSEUR.upper()} ", ASSESSEUR_PIN)  # case is forgiven
    assert isinstance(session, AdminSession)
    assert session.operator == Operator(ASSESSEUR, Role.ASSESSEUR)
    last = console.store.audit_entries()[-1]
    assert last.event is AuditEvent.OPERATOR_LOGIN
    assert dict(last.fields) == {"operator": ASSESSEUR, "role": "assesseur"}


def test_an_unknown_name_and_a_wrong_pin_get_the_same_answer(console: AdminConsole) -> None:
    assert console.login("nobody", ADMIN_PIN) == WRONG
    assert console.login(ADMIN, "999999") == WRONG
    assert console.login(ADMIN, "") == WRONG
    refused = [
        e for e in console.store.audit_entries() if e.event is AuditEvent.OPERATOR_LOGIN_REFUSED
    ]
    assert [dict(e.fields) for e in refused] == [{"reason": "unknown_or_wrong"}] * 3


def test_failures_grow_into_delays_then_a_lock(console: AdminConsole, clock: ManualClock) -> None:
    assert console.login(ASSESSEUR, "000001") == WRONG
    assert console.login(ASSESSEUR, "000002") == WRONG
    third = console.login(ASSESSEUR, "000003")
    assert third == LoginRefused(
        RefusalReason.UNKNOWN_OR_WRONG, clock.now() + timedelta(seconds=30)
    )
    # During the delay even the right PIN is not heard, and nothing more is counted.
    waiting = console.login(ASSESSEUR, ASSESSEUR_PIN)
    assert waiting == LoginRefused(RefusalReason.LOCKED, clock.now() + timedelta(seconds=30))
    assert console.store.operator(ASSESSEUR).lockout.failures == 3  # type: ignore[union-attr]
    delays = []
    for failure in range(4, 10):
        clock.advance(timedelta(hours=1))
        refused = console.login(ASSESSEUR, f"00000{failure}")
        assert isinstance(refused, LoginRefused)
        assert refused.retry_at is not None
        delays.append(refused.retry_at - clock.now())
    assert delays == [timedelta(minutes=m) for m in (1, 2, 5, 10, 15, 30)]
    clock.advance(timedelta(hours=1))
    assert console.login(ASSESSEUR, "000010") == LoginRefused(RefusalReason.LOCKED)
    clock.advance(timedelta(days=1))
    assert console.login(ASSESSEUR, ASSESSEUR_PIN) == LoginRefused(RefusalReason.LOCKED)
    assert codes(console.store).count("operator-locked") == 1
    [account] = [a for a in console.operators.accounts() if a.name == ASSESSEUR]
    assert account.locked
    assert account.failures == 10

    admin = sign_in(console, ADMIN, ADMIN_PIN)
    admin.unlock_operator(ASSESSEUR)
    unlocked = console.store.audit_entries()[-1]
    assert dict(unlocked.fields) == {"operator": ASSESSEUR, "by": ADMIN}
    assert isinstance(console.login(ASSESSEUR, ASSESSEUR_PIN), AdminSession)


def test_an_unknown_name_is_delayed_like_a_known_one(
    console: AdminConsole, clock: ManualClock
) -> None:
    answers = [console.login("nobody", f"99999{i}") for i in range(3)]
    known = [console.login(ADMIN, f"99999{i}") for i in range(3)]
    assert answers == known
    assert answers[2] == LoginRefused(
        RefusalReason.UNKNOWN_OR_WRONG, clock.now() + timedelta(seconds=30)
    )


def test_failures_survive_closing_and_reopening_the_store(
    store: KioskStore, clock: ManualClock, tmp_path: Path
) -> None:
    operators = Operators(store, clock, pin_kdf=CHEAP_PINS)
    operators.add(ADMIN, Role.ADMINISTRATOR, ADMIN_PIN)
    for attempt in range(3):
        operators.authenticate(ADMIN, f"99999{attempt}")
    path = store.path
    store.close()
    key = StoreKey.from_key_file(path.parent / "store.key")
    with KioskStore.open(path, key, clock) as reopened:
        again = Operators(reopened, clock, pin_kdf=CHEAP_PINS)
        refused = again.authenticate(ADMIN, ADMIN_PIN)
        assert refused == LoginRefused(RefusalReason.LOCKED, clock.now() + timedelta(seconds=30))
        clock.advance(timedelta(seconds=30))
        assert isinstance(again.authenticate(ADMIN, ADMIN_PIN), Operator)
        record = reopened.operator(ADMIN)
        assert record is not None
        assert record.lockout.failures == 0


def test_a_new_pin_replaces_the_old_and_clears_failures(console: AdminConsole) -> None:
    for attempt in range(3):
        console.login(ASSESSEUR, f"99999{attempt}")
    assessor = console.store.operator(ASSESSEUR)
    assert assessor is not None
    assert assessor.lockout.failures == 3
    admin = sign_in(console, ADMIN, ADMIN_PIN)
    admin.change_pin(ASSESSEUR, "86428642")
    assert console.login(ASSESSEUR, ASSESSEUR_PIN) == WRONG
    assert isinstance(console.login(ASSESSEUR, "86428642"), AdminSession)
    with pytest.raises(AdminError, match="a PIN is 6 to 12 digits"):
        admin.change_pin(ADMIN, "12")


def test_an_assesseur_changes_only_their_own_pin(console: AdminConsole) -> None:
    assessor = sign_in(console, ASSESSEUR, ASSESSEUR_PIN)
    assessor.change_pin(ASSESSEUR, "97531975")
    with pytest.raises(Exception, match="may not manage operators"):
        assessor.change_pin(ADMIN, "97531975")
    assert isinstance(console.login(ADMIN, ADMIN_PIN), AdminSession)


# ---- the voter flow's supervisor check -------------------------------------------------------


def test_the_supervisor_check_takes_the_pin_of_any_operator_not_locked(
    console: AdminConsole, clock: ManualClock
) -> None:
    check = console.operators.supervisor_check()
    assert check(ASSESSEUR_PIN)
    assert check(ADMIN_PIN)
    assert not check("222222")
    assert not check("")
    assert not check(f"{ASSESSEUR}:{ASSESSEUR_PIN}")
    for attempt in range(3):
        console.login(ASSESSEUR, f"99999{attempt}")
    assert not check(ASSESSEUR_PIN)  # a delayed account supervises nothing until it is over
    clock.advance(timedelta(seconds=30))
    assert check(ASSESSEUR_PIN)
    assert ASSESSEUR_PIN not in repr(check)


# ---- migration 0003 ------------------------------------------------------------------------------


def test_a_v2_store_gains_the_operator_table_and_keeps_everything(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiosk.store import create_key_file, schema
    from tests.unit.test_voting_world import sealed_election

    two = schema.shipped()[:2]
    path, key = tmp_path / "v2.db", create_key_file(tmp_path / "v2.key")
    with monkeypatch.context() as patch:
        patch.setattr(schema, "shipped", lambda: two)
        patch.setattr(schema, "SCHEMA_VERSION", 2)
        with KioskStore.create(path, key, clock) as old:
            old.load_package(sealed_election()[0])
            assert old.status().schema_version == 2
            before = old.status()
    with KioskStore.open(path, key, clock) as upgraded:
        assert upgraded.status().schema_version == 4
        assert upgraded.status().fingerprint == before.fingerprint
        assert upgraded.operators() == []
        migrated = [e for e in upgraded.audit_entries() if e.event is AuditEvent.STORE_MIGRATED]
        assert [dict(e.fields) for e in migrated] == [
            {"from_version": 2, "to_version": 3},
            {"from_version": 3, "to_version": 4},
        ]
        # No account yet: the holder of the store key creates the first administrator.
        operators = Operators(upgraded, clock, pin_kdf=CHEAP_PINS)
        assert operators.recover(ADMIN, Role.ADMINISTRATOR, ADMIN_PIN)
        assert operators.authenticate(ADMIN, ADMIN_PIN) == Operator(ADMIN, Role.ADMINISTRATOR)
        assert upgraded.verify_audit_chain().ok


# ---- voters: unlock ------------------------------------------------------------------------------


def test_an_assesseur_unlocks_a_locked_voter(console: AdminConsole, clock: ManualClock) -> None:
    from kiosk.voting.lockout import CredentialGuard, GateState, login_subject
    from tests.unit.test_voting_world import VoterSecrets

    voter = VoterSecrets(1)
    guard = CredentialGuard(console.store)
    subject = login_subject(voter.identifier)
    for _ in range(guard.policy.lock_after):
        guard.record_failure(subject, clock.now())
    assert guard.gate(subject, clock.now()).state is GateState.LOCKED
    assessor = sign_in(console, ASSESSEUR, ASSESSEUR_PIN)
    assert assessor.unlock_voter(f" {voter.identifier.upper()} ")
    assert guard.gate(subject, clock.now()).open
    assert not assessor.unlock_voter(voter.identifier)  # nothing left to clear
    with pytest.raises(AdminError, match="give the voter's identifier"):
        assessor.unlock_voter("  ")
