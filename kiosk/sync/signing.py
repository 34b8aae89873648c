"""Signed kiosk requests (docs/server.md, "Signed requests").

Every kiosk request to the server carries four headers and an Ed25519 signature, by the kiosk's
key from the election package, over this ASCII text (lines joined by ``\\n``, none after the last):

    isoloir-request/v1
    <election id>
    <kiosk id>
    <METHOD>
    <target: the path as sent, then ?query when there is one>
    <lowercase hex SHA-256 of the body; of the empty string when there is none>
    <timestamp: Unix seconds, decimal>
    <nonce: 16 random bytes, 32 lowercase hex digits>

The server refuses a request whose timestamp is too far from its clock, and a nonce it has seen
from that kiosk; the signature binds both to the request, so neither can be changed. Every field
has one spelling, so the text has exactly one form. This module holds no I/O: the kiosk's client
(``kiosk.sync.client``) and the server (``server.auth``) both build the text here.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.election.model import ID_PATTERN, ElectionId, KioskId
from kiosk.encoding import EncodingError, b64decode, b64encode

SCHEME: Final = "isoloir-request/v1"
HEADER_KIOSK: Final = "X-Isoloir-Kiosk"
HEADER_TIMESTAMP: Final = "X-Isoloir-Timestamp"
HEADER_NONCE: Final = "X-Isoloir-Nonce"
HEADER_SIGNATURE: Final = "X-Isoloir-Signature"
HEADERS: Final = (HEADER_KIOSK, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE)
NONCE_BYTES: Final = 16
SIGNATURE_BYTES: Final = 64

_METHOD: Final = re.compile(r"[A-Z]{1,16}")
# A request target as it travels: printable ASCII, no space (httpx percent-encodes the rest).
_TARGET: Final = re.compile(r"/[!-~]{0,4095}")
_TIMESTAMP: Final = re.compile(r"0|[1-9][0-9]{0,11}")
_NONCE: Final = re.compile(r"[0-9a-f]{32}")


class SignatureHeaderError(ValueError):
    """Signature headers missing or not in their one form; the message names the header."""

    def __init__(self, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True)
class RequestSignature:
    """The four headers of a signed request, parsed."""

    kiosk_id: KioskId
    timestamp: int
    nonce: bytes
    signature: bytes

    def __repr__(self) -> str:  # the nonce and signature stay out of logs and tracebacks
        return f"RequestSignature(kiosk_id={self.kiosk_id!r}, timestamp={self.timestamp})"

    def headers(self) -> dict[str, str]:
        return {
            HEADER_KIOSK: self.kiosk_id,
            HEADER_TIMESTAMP: str(self.timestamp),
            HEADER_NONCE: self.nonce.hex(),
            HEADER_SIGNATURE: b64encode(self.signature),
        }


def signing_text(
    *,
    election_id: str,
    kiosk_id: str,
    method: str,
    target: str,
    body: bytes,
    timestamp: int,
    nonce: bytes,
) -> bytes:
    """The exact bytes a kiosk signs; ``ValueError`` when a field has no canonical form."""
    if not ID_PATTERN.fullmatch(election_id) or not ID_PATTERN.fullmatch(kiosk_id):
        raise ValueError("election and kiosk ids must be in the package id syntax")
    if not _METHOD.fullmatch(method):
        raise ValueError("the method must be upper-case letters")
    if not _TARGET.fullmatch(target):
        raise ValueError("the target must be a path of printable ASCII without spaces")
    if not _TIMESTAMP.fullmatch(str(timestamp)):
        raise ValueError("the timestamp must be non-negative Unix seconds")
    if len(nonce) != NONCE_BYTES:
        raise ValueError(f"the nonce must be {NONCE_BYTES} bytes")
    lines = (
        SCHEME,
        election_id,
        kiosk_id,
        method,
        target,
        hashlib.sha256(body).hexdigest(),
        str(timestamp),
        nonce.hex(),
    )
    return "\n".join(lines).encode("ascii")


def sign_request(
    key: Ed25519PrivateKey,
    *,
    election_id: ElectionId,
    kiosk_id: KioskId,
    method: str,
    target: str,
    body: bytes,
    timestamp: int,
    nonce: bytes | None = None,
) -> RequestSignature:
    """Sign one request; ``nonce`` is fresh random bytes unless given (test vectors only)."""
    fresh = secrets.token_bytes(NONCE_BYTES) if nonce is None else nonce
    text = signing_text(
        election_id=election_id,
        kiosk_id=kiosk_id,
        method=method,
        target=target,
        body=body,
        timestamp=timestamp,
        nonce=fresh,
    )
    return RequestSignature(kiosk_id, timestamp, fresh, key.sign(text))


def parse_headers(headers: Mapping[str, str | None]) -> RequestSignature:
    """The four headers, each in its one form, else ``SignatureHeaderError``.

    ``headers`` maps each name of ``HEADERS`` (as spelt there) to its value, or None if absent.
    """
    missing = [name for name in HEADERS if headers.get(name) is None]
    if missing:
        raise SignatureHeaderError(
            f"unsigned request: missing header {', '.join(missing)}", missing=True
        )
    kiosk, timestamp, nonce, signature = (str(headers[name]) for name in HEADERS)
    if not ID_PATTERN.fullmatch(kiosk):
        raise SignatureHeaderError(f"{HEADER_KIOSK}: not a kiosk id")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise SignatureHeaderError(f"{HEADER_TIMESTAMP}: expected Unix seconds, in decimal")
    if not _NONCE.fullmatch(nonce):
        raise SignatureHeaderError(f"{HEADER_NONCE}: expected 32 lowercase hex digits")
    try:
        signature_bytes = b64decode(signature, HEADER_SIGNATURE, length=SIGNATURE_BYTES)
    except EncodingError:
        raise SignatureHeaderError(
            f"{HEADER_SIGNATURE}: expected {SIGNATURE_BYTES} bytes in canonical base64"
        ) from None
    return RequestSignature(KioskId(kiosk), int(timestamp), bytes.fromhex(nonce), signature_bytes)


def verify_request(
    public_key: bytes,
    signature: RequestSignature,
    *,
    election_id: str,
    method: str,
    target: str,
    body: bytes,
) -> bool:
    """True when ``public_key`` signed exactly this request; every failure is just False."""
    try:
        text = signing_text(
            election_id=election_id,
            kiosk_id=signature.kiosk_id,
            method=method,
            target=target,
            body=body,
            timestamp=signature.timestamp,
            nonce=signature.nonce,
        )
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature.signature, text)
    except (InvalidSignature, ValueError):
        return False
    return True
