"""A token bucket per client address, in this process's memory (docs/server.md, "Public board
page"): receipt uploads cost the server a decode, so each address gets a burst and a steady rate.

Several workers or hosts each keep their own buckets, so the server as a whole allows that many
times the rate; the limit is a brake on one noisy client, not an exact quota. Time comes from the
injected clock, so tests move it instead of sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from kiosk.clock import Clock

MAX_TRACKED: Final = 50_000  # addresses remembered at once; full buckets are forgotten first


@dataclass
class _Bucket:
    tokens: float
    updated: datetime


class RateLimiter:
    """``take(address)`` spends one token: None when allowed, else the seconds until the next
    token. Buckets start full (``burst`` tokens) and gain one token every ``every`` seconds."""

    def __init__(self, clock: Clock, *, burst: int, every: float) -> None:
        if burst < 1 or every <= 0:
            raise ValueError("a rate limit needs a burst of at least 1 and a positive interval")
        self._clock = clock
        self._burst = float(burst)
        self._every = every
        self._buckets: dict[str, _Bucket] = {}

    def take(self, address: str) -> float | None:
        now = self._clock.now()
        bucket = self._buckets.get(address)
        if bucket is None:
            if len(self._buckets) >= MAX_TRACKED:
                self._forget_full(now)
            bucket = self._buckets[address] = _Bucket(self._burst, now)
        else:
            self._refill(bucket, now)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return (1.0 - bucket.tokens) * self._every

    def _refill(self, bucket: _Bucket, now: datetime) -> None:
        elapsed = max(0.0, (now - bucket.updated).total_seconds())
        bucket.tokens = min(self._burst, bucket.tokens + elapsed / self._every)
        bucket.updated = now

    def _forget_full(self, now: datetime) -> None:
        """Drop the buckets that have refilled (they behave as new ones); if every address is
        still spending, drop them all rather than grow without bound."""
        for address, bucket in list(self._buckets.items()):
            self._refill(bucket, now)
            if bucket.tokens >= self._burst:
                del self._buckets[address]
        if len(self._buckets) >= MAX_TRACKED:
            self._buckets.clear()
