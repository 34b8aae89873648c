"""The kiosk-signed challenge slip and its check (docs/protocol.md §10, §15.5)."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.crypto import group
from kiosk.crypto.ballot import challenge, seal
from kiosk.crypto.challenge_slip import sign_challenge_slip, verify_challenge_slip
from kiosk.crypto.context import election_context
from kiosk.crypto.envelope import sign_envelope
from kiosk.crypto.hashing import digest, frame
from kiosk.crypto.receipt import sign_receipt
from kiosk.crypto.tracking import tracking_code
from kiosk.election import package, signing
from kiosk.election.model import (
    ElectionId,
    ElectionKey,
    ElectionPackage,
    KioskId,
    ListId,
    ScrutinId,
    TrusteeCommitments,
    TrusteeId,
    VoterId,
)
from kiosk.encoding import canonical_json
from kiosk.verifier.ballots import PrintedSlip, SlipError, check_slip, parse_slip, slip_of
from tests.factories import small_package

KIOSK_KEY = Ed25519PrivateKey.from_private_bytes(digest("test", "slip kiosk key")[:32])
KIOSK_PUBLIC = KIOSK_KEY.public_key().public_bytes_raw()
KIOSK = KioskId("kiosk-01")
WHERE = Path("slip.json")


def sealed_package(kiosk_key: Ed25519PrivateKey = KIOSK_KEY) -> ElectionPackage:
    """``small_package`` with an election key of three trustees (no ceremony: not a tally)."""
    organizer = signing.generate()
    unsealed = small_package(organizer, kiosk_key=kiosk_key)
    commitments = [[group.base_mul(group.random_scalar()) for _ in range(2)] for _ in range(3)]
    joint = group.add(group.add(commitments[0][0], commitments[1][0]), commitments[2][0])
    key = ElectionKey(
        joint,
        2,
        tuple(
            TrusteeCommitments(TrusteeId(f"t{i}"), tuple(c)) for i, c in enumerate(commitments, 1)
        ),
    )
    return package.resign(unsealed, replace(unsealed.manifest, election_key=key), organizer)


@pytest.fixture(scope="module")
def election() -> ElectionPackage:
    return sealed_package()


def challenged_slip(election: ElectionPackage) -> PrintedSlip:
    scrutin = election.manifest.scrutin(ScrutinId("capn"))
    opened = challenge(seal(election_context(election), scrutin, ListId("l1")))
    return slip_of(opened, election.fingerprint, kiosk_id=KIOSK, kiosk_key=KIOSK_KEY)


# ---- the signature (crypto/challenge_slip.py) --------------------------------------------------


def test_a_slip_is_signed_over_exactly_its_fields(election: ElectionPackage) -> None:
    slip = challenged_slip(election).slip
    assert verify_challenge_slip(slip, KIOSK_PUBLIC)
    assert slip.signed_bytes() == frame(
        "isoloir/v1/challenge-slip",
        slip.election_fingerprint,
        slip.scrutin_id,
        slip.tracking_code,
        slip.kiosk_id,
        slip.master_nonce,
        slip.choice,
    )
    scrutin = election.manifest.scrutin(ScrutinId("capn"))
    other_code = tracking_code(seal(election_context(election), scrutin, ListId("l1")).ballot)
    for change in (
        {"election_fingerprint": "ABCD-EFGH-IJKL-MNOQ"},
        {"scrutin_id": "cap"},
        {"tracking_code": other_code},
        {"kiosk_id": "kiosk-02"},
        {"master_nonce": bytes(32)},
        {"master_nonce": slip.master_nonce[:31]},
        {"choice": "l0"},
        {"signature": bytes(64)},
    ):
        assert not verify_challenge_slip(replace(slip, **change), KIOSK_PUBLIC), change
    assert not verify_challenge_slip(slip, signing.public_bytes(signing.generate()))
    assert not verify_challenge_slip(slip, b"short")
    assert slip.master_nonce.hex() not in repr(slip)
    assert "l1" not in repr(slip)


def test_only_a_challenged_ballot_can_be_signed_and_the_fields_are_checked(
    election: ElectionPackage,
) -> None:
    scrutin = election.manifest.scrutin(ScrutinId("cap"))
    pending = seal(election_context(election), scrutin, ListId("l0"))
    pending.cast()
    with pytest.raises(RuntimeError, match="already cast"):
        challenge(pending)  # a cast ballot yields no opening, hence no slip
    opened = challenge(seal(election_context(election), scrutin, ListId("l0")))
    with pytest.raises(ValueError, match="fingerprint"):
        sign_challenge_slip(KIOSK_KEY, opened, election_fingerprint="nope", kiosk_id=KIOSK)
    with pytest.raises(ValueError, match="kiosk id"):
        sign_challenge_slip(
            KIOSK_KEY, opened, election_fingerprint=election.fingerprint, kiosk_id=KioskId("K 1")
        )


def test_slip_receipt_and_envelope_signatures_are_domain_separated(
    election: ElectionPackage,
) -> None:
    """One kiosk key signs all three: none of its signatures passes as another kind."""
    scrutin = election.manifest.scrutin(ScrutinId("capn"))
    opened = challenge(seal(election_context(election), scrutin, ListId("l2")))
    slip = sign_challenge_slip(
        KIOSK_KEY, opened, election_fingerprint=election.fingerprint, kiosk_id=KIOSK
    )
    receipt = sign_receipt(
        KIOSK_KEY,
        election_fingerprint=slip.election_fingerprint,
        scrutin_id=slip.scrutin_id,
        tracking_code=slip.tracking_code,
        kiosk_id=slip.kiosk_id,
    )
    envelope = sign_envelope(
        KIOSK_KEY,
        election_id=ElectionId("test-2026"),
        scrutin_id=slip.scrutin_id,
        voter_id=VoterId("v0001"),
        ballot=opened.ballot,
        kiosk_id=KIOSK,
    )
    assert not verify_challenge_slip(replace(slip, signature=receipt.signature), KIOSK_PUBLIC)
    assert not verify_challenge_slip(replace(slip, signature=envelope.signature), KIOSK_PUBLIC)
    tags = {
        message[8 : 8 + int.from_bytes(message[:8], "big")]
        for message in (slip.signed_bytes(), receipt.signed_bytes(), envelope.signed_bytes())
    }
    assert tags == {b"isoloir/v1/challenge-slip", b"isoloir/v1/receipt", b"isoloir/v1/envelope"}


# ---- the printed slip and its check (verifier/ballots.py) --------------------------------------


def test_a_signed_slip_round_trips_and_every_check_passes(election: ElectionPackage) -> None:
    printed = challenged_slip(election)
    data = printed.to_json()
    assert json.loads(data)["schema"] == "isoloir.challenge-slip/2"
    assert set(json.loads(data)) == {
        "schema", "election_fingerprint", "scrutin_id", "ballot", "tracking_code", "kiosk_id",
        "choice", "master_nonce", "signature",
    }  # fmt: skip
    assert parse_slip(data) == printed
    assert parse_slip(base64.b64encode(data)) == printed
    report = check_slip(election, printed, [], WHERE)
    assert report.passed, report.lines()
    assert [c.name for c in report.checks] == [
        "election", "kiosk-signature", "ballot", "tracking-code", "opening", "not-cast",
    ]  # fmt: skip


def test_a_slip_signed_by_no_kiosk_of_the_election_fails_its_signature_check(
    election: ElectionPackage,
) -> None:
    printed = challenged_slip(election)
    stranger = Ed25519PrivateKey.generate()
    forged = replace(
        printed,
        slip=replace(printed.slip, signature=stranger.sign(printed.slip.signed_bytes())),
    )
    report = check_slip(election, forged, None, WHERE)
    assert report.failed == ("kiosk-signature",)
    assert "invalid signature" in report.check("kiosk-signature").detail
    unlisted = replace(printed, slip=replace(printed.slip, kiosk_id=KioskId("kiosk-09")))
    report = check_slip(election, unlisted, None, WHERE)
    assert report.failed == ("kiosk-signature",)
    assert "kiosk-09 is not listed" in report.check("kiosk-signature").detail
    # a lie about the choice breaks both the signature and the opening
    lie = replace(printed, slip=replace(printed.slip, choice=ListId("l0")))
    assert check_slip(election, lie, None, WHERE).failed == ("kiosk-signature", "opening")


def test_a_signed_lie_is_caught_by_the_opening_and_is_evidence(
    election: ElectionPackage,
) -> None:
    """The kiosk encrypted l0 and signed a slip saying l1: the signature holds, the opening not."""
    scrutin = election.manifest.scrutin(ScrutinId("capn"))
    opened = challenge(seal(election_context(election), scrutin, ListId("l0")))
    lying = replace(opened, choice=ListId("l1"))
    printed = slip_of(lying, election.fingerprint, kiosk_id=KIOSK, kiosk_key=KIOSK_KEY)
    report = check_slip(election, printed, None, WHERE)
    assert report.failed == ("opening",)


def test_slip_parsing_is_strict(election: ElectionPackage) -> None:
    document = json.loads(challenged_slip(election).to_json())
    unsigned_v1 = {k: v for k, v in document.items() if k not in ("kiosk_id", "signature")}
    unsigned_v1["schema"] = "isoloir.challenge-slip/1"
    bad = [
        unsigned_v1,
        {k: v for k, v in document.items() if k != "signature"},
        {k: v for k, v in document.items() if k != "kiosk_id"},
        {**document, "signature": base64.b64encode(bytes(63)).decode()},
        {**document, "master_nonce": document["master_nonce"][:-2]},
        {**document, "kiosk_id": "Kiosk 1"},
        {**document, "extra": 1},
    ]
    for value in bad:
        with pytest.raises(SlipError):
            parse_slip(canonical_json(value))
    with pytest.raises(SlipError):
        parse_slip(b"not json")


def test_a_slip_checked_against_another_election_fails(election: ElectionPackage) -> None:
    other = sealed_package(Ed25519PrivateKey.generate())
    report = check_slip(other, challenged_slip(election), None, WHERE)
    assert report.failed == ("election", "kiosk-signature", "opening")
