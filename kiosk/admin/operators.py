"""The admin console's accounts: administrators and assesseurs, each with a name and a PIN.

Accounts live in the kiosk store (migration 0003, table ``operator``). A PIN is 6 to 12 digits,
stored only as a salted scrypt hash (``kiosk.election.kdf``), never logged, journaled or put in
an exception message. Failed PINs count per operator, in the store, so that a restart forgives
nothing: the first two cost nothing, the third and each later one impose a growing delay
(``OPERATOR_POLICY``: 30 s, 1 min, 2 min, ... 30 min), the tenth locks the account until an
administrator unlocks it (or whoever holds the store key runs ``isoloir admin operator
recover``). Each attempt is counted in the store before its PIN is checked, in one transaction,
so that attempts made in parallel are all counted; a correct PIN then clears the count. An
unknown name gets exactly the answer of a wrong PIN: the same scrypt work, the same
``LoginRefused``, the same delays and lock, the same writes, its count kept in the store too
(keyed by an HMAC of the case-folded name under a per-store secret), so neither a refusal nor a
restart tells which names exist. Everything is journaled: additions, removals, PIN changes,
sign-ins, refusals (without the typed name: it may be a PIN typed in the wrong field), locks,
unlocks and recoveries.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final

from kiosk.admin.roles import Action, Role, allowed
from kiosk.audit import AuditEvent
from kiosk.clock import Clock
from kiosk.election.kdf import KdfParams, SecretHash, SecretKind, hash_secret, verify_secret
from kiosk.store import OPERATOR_SUBJECT_KIND, KioskStore, LockoutRecord, StoreStateError
from kiosk.store.records import OperatorRecord
from kiosk.voting.lockout import DEFAULT_DELAYS, GateState, LockoutPolicy
from kiosk.voting.reassort import AssesseurCheck

PIN_PATTERN: Final = re.compile(r"[0-9]{6,12}")
NAME_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9._-]{0,31}")

OPERATOR_POLICY: Final = LockoutPolicy(free_failures=2, delays=DEFAULT_DELAYS)
"""Failures 1 and 2 are free; failure 3 starts the delays; failure 10 locks until an unlock."""

PIN_KDF: Final = KdfParams(log2_n=15)
"""scrypt N = 2^15, r = 8 (32 MiB, about 0.1 s here): a PIN has few digits, so each guess must
cost. Each stored hash records its own cost, so a change here never locks anyone out."""

UNKNOWN_NAME_SHOWN: Final = "(unknown name)"
"""What ``operator-locked`` names when the locked counter is a name no account has (never the
typed name; it cannot be an account's name: those have no spaces or brackets)."""


@dataclass(frozen=True)
class Operator:
    name: str
    role: Role


class RefusalReason(Enum):
    UNKNOWN_OR_WRONG = "unknown_or_wrong"  # one answer for an unknown name and a wrong PIN
    LOCKED = "locked"  # too many failures: wait until ``retry_at``, or (None) an unlock


@dataclass(frozen=True)
class LoginRefused:
    reason: RefusalReason
    retry_at: datetime | None = None  # when the next attempt will be heard; None: no delay


@dataclass(frozen=True)
class OperatorAccount:
    """An account as an administrator's list shows it."""

    name: str
    role: Role
    failures: int
    locked: bool  # until an administrator unlocks it
    retry_at: datetime | None  # a delay in force after failed PINs


def check_pin(pin: str) -> str:
    """``pin`` when it is 6 to 12 digits; ``ValueError`` saying the rule (never the PIN)."""
    if not PIN_PATTERN.fullmatch(pin):
        raise ValueError("a PIN is 6 to 12 digits (0-9), nothing else")
    return pin


def check_name(name: str) -> str:
    """The account name as stored: ``ValueError`` saying the rule otherwise."""
    if not NAME_PATTERN.fullmatch(name):
        shown = name[:40] if not any(c.isdigit() for c in name) else "this name"
        raise ValueError(
            f"{shown!r} is not an operator name: 1 to 32 of a-z, 0-9, '.', '_', '-', starting "
            "with a letter or digit"
        )
    if PIN_PATTERN.fullmatch(name):
        raise ValueError("an operator name may not be all digits (it would look like a PIN)")
    return name


class Operators:
    """The accounts of one kiosk store. Methods are called from one thread at a time."""

    def __init__(
        self,
        store: KioskStore,
        clock: Clock,
        *,
        pin_kdf: KdfParams = PIN_KDF,
        policy: LockoutPolicy = OPERATOR_POLICY,
    ) -> None:
        """``pin_kdf``: the cost of new PIN hashes (tests pass a cheap one); ``policy``: the
        delays and lock after failed PINs (tests may pass a more forgiving one)."""
        self._store = store
        self._clock = clock
        self._pin_kdf = pin_kdf
        self._policy = policy
        self._decoy: SecretHash | None = None

    # ---- accounts ------------------------------------------------------------------------------

    def add(self, name: str, role: Role, pin: str) -> Operator:
        """A new account; ``ValueError`` with a clear message on a bad name or PIN, or a name
        that is taken."""
        name = check_name(name.strip())
        check_pin(pin)
        secret = hash_secret(SecretKind.PASSWORD, pin, self._pin_kdf)
        try:
            self._store.add_operator(name, role.value, secret, self._pin_kdf.log2_n)
        except StoreStateError as exc:
            raise ValueError(str(exc)) from None
        return Operator(name, role)

    def list(self) -> builtins.list[Operator]:
        return [Operator(r.name, Role(r.role)) for r in self._store.operators()]

    def accounts(self) -> builtins.list[OperatorAccount]:
        now = self._clock.now()
        return [self._account(record, now) for record in self._store.operators()]

    def has_administrator(self) -> bool:
        return any(r.role == Role.ADMINISTRATOR.value for r in self._store.operators())

    def remove(self, name: str) -> None:
        """Remove an account; refuses the last administrator (``ValueError``)."""
        try:
            self._store.remove_operator(name.strip())
        except StoreStateError as exc:
            raise ValueError(str(exc)) from None

    def change_pin(self, name: str, pin: str) -> None:
        """A new PIN (which also clears the account's failures); ``ValueError`` if refused."""
        check_pin(pin)
        secret = hash_secret(SecretKind.PASSWORD, pin, self._pin_kdf)
        try:
            self._store.set_operator_pin(name.strip(), secret, self._pin_kdf.log2_n)
        except StoreStateError as exc:
            raise ValueError(str(exc)) from None

    def unlock(self, name: str, *, by: str | None = None) -> None:
        """Clear an account's failed PINs and lock (an administrator's decision, ``by``)."""
        record = self._store.operator(name.strip())
        if record is None:
            raise ValueError(f"no operator named {name.strip()[:40]!r}")
        self._store.save_operator_lockout(LockoutRecord(OPERATOR_SUBJECT_KIND, record.name))
        self._store.append_audit(AuditEvent.OPERATOR_UNLOCKED, operator=record.name, by=by)

    # ---- signing in ----------------------------------------------------------------------------

    def authenticate(self, name: str, pin: str) -> Operator | LoginRefused:
        """The account when ``pin`` is its PIN and no delay or lock is in force."""
        now = self._clock.now()
        name = name.strip().casefold()  # names are stored in lower case: "Admin" is "admin"

        def count_failure(before: LockoutRecord) -> LockoutRecord | None:
            if not self._policy.gate(before, now).open:
                return None
            return self._policy.after_failure(before, now)

        attempt = self._store.begin_operator_attempt(name, count_failure)
        if attempt.counted is None:
            gate = self._policy.gate(attempt.before, now)
            return self._refused(LoginRefused(RefusalReason.LOCKED, gate.until))
        account = attempt.account
        if account is None:
            verify_secret(SecretKind.PASSWORD, pin, self._decoy_hash(), self._pin_kdf)
        elif verify_secret(SecretKind.PASSWORD, pin, account.pin_hash, _cost(account)):
            self._store.operator_signed_in(account.name, account.role)
            return Operator(account.name, Role(account.role))
        if attempt.counted.locked:
            shown = UNKNOWN_NAME_SHOWN if account is None else account.name
            self._store.append_audit(AuditEvent.OPERATOR_LOCKED, operator=shown)
        return self._refused(_after_failure(attempt.counted))

    def recover(self, name: str, role: Role, pin: str) -> bool:
        """For whoever holds the store key (who can read everything anyway): create the account
        ``name`` with ``role``, or give the existing one a new PIN and clear its failures and
        lock. True when it was created; ``ValueError`` with a clear message when refused."""
        name = check_name(name.strip())
        check_pin(pin)
        secret = hash_secret(SecretKind.PASSWORD, pin, self._pin_kdf)
        try:
            return self._store.recover_operator(name, role.value, secret, self._pin_kdf.log2_n)
        except StoreStateError as exc:
            raise ValueError(str(exc)) from None

    def supervisor_check(self) -> AssesseurCheck:
        """For the voter flow's supervised réassort (``VotingSession(assesseur_check=...)``):
        True when the credential is the PIN of an operator allowed ``SUPERVISED_REASSORT``
        whose account is not locked or delayed; the journal then names that operator
        (``reassort-supervised``). The session's own ``assesseur`` counter counts the failures;
        the accounts' counters are left alone."""

        def check(credential: str) -> bool:
            if not PIN_PATTERN.fullmatch(credential):
                return False
            now = self._clock.now()
            approver: str | None = None
            for record in self._store.operators():  # every one, so the time tells nothing
                if not allowed(Role(record.role), Action.SUPERVISED_REASSORT):
                    continue
                usable = self._policy.gate(record.lockout, now).open
                correct = verify_secret(
                    SecretKind.PASSWORD, credential, record.pin_hash, _cost(record)
                )
                if approver is None and usable and correct:
                    approver = record.name
            if approver is None:
                return False
            self._store.append_audit(AuditEvent.REASSORT_SUPERVISED, operator=approver)
            return True

        return check

    # ---- internals -----------------------------------------------------------------------------

    def _decoy_hash(self) -> SecretHash:
        """What an unknown name's PIN is checked against: the same scrypt work as an account."""
        if self._decoy is None:
            self._decoy = hash_secret(SecretKind.PASSWORD, "000000", self._pin_kdf)
        return self._decoy

    def _refused(self, refusal: LoginRefused) -> LoginRefused:
        self._store.append_audit(AuditEvent.OPERATOR_LOGIN_REFUSED, reason=refusal.reason.value)
        return refusal

    def _account(self, record: OperatorRecord, now: datetime) -> OperatorAccount:
        gate = self._policy.gate(record.lockout, now)
        return OperatorAccount(
            name=record.name,
            role=Role(record.role),
            failures=record.lockout.failures,
            locked=gate.state is GateState.LOCKED,
            retry_at=gate.until if gate.state is GateState.WAIT else None,
        )


def _cost(record: OperatorRecord) -> KdfParams:
    return KdfParams(log2_n=record.pin_log2_n)


def _after_failure(record: LockoutRecord) -> LoginRefused:
    """The answer to a counted failure: wrong (perhaps with a delay now in force), or locked."""
    if record.locked:
        return LoginRefused(RefusalReason.LOCKED)
    return LoginRefused(RefusalReason.UNKNOWN_OR_WRONG, record.locked_until)
