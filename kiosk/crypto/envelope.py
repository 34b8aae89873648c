"""The envelope a kiosk signs around a cast ballot (docs/protocol.md §11).

    signed  = tagged("envelope", envelope_id, election_id, scrutin_id, voter_id, ballot, kiosk_id)
    wire    = signed || frame(signature)        signature = Ed25519(kiosk key, signed)

The envelope carries the voter id to the server (émargement); the server strips it before the
ballot reaches the public board. Kiosk and server hold no decryption key.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.crypto.ballot import BallotFormatError, SealedBallot, decode_ballot, encode_ballot
from kiosk.crypto.hashing import PROTOCOL_PREFIX, frame, tagged
from kiosk.election.model import ID_PATTERN_BYTES, ElectionId, KioskId, ScrutinId, VoterId

ENVELOPE_TAG: Final = "envelope"
ENVELOPE_ID_BYTES: Final = 16
SIGNATURE_BYTES: Final = 64
_FIELDS: Final = 8  # tag, six values, signature
_TAG_BYTES: Final = (PROTOCOL_PREFIX + ENVELOPE_TAG).encode("ascii")


class EnvelopeFormatError(ValueError):
    """Bytes that are not a canonical envelope (docs/protocol.md §11)."""


@dataclass(frozen=True)
class Envelope:
    """A cast ballot as the kiosk sends it (docs/protocol.md §11)."""

    envelope_id: bytes
    election_id: ElectionId
    scrutin_id: ScrutinId
    voter_id: VoterId
    ballot: SealedBallot
    kiosk_id: KioskId
    signature: bytes

    def __repr__(self) -> str:  # no voter reference in logs or tracebacks
        return f"Envelope(id={self.envelope_id.hex()}, kiosk_id={self.kiosk_id!r})"

    def signed_bytes(self) -> bytes:
        return _signed_bytes(
            self.envelope_id,
            self.election_id,
            self.scrutin_id,
            self.voter_id,
            encode_ballot(self.ballot),
            self.kiosk_id,
        )


def _signed_bytes(
    envelope_id: bytes, election: str, scrutin: str, voter: str, ballot: bytes, kiosk: str
) -> bytes:
    return tagged(ENVELOPE_TAG, envelope_id, election, scrutin, voter, ballot, kiosk)


def sign_envelope(
    kiosk_key: Ed25519PrivateKey,
    *,
    election_id: ElectionId,
    scrutin_id: ScrutinId,
    voter_id: VoterId,
    ballot: SealedBallot,
    kiosk_id: KioskId,
    envelope_id: bytes | None = None,
) -> Envelope:
    """Wrap and sign ``ballot``; ``envelope_id`` is 16 fresh random bytes unless given."""
    new_id = secrets.token_bytes(ENVELOPE_ID_BYTES) if envelope_id is None else envelope_id
    if len(new_id) != ENVELOPE_ID_BYTES:
        raise ValueError("an envelope id is 16 bytes")
    ids = (
        ("election", election_id),
        ("scrutin", scrutin_id),
        ("voter", voter_id),
        ("kiosk", kiosk_id),
    )
    for name, value in ids:
        if not ID_PATTERN_BYTES.fullmatch(value.encode("utf-8")):
            raise ValueError(f"invalid {name} id for an envelope")
    if ballot.scrutin_id != scrutin_id:
        raise ValueError("the ballot belongs to another scrutin")
    unsigned = Envelope(new_id, election_id, scrutin_id, voter_id, ballot, kiosk_id, b"")
    return Envelope(
        new_id,
        election_id,
        scrutin_id,
        voter_id,
        ballot,
        kiosk_id,
        kiosk_key.sign(unsigned.signed_bytes()),
    )


def verify_envelope(envelope: Envelope, kiosk_public_key: bytes) -> bool:
    """True when the kiosk whose Ed25519 public key is given signed exactly this envelope."""
    try:
        Ed25519PublicKey.from_public_bytes(kiosk_public_key).verify(
            envelope.signature, envelope.signed_bytes()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def encode_envelope(envelope: Envelope) -> bytes:
    """The canonical bytes: the signed bytes, then the framed signature (§11)."""
    return envelope.signed_bytes() + frame(envelope.signature)


def decode_envelope(data: bytes) -> Envelope:
    """Parse untrusted bytes strictly, else ``EnvelopeFormatError``; the signature is not checked.

    The ballot inside is parsed strictly too (docs/protocol.md §9) and must name the same scrutin.
    """
    fields = _unframe(data)
    if len(fields) != _FIELDS or fields[0] != _TAG_BYTES:
        raise EnvelopeFormatError("not an envelope")
    _, envelope_id, election, scrutin, voter, ballot_bytes, kiosk, signature = fields
    if len(envelope_id) != ENVELOPE_ID_BYTES:
        raise EnvelopeFormatError("envelope: the id is not 16 bytes")
    ids = (("election", election), ("scrutin", scrutin), ("voter", voter), ("kiosk", kiosk))
    for name, value in ids:
        if not ID_PATTERN_BYTES.fullmatch(value):
            raise EnvelopeFormatError(f"envelope: invalid {name} id")
    if len(signature) != SIGNATURE_BYTES:
        raise EnvelopeFormatError("envelope: the signature is not 64 bytes")
    try:
        ballot = decode_ballot(ballot_bytes)
    except BallotFormatError as exc:
        raise EnvelopeFormatError(f"envelope: {exc}") from None
    if ballot.scrutin_id != scrutin.decode("ascii"):
        raise EnvelopeFormatError("envelope: the ballot belongs to another scrutin")
    return Envelope(
        envelope_id=envelope_id,
        election_id=ElectionId(election.decode("ascii")),
        scrutin_id=ScrutinId(scrutin.decode("ascii")),
        voter_id=VoterId(voter.decode("ascii")),
        ballot=ballot,
        kiosk_id=KioskId(kiosk.decode("ascii")),
        signature=signature,
    )


def _unframe(data: bytes) -> list[bytes]:
    """Split length-prefixed fields (8-byte big-endian lengths), refusing any leftover byte."""
    fields: list[bytes] = []
    offset = 0
    while offset < len(data):
        if len(fields) == _FIELDS or offset + 8 > len(data):
            raise EnvelopeFormatError("not an envelope")
        length = int.from_bytes(data[offset : offset + 8], "big")
        offset += 8
        if length > len(data) - offset:
            raise EnvelopeFormatError("not an envelope")
        fields.append(data[offset : offset + length])
        offset += length
    return fields
