"""The audit-event catalog and the journal's hash chain (kiosk/audit.py)."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace

import pytest

from kiosk import audit
from kiosk.audit import AuditEvent, StoredAuditRow

# Words that name a secret, a choice or key material: no catalog field may be called so.
DENIED_WORDS = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "answer",
        "numen",
        "nonce",
        "nonces",
        "choice",
        "choices",
        "secret",
        "secrets",
        "plaintext",
        "token",
        "otp",
        "pin",
        "seed",
    }
)
DENIED_PAIRS = frozenset(
    {("vote", "code"), ("private", "key"), ("secret", "key"), ("reset", "code")}
)


def denied(field: str) -> bool:
    """Whole ``_``-separated segments, so ``kiosk_id`` and ``public_key_fingerprint`` pass."""
    parts = field.lower().split("_")
    if any(part in DENIED_WORDS for part in parts):
        return True
    if any(pair in DENIED_PAIRS for pair in itertools.pairwise(parts)):
        return True
    if field.lower() in {"code", "key"}:
        return True
    # "key" names key material unless it is a public key ("public_key_fingerprint").
    return any(
        part in {"key", "keys"} and parts[i - 1 : i] != ["public"] for i, part in enumerate(parts)
    )


@pytest.mark.parametrize(
    "name",
    ["vote_code", "password", "secret_answer", "numen", "nonce", "private_key", "key", "choice"],
)
def test_the_deny_list_catches_secret_names(name: str) -> None:
    assert denied(name)


@pytest.mark.parametrize(
    "name", ["kiosk_id", "public_key_fingerprint", "scrutin_id", "fingerprint", "state"]
)
def test_the_deny_list_lets_harmless_names_through(name: str) -> None:
    assert not denied(name)


def test_no_catalog_field_names_a_secret() -> None:
    offending = sorted(f"{e.code}.{f}" for e in AuditEvent for f in e.fields if denied(f))
    assert offending == []


def test_codes_are_unique_stable_kebab_case_and_described_in_one_line() -> None:
    codes = [event.code for event in AuditEvent]
    assert len(codes) == len(set(codes))
    for event in AuditEvent:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", event.code)
        assert event.description
        assert "\n" not in event.description
        assert isinstance(event.fields, frozenset)
        assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", f) for f in event.fields)


def test_the_catalog_holds_what_the_store_records() -> None:
    assert AuditEvent.PACKAGE_LOADED.fields == {"election_id", "fingerprint"}
    assert AuditEvent.KIOSK_KEY_SET.fields == {"kiosk_id", "public_key_fingerprint"}
    assert AuditEvent.POLLS_CHANGED.fields == {"state"}
    assert AuditEvent.BALLOT_CAST.fields == {"scrutin_id"}
    assert AuditEvent.from_code("ballot-cast") is AuditEvent.BALLOT_CAST
    with pytest.raises(ValueError, match="unknown audit event code"):
        AuditEvent.from_code("nope")


def test_an_undeclared_field_is_refused() -> None:
    with pytest.raises(ValueError, match="does not carry field 'voter_id'"):
        AuditEvent.BALLOT_CAST.check_fields({"scrutin_id": "cap", "voter_id": "v0001"})


def test_a_missing_field_is_refused() -> None:
    with pytest.raises(ValueError, match="needs field 'fingerprint'"):
        AuditEvent.PACKAGE_LOADED.check_fields({"election_id": "e"})


def test_a_structured_value_is_refused_without_quoting_it() -> None:
    with pytest.raises(ValueError, match="is not a JSON scalar") as caught:
        AuditEvent.POLLS_CHANGED.check_fields({"state": ["hunter2"]})
    assert "hunter2" not in str(caught.value)


def _journal(length: int) -> list[StoredAuditRow]:
    rows = []
    prev = audit.GENESIS_HASH
    for seq in range(1, length + 1):
        fields = {"scrutin_id": f"s{seq}"}
        at = f"2026-12-01T08:00:{seq:02d}Z"
        digest = audit.chain_hash(prev, seq, at, AuditEvent.BALLOT_CAST, fields)
        rows.append(StoredAuditRow(seq, at, "ballot-cast", audit.fields_json(fields), prev, digest))
        prev = digest
    return rows


def test_an_intact_chain_verifies() -> None:
    rows = _journal(5)
    check = audit.verify_chain(rows)
    assert check.ok
    assert check.length == 5
    assert check.head_hash == rows[-1].hash
    assert audit.verify_chain([]).ok


def test_changed_fields_break_the_chain_at_that_entry() -> None:
    rows = _journal(5)
    rows[2] = replace(rows[2], fields_json='{"scrutin_id":"other"}')
    check = audit.verify_chain(rows)
    assert check.first_broken_seq == 3
    assert check.reason is not None
    assert "hash" in check.reason


def test_a_removed_entry_breaks_the_chain() -> None:
    rows = _journal(5)
    del rows[1]
    assert audit.verify_chain(rows).first_broken_seq == 2


def test_a_relinked_entry_breaks_the_chain() -> None:
    rows = _journal(3)
    rows[1] = replace(rows[1], prev_hash=bytes(32))
    assert audit.verify_chain(rows).first_broken_seq == 2


def test_non_canonical_or_foreign_content_breaks_the_chain() -> None:
    rows = _journal(2)
    spaced = replace(rows[1], fields_json='{"scrutin_id": "s2"}')
    assert audit.verify_chain([rows[0], spaced]).first_broken_seq == 2
    unknown = replace(rows[1], event_code="ballot-revealed")
    assert audit.verify_chain([rows[0], unknown]).first_broken_seq == 2
    smuggled = replace(rows[1], fields_json='{"scrutin_id":"s2","choice":"l1"}')
    assert audit.verify_chain([rows[0], smuggled]).first_broken_seq == 2
