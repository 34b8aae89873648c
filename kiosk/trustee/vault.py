"""Secrets sealed under a passphrase (docs/protocol.md §13.5).

    key = scrypt(NFC(passphrase), salt, N, r, p) (32 bytes)
    sealed = ChaCha20-Poly1305(key, nonce, plaintext, associated data)

The salt and the cost are stored beside the ciphertext; a fresh 12-byte nonce seals each
version. The associated data is the file's public part, so the public fields cannot be edited
without the next opening failing. A wrong passphrase and an altered file fail alike.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from kiosk.election.kdf import KdfParams

CIPHER: Final = "chacha20-poly1305"
SALT_BYTES: Final = 16
NONCE_BYTES: Final = 12
_KEY_BYTES: Final = 32


class WrongPassphraseError(ValueError):
    """The passphrase does not open the file (or the file was altered)."""


@dataclass(frozen=True)
class VaultParams:
    kdf: KdfParams
    salt: bytes


class VaultKey:
    """A key derived from a passphrase; kept out of reprs."""

    def __init__(self, params: VaultParams, key: bytes) -> None:
        self.params = params
        self._cipher = ChaCha20Poly1305(key)

    def __repr__(self) -> str:
        return "VaultKey(<redacted>)"

    def seal(self, plaintext: bytes, associated: bytes) -> tuple[bytes, bytes]:
        nonce = os.urandom(NONCE_BYTES)
        return nonce, self._cipher.encrypt(nonce, plaintext, associated)

    def open(self, nonce: bytes, ciphertext: bytes, associated: bytes) -> bytes:
        try:
            return self._cipher.decrypt(nonce, ciphertext, associated)
        except InvalidTag:
            raise WrongPassphraseError("wrong passphrase, or the file was altered") from None


def new_params(kdf: KdfParams) -> VaultParams:
    return VaultParams(kdf=kdf, salt=os.urandom(SALT_BYTES))


def derive(passphrase: str, params: VaultParams) -> VaultKey:
    """The vault key: one scrypt run (the slow part, done once per command)."""
    kdf = params.kdf
    key = hashlib.scrypt(
        unicodedata.normalize("NFC", passphrase).encode("utf-8"),
        salt=params.salt,
        n=2**kdf.log2_n,
        r=kdf.r,
        p=kdf.p,
        maxmem=kdf.memory_bytes + (1 << 20),
        dklen=_KEY_BYTES,
    )
    return VaultKey(params, key)
