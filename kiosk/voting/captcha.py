"""The vote-code CAPTCHA: digits drawn with noise, checked here (docs/voter-flow.md, "CAPTCHA").

One service per voting session holds at most one outstanding challenge: issuing a new image
(refresh, or after any attempt) replaces the previous one, a check spends it whatever the answer,
and an image older than its ``ttl`` is refused. Only a digest of the answer is kept. Supervised
stations switch the whole step off with ``KioskConfig.captcha = False`` (a visual CAPTCHA stops
blind voters; the assesseur is the human check there).

Randomness comes from ``rng`` (the system CSPRNG unless a seeded ``random.Random`` is handed in
for tests); each ``issue`` draws the text first, with ``captcha_text``, then the rest.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import io
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from PIL import Image, ImageDraw, ImageFont

from kiosk.voting.model import CaptchaImage

CAPTCHA_DIGITS: Final = "23456789"  # no 0/1: under noise they read as O/l/7
CAPTCHA_LENGTH: Final = 5
CAPTCHA_TTL: Final = timedelta(minutes=5)
IMAGE_SIZE: Final = (260, 90)
_ANSWER_TAG: Final = b"isoloir/captcha-answer/v1\x00"


def captcha_text(rng: random.Random, length: int = CAPTCHA_LENGTH) -> str:
    return "".join(rng.choice(CAPTCHA_DIGITS) for _ in range(length))


def normalize_answer(answer: str) -> str:
    """Case and spaces never matter."""
    return "".join(answer.split()).casefold()


def _digest(answer: str) -> bytes:
    return hashlib.sha256(_ANSWER_TAG + normalize_answer(answer).encode("utf-8")).digest()


@dataclass(frozen=True)
class _Outstanding:
    challenge_id: str
    answer_digest: bytes
    expires_at: datetime


class CaptchaService:
    def __init__(
        self,
        rng: random.Random | None = None,
        *,
        length: int = CAPTCHA_LENGTH,
        ttl: timedelta = CAPTCHA_TTL,
    ) -> None:
        if not 4 <= length <= 8:
            raise ValueError("a captcha has 4 to 8 digits")
        self._rng = rng if rng is not None else secrets.SystemRandom()
        self._length = length
        self._ttl = ttl
        self._outstanding: _Outstanding | None = None

    def __repr__(self) -> str:
        return f"CaptchaService(outstanding={self.outstanding})"

    @property
    def outstanding(self) -> int:
        return 0 if self._outstanding is None else 1

    def issue(self, now: datetime) -> CaptchaImage:
        """A new image; any previous challenge is void."""
        text = captcha_text(self._rng, self._length)
        challenge_id = f"{self._rng.getrandbits(64):016x}"
        png = render_png(text, random.Random(self._rng.getrandbits(64)))
        expires_at = now + self._ttl
        self._outstanding = _Outstanding(challenge_id, _digest(text), expires_at)
        return CaptchaImage(challenge_id, png, expires_at)

    def check(self, challenge_id: str | None, answer: str, now: datetime) -> bool:
        """True for the right answer to the current, unexpired challenge; spent either way."""
        current, self._outstanding = self._outstanding, None
        if current is None or challenge_id is None:
            return False
        same_id = hmac.compare_digest(current.challenge_id, challenge_id)
        right = hmac.compare_digest(current.answer_digest, _digest(answer))
        return same_id and right and now < current.expires_at

    def discard(self) -> None:
        """A session reset: the outstanding challenge, if any, is void."""
        self._outstanding = None


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def render_png(text: str, rng: random.Random, size: tuple[int, int] = IMAGE_SIZE) -> bytes:
    """Dark digits, each turned and shifted, over speckles and under crossing lines; PNG bytes.

    Deterministic for a given ``rng`` state (so tests can compare images).
    """
    width, height = size
    image = Image.new("RGB", size, _light(rng))
    draw = ImageDraw.Draw(image)
    for _ in range(width * height // 25):
        shade = rng.randrange(120, 220)
        draw.point((rng.randrange(width), rng.randrange(height)), fill=(shade, shade, shade))
    font = _font(int(height * 0.62))
    cell = width // (len(text) + 1)
    for index, char in enumerate(text):
        glyph = Image.new("L", (height, height), 0)
        ImageDraw.Draw(glyph).text((height / 2, height / 2), char, font=font, fill=255, anchor="mm")
        glyph = glyph.rotate(rng.uniform(-28, 28), resample=Image.Resampling.BICUBIC)
        x = cell // 2 + index * cell + rng.randrange(-4, 5) - (height - cell) // 2
        y = rng.randrange(-6, 7)
        image.paste(Image.new("RGB", glyph.size, _dark(rng)), (x, y), glyph)
    for _ in range(5):
        points = [(rng.randrange(width), rng.randrange(height)) for _ in range(3)]
        draw.line(points, fill=_dark(rng), width=rng.choice((1, 2)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _light(rng: random.Random) -> tuple[int, int, int]:
    return (rng.randrange(225, 256), rng.randrange(225, 256), rng.randrange(225, 256))


def _dark(rng: random.Random) -> tuple[int, int, int]:
    return (rng.randrange(0, 90), rng.randrange(0, 90), rng.randrange(0, 110))
