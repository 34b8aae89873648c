"""Removable-media bundles on the kiosk's side (kiosk/bundle): ``export_bundle`` from a real
store with real sealed ballots, the format's strict parser and its checks against the package,
every single-byte change refused, and a Hypothesis fuzz: whatever the bytes, ``parse_bundle``
returns a bundle or raises ``BundleFormatError``, and what it accepts is refused by
``check_bundle`` unless it holds the signed header and items unchanged."""

from __future__ import annotations

import functools
import os
import random
import re
import stat
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.audit import AuditEvent
from kiosk.bundle.codec import (
    BUNDLE_FORMAT,
    MAX_BUNDLE_BYTES,
    Bundle,
    BundleFormatError,
    BundleItem,
    BundleRefusalCode,
    CastWindow,
    check_bundle,
    hash_root,
    parse_bundle,
    seal_bundle,
)
from kiosk.bundle.export import ExportError, export_bundle
from kiosk.clock import ManualClock
from kiosk.crypto.ballot import seal
from kiosk.crypto.context import election_context
from kiosk.crypto.envelope import decode_envelope, encode_envelope, sign_envelope
from kiosk.crypto.receipt import Receipt, verify_receipt
from kiosk.crypto.tracking import tracking_code
from kiosk.election import signing
from kiosk.election.model import ElectionId, KioskId, ListId, ScrutinId, VoterId, VotingWindow
from kiosk.encoding import JsonValue, b64encode, canonical_json, strict_json_loads
from kiosk.store import KioskStore, SyncState
from tests.factories import CLOSES, OPENS
from tests.unit.test_voting_world import KIOSK_ID, open_kiosk, sealed_election

START = OPENS + timedelta(hours=1)
_DATE_OR_TIME = re.compile(rb"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}")


def kiosk_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(sealed_election()[1])


def envelope_for(voter: int, scrutin: str = "cap", *, election: str | None = None) -> bytes:
    """A real sealed envelope of kiosk-01 for voter ``voter``'s first list."""
    package = sealed_election()[0]
    manifest = package.manifest.scrutin(ScrutinId(scrutin))
    ballot = seal(election_context(package), manifest, ListId(manifest.options[0])).cast()
    envelope = sign_envelope(
        kiosk_key(),
        election_id=ElectionId(election or package.manifest.election_id),
        scrutin_id=manifest.id,
        voter_id=VoterId(f"v{voter:04d}"),
        ballot=ballot,
        kiosk_id=KIOSK_ID,
    )
    return encode_envelope(envelope)


def cast_into(store: KioskStore, voter: int, scrutin: str = "cap") -> bytes:
    """Record a real cast in the store as the voting session does; its envelope id."""
    data = envelope_for(voter, scrutin)
    envelope_id = decode_envelope(data).envelope_id
    store.record_cast(VoterId(f"v{voter:04d}"), ScrutinId(scrutin), envelope_id, data)
    return envelope_id


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> Iterator[KioskStore]:
    opened = open_kiosk(tmp_path / "kiosk", clock)
    yield opened
    opened.close()


def read(path: Path) -> Bundle:
    bundle = parse_bundle(path.read_bytes())
    assert check_bundle(bundle, sealed_election()[0]) is None
    return bundle


# ---- export -----------------------------------------------------------------------------------


def test_export_writes_the_ballots_not_yet_accepted_signed_and_marks_them_exported(
    store: KioskStore, tmp_path: Path
) -> None:
    casts = ((0, "cap"), (1, "cap"), (1, "capn"), (3, "capn"))
    ids = [cast_into(store, voter, scrutin) for voter, scrutin in casts]
    store.set_sync_state([ids[0]], SyncState.ACCEPTED)
    store.set_sync_state([ids[1]], SyncState.REJECTED)
    out = tmp_path / "kiosk-01.isoloir-bundle"
    exported = export_bundle(store, out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    bundle = read(out)
    assert out.read_bytes() == bundle.to_bytes()
    assert (bundle.kiosk_id, bundle.election_id) == (KIOSK_ID, "test-2026")
    assert bundle.fingerprint == sealed_election()[0].fingerprint
    held = {decode_envelope(item.envelope).envelope_id for item in bundle.items}
    assert held == set(ids[2:])
    assert exported.newly_exported == 2
    states = {entry.envelope_id: entry.state for entry in store.outbox()}
    assert [states[i] for i in ids] == [SyncState.ACCEPTED, SyncState.REJECTED] + [
        SyncState.EXPORTED
    ] * 2
    assert store.audit_entries()[-1].event is AuditEvent.OUTBOX_SYNCED
    assert store.audit_entries()[-1].fields == {"state": "exported", "count": 2}
    # Each item carries the receipt signature the voter's proof of deposit carries.
    package = sealed_election()[0]
    for item in bundle.items:
        envelope = decode_envelope(item.envelope)
        receipt = Receipt(
            package.fingerprint,
            envelope.scrutin_id,
            tracking_code(envelope.ballot),
            KIOSK_ID,
            item.receipt_signature,
        )
        assert verify_receipt(receipt, signing.public_bytes(kiosk_key()))
        assert item.cast is CastWindow.IN_WINDOW
    assert not list(tmp_path.glob(".*partial"))


def test_exporting_again_repeats_the_exported_ballots_under_the_same_signed_header(
    store: KioskStore, tmp_path: Path
) -> None:
    for voter in range(3):
        cast_into(store, voter)
    first = export_bundle(store, tmp_path / "1.isoloir-bundle").bundle
    again = export_bundle(store, tmp_path / "2.isoloir-bundle")
    assert again.newly_exported == 0
    # The same ballots: the same root and, Ed25519 being deterministic, the same signature,
    # whatever order each shuffle drew.
    assert (again.bundle.root, again.bundle.signature) == (first.root, first.signature)
    assert {i.envelope for i in again.bundle.items} == {i.envelope for i in first.items}
    cast_into(store, 3)
    third = export_bundle(store, tmp_path / "3.isoloir-bundle")
    assert (len(third.bundle.items), third.newly_exported) == (4, 1)
    assert third.bundle.root != first.root


def test_the_bundle_is_shuffled_and_holds_no_time(store: KioskStore, tmp_path: Path) -> None:
    for voter in range(4):
        cast_into(store, voter)
    outbox = [entry.envelope for entry in store.outbox()]
    exported = export_bundle(store, tmp_path / "b", shuffle=random.Random(7).shuffle)
    expected = list(outbox)
    random.Random(7).shuffle(expected)
    assert [item.envelope for item in exported.bundle.items] == expected != outbox
    assert exported.bundle.root == hash_root(reversed(exported.bundle.items))
    assert _DATE_OR_TIME.search((tmp_path / "b").read_bytes()) is None


def test_export_never_overwrites_and_changes_nothing_when_it_cannot_write(
    store: KioskStore, tmp_path: Path
) -> None:
    cast_into(store, 0)
    out = tmp_path / "taken"
    out.write_bytes(b"someone else's file")
    journal = len(store.audit_entries())
    with pytest.raises(ExportError, match="never overwritten"):
        export_bundle(store, out)
    with pytest.raises(ExportError, match="no such folder"):
        export_bundle(store, tmp_path / "missing" / "b")
    assert out.read_bytes() == b"someone else's file"
    assert [e.state for e in store.outbox()] == [SyncState.PENDING]
    assert len(store.audit_entries()) == journal
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kiosk", "taken"]


def test_an_empty_outbox_exports_nothing(store: KioskStore, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="nothing to export"):
        export_bundle(store, tmp_path / "b")
    assert not (tmp_path / "b").exists()


def test_each_ballot_states_whether_it_was_cast_inside_the_window(
    store: KioskStore, clock: ManualClock, tmp_path: Path
) -> None:
    window = VotingWindow(OPENS, CLOSES)
    second = timedelta(seconds=1)
    assert CastWindow.of(OPENS - second, window) is CastWindow.BEFORE_OPENING
    assert CastWindow.of(OPENS, window) is CastWindow.IN_WINDOW
    assert CastWindow.of(CLOSES - second, window) is CastWindow.IN_WINDOW
    assert CastWindow.of(CLOSES, window) is CastWindow.AFTER_CLOSING
    inside = cast_into(store, 0)
    clock.advance(CLOSES - clock.now())  # a kiosk left open: the store itself does not refuse
    late = cast_into(store, 1)
    exported = export_bundle(store, tmp_path / "b")
    stated = {decode_envelope(i.envelope).envelope_id: i.cast for i in exported.bundle.items}
    assert stated == {inside: CastWindow.IN_WINDOW, late: CastWindow.AFTER_CLOSING}
    assert exported.cast_outside_window == 1


# ---- the format and its checks ----------------------------------------------------------------


@functools.cache
def small_bundle(count: int = 2) -> Bundle:
    items = [
        BundleItem(envelope_for(voter), bytes(64), CastWindow.IN_WINDOW) for voter in range(count)
    ]
    package = sealed_election()[0]
    return seal_bundle(
        kiosk_key(),
        election_id=package.manifest.election_id,
        fingerprint=package.fingerprint,
        kiosk_id=KIOSK_ID,
        items=items,
    )


def verdict(data: bytes) -> str | None:
    """None when the bytes are an acceptable bundle, else why not."""
    try:
        bundle = parse_bundle(data)
    except BundleFormatError as exc:
        return f"format: {exc}"
    refusal = check_bundle(bundle, sealed_election()[0])
    return None if refusal is None else refusal.code.value


def test_a_sealed_bundle_reads_back_and_checks() -> None:
    bundle = small_bundle()
    assert parse_bundle(bundle.to_bytes()) == bundle
    assert verdict(bundle.to_bytes()) is None
    assert bundle.to_bytes().startswith(b'{"count":2,"election_id":"test-2026","fingerprint":')
    assert f'"format":"{BUNDLE_FORMAT}"'.encode() in bundle.to_bytes()


def test_every_single_byte_change_is_refused() -> None:
    data = small_bundle().to_bytes()
    for position in range(len(data)):
        for mask in (0x01, 0x20):
            changed = data[:position] + bytes([data[position] ^ mask]) + data[position + 1 :]
            assert verdict(changed) is not None, (position, mask)


def test_removed_added_reordered_and_resigned_bundles() -> None:
    bundle = small_bundle(3)
    package = sealed_election()[0]
    fewer = replace(bundle, items=bundle.items[:2])
    assert verdict(fewer.to_bytes()) == BundleRefusalCode.ROOT_MISMATCH
    extra = BundleItem(envelope_for(5), bytes(64), CastWindow.IN_WINDOW)
    assert verdict(replace(bundle, items=(*bundle.items, extra)).to_bytes()) == "root_mismatch"
    restated = replace(bundle.items[0], cast=CastWindow.AFTER_CLOSING)
    assert verdict(replace(bundle, items=(restated, *bundle.items[1:])).to_bytes()) == (
        "root_mismatch"
    )
    # Another order of the same items is the same bundle: the root is over the sorted hashes.
    assert verdict(replace(bundle, items=bundle.items[::-1]).to_bytes()) is None
    other_key = signing.generate()
    forged = replace(bundle, signature=other_key.sign(bundle.signed_bytes()))
    assert verdict(forged.to_bytes()) == "bad_signature"
    refusal = check_bundle(bundle, replace(package, fingerprint="AAAA-BBBB-CCCC-DDDD"))
    assert refusal is not None
    assert refusal.code is BundleRefusalCode.WRONG_PACKAGE
    # A count that disagrees with the items is a format error, before any check.
    text = bundle.to_bytes().replace(b'{"count":3,', b'{"count":2,', 1)
    assert verdict(text) == "format: bundle.items: 3 items, but count says 2"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"PK\x03\x04" + bytes(100), "a zip archive, not a bundle"),
        (b"", "invalid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"count": 1}', "not in canonical JSON form"),
        (b'{"count":1}', "bundle.format: missing"),
        (b'{"format":1}', "bundle.format: not text is not a format"),
        (b'{"format":"isoloir.bundle/2"}', "'isoloir.bundle/2' is not a format"),
        (b"\xff", "not valid UTF-8"),
    ],
)
def test_what_is_not_a_bundle_says_why(data: bytes, reason: str) -> None:
    with pytest.raises(BundleFormatError, match=re.escape(reason)):
        parse_bundle(data)


def test_a_bundle_over_the_size_limit_is_refused_unread() -> None:
    with pytest.raises(BundleFormatError, match="larger than"):
        parse_bundle(bytes(MAX_BUNDLE_BYTES + 1))


def test_envelopes_of_another_kiosk_or_election_or_twice_are_refused() -> None:
    bundle = small_bundle()
    twice = replace(bundle, items=(bundle.items[0], bundle.items[0]))
    assert verdict(twice.to_bytes()) == (
        "format: bundle.items[1].envelope: this envelope is in the bundle twice"
    )
    elsewhere = BundleItem(envelope_for(0, election="autre-2026"), bytes(64), CastWindow.IN_WINDOW)
    mixed = replace(bundle, items=(bundle.items[0], elsewhere))
    assert "names another election" in (verdict(mixed.to_bytes()) or "")
    with pytest.raises(ValueError, match="another kiosk or election"):
        seal_bundle(
            kiosk_key(),
            election_id=bundle.election_id,
            fingerprint=bundle.fingerprint,
            kiosk_id=KioskId("kiosk-02"),
            items=bundle.items,
        )


# ---- fuzz -------------------------------------------------------------------------------------


SOAK = os.environ.get("ISOLOIR_SOAK") == "1"
FUZZ = settings(
    max_examples=150 * (25 if SOAK else 1),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _parsed_or_refused(data: bytes) -> Bundle | None:
    try:
        return parse_bundle(data)
    except BundleFormatError:
        return None


def _unchanged(parsed: Bundle, original: Bundle) -> bool:
    return parsed.header() == original.header() and {i.item_hash() for i in parsed.items} == {
        i.item_hash() for i in original.items
    }


@FUZZ
@given(st.binary(max_size=4096))
def test_fuzz_any_bytes(data: bytes) -> None:
    _parsed_or_refused(data)


@FUZZ
@given(st.data())
def test_fuzz_a_mutated_bundle_is_refused_or_the_same(data: st.DataObject) -> None:
    original = small_bundle()
    raw = bytearray(original.to_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(raw) - 1))
        match data.draw(st.sampled_from(["flip", "insert", "delete", "truncate", "copy"])):
            case "flip":
                raw[position] ^= data.draw(st.integers(1, 255))
            case "insert":
                raw[position:position] = data.draw(st.binary(min_size=1, max_size=8))
            case "delete":
                del raw[position : position + data.draw(st.integers(1, 64))]
            case "truncate":
                del raw[position:]
            case _:
                end = data.draw(st.integers(position, len(raw)))
                raw[end:end] = raw[position:end]
        if not raw:
            break
    parsed = _parsed_or_refused(bytes(raw))
    if parsed is not None and check_bundle(parsed, sealed_election()[0]) is None:
        assert _unchanged(parsed, original)


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.text(max_size=30))
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@FUZZ
@given(st.data())
def test_fuzz_fields_of_every_type(data: st.DataObject) -> None:
    """A valid bundle's JSON with fields replaced, dropped or added, envelopes included (whose
    bytes are mutated too, so that the envelope and ballot parsers are reached)."""
    original = small_bundle()
    value: dict[str, JsonValue] = strict_json_loads(original.to_bytes(), "bundle")
    target = data.draw(st.sampled_from([*value, "items[0]", "envelope", "extra"]))
    if target == "extra":
        value[data.draw(st.text(max_size=8))] = data.draw(_JSON)
    elif target == "items[0]":
        field = data.draw(st.sampled_from(["cast", "envelope", "receipt_signature", "other"]))
        value["items"][0][field] = data.draw(_JSON)
    elif target == "envelope":
        envelope = bytearray(original.items[0].envelope)
        for _ in range(data.draw(st.integers(1, 3))):
            envelope[data.draw(st.integers(0, len(envelope) - 1))] ^= data.draw(st.integers(1, 255))
        if data.draw(st.booleans()):
            envelope = envelope[: data.draw(st.integers(0, len(envelope)))]
        value["items"][0]["envelope"] = b64encode(bytes(envelope))
    elif data.draw(st.booleans()):
        del value[target]
    else:
        value[target] = data.draw(_JSON)
    parsed = _parsed_or_refused(canonical_json(value))
    if parsed is not None and check_bundle(parsed, sealed_election()[0]) is None:
        assert _unchanged(parsed, original)
