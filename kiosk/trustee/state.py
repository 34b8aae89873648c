"""A trustee's state file: public progress in clear, secrets sealed under a passphrase (§13.5).

    {"schema": "isoloir.trustee-state/1",
     "trustee": {ceremony_id, trustee_id, index, trustees, threshold, stage,
                 signing_key, transport_key, commitments, transcript, public_share,
                 joint_public_key},
     "vault": {"kdf": {"log2_n", "r", "p"}, "salt", "cipher", "nonce", "ciphertext"}}

The vault holds the signing and transport private keys, the polynomial while the ceremony runs,
the shares received, and at the end only the trustee's share x_l. Its associated data is the
schema, the "trustee" object and the KDF settings, so none of them can change unnoticed. The
file is written owner-only (0600) through a temporary sibling and an atomic rename; it never
holds a secret in clear.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk import durable
from kiosk.crypto import group
from kiosk.crypto.group import Element, GroupError
from kiosk.election.kdf import KdfParams
from kiosk.encoding import EncodingError, JsonValue, b64decode, b64encode, canonical_json
from kiosk.files import TooLargeError, read_file_at_most
from kiosk.jsonfields import Fields, FormatError
from kiosk.trustee import vault
from kiosk.trustee.vault import VaultKey, VaultParams, WrongPassphraseError

SCHEMA: Final = "isoloir.trustee-state/1"
TRANSCRIPT_BYTES: Final = 64
_MAX_FILE_BYTES: Final = 1 << 20


class StateError(ValueError):
    """A state file that cannot be used; the message names the file, never a secret."""


class Stage(Enum):
    """The ceremony steps in order; a trustee's file is always at exactly one of them."""

    INITIALIZED = "initialized"
    DEALT = "dealt"
    RECEIVED = "received"
    FINISHED = "finished"


NEXT_STEP: Final = {
    Stage.INITIALIZED: "deal",
    Stage.DEALT: "receive",
    Stage.RECEIVED: "finish",
    Stage.FINISHED: "decrypt (after the election)",
}


@dataclass(frozen=True)
class TrusteeRecord:
    """The public part of a trustee's state."""

    ceremony_id: str
    trustee_id: str
    index: int
    trustees: int
    threshold: int
    stage: Stage
    signing_key: bytes  # Ed25519 public key, signs every ceremony message
    transport_key: bytes  # X25519 public key, receives the shares
    commitments: tuple[Element, ...] = ()  # this trustee's own, once dealt
    transcript: bytes | None = None  # digest of every dealer's commitments, once received
    public_share: Element | None = None  # X_l, once finished
    joint_public_key: Element | None = None  # H, once finished


@dataclass(frozen=True)
class TrusteeSecrets:
    signing_key: bytes  # Ed25519 private key (raw 32 bytes)
    transport_key: bytes  # X25519 private key (raw 32 bytes)
    coefficients: tuple[int, ...] = ()  # f's, from deal to finish
    received: Mapping[int, int] = field(default_factory=dict)  # dealer index -> s_i→l
    share: int | None = None  # x_l, from finish on

    def __repr__(self) -> str:
        return "TrusteeSecrets(<redacted>)"

    def signer(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.signing_key)

    def transport(self) -> X25519PrivateKey:
        return X25519PrivateKey.from_private_bytes(self.transport_key)


@dataclass(frozen=True)
class TrusteeState:
    """An unlocked state: the record, its secrets, and the key that seals them again."""

    record: TrusteeRecord
    secrets: TrusteeSecrets
    key: VaultKey

    def __repr__(self) -> str:
        return f"TrusteeState({self.record.trustee_id!r}, stage={self.record.stage.value!r})"

    def updated(self, record: TrusteeRecord, secrets: TrusteeSecrets) -> TrusteeState:
        return TrusteeState(record=record, secrets=secrets, key=self.key)


def create(
    path: Path, record: TrusteeRecord, secrets: TrusteeSecrets, passphrase: str, kdf: KdfParams
) -> TrusteeState:
    """Write a new state file; an existing file is never overwritten."""
    if path.exists() or path.is_symlink():
        raise StateError(f"{path}: exists already; a trustee state is never overwritten")
    state = TrusteeState(record, secrets, vault.derive(passphrase, vault.new_params(kdf)))
    _write(path, state, exclusive=True)
    return state


def unlock(path: Path, passphrase: str) -> TrusteeState:
    """Read and open ``path``; ``WrongPassphraseError`` leaves the file exactly as it was."""
    record, params, nonce, ciphertext, associated = _read(path)
    key = vault.derive(passphrase, params)
    try:
        plaintext = key.open(nonce, ciphertext, associated)
    except WrongPassphraseError:
        raise WrongPassphraseError(
            f"{path}: wrong passphrase (or the file was altered); nothing was changed"
        ) from None
    try:
        secrets = _parse_secrets(plaintext, f"{path} (sealed part)")
    except FormatError as exc:
        raise StateError(str(exc)) from None
    return TrusteeState(record=record, secrets=secrets, key=key)


def read_record(path: Path) -> TrusteeRecord:
    """The public part alone (no passphrase needed)."""
    return _read(path)[0]


def save(path: Path, state: TrusteeState) -> None:
    """Replace ``path`` atomically with ``state`` sealed under a fresh nonce."""
    _write(path, state, exclusive=False)


# ---- file format ---------------------------------------------------------------------------------


def _record_json(record: TrusteeRecord) -> dict[str, JsonValue]:
    def optional(value: bytes | None) -> str | None:
        return None if value is None else b64encode(value)

    return {
        "ceremony_id": record.ceremony_id,
        "trustee_id": record.trustee_id,
        "index": record.index,
        "trustees": record.trustees,
        "threshold": record.threshold,
        "stage": record.stage.value,
        "signing_key": b64encode(record.signing_key),
        "transport_key": b64encode(record.transport_key),
        "commitments": [b64encode(c) for c in record.commitments],
        "transcript": None if record.transcript is None else record.transcript.hex(),
        "public_share": optional(record.public_share),
        "joint_public_key": optional(record.joint_public_key),
    }


def _kdf_json(kdf: KdfParams) -> dict[str, JsonValue]:
    return {"log2_n": kdf.log2_n, "r": kdf.r, "p": kdf.p}


def _associated(record_json: JsonValue, params: VaultParams) -> bytes:
    return canonical_json(
        {
            "schema": SCHEMA,
            "trustee": record_json,
            "kdf": _kdf_json(params.kdf),
            "salt": b64encode(params.salt),
            "cipher": vault.CIPHER,
        }
    )


def _scalar_b64(value: int) -> str:
    return b64encode(group.scalar_bytes(value))


def _secrets_json(secrets: TrusteeSecrets) -> bytes:
    return canonical_json(
        {
            "signing_key": b64encode(secrets.signing_key),
            "transport_key": b64encode(secrets.transport_key),
            "coefficients": [_scalar_b64(a) for a in secrets.coefficients],
            "received": {str(i): _scalar_b64(s) for i, s in sorted(secrets.received.items())},
            "share": None if secrets.share is None else _scalar_b64(secrets.share),
        }
    )


def _write(path: Path, state: TrusteeState, *, exclusive: bool) -> None:
    record_json = _record_json(state.record)
    associated = _associated(record_json, state.key.params)
    nonce, ciphertext = state.key.seal(_secrets_json(state.secrets), associated)
    params = state.key.params
    data = canonical_json(
        {
            "schema": SCHEMA,
            "trustee": record_json,
            "vault": {
                "kdf": _kdf_json(params.kdf),
                "salt": b64encode(params.salt),
                "cipher": vault.CIPHER,
                "nonce": b64encode(nonce),
                "ciphertext": b64encode(ciphertext),
            },
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    target = path if exclusive else path.with_name(path.name + ".partial")
    if not exclusive:
        target.unlink(missing_ok=True)
    try:
        durable.write_new_file(target, data, mode=0o600)
    except FileExistsError:
        raise StateError(f"{target}: exists already") from None
    if not exclusive:
        os.replace(target, path)
    durable.fsync_directory(path.parent)


def _read(path: Path) -> tuple[TrusteeRecord, VaultParams, bytes, bytes, bytes]:
    try:
        data = read_file_at_most(path, _MAX_FILE_BYTES)
    except TooLargeError:
        raise StateError(f"{path}: too large for a trustee state") from None
    except OSError as exc:
        raise StateError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        top = Fields.load(data, str(path))
        top.constant("schema", SCHEMA)
        record_json = top.raw("trustee")
        record = _parse_record(top.obj("trustee"))
        v = top.obj("vault")
        k = v.obj("kdf")
        cost = (k.integer("log2_n", 1, 20), k.integer("r", 1, 32), k.integer("p", 1, 16))
        try:
            kdf = KdfParams(*cost)
        except ValueError as exc:
            raise FormatError(f"{path}: vault.kdf: {exc}") from None
        k.done()
        params = VaultParams(kdf=kdf, salt=v.b64("salt", vault.SALT_BYTES))
        v.constant("cipher", vault.CIPHER)
        nonce = v.b64("nonce", vault.NONCE_BYTES)
        ciphertext = v.b64("ciphertext")
        v.done()
        top.done()
    except FormatError as exc:
        raise StateError(f"not a trustee state file: {exc}") from None
    return record, params, nonce, ciphertext, _associated(record_json, params)


def _parse_record(t: Fields) -> TrusteeRecord:
    try:
        stage = Stage(t.string("stage", 20))
    except ValueError:
        raise FormatError(f"{t.path}.stage: unknown stage") from None
    commitments = t.elements("commitments", 100)
    transcript = None if t.raw("transcript") is None else t.hex("transcript", TRANSCRIPT_BYTES)
    public_share = None if t.raw("public_share") is None else t.element("public_share")
    joint = None if t.raw("joint_public_key") is None else t.element("joint_public_key")
    record = TrusteeRecord(
        ceremony_id=t.ident("ceremony_id"),
        trustee_id=t.ident("trustee_id"),
        index=t.integer("index", 1, 100),
        trustees=t.integer("trustees", 1, 100),
        threshold=t.integer("threshold", 1, 100),
        stage=stage,
        signing_key=t.b64("signing_key", 32),
        transport_key=t.b64("transport_key", 32),
        commitments=commitments,
        transcript=transcript,
        public_share=public_share,
        joint_public_key=joint,
    )
    t.done()
    return record


def _parse_secrets(plaintext: bytes, where: str) -> TrusteeSecrets:
    s = Fields.load(plaintext, where)

    def scalar(value: JsonValue, at: str) -> int:
        if not isinstance(value, str):
            raise FormatError(f"{at}: expected base64 text")
        try:
            return group.scalar(b64decode(value, at, length=group.SCALAR_BYTES))
        except (EncodingError, GroupError):
            raise FormatError(f"{at}: not a scalar") from None

    coefficients = tuple(scalar(a, at) for at, a in s.array("coefficients", 100))
    received_json = s.obj("received")
    received = {}
    for key in list(received_json.value):
        if not (key.isdigit() and 1 <= int(key) <= 100):
            raise FormatError(f"{where}.received: bad dealer index")
        received[int(key)] = scalar(received_json.raw(key), f"{where}.received.{key}")
    received_json.done()
    share_json = s.raw("share")
    secrets = TrusteeSecrets(
        signing_key=s.b64("signing_key", 32),
        transport_key=s.b64("transport_key", 32),
        coefficients=coefficients,
        received=received,
        share=None if share_json is None else scalar(share_json, f"{where}.share"),
    )
    s.done()
    return secrets
