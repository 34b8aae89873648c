"""The kiosk's signed émargement certificate: this voter voted in this scrutin (docs/receipts.md).

    payload = "isoloir-emargement/1" SP fingerprint SP scrutin_id SP kiosk_id SP time
              SP b64url(name) SP sig
    sig     = base64url-nopad( Ed25519(kiosk key, tagged("emargement", fingerprint, scrutin_id,
                                                         kiosk_id, time, name)) )

``time`` is UTC to the second, ``YYYY-MM-DDTHH:MM:SSZ``; ``name`` is the voter's display name
(UTF-8, NFC), carried in the payload as unpadded base64url so that the payload stays printable
ASCII. Never the tracking code nor the choice: the certificate names the voter, so it must say
nothing of the ballot. The tag ``emargement`` keeps this signature apart from the envelope's
(docs/protocol.md §11), the receipt's (§12) and the challenge slip's (§10), made by the same key.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.crypto.hashing import tagged
from kiosk.election.model import ID_PATTERN, KioskId, ScrutinId

EMARGEMENT_HEADER: Final = "isoloir-emargement/1"
EMARGEMENT_TAG: Final = "emargement"
MAX_NAME_CHARS: Final = 200
_FINGERPRINT = re.compile(r"[A-Z2-7]{4}(?:-[A-Z2-7]{4}){3}")  # election/package.py fingerprint
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_TIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"
_SIGNATURE_CHARS: Final = 86  # 64 bytes in unpadded base64url


class EmargementFormatError(ValueError):
    """A payload that is not a canonical émargement certificate."""


@dataclass(frozen=True)
class Emargement:
    """The signed facts of one émargement: who voted, in which scrutin, when, at which kiosk."""

    election_fingerprint: str
    scrutin_id: ScrutinId
    kiosk_id: KioskId
    voted_at: datetime  # UTC, whole seconds
    voter_name: str
    signature: bytes

    @property
    def timestamp(self) -> str:
        return self.voted_at.strftime(_TIME_FORMAT)

    def signed_bytes(self) -> bytes:
        return tagged(
            EMARGEMENT_TAG,
            self.election_fingerprint,
            self.scrutin_id,
            self.kiosk_id,
            self.timestamp,
            self.voter_name,
        )

    def __repr__(self) -> str:  # public on paper, still kept out of logs
        return f"Emargement(scrutin_id={self.scrutin_id!r}, kiosk_id={self.kiosk_id!r})"


def sign_emargement(
    kiosk_key: Ed25519PrivateKey,
    *,
    election_fingerprint: str,
    scrutin_id: ScrutinId,
    kiosk_id: KioskId,
    voted_at: datetime,
    voter_name: str,
) -> Emargement:
    """The kiosk's certificate; ``voted_at`` (aware) is kept in UTC to the second."""
    if voted_at.tzinfo is None or voted_at.utcoffset() is None:
        raise ValueError("émargement: the time must be an aware datetime")
    name = unicodedata.normalize("NFC", " ".join(voter_name.split()))
    _check_fields(election_fingerprint, scrutin_id, kiosk_id, name, ValueError)
    unsigned = Emargement(
        election_fingerprint,
        scrutin_id,
        kiosk_id,
        voted_at.astimezone(UTC).replace(microsecond=0),
        name,
        b"",
    )
    return replace(unsigned, signature=kiosk_key.sign(unsigned.signed_bytes()))


def verify_emargement(emargement: Emargement, kiosk_public_key: bytes) -> bool:
    """True when the kiosk whose Ed25519 public key is given signed exactly these fields."""
    try:
        Ed25519PublicKey.from_public_bytes(kiosk_public_key).verify(
            emargement.signature, emargement.signed_bytes()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def encode_emargement(emargement: Emargement) -> bytes:
    """The QR payload, printable ASCII."""
    fields = (
        EMARGEMENT_HEADER,
        emargement.election_fingerprint,
        emargement.scrutin_id,
        emargement.kiosk_id,
        emargement.timestamp,
        _b64url(emargement.voter_name.encode("utf-8")),
        _b64url(emargement.signature),
    )
    return " ".join(fields).encode("ascii")


def decode_emargement(payload: bytes) -> Emargement:
    """Parse a scanned payload strictly, else ``EmargementFormatError``; signature not checked."""
    try:
        text = payload.decode("ascii")
    except UnicodeDecodeError:
        raise EmargementFormatError("not an émargement certificate") from None
    parts = text.split(" ")
    if len(parts) != 7 or parts[0] != EMARGEMENT_HEADER:
        raise EmargementFormatError("not an émargement certificate")
    _, fingerprint, scrutin, kiosk, timestamp, name_text, signature_text = parts
    if not _TIME.fullmatch(timestamp):
        raise EmargementFormatError("émargement: invalid time")
    try:
        voted_at = datetime.strptime(timestamp, _TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise EmargementFormatError("émargement: invalid time") from None
    try:
        name = _unb64url(name_text, None).decode("utf-8")
    except UnicodeDecodeError:
        raise EmargementFormatError("émargement: invalid name") from None
    _check_fields(fingerprint, scrutin, kiosk, name, EmargementFormatError)
    if unicodedata.normalize("NFC", " ".join(name.split())) != name:
        raise EmargementFormatError("émargement: invalid name")
    signature = _unb64url(signature_text, _SIGNATURE_CHARS)
    return Emargement(fingerprint, ScrutinId(scrutin), KioskId(kiosk), voted_at, name, signature)


def _check_fields(
    fingerprint: str, scrutin: str, kiosk: str, name: str, error: type[ValueError]
) -> None:
    if not _FINGERPRINT.fullmatch(fingerprint):
        raise error("émargement: invalid election fingerprint")
    if not ID_PATTERN.fullmatch(scrutin) or not ID_PATTERN.fullmatch(kiosk):
        raise error("émargement: invalid scrutin or kiosk id")
    if not 1 <= len(name) <= MAX_NAME_CHARS or not name.isprintable():
        raise error("émargement: invalid name")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str, length: int | None) -> bytes:
    """Canonical unpadded base64url only: one encoding per value."""
    if length is not None and len(text) != length:
        raise EmargementFormatError("émargement: invalid encoding")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise EmargementFormatError("émargement: invalid encoding") from None
    if not text or _b64url(data) != text:
        raise EmargementFormatError("émargement: invalid encoding")
    return data
