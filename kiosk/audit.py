"""The audit-event catalog and the hash chain of the kiosk's audit journal (docs/store.md).

Every event a kiosk records comes from ``AuditEvent``: a stable code, a one-line description
and the exact set of fields it carries. Fields tell the story (which election, which scrutin,
which state) and never hold a voter's secret, a choice, a nonce or a key; a unit test checks
the field names against a deny-list, and ``AuditEvent.check_fields`` refuses any other field.

The journal is hash-chained: entry ``seq`` stores ``prev_hash`` (the previous entry's hash, or
32 zero bytes for the first) and

    hash = SHA-256(CHAIN_TAG || prev_hash || canonical_json({seq, at, event, fields}))

so that changing, inserting or removing any entry but the last breaks every later hash, and the
head hash printed on a report pins the whole journal up to it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Final

from kiosk.encoding import EncodingError, canonical_json, strict_json_loads

AuditValue = str | int | bool | None
"""What a field may hold: flat JSON scalars, so that a field cannot smuggle a structure in."""

CHAIN_TAG: Final = b"isoloir/kiosk-audit/v1\x00"
GENESIS_HASH: Final = bytes(32)
HASH_BYTES: Final = 32


@dataclass(frozen=True)
class _Spec:
    code: str
    description: str
    fields: frozenset[str]


def _spec(code: str, description: str, *fields: str) -> _Spec:
    return _Spec(code, description, frozenset(fields))


class AuditEvent(Enum):
    """Everything a kiosk may write to its audit journal. Codes are stable: never reuse one."""

    STORE_CREATED = _spec("store-created", "A new encrypted store was created", "schema_version")
    STORE_OPENED = _spec(
        "store-opened", "The store was opened and passed its checks", "schema_version"
    )
    STORE_MIGRATED = _spec(
        "store-migrated",
        "The store schema was upgraded by one migration",
        "from_version",
        "to_version",
    )
    PACKAGE_LOADED = _spec(
        "package-loaded", "A verified election package was loaded", "election_id", "fingerprint"
    )
    KIOSK_KEY_SET = _spec(
        "kiosk-key-set", "The kiosk signing key was installed", "kiosk_id", "public_key_fingerprint"
    )
    POLLS_CHANGED = _spec("polls-changed", "The polls changed state", "state")
    BALLOT_CAST = _spec(
        "ballot-cast", "A sealed ballot and its émargement were committed", "scrutin_id"
    )
    BALLOT_CHALLENGED = _spec(
        "ballot-challenged", "A voter challenged a ballot, which was spoiled", "scrutin_id"
    )
    VOTE_CODE_REPLACED = _spec(
        "vote-code-replaced", "A voter's vote code was replaced (réassort)", "method"
    )
    CREDENTIAL_LOCKED = _spec(
        "credential-locked", "A credential was locked after failed attempts", "subject_kind"
    )
    CREDENTIAL_UNLOCKED = _spec(
        "credential-unlocked", "An assesseur cleared a credential's failed attempts", "subject_kind"
    )
    REASSORT_TOKEN_SENT = _spec(
        "reassort-token-sent", "A one-time réassort token was handed to the notifier", "channel"
    )
    SESSION_TIMED_OUT = _spec("session-timed-out", "A voter session was reset for inactivity")
    OUTBOX_SYNCED = _spec("outbox-synced", "Sealed ballots changed sync state", "state", "count")
    REPORT_PRINTED = _spec("report-printed", "A polls report was printed", "report")
    # The admin console (kiosk/admin). ``operator`` is an operator's name, never a PIN; a
    # refused login carries no name at all (a PIN typed into the name field must not land here).
    OPERATOR_ADDED = _spec("operator-added", "An operator account was created", "operator", "role")
    OPERATOR_REMOVED = _spec("operator-removed", "An operator account was removed", "operator")
    OPERATOR_PIN_CHANGED = _spec(
        "operator-pin-changed", "An operator's PIN was changed", "operator"
    )
    OPERATOR_LOGIN = _spec(
        "operator-login", "An operator signed in to the admin console", "operator", "role"
    )
    OPERATOR_LOGIN_REFUSED = _spec(
        "operator-login-refused", "An admin console sign-in was refused", "reason"
    )
    OPERATOR_LOCKED = _spec(
        "operator-locked", "An operator was locked out after failed PINs", "operator"
    )
    OPERATOR_UNLOCKED = _spec(
        "operator-unlocked", "An administrator unlocked an operator", "operator", "by"
    )
    VOTER_UNLOCKED = _spec(
        # No identifier: the journal tells who acted and that something was cleared, not whom.
        "voter-unlocked",
        "An operator cleared a voter's failed attempts at the admin console",
        "operator",
        "cleared",
    )
    REASSORT_SUPERVISED = _spec(
        "reassort-supervised",
        "An operator's PIN approved a supervised réassort at the kiosk",
        "operator",
    )
    OPERATOR_RECOVERED = _spec(
        "operator-recovered",
        "An account was recovered with the store key (isoloir admin operator recover)",
        "operator",
        "role",
        "created",
    )
    POLLS_OPENED = _spec("polls-opened", "An operator opened the polls", "operator")
    POLLS_PAUSED = _spec("polls-paused", "An operator paused the polls", "operator")
    POLLS_RESUMED = _spec("polls-resumed", "An operator resumed the polls", "operator")
    POLLS_CLOSED = _spec("polls-closed", "An operator closed the polls", "operator")
    POLLS_REOPENED = _spec(
        "polls-reopened", "An administrator reopened the polls after closing", "operator"
    )
    REPORT_SAVED = _spec(
        "report-saved", "A signed polls report was saved", "report", "reopening", "operator"
    )
    JOURNAL_EXPORTED = _spec(
        "journal-exported", "The audit journal was exported to a file", "entries", "operator"
    )
    DIAGNOSTICS_RUN = _spec(
        "diagnostics-run", "The kiosk diagnostics ran", "failed", "warned", "operator"
    )
    MEDIA_EXPORTED = _spec(
        "media-exported", "Sealed ballots were exported to removable media", "count", "operator"
    )
    PACKAGE_CONFIRMED = _spec(
        "package-confirmed",
        "An operator confirmed a package's fingerprint and loaded it",
        "source",
        "fingerprint",
        "operator",
    )
    KIOSK_ENROLLED = _spec(
        "kiosk-enrolled", "The kiosk enrolled its key with the central server", "kiosk_id"
    )

    @property
    def code(self) -> str:
        return self.value.code

    @property
    def description(self) -> str:
        return self.value.description

    @property
    def fields(self) -> frozenset[str]:
        return self.value.fields

    @classmethod
    def from_code(cls, code: str) -> AuditEvent:
        for event in cls:
            if event.code == code:
                return event
        raise ValueError(f"unknown audit event code {code!r}")

    def check_fields(self, fields: Mapping[str, object]) -> dict[str, AuditValue]:
        """``fields`` as a plain dict when they are exactly this event's, else ``ValueError``."""
        unknown = sorted(set(fields) - self.fields)
        if unknown:
            raise ValueError(f"audit event {self.code!r} does not carry field {unknown[0]!r}")
        missing = sorted(self.fields - set(fields))
        if missing:
            raise ValueError(f"audit event {self.code!r} needs field {missing[0]!r}")
        checked: dict[str, AuditValue] = {}
        for name, value in fields.items():
            if not isinstance(value, str | int | bool) and value is not None:
                # Name the type only: the value itself is exactly what must not leak.
                raise ValueError(
                    f"audit field {name!r} of {self.code!r}: "
                    f"{type(value).__name__} is not a JSON scalar"
                )
            checked[name] = value
        return checked


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str  # kiosk.clock.isoformat_utc
    event: AuditEvent
    fields: Mapping[str, AuditValue]
    prev_hash: bytes
    hash: bytes


@dataclass(frozen=True)
class StoredAuditRow:
    """A journal row as stored, before any check: what ``verify_chain`` reads."""

    seq: int
    at: str
    event_code: str
    fields_json: str
    prev_hash: bytes
    hash: bytes


@dataclass(frozen=True)
class ChainCheck:
    """The verdict on a journal: ``first_broken_seq`` is None when every entry checks out."""

    length: int
    head_hash: bytes
    first_broken_seq: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_broken_seq is None


def chain_hash(
    prev_hash: bytes, seq: int, at: str, event: AuditEvent, fields: Mapping[str, AuditValue]
) -> bytes:
    body = canonical_json({"seq": seq, "at": at, "event": event.code, "fields": dict(fields)})
    return hashlib.sha256(CHAIN_TAG + prev_hash + body).digest()


def fields_json(fields: Mapping[str, AuditValue]) -> str:
    """The stored form of an entry's fields: canonical JSON text."""
    return canonical_json(dict(fields)).decode("utf-8")


def parse_fields(text: str) -> dict[str, object]:
    """The fields object of a stored entry; ``ValueError`` when it is not a JSON object."""
    try:
        parsed = strict_json_loads(text.encode("utf-8"), "audit fields")
    except EncodingError as exc:
        raise ValueError(str(exc)) from None
    if not isinstance(parsed, dict):
        raise ValueError("audit fields: not a JSON object")
    return parsed


def verify_chain(rows: Iterable[StoredAuditRow]) -> ChainCheck:
    """Check every row in ``seq`` order: numbering, links, event, fields and hash."""
    expected_prev = GENESIS_HASH
    length = 0
    for position, row in enumerate(rows, start=1):
        problem = _row_problem(row, position, expected_prev)
        if problem is not None:
            return ChainCheck(length, expected_prev, first_broken_seq=position, reason=problem)
        expected_prev = row.hash
        length = position
    return ChainCheck(length, expected_prev)


def _row_problem(row: StoredAuditRow, position: int, expected_prev: bytes) -> str | None:
    if row.seq != position:
        return f"entry numbered {row.seq} where {position} was expected (an entry is missing)"
    if not hmac.compare_digest(row.prev_hash, expected_prev):
        return "prev_hash does not match the previous entry's hash"
    try:
        event = AuditEvent.from_code(row.event_code)
    except ValueError:
        return f"unknown event code {row.event_code!r}"
    try:
        fields = event.check_fields(parse_fields(row.fields_json))
    except ValueError as exc:
        return str(exc)
    if fields_json(fields) != row.fields_json:
        return "fields are not in canonical form"
    if not hmac.compare_digest(chain_hash(row.prev_hash, row.seq, row.at, event, fields), row.hash):
        return "hash does not match the entry's content"
    return None
