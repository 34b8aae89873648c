"""Domain-separated hashing into scalars (docs/protocol.md §3).

    H(tag, f1, ..., fn) = SHA-512( u64(len(T)) || T || u64(len(f1)) || f1 || ... ) mod L
    where T = "isoloir/v1/" || tag

Every field is length-prefixed (8-byte big-endian), so no two different field lists hash alike;
the versioned tag keeps hashes of different purposes apart. Fields are bytes or text (UTF-8):
callers encode integers explicitly (``u32``, ``group.scalar_bytes``).
"""

from __future__ import annotations

import hashlib
from typing import Final

from kiosk.crypto.group import L

PROTOCOL_PREFIX: Final = "isoloir/v1/"


def _frame(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def digest(tag: str, *fields: bytes | str) -> bytes:
    """The 64-byte SHA-512 of the framed tag and fields."""
    h = hashlib.sha512(_frame((PROTOCOL_PREFIX + tag).encode("utf-8")))
    for field in fields:
        h.update(_frame(field.encode("utf-8") if isinstance(field, str) else field))
    return h.digest()


def frame(*fields: bytes | str) -> bytes:
    """The fields exactly as ``digest`` hashes them after the tag: each one length-prefixed."""
    return b"".join(_frame(f.encode("utf-8") if isinstance(f, str) else f) for f in fields)


def tagged(tag: str, *fields: bytes | str) -> bytes:
    """The exact bytes ``digest(tag, *fields)`` hashes; also the canonical form a kiosk signs."""
    return frame(PROTOCOL_PREFIX + tag, *fields)


def hash_to_scalar(tag: str, *fields: bytes | str) -> int:
    """A Fiat-Shamir challenge or derived nonce: the digest, little-endian, reduced mod L."""
    return int.from_bytes(digest(tag, *fields), "little") % L


def u32(value: int) -> bytes:
    """An index or count as 4 big-endian bytes."""
    return value.to_bytes(4, "big")
