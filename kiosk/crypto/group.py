"""The ristretto255 prime-order group through the system libsodium (docs/protocol.md §2).

Elements are their canonical 32-byte encodings (``Element``); scalars are Python ints mod ``L``.
A thin cffi (ABI mode) binding keeps each call close to libsodium's own cost. libsodium quirks
handled here: ``is_valid_point`` accepts the identity, and scalar multiplication returns -1 when
the result is the identity; both are invalid input for us (``GroupError``). libsodium 1.0.18's
operations also ignore the top bit of an encoding, and a C pointer carries no length: ``mul``,
``add`` and ``sub`` refuse an operand that is not 32 bytes or has that bit set before libsodium
reads it, and ``add`` and ``sub`` the identity too (a few comparisons, under 1 % of an
operation's cost).

Every operation a ballot or proof performs goes through the module-level functions ``base_mul``,
``mul``, ``add`` and ``sub``, so a test can count and compare operation sequences.
"""

from __future__ import annotations

import secrets
from typing import Final, NewType

from cffi import FFI

Element = NewType("Element", bytes)
"""A canonical, non-identity ristretto255 encoding (32 bytes)."""

L: Final = 2**252 + 27742317777372353535851937790883648493
"""The group order."""

ELEMENT_BYTES: Final = 32
SCALAR_BYTES: Final = 32

_ffi = FFI()
_ffi.cdef(
    """
    int sodium_init(void);
    int crypto_core_ristretto255_is_valid_point(const unsigned char *p);
    int crypto_core_ristretto255_add(unsigned char *r,
                                     const unsigned char *p, const unsigned char *q);
    int crypto_core_ristretto255_sub(unsigned char *r,
                                     const unsigned char *p, const unsigned char *q);
    int crypto_core_ristretto255_from_hash(unsigned char *p, const unsigned char *r);
    int crypto_scalarmult_ristretto255(unsigned char *q,
                                       const unsigned char *n, const unsigned char *p);
    int crypto_scalarmult_ristretto255_base(unsigned char *q, const unsigned char *n);
    """
)


def _load() -> object:
    for name in ("libsodium.so.23", "libsodium.so"):
        try:
            return _ffi.dlopen(name)
        except OSError:
            continue
    raise ImportError("libsodium not found: install Debian's libsodium23 (make bootstrap does)")


_lib = _load()
if _lib.sodium_init() < 0:  # type: ignore[attr-defined]
    raise ImportError("libsodium failed to initialize")

_base_mul_c = _lib.crypto_scalarmult_ristretto255_base  # type: ignore[attr-defined]
_mul_c = _lib.crypto_scalarmult_ristretto255  # type: ignore[attr-defined]
_add_c = _lib.crypto_core_ristretto255_add  # type: ignore[attr-defined]
_sub_c = _lib.crypto_core_ristretto255_sub  # type: ignore[attr-defined]
_valid_c = _lib.crypto_core_ristretto255_is_valid_point  # type: ignore[attr-defined]
_from_hash_c = _lib.crypto_core_ristretto255_from_hash  # type: ignore[attr-defined]
_new = _ffi.new
_buffer = _ffi.buffer
_IDENTITY: Final = bytes(32)


class GroupError(ValueError):
    """Bytes that are not a valid non-identity element, or an operation that hit the identity."""


def element(data: bytes) -> Element:
    """Parse untrusted bytes: canonical encoding of a non-identity point, else ``GroupError``."""
    # libsodium 1.0.18 ignores the top bit (s >= 2^255 is not canonical, RFC 9496 §4.3.1).
    if len(data) != ELEMENT_BYTES or data[31] & 0x80 or data == _IDENTITY or _valid_c(data) != 1:
        raise GroupError("not a valid group element")
    return Element(data)


def scalar_bytes(k: int) -> bytes:
    return (k % L).to_bytes(SCALAR_BYTES, "little")


def scalar(data: bytes) -> int:
    """Parse untrusted bytes as a canonical scalar (< L), else ``GroupError``."""
    if len(data) != SCALAR_BYTES:
        raise GroupError("not a scalar")
    value = int.from_bytes(data, "little")
    if value >= L:
        raise GroupError("scalar not reduced")
    return value


def random_scalar() -> int:
    """Uniform in [1, L)."""
    return secrets.randbelow(L - 1) + 1


def _malformed(p: bytes) -> bool:
    """What libsodium's add and sub would not refuse: a wrong length, the top bit, the identity."""
    return len(p) != ELEMENT_BYTES or p[31] & 0x80 != 0 or p == _IDENTITY


def base_mul(k: int) -> Element:
    """k·G. Raises ``GroupError`` when the result is the identity (k ≡ 0)."""
    out = _new("unsigned char[32]")  # a fresh buffer per call: libsodium runs without the GIL
    if _base_mul_c(out, (k % L).to_bytes(32, "little")) != 0:
        raise GroupError("scalar multiplication gave the identity")
    return Element(_buffer(out)[:])


def mul(k: int, p: Element) -> Element:
    """k·P. Raises ``GroupError`` for a malformed P (§2) or when the result is the identity."""
    if len(p) != ELEMENT_BYTES or p[31] & 0x80:
        raise GroupError("not a valid group element")
    out = _new("unsigned char[32]")
    if _mul_c(out, (k % L).to_bytes(32, "little"), p) != 0:
        raise GroupError("scalar multiplication gave the identity")
    return Element(_buffer(out)[:])


def add(p: Element, q: Element) -> Element:
    """P + Q. Raises ``GroupError`` for a malformed or identity operand, or an identity sum."""
    if _malformed(p) or _malformed(q):
        raise GroupError("not a valid group element")
    out = _new("unsigned char[32]")
    if _add_c(out, p, q) != 0:
        raise GroupError("invalid point in addition")
    result = _buffer(out)[:]
    if result == _IDENTITY:
        raise GroupError("addition gave the identity")
    return Element(result)


def sub(p: Element, q: Element) -> Element:
    """P − Q. Raises ``GroupError`` for a malformed or identity operand, or an identity result."""
    if _malformed(p) or _malformed(q):
        raise GroupError("not a valid group element")
    out = _new("unsigned char[32]")
    if _sub_c(out, p, q) != 0:
        raise GroupError("invalid point in subtraction")
    result = _buffer(out)[:]
    if result == _IDENTITY:
        raise GroupError("subtraction gave the identity")
    return Element(result)


def from_hash(digest64: bytes) -> Element:
    """Map 64 uniform bytes to an element (for independent generators, nothing-up-my-sleeve)."""
    if len(digest64) != 64:
        raise ValueError("from_hash takes 64 bytes")
    out = _new("unsigned char[32]")
    _from_hash_c(out, digest64)
    return element(_buffer(out)[:])


G: Final = base_mul(1)
"""The standard ristretto255 generator."""
