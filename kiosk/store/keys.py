"""The key that opens the encrypted store: an administrator's passphrase, or a key file.

Either way SQLCipher receives a raw 256-bit key. A passphrase is stretched with the file's own
16-byte salt by PBKDF2-HMAC-SHA512, 256,000 iterations: exactly SQLCipher 4's default, so the
stock ``sqlcipher`` shell opens the store with ``PRAGMA key = '<passphrase>'`` too (for forensic
work), while Isoloir derives once per open instead of once per connection.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from kiosk.durable import fsync_directory
from kiosk.store.errors import KeyFileError

KEY_BYTES: Final = 32
SALT_BYTES: Final = 16
KDF_ITERATIONS: Final = 256_000


class StoreKey:
    """Opaque key material; ``repr`` and ``str`` never show it. Build with the class methods."""

    __slots__ = ("_derived", "_kind", "_secret")

    def __init__(self, kind: str, secret: bytes, *, _private: object = None) -> None:
        if _private is not _TOKEN:
            raise TypeError(
                "use StoreKey.from_passphrase, StoreKey.from_key_file or create_key_file"
            )
        self._kind = kind
        self._secret = secret
        self._derived: tuple[bytes, bytes] | None = None  # (salt, key) of the last derivation

    @classmethod
    def from_passphrase(cls, passphrase: str) -> StoreKey:
        """The administrator's passphrase, taken as typed up to Unicode normalization (NFC)."""
        if not passphrase:
            raise ValueError("the store passphrase may not be empty")
        return cls(
            "passphrase", unicodedata.normalize("NFC", passphrase).encode("utf-8"), _private=_TOKEN
        )

    @classmethod
    def from_key_file(cls, path: Path) -> StoreKey:
        """A file of exactly 32 random bytes, as ``create_key_file`` writes."""
        try:
            with open(path, "rb") as source:
                data = source.read(KEY_BYTES + 1)
        except OSError as exc:
            raise KeyFileError(f"{path}: cannot read the store key file ({exc.strerror})") from None
        if len(data) != KEY_BYTES:
            raise KeyFileError(
                f"{path}: not a store key file (it must hold exactly {KEY_BYTES} bytes)"
            )
        return cls("key file", data, _private=_TOKEN)

    @property
    def kind(self) -> str:
        """``"passphrase"`` or ``"key file"``: safe to show."""
        return self._kind

    def raw_key(self, salt: bytes) -> bytes:
        """The 32-byte SQLCipher key for the store whose salt (its first 16 bytes) is ``salt``."""
        if self._kind == "key file":
            return self._secret
        if self._derived is not None and self._derived[0] == salt:
            return self._derived[1]
        kdf = PBKDF2HMAC(
            algorithm=hashes.SHA512(), length=KEY_BYTES, salt=salt, iterations=KDF_ITERATIONS
        )
        key = kdf.derive(self._secret)
        self._derived = (salt, key)
        return key

    def __repr__(self) -> str:
        return f"StoreKey({self._kind}, <redacted>)"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a StoreKey is not pickled: key material stays in this process")


_TOKEN: Final = object()


def create_key_file(path: Path) -> StoreKey:
    """Write 32 fresh random bytes to ``path``, readable by its owner only; never overwrite."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{path}: exists already; a key file is never overwritten") from None
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot create the store key file ({exc.strerror})") from None
    secret = os.urandom(KEY_BYTES)
    try:
        with os.fdopen(fd, "wb") as sink:
            sink.write(secret)
            sink.flush()
            os.fsync(sink.fileno())
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise KeyFileError(f"{path}: cannot write the store key file ({exc.strerror})") from None
    fsync_directory(path.parent)
    return StoreKey("key file", secret, _private=_TOKEN)


def kiosk_key_seed(key: Ed25519PrivateKey) -> bytes:
    """The 32-byte Ed25519 seed ``KioskStore.set_kiosk_key`` installs."""
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
