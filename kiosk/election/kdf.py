"""Memory-hard hashing of voters' secrets (docs/election-package.md, "Secrets").

Every secret in the roll (election password, vote code, secret answer, NUMEN) is stored as
scrypt(normalized secret, per-entry 16-byte salt) with the cost recorded once per package,
so that tests and the demo can run a cheap setting while a real election runs a strong one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import unicodedata
from dataclasses import dataclass
from enum import Enum
from typing import Final

SALT_BYTES: Final = 16
DIGEST_BYTES: Final = 32
_MAX_MEMORY_BYTES: Final = 1 << 30  # hashlib.scrypt takes at most 2 GiB (maxmem is a C int)


@dataclass(frozen=True)
class KdfParams:
    """scrypt cost: N = 2**log2_n, block size r, parallelism p."""

    log2_n: int
    r: int = 8
    p: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.log2_n <= 20:
            raise ValueError(f"kdf log2_n must be within 1..20, got {self.log2_n}")
        if not 1 <= self.r <= 32 or not 1 <= self.p <= 16:
            raise ValueError(
                f"kdf r must be within 1..32 and p within 1..16, got r={self.r} p={self.p}"
            )
        # Limits of scrypt itself (RFC 7914 and OpenSSL): refuse what hashing would reject later.
        if self.log2_n >= 16 * self.r:
            raise ValueError(f"kdf log2_n must be below 16 * r, got {self.log2_n} and r={self.r}")
        if self.memory_bytes > _MAX_MEMORY_BYTES:
            raise ValueError(
                f"kdf needs {self.memory_bytes} bytes of memory, more than {_MAX_MEMORY_BYTES}"
            )

    @property
    def memory_bytes(self) -> int:
        return 128 * self.r * (1 << self.log2_n) * self.p


class KdfProfile(Enum):
    """Named settings. Costs per secret on the reference 2-core machine are in the docs."""

    TEST = KdfParams(log2_n=4)
    DEMO = KdfParams(log2_n=8)
    STRONG = KdfParams(log2_n=17)


@dataclass(frozen=True)
class SecretHash:
    salt: bytes
    digest: bytes

    def __post_init__(self) -> None:
        if len(self.salt) != SALT_BYTES or len(self.digest) != DIGEST_BYTES:
            raise ValueError("a secret hash holds a 16-byte salt and a 32-byte digest")

    def __repr__(self) -> str:  # never print a hash of a secret into a log by accident
        return "SecretHash(<redacted>)"


class SecretKind(Enum):
    # Names of kinds of secret, not secrets.
    PASSWORD = "password"  # noqa: S105
    VOTE_CODE = "vote_code"
    SECRET_ANSWER = "secret_answer"  # noqa: S105
    NUMEN = "numen"


def normalize(kind: SecretKind, secret: str) -> bytes:
    """The form a secret is hashed in, so that harmless typing differences do not lock voters out.

    Passwords are taken as typed (NFC only). Vote codes and NUMEN ignore case, spaces and dashes.
    Secret answers ignore case, accents, punctuation and repeated spaces.
    """
    text = unicodedata.normalize("NFC", secret)
    if kind is SecretKind.PASSWORD:
        return text.encode("utf-8")
    if kind in (SecretKind.VOTE_CODE, SecretKind.NUMEN):
        return re.sub(r"[\s\-]", "", text).upper().encode("utf-8")
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = re.findall(r"\w+", letters)
    return " ".join(words).encode("utf-8")


def hash_secret(
    kind: SecretKind, secret: str, params: KdfParams, *, salt: bytes | None = None
) -> SecretHash:
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    return SecretHash(salt=salt, digest=_scrypt(normalize(kind, secret), salt, params))


def verify_secret(kind: SecretKind, secret: str, stored: SecretHash, params: KdfParams) -> bool:
    candidate = _scrypt(normalize(kind, secret), stored.salt, params)
    return hmac.compare_digest(candidate, stored.digest)


def _scrypt(data: bytes, salt: bytes, params: KdfParams) -> bytes:
    return hashlib.scrypt(
        data,
        salt=salt,
        n=2**params.log2_n,
        r=params.r,
        p=params.p,
        maxmem=params.memory_bytes + (1 << 20),
        dklen=DIGEST_BYTES,
    )
