"""The receipt payload a kiosk signs and prints as a QR code (docs/protocol.md §12).

    payload = "isoloir-receipt/1" SP fingerprint SP scrutin_id SP tracking_code SP kiosk_id SP sig
    sig     = base64url-nopad( Ed25519(kiosk key, tagged("receipt", fingerprint, scrutin_id,
                                                         tracking_code, kiosk_id)) )

Exactly those fields, a whitelist: never the choice, the voter, a nonce or a time. Printable ASCII
so that any phone shows it; parsing forgives nothing.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.crypto.hashing import tagged
from kiosk.crypto.tracking import TrackingCode, is_canonical_tracking_code
from kiosk.election.model import ID_PATTERN, KioskId, ScrutinId

RECEIPT_HEADER: Final = "isoloir-receipt/1"
RECEIPT_TAG: Final = "receipt"
_FINGERPRINT = re.compile(r"[A-Z2-7]{4}(?:-[A-Z2-7]{4}){3}")  # election/package.py fingerprint
_SIGNATURE_CHARS: Final = 86  # 64 bytes in unpadded base64url


class ReceiptFormatError(ValueError):
    """A payload that is not a canonical receipt (docs/protocol.md §12)."""


@dataclass(frozen=True)
class Receipt:
    """The whitelisted, signed facts of one cast (docs/protocol.md §12)."""

    election_fingerprint: str
    scrutin_id: ScrutinId
    tracking_code: TrackingCode
    kiosk_id: KioskId
    signature: bytes

    def signed_bytes(self) -> bytes:
        return tagged(
            RECEIPT_TAG,
            self.election_fingerprint,
            self.scrutin_id,
            self.tracking_code,
            self.kiosk_id,
        )


def sign_receipt(
    kiosk_key: Ed25519PrivateKey,
    *,
    election_fingerprint: str,
    scrutin_id: ScrutinId,
    tracking_code: TrackingCode,
    kiosk_id: KioskId,
) -> Receipt:
    _check_fields(election_fingerprint, scrutin_id, tracking_code, kiosk_id, ValueError)
    unsigned = Receipt(election_fingerprint, scrutin_id, tracking_code, kiosk_id, b"")
    return Receipt(
        election_fingerprint,
        scrutin_id,
        tracking_code,
        kiosk_id,
        kiosk_key.sign(unsigned.signed_bytes()),
    )


def verify_receipt(receipt: Receipt, kiosk_public_key: bytes) -> bool:
    """True when the kiosk whose Ed25519 public key is given signed exactly these fields."""
    try:
        Ed25519PublicKey.from_public_bytes(kiosk_public_key).verify(
            receipt.signature, receipt.signed_bytes()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def encode_receipt(receipt: Receipt) -> bytes:
    """The QR payload (docs/protocol.md §12)."""
    signature = base64.urlsafe_b64encode(receipt.signature).rstrip(b"=").decode("ascii")
    fields = (
        RECEIPT_HEADER,
        receipt.election_fingerprint,
        receipt.scrutin_id,
        receipt.tracking_code,
        receipt.kiosk_id,
        signature,
    )
    return " ".join(fields).encode("ascii")


def decode_receipt(payload: bytes) -> Receipt:
    """Parse a scanned payload strictly, else ``ReceiptFormatError``; signature not checked."""
    try:
        text = payload.decode("ascii")
    except UnicodeDecodeError:
        raise ReceiptFormatError("not a receipt") from None
    parts = text.split(" ")
    if len(parts) != 6 or parts[0] != RECEIPT_HEADER:
        raise ReceiptFormatError("not a receipt")
    _, fingerprint, scrutin, tracking, kiosk, signature_text = parts
    _check_fields(fingerprint, scrutin, tracking, kiosk, ReceiptFormatError)
    signature = _signature(signature_text)
    return Receipt(
        fingerprint, ScrutinId(scrutin), TrackingCode(tracking), KioskId(kiosk), signature
    )


def _check_fields(
    fingerprint: str, scrutin: str, tracking: str, kiosk: str, error: type[ValueError]
) -> None:
    if not _FINGERPRINT.fullmatch(fingerprint):
        raise error("receipt: invalid election fingerprint")
    if not ID_PATTERN.fullmatch(scrutin) or not ID_PATTERN.fullmatch(kiosk):
        raise error("receipt: invalid scrutin or kiosk id")
    if not is_canonical_tracking_code(tracking):
        raise error("receipt: invalid tracking code")


def _signature(text: str) -> bytes:
    if len(text) != _SIGNATURE_CHARS:
        raise ReceiptFormatError("receipt: invalid signature encoding")
    try:
        signature = base64.urlsafe_b64decode(text + "==")
    except (binascii.Error, ValueError):
        raise ReceiptFormatError("receipt: invalid signature encoding") from None
    if base64.urlsafe_b64encode(signature).rstrip(b"=").decode("ascii") != text:
        raise ReceiptFormatError("receipt: invalid signature encoding")
    return signature
