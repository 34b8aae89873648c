"""The board head as the central server signs it (docs/server.md, "The bulletin board").

``board-head.json`` (§15.2) binds the board to itself; the server's signature binds it to the
server that published it, at a stated time, so that a head shown at close can be held against the
server later. The signed form is one canonical JSON object:

    {"schema": "isoloir.signed-board-head/1", "election_id", "fingerprint", "count", "head",
     "signed_at", "server_key": b64(32-byte Ed25519 key), "signature": b64(64 bytes)}

    signature = Ed25519(server key, tagged("signed-board-head", canonical_json(object without
                                                                               "signature")))

``head`` is the hex hash of the last entry (the genesis for an empty board), ``fingerprint`` the
package's, ``signed_at`` RFC 3339 UTC to the second. The key is inside what is signed, so a
signature verifies under the key it names only; compare that key with the one the server
publishes (``GET /v1/server-key``) and the organizer announces.

Qt-free and server-free: auditors check a signed head with this module and the record alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.crypto.hashing import tagged
from kiosk.election import signing
from kiosk.election.model import ElectionId
from kiosk.encoding import JsonValue, b64encode, canonical_json
from kiosk.jsonfields import Fields, FormatError
from kiosk.record.board import HASH_BYTES, MAX_ENTRIES, BoardHead

SIGNED_HEAD_SCHEMA: Final = "isoloir.signed-board-head/1"
SIGNED_HEAD_TAG: Final = "signed-board-head"
SIGNED_HEAD_FILE: Final = "board-head.signed.json"
"""Its name beside ``board-head.json`` in an exported record (``isoloir server export-record``)."""
_KEY_BYTES: Final = 32
_SIGNATURE_BYTES: Final = 64
_MAX_BYTES: Final = 4096
_INSTANT: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_FINGERPRINT: Final = re.compile(r"[A-Z2-7]{4}(?:-[A-Z2-7]{4}){3}")  # package.fingerprint


class SignedHeadError(ValueError):
    """Bytes that are not a signed board head; the message names the field."""


@dataclass(frozen=True)
class SignedHead:
    head: BoardHead
    fingerprint: str  # the election package's
    signed_at: str  # RFC 3339 UTC, to the second
    server_key: bytes  # Ed25519 public key, 32 bytes
    signature: bytes

    def _unsigned(self) -> dict[str, JsonValue]:
        return {
            "schema": SIGNED_HEAD_SCHEMA,
            "election_id": self.head.election_id,
            "fingerprint": self.fingerprint,
            "count": self.head.count,
            "head": self.head.head.hex(),
            "signed_at": self.signed_at,
            "server_key": b64encode(self.server_key),
        }

    def signed_bytes(self) -> bytes:
        return tagged(SIGNED_HEAD_TAG, canonical_json(self._unsigned()))

    def to_json(self) -> bytes:
        return canonical_json({**self._unsigned(), "signature": b64encode(self.signature)})


def sign_head(
    key: Ed25519PrivateKey, head: BoardHead, *, fingerprint: str, signed_at: str
) -> SignedHead:
    if not _INSTANT.fullmatch(signed_at):
        raise ValueError("signed_at is RFC 3339 UTC to the second")
    if not _FINGERPRINT.fullmatch(fingerprint):
        raise ValueError("not a package fingerprint (XXXX-XXXX-XXXX-XXXX)")
    unsigned = SignedHead(head, fingerprint, signed_at, signing.public_bytes(key), b"")
    return SignedHead(
        head, fingerprint, signed_at, unsigned.server_key, key.sign(unsigned.signed_bytes())
    )


def verify_signed_head(signed: SignedHead, server_key: bytes | None = None) -> bool:
    """True when the signature verifies under the key the head names, and that key is
    ``server_key`` when one is given (the key published by the server or the organizer)."""
    if server_key is not None and server_key != signed.server_key:
        return False
    return signing.verify(signed.server_key, signed.signature, signed.signed_bytes())


def parse_signed_head(data: bytes, where: str = SIGNED_HEAD_FILE) -> SignedHead:
    """Strictly: canonical JSON, exactly these fields; the signature is not checked here."""
    if len(data) > _MAX_BYTES:
        raise SignedHeadError(f"{where}: too large for a signed board head")
    try:
        top = Fields.load(data, where)
        if canonical_json(top.value) != data:
            raise FormatError(f"{where}: not in canonical JSON form")
        top.constant("schema", SIGNED_HEAD_SCHEMA)
        head = BoardHead(
            election_id=ElectionId(top.ident("election_id")),
            count=top.integer("count", 0, MAX_ENTRIES),
            head=top.hex("head", HASH_BYTES),
        )
        fingerprint = top.string("fingerprint", 19)
        if not _FINGERPRINT.fullmatch(fingerprint):
            raise FormatError(f"{where}.fingerprint: not a package fingerprint")
        signed_at = top.string("signed_at", 20)
        if not _INSTANT.fullmatch(signed_at):
            raise FormatError(f"{where}.signed_at: not RFC 3339 UTC to the second")
        signed = SignedHead(
            head,
            fingerprint,
            signed_at,
            top.b64("server_key", _KEY_BYTES),
            top.b64("signature", _SIGNATURE_BYTES),
        )
        top.done()
    except FormatError as exc:
        raise SignedHeadError(str(exc)) from None
    return signed
