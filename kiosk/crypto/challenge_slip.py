"""The kiosk's signature on a challenged ballot's slip (docs/protocol.md §10).

    signed = tagged("challenge-slip", fingerprint, scrutin_id, tracking_code, kiosk_id,
                    master_nonce, choice)
    sig    = Ed25519(kiosk key, signed)

The slip states, under the kiosk's key, that the ballot with this tracking code opens to this
choice under this N: should ``check_challenge`` refuse it, the voter holds the kiosk's own signed
word, not a paper anyone could have printed. The tag keeps this signature apart from the
envelope's (§11) and the receipt's (§12), made by the same key: no message signed as one kind
reads as another. Only a ``ChallengedBallot``, whose pending ballot is spent and can never be
cast, can be signed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.crypto.ballot import MASTER_NONCE_BYTES, ChallengedBallot
from kiosk.crypto.hashing import tagged
from kiosk.crypto.tracking import TrackingCode, tracking_code
from kiosk.election.model import ID_PATTERN, KioskId, ListId, ScrutinId

CHALLENGE_SLIP_TAG: Final = "challenge-slip"
_FINGERPRINT = re.compile(r"[A-Z2-7]{4}(?:-[A-Z2-7]{4}){3}")  # election/package.py fingerprint


@dataclass(frozen=True)
class ChallengeSlip:
    """The signed facts of one challenged ballot (docs/protocol.md §10)."""

    election_fingerprint: str
    scrutin_id: ScrutinId
    tracking_code: TrackingCode
    kiosk_id: KioskId
    master_nonce: bytes
    choice: ListId
    signature: bytes

    def signed_bytes(self) -> bytes:
        return tagged(
            CHALLENGE_SLIP_TAG,
            self.election_fingerprint,
            self.scrutin_id,
            self.tracking_code,
            self.kiosk_id,
            self.master_nonce,
            self.choice,
        )

    def __repr__(self) -> str:  # public on paper, still kept out of logs
        return f"ChallengeSlip(scrutin_id={self.scrutin_id!r}, kiosk_id={self.kiosk_id!r})"


def sign_challenge_slip(
    kiosk_key: Ed25519PrivateKey,
    challenged: ChallengedBallot,
    *,
    election_fingerprint: str,
    kiosk_id: KioskId,
) -> ChallengeSlip:
    """The kiosk's signed statement of how ``challenged`` was sealed (docs/protocol.md §10)."""
    if not _FINGERPRINT.fullmatch(election_fingerprint):
        raise ValueError("challenge slip: invalid election fingerprint")
    if not ID_PATTERN.fullmatch(kiosk_id):
        raise ValueError("challenge slip: invalid kiosk id")
    unsigned = ChallengeSlip(
        election_fingerprint,
        challenged.ballot.scrutin_id,
        tracking_code(challenged.ballot),
        kiosk_id,
        challenged.master_nonce,
        challenged.choice,
        b"",
    )
    return replace(unsigned, signature=kiosk_key.sign(unsigned.signed_bytes()))


def verify_challenge_slip(slip: ChallengeSlip, kiosk_public_key: bytes) -> bool:
    """True when the kiosk whose Ed25519 public key is given signed exactly these fields."""
    if len(slip.master_nonce) != MASTER_NONCE_BYTES:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(kiosk_public_key).verify(
            slip.signature, slip.signed_bytes()
        )
    except (InvalidSignature, ValueError):
        return False
    return True
