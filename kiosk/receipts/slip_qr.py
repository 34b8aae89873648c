"""A challenge slip's QR codes: the slip's canonical JSON, cut into parts when it is long.

The slip carries the challenged ballot's bytes (docs/protocol.md §10, §9: 2,954 bytes for 15
options), more than one QR code holds. A slip of at most ``MAX_QR_BYTES`` is printed as one QR
code holding exactly its canonical JSON, what ``isoloir verify challenge`` reads; a longer one
as N codes of nearly equal size, each

    "isoloir-slip-part/1" SP k "/" N SP chunk_k        (k = 1 .. N, N <= 16)

whose chunks, joined in order, are that JSON (docs/receipts.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Final

from kiosk.verifier.ballots import PrintedSlip

SLIP_PART_HEADER: Final = "isoloir-slip-part/1"
MAX_QR_BYTES: Final = 1100  # QR version 27 at level M: 125 modules, read at 0.5 mm a module
MAX_PARTS: Final = 16
_PART = re.compile(rb"isoloir-slip-part/1 ([1-9][0-9]?)/([1-9][0-9]?) ")


class SlipQrError(ValueError):
    """QR payloads that do not make one whole challenge slip."""


def slip_qr_payloads(printed: PrintedSlip) -> tuple[bytes, ...]:
    """What the slip's QR codes hold, in print order."""
    data = printed.to_json()
    if len(data) <= MAX_QR_BYTES:
        return (data,)
    parts = math.ceil(len(data) / MAX_QR_BYTES)
    if parts > MAX_PARTS:
        raise ValueError("challenge slip too long to print")
    size = math.ceil(len(data) / parts)
    return tuple(
        f"{SLIP_PART_HEADER} {k}/{parts} ".encode("ascii") + data[(k - 1) * size : k * size]
        for k in range(1, parts + 1)
    )


def join_slip_payloads(payloads: Iterable[bytes]) -> bytes:
    """The slip's JSON from the QR payloads read off one slip (any order; other codes ignored),
    else ``SlipQrError``."""
    whole: set[bytes] = set()
    chunks: dict[int, bytes] = {}
    counts: set[int] = set()
    for payload in payloads:
        if payload.lstrip().startswith(b"{"):
            whole.add(payload.strip())
            continue
        match = _PART.match(payload)
        if match is None:
            continue
        part, parts = int(match[1]), int(match[2])
        if not 1 <= part <= parts <= MAX_PARTS:
            raise SlipQrError("a slip QR code numbered out of range")
        chunk = payload[match.end() :]
        if chunks.setdefault(part, chunk) != chunk:
            raise SlipQrError("two different slip QR codes with the same number")
        counts.add(parts)
    if whole and chunks:
        raise SlipQrError("QR codes of more than one challenge slip")
    if whole:
        if len(whole) > 1:
            raise SlipQrError("QR codes of more than one challenge slip")
        return whole.pop()
    if not chunks:
        raise SlipQrError("no challenge slip QR code found")
    if len(counts) > 1:
        raise SlipQrError("QR codes of more than one challenge slip")
    parts = counts.pop()
    missing = [str(k) for k in range(1, parts + 1) if k not in chunks]
    if missing:
        raise SlipQrError(f"slip QR code(s) {', '.join(missing)} of {parts} not read")
    return b"".join(chunks[k] for k in range(1, parts + 1))
