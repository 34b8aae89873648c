"""The tracking code, or "référence du bulletin" (docs/protocol.md §9).

    tracking_code = base32( digest("tracking-code", ballot_bytes)[0:20] )   in 8 groups of 4

160 bits: a kiosk that wanted two different ballots to share one code (to hand the same receipt
to two voters and drop one ballot) must find a collision, 2⁸⁰ work; 80 bits, like the package
fingerprint, would leave that at 2⁴⁰. Voters compare the first groups by eye; the QR carries all.
"""

from __future__ import annotations

import base64
import re
from typing import Final, NewType

from kiosk.crypto.ballot import SealedBallot, encode_ballot
from kiosk.crypto.hashing import digest

TrackingCode = NewType("TrackingCode", str)
"""Eight groups of four base32 characters joined by "-", e.g. ``ABCD-EFGH-…`` (39 characters)."""

TRACKING_TAG: Final = "tracking-code"
TRACKING_BYTES: Final = 20
_CANONICAL = re.compile(r"[A-Z2-7]{4}(?:-[A-Z2-7]{4}){7}")
_LOOSE_SEPARATORS = re.compile(r"[\s-]+")


def tracking_code(ballot: SealedBallot) -> TrackingCode:
    """The code of a sealed ballot (docs/protocol.md §9)."""
    return tracking_code_of_bytes(encode_ballot(ballot))


def tracking_code_of_bytes(ballot_bytes: bytes) -> TrackingCode:
    """The code of canonical ballot bytes, as a board or a verifier holds them."""
    text = base64.b32encode(digest(TRACKING_TAG, ballot_bytes)[:TRACKING_BYTES]).decode("ascii")
    return TrackingCode("-".join(text[i : i + 4] for i in range(0, len(text), 4)))


def parse_tracking_code(text: str) -> TrackingCode:
    """A code as typed by a person: case, spaces and dashes are forgiven; else ``ValueError``."""
    compact = _LOOSE_SEPARATORS.sub("", text).upper()
    candidate = "-".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    if not _CANONICAL.fullmatch(candidate):
        raise ValueError("not a tracking code: 32 base32 characters in groups of 4")
    return TrackingCode(candidate)


def is_canonical_tracking_code(text: str) -> bool:
    """Exactly the printed form: for machine-read payloads, which forgive nothing."""
    return _CANONICAL.fullmatch(text) is not None
