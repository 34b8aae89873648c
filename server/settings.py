"""What one server process needs to know, validated once at start (docs/server.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Final

from server.messaging.settings import DeliverySettings

DEFAULT_MAX_CLOCK_SKEW: Final = timedelta(minutes=5)
DEFAULT_MAX_BODY_BYTES: Final = 16 << 20

ENV_DATABASE: Final = "ISOLOIR_SERVER_DB"
ENV_PACKAGE: Final = "ISOLOIR_SERVER_PACKAGE"
ENV_MAX_CLOCK_SKEW: Final = "ISOLOIR_SERVER_MAX_CLOCK_SKEW"
ENV_LOG_LEVEL: Final = "ISOLOIR_SERVER_LOG_LEVEL"
ENV_SERVER_KEY: Final = "ISOLOIR_SERVER_KEY_FILE"


class SettingsError(ValueError):
    """Settings that cannot run a server; the message names the setting."""


@dataclass(frozen=True)
class ServerSettings:
    database_url: str  # may hold a password: never log it (Database redacts it)
    package: Path  # the signed election package, folder or .zip
    max_clock_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    staging_dir: Path | None = None  # where a zipped package is unpacked while it is read
    server_key: Path | None = None  # the board-head signing key's file; None: in the database
    # Réassort relays (SMTP, SMS gateway, demo outbox) and rate limits: server.messaging
    delivery: DeliverySettings = field(default_factory=DeliverySettings)

    def __post_init__(self) -> None:
        if not timedelta(seconds=1) <= self.max_clock_skew <= timedelta(hours=1):
            raise SettingsError("the allowed clock skew must be between 1 s and 1 hour")
        if self.max_body_bytes < 1024:
            raise SettingsError("the body size limit must be at least 1024 bytes")

    def __repr__(self) -> str:
        return f"ServerSettings(package={str(self.package)!r})"

    def to_environment(self) -> dict[str, str]:
        """What worker processes read back with ``from_environment`` (uvicorn --workers)."""
        return {
            ENV_DATABASE: self.database_url,
            ENV_PACKAGE: str(self.package),
            ENV_MAX_CLOCK_SKEW: str(int(self.max_clock_skew.total_seconds())),
            **({ENV_SERVER_KEY: str(self.server_key)} if self.server_key else {}),
            **self.delivery.to_environment(),
        }

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> ServerSettings:
        missing = [name for name in (ENV_DATABASE, ENV_PACKAGE) if not environ.get(name)]
        if missing:
            raise SettingsError(f"set {' and '.join(missing)}")
        skew = environ.get(ENV_MAX_CLOCK_SKEW, str(int(DEFAULT_MAX_CLOCK_SKEW.total_seconds())))
        if not skew.isdigit():
            raise SettingsError(f"{ENV_MAX_CLOCK_SKEW}: expected whole seconds")
        return cls(
            database_url=environ[ENV_DATABASE],
            package=Path(environ[ENV_PACKAGE]),
            max_clock_skew=timedelta(seconds=int(skew)),
            server_key=Path(environ[ENV_SERVER_KEY]) if environ.get(ENV_SERVER_KEY) else None,
            delivery=DeliverySettings.from_environment(environ),
        )
