"""The key ceremony's messages: signed JSON files in a shared folder (docs/protocol.md §13.2).

Every file is ``{"message": BODY, "signature": b64}``, the Ed25519 signature over

    "isoloir/v1/trustee-message" || 0x00 || canonical_json(BODY)

by the key the sender announced. The folder is untrusted: a file that is not what it says is
refused, naming the sender. Files, for trustee indices i, l (three digits):

    announcement-iii.json      who i is: id, index, n, k, signing and transport public keys
    dealing-iii.json           i's commitments C_i,0..C_i,k-1 and proof of knowledge of a_i,0
    share-iii-to-lll.json      f_i(l), encrypted to l's transport key
    finish-lll.json            l's public share X_l, the joint key H, and a proof that l holds x_l
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk import durable
from kiosk.crypto.group import Element, GroupError
from kiosk.crypto.hashing import digest, u32
from kiosk.crypto.threshold import KnowledgeProof
from kiosk.election import signing
from kiosk.encoding import JsonValue, b64encode, canonical_json
from kiosk.files import TooLargeError, read_file_at_most
from kiosk.jsonfields import Fields, FormatError

_SIGNATURE_TAG: Final = b"isoloir/v1/trustee-message\x00"
_FINGERPRINT_TAG: Final = b"isoloir/v1/trustee-announcement\x00"
_MAX_MESSAGE_BYTES: Final = 1 << 16
HASH_BYTES: Final = 32
DIGEST_BYTES: Final = 64


class MessageError(ValueError):
    """A ceremony file refused; the message names the file and, when known, its sender."""


def announcement_path(folder: Path, index: int) -> Path:
    return folder / f"announcement-{index:03d}.json"


def dealing_path(folder: Path, index: int) -> Path:
    return folder / f"dealing-{index:03d}.json"


def share_path(folder: Path, dealer: int, recipient: int) -> Path:
    return folder / f"share-{dealer:03d}-to-{recipient:03d}.json"


def finish_path(folder: Path, index: int) -> Path:
    return folder / f"finish-{index:03d}.json"


# ---- the four messages ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Announcement:
    ceremony_id: str
    trustee_id: str
    index: int
    trustees: int
    threshold: int
    signing_key: bytes  # Ed25519
    transport_key: bytes  # X25519

    def body(self) -> dict[str, JsonValue]:
        return {
            "type": "announcement",
            "ceremony_id": self.ceremony_id,
            "trustee_id": self.trustee_id,
            "index": self.index,
            "trustees": self.trustees,
            "threshold": self.threshold,
            "signing_key": b64encode(self.signing_key),
            "transport_key": b64encode(self.transport_key),
        }

    @property
    def hash(self) -> bytes:
        return hashlib.sha256(_FINGERPRINT_TAG + canonical_json(self.body())).digest()

    @property
    def fingerprint(self) -> str:
        """What trustees read aloud to each other: 4 groups of 4 base32 characters (80 bits)."""
        text = base64.b32encode(self.hash[:10]).decode("ascii")
        return "-".join(text[i : i + 4] for i in range(0, 16, 4))


@dataclass(frozen=True)
class Dealing:
    ceremony_id: str
    trustee_id: str
    index: int
    roster: bytes  # digest of every announcement: all dealers deal to the same trustees
    commitments: tuple[Element, ...]
    proof: KnowledgeProof

    def body(self) -> dict[str, JsonValue]:
        return {
            "type": "dealing",
            "ceremony_id": self.ceremony_id,
            "trustee_id": self.trustee_id,
            "index": self.index,
            "roster": self.roster.hex(),
            "commitments": [b64encode(c) for c in self.commitments],
            "proof": b64encode(self.proof.to_bytes()),
        }

    @property
    def hash(self) -> bytes:
        return hashlib.sha256(canonical_json(self.body())).digest()


@dataclass(frozen=True)
class ShareMessage:
    ceremony_id: str
    dealer: int
    recipient: int
    dealing: bytes  # the hash of the dealer's dealing this share belongs to
    ephemeral_key: bytes
    ciphertext: bytes

    def body(self) -> dict[str, JsonValue]:
        return {
            "type": "share",
            "ceremony_id": self.ceremony_id,
            "dealer": self.dealer,
            "recipient": self.recipient,
            "dealing": self.dealing.hex(),
            "ephemeral_key": b64encode(self.ephemeral_key),
            "ciphertext": b64encode(self.ciphertext),
        }


def share_header_bytes(ceremony_id: str, dealer: int, recipient: int, dealing: bytes) -> bytes:
    """What the share's encryption authenticates (the transport binds the keys themselves)."""
    return canonical_json(
        {
            "type": "share",
            "ceremony_id": ceremony_id,
            "dealer": dealer,
            "recipient": recipient,
            "dealing": dealing.hex(),
        }
    )


@dataclass(frozen=True)
class Finish:
    ceremony_id: str
    trustee_id: str
    index: int
    transcript: bytes
    joint_public_key: Element
    public_share: Element
    proof: KnowledgeProof

    def body(self) -> dict[str, JsonValue]:
        return {
            "type": "finish",
            "ceremony_id": self.ceremony_id,
            "trustee_id": self.trustee_id,
            "index": self.index,
            "transcript": self.transcript.hex(),
            "joint_public_key": b64encode(self.joint_public_key),
            "public_share": b64encode(self.public_share),
            "proof": b64encode(self.proof.to_bytes()),
        }


# ---- digests over the ceremony -------------------------------------------------------------------


def roster_digest(announcements: Sequence[Announcement]) -> bytes:
    """Binds the whole list of trustees, in index order."""
    return digest("ceremony-roster", *(a.hash for a in announcements))


def transcript_digest(
    ceremony_id: str, roster: bytes, threshold: int, dealings: Sequence[Dealing]
) -> bytes:
    """Binds what the manifest will hold: every dealer's id and commitments, in index order."""
    fields: list[bytes | str] = [ceremony_id, roster, u32(threshold)]
    for dealing in dealings:
        fields.extend([u32(dealing.index), dealing.trustee_id, *dealing.commitments])
    return digest("ceremony-transcript", *fields)


# ---- signed files --------------------------------------------------------------------------------


def write(path: Path, body: dict[str, JsonValue], signer: Ed25519PrivateKey) -> None:
    """Create ``path`` with the signed message; an existing file is never replaced."""
    signature = signer.sign(_SIGNATURE_TAG + canonical_json(body))
    data = canonical_json({"message": body, "signature": b64encode(signature)})
    if path.exists():
        raise MessageError(f"{path.name}: exists already; a message is never replaced")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    # Written aside and renamed: a reader never sees half a message. (No hard links: the
    # ceremony folder may live on a FAT-formatted USB stick.)
    partial.unlink(missing_ok=True)
    durable.write_new_file(partial, data)
    os.replace(partial, path)
    durable.fsync_directory(path.parent)


def _open(path: Path, kind: str) -> tuple[Fields, bytes, bytes]:
    """The body's fields, the exact signed bytes and the signature."""
    try:
        data = read_file_at_most(path, _MAX_MESSAGE_BYTES)
    except TooLargeError:
        raise MessageError(f"{path.name}: too large for a ceremony message") from None
    except OSError as exc:
        raise MessageError(f"{path.name}: cannot read ({exc.strerror})") from None
    try:
        top = Fields.load(data, path.name)
        body_json = top.raw("message")
        body = top.obj("message")
        signature = top.b64("signature", 64)
        top.done()
        body.constant("type", kind)
    except FormatError as exc:
        raise MessageError(str(exc)) from None
    return body, _SIGNATURE_TAG + canonical_json(body_json), signature


def _check_signature(path: Path, signed: bytes, signature: bytes, key: bytes, sender: str) -> None:
    if not signing.verify(key, signature, signed):
        raise MessageError(f"{path.name}: bad signature (not signed by {sender}'s announced key)")


def read_announcement(path: Path) -> Announcement:
    body, signed, signature = _open(path, "announcement")
    try:
        announcement = Announcement(
            ceremony_id=body.ident("ceremony_id"),
            trustee_id=body.ident("trustee_id"),
            index=body.integer("index", 1, 100),
            trustees=body.integer("trustees", 1, 100),
            threshold=body.integer("threshold", 1, 100),
            signing_key=body.b64("signing_key", 32),
            transport_key=body.b64("transport_key", 32),
        )
        body.done()
    except FormatError as exc:
        raise MessageError(str(exc)) from None
    _check_signature(path, signed, signature, announcement.signing_key, announcement.trustee_id)
    return announcement


def read_dealing(path: Path, sender: Announcement) -> Dealing:
    body, signed, signature = _open(path, "dealing")
    _check_signature(path, signed, signature, sender.signing_key, sender.trustee_id)
    try:
        commitments = body.elements("commitments", 100)
        dealing = Dealing(
            ceremony_id=body.ident("ceremony_id"),
            trustee_id=body.ident("trustee_id"),
            index=body.integer("index", 1, 100),
            roster=body.hex("roster", DIGEST_BYTES),
            commitments=commitments,
            proof=_proof(body, "proof"),
        )
        body.done()
    except FormatError as exc:
        raise MessageError(str(exc)) from None
    return dealing


def read_share(path: Path, sender: Announcement) -> ShareMessage:
    body, signed, signature = _open(path, "share")
    _check_signature(path, signed, signature, sender.signing_key, sender.trustee_id)
    try:
        share = ShareMessage(
            ceremony_id=body.ident("ceremony_id"),
            dealer=body.integer("dealer", 1, 100),
            recipient=body.integer("recipient", 1, 100),
            dealing=body.hex("dealing", HASH_BYTES),
            ephemeral_key=body.b64("ephemeral_key", 32),
            ciphertext=body.b64("ciphertext"),
        )
        body.done()
    except FormatError as exc:
        raise MessageError(str(exc)) from None
    return share


def read_finish(path: Path, sender: Announcement) -> Finish:
    body, signed, signature = _open(path, "finish")
    _check_signature(path, signed, signature, sender.signing_key, sender.trustee_id)
    try:
        finish = Finish(
            ceremony_id=body.ident("ceremony_id"),
            trustee_id=body.ident("trustee_id"),
            index=body.integer("index", 1, 100),
            transcript=body.hex("transcript", DIGEST_BYTES),
            joint_public_key=body.element("joint_public_key"),
            public_share=body.element("public_share"),
            proof=_proof(body, "proof"),
        )
        body.done()
    except FormatError as exc:
        raise MessageError(str(exc)) from None
    return finish


def _proof(body: Fields, key: str) -> KnowledgeProof:
    try:
        return KnowledgeProof.from_bytes(body.b64(key, 64))
    except GroupError:
        raise FormatError(f"{body.path}.{key}: not a proof") from None
