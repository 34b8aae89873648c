"""Typed, frozen values the store hands out; nothing here touches the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.election.kdf import SecretHash
from kiosk.election.model import ElectionId, KioskId, ScrutinId


class PollsState(Enum):
    NOT_OPENED = "not_opened"
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"  # reopened only by an administrator, with a new opening report


POLLS_TRANSITIONS: dict[PollsState, frozenset[PollsState]] = {
    PollsState.NOT_OPENED: frozenset({PollsState.OPEN, PollsState.CLOSED}),
    PollsState.OPEN: frozenset({PollsState.PAUSED, PollsState.CLOSED}),
    PollsState.PAUSED: frozenset({PollsState.OPEN, PollsState.CLOSED}),
    # Reopening after the close is an administrator's decision (kiosk/admin/roles.py): the store
    # allows it, the admin console lets only an administrator ask for it.
    PollsState.CLOSED: frozenset({PollsState.OPEN}),
}
"""Which polls state may follow which; the store refuses any other change."""


class SyncState(Enum):
    PENDING = "pending"  # sealed, not yet sent
    EXPORTED = "exported"  # written to a signed bundle on removable media, not yet acknowledged
    ACCEPTED = "accepted"  # the server acknowledged it
    REJECTED = "rejected"  # the server refused it (e.g. the voter had voted elsewhere)


@dataclass(frozen=True)
class OutboxCounts:
    pending: int = 0
    exported: int = 0
    accepted: int = 0
    rejected: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.exported + self.accepted + self.rejected


@dataclass(frozen=True)
class OutboxEntry:
    envelope_id: bytes
    scrutin_id: ScrutinId
    envelope: bytes
    state: SyncState
    reason: str | None = None  # the server's code when it refused the ballot (``rejected``)


@dataclass(frozen=True)
class LockoutRecord:
    """Failed attempts against one credential; the policy that fills it lives with the rules."""

    subject_kind: str
    subject_id: str
    failures: int = 0
    locked_until: datetime | None = None
    locked: bool = False


@dataclass(frozen=True)
class KioskIdentity:
    kiosk_id: KioskId
    public_key: bytes
    private_key: bytes = field(repr=False)  # Ed25519 seed, 32 bytes

    def signing_key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.private_key)


@dataclass(frozen=True)
class StoredPackage:
    """The loaded package as signed; parse ``manifest`` with ``kiosk.election.codec``."""

    election_id: ElectionId
    title: str
    fingerprint: str
    manifest: bytes = field(repr=False)
    signature: bytes = field(repr=False)
    loaded_at: datetime


@dataclass(frozen=True)
class StoreStatus:
    schema_version: int
    election_id: ElectionId | None
    election_title: str | None
    fingerprint: str | None
    voters: int
    scrutins: int
    emargements: int
    outbox: OutboxCounts
    polls: PollsState
    audit_length: int
    audit_head: str  # hex SHA-256 of the last journal entry; 64 zeros when empty
    kiosk_id: KioskId | None


@dataclass(frozen=True)
class OperatorRecord:
    """An admin-console account as stored (kiosk/admin/operators.py applies the rules).

    ``role`` is ``"administrator"`` or ``"assesseur"``; ``pin_hash`` is salt and scrypt digest
    at cost ``2**pin_log2_n``; ``lockout`` holds its failed PINs (subject kind ``operator``).
    """

    name: str
    role: str
    pin_hash: SecretHash = field(repr=False)
    pin_log2_n: int
    lockout: LockoutRecord
    created_at: datetime


@dataclass(frozen=True)
class OperatorAttempt:
    """One admin-console sign-in, counted before its PIN is checked (``begin_operator_attempt``).

    ``account``: the account of that name, or None when no account has it (its counter is then
    the name's, kept under a keyed digest). ``before``: the counter as the attempt found it.
    ``counted``: the counter stored as if this attempt fails (a correct PIN clears it), or None
    when the gate refused the attempt and nothing was stored.
    """

    account: OperatorRecord | None
    before: LockoutRecord
    counted: LockoutRecord | None
