"""Time as a parameter: code asks a ``Clock`` for ``now()`` and tests hand in a ``ManualClock``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class ManualClock:
    """A clock that moves only when told to: for tests and scripted runs."""

    current: datetime = field(default_factory=lambda: datetime(2026, 12, 1, 8, 0, tzinfo=UTC))

    def __post_init__(self) -> None:
        if self.current.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware datetime")

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        if delta < timedelta(0):
            raise ValueError("a clock never goes back")
        self.current += delta


def isoformat_utc(instant: datetime) -> str:
    """RFC 3339 text of an aware instant, in UTC, to the second: the form every record uses."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: every instant in Isoloir carries its time zone")
    return instant.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
