"""Shares encrypted to their recipient, so they can cross an untrusted folder (§13.4).

    e fresh X25519 key, E its public key, P the recipient's announced transport key
    k = HKDF-SHA256(X25519(e, P), info = "isoloir/v1/trustee-share" || E || P), 32 bytes
    ciphertext = ChaCha20-Poly1305(k, nonce = 12 zero bytes, share, associated data)

Each key seals exactly one message, so the fixed nonce is never reused. The associated data is
the share message's header (ceremony, dealer, recipient, commitments), so a ciphertext cannot be
moved to another header.
"""

from __future__ import annotations

from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

KEY_BYTES: Final = 32
_INFO: Final = b"isoloir/v1/trustee-share"
_NONCE: Final = bytes(12)


class TransportError(ValueError):
    """A share that does not decrypt: not addressed to this key, or altered."""


def public_bytes(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _cipher(shared: bytes, ephemeral: bytes, recipient: bytes) -> ChaCha20Poly1305:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO + ephemeral + recipient
    ).derive(shared)
    return ChaCha20Poly1305(key)


def encrypt(recipient: bytes, plaintext: bytes, associated: bytes) -> tuple[bytes, bytes]:
    """(ephemeral public key, ciphertext) for the holder of ``recipient``'s private key."""
    try:
        peer = X25519PublicKey.from_public_bytes(recipient)
    except ValueError:
        raise TransportError("not an X25519 public key") from None
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = public_bytes(ephemeral)
    shared = ephemeral.exchange(peer)
    cipher = _cipher(shared, ephemeral_public, recipient)
    return ephemeral_public, cipher.encrypt(_NONCE, plaintext, associated)


def decrypt(key: X25519PrivateKey, ephemeral: bytes, ciphertext: bytes, associated: bytes) -> bytes:
    try:
        shared = key.exchange(X25519PublicKey.from_public_bytes(ephemeral))
        return _cipher(shared, ephemeral, public_bytes(key)).decrypt(_NONCE, ciphertext, associated)
    except (ValueError, InvalidTag):  # a low-order point, a bad length, a bad tag
        raise TransportError("the share does not decrypt with this trustee's key") from None
