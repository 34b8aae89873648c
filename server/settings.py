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
DEFAULT_LOCK_TIMEOUT: Final = timedelta(seconds=5)
DEFAULT_STATEMENT_TIMEOUT: Final = timedelta(seconds=30)

ENV_DATABASE: Final = "ISOLOIR_SERVER_DB"
ENV_PACKAGE: Final = "ISOLOIR_SERVER_PACKAGE"
ENV_MAX_CLOCK_SKEW: Final = "ISOLOIR_SERVER_MAX_CLOCK_SKEW"
ENV_LOG_LEVEL: Final = "ISOLOIR_SERVER_LOG_LEVEL"
ENV_SERVER_KEY: Final = "ISOLOIR_SERVER_KEY_FILE"
ENV_LOCK_TIMEOUT: Final = "ISOLOIR_SERVER_DB_LOCK_TIMEOUT_MS"
ENV_STATEMENT_TIMEOUT: Final = "ISOLOIR_SERVER_DB_STATEMENT_TIMEOUT_MS"


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
    new_server_key: bool = False  # create server_key's file when missing (--new-server-key)
    # PostgreSQL lock_timeout and statement_timeout: a request waiting longer gets a 503
    db_lock_timeout: timedelta = DEFAULT_LOCK_TIMEOUT
    db_statement_timeout: timedelta = DEFAULT_STATEMENT_TIMEOUT
    # Réassort relays (SMTP, SMS gateway, demo outbox) and rate limits: server.messaging
    delivery: DeliverySettings = field(default_factory=DeliverySettings)

    def __post_init__(self) -> None:
        if not timedelta(seconds=1) <= self.max_clock_skew <= timedelta(hours=1):
            raise SettingsError("the allowed clock skew must be between 1 s and 1 hour")
        if self.max_body_bytes < 1024:
            raise SettingsError("the body size limit must be at least 1024 bytes")
        if self.new_server_key and self.server_key is None:
            raise SettingsError("--new-server-key creates the --server-key file: give both")
        for name, value in (
            ("lock timeout", self.db_lock_timeout),
            ("statement timeout", self.db_statement_timeout),
        ):
            if not timedelta(milliseconds=10) <= value <= timedelta(hours=1):
                raise SettingsError(f"the database {name} must be between 10 ms and 1 hour")

    def __repr__(self) -> str:
        return f"ServerSettings(package={str(self.package)!r})"

    def to_environment(self) -> dict[str, str]:
        """What worker processes read back with ``from_environment`` (uvicorn --workers)."""
        return {
            ENV_DATABASE: self.database_url,
            ENV_PACKAGE: str(self.package),
            ENV_MAX_CLOCK_SKEW: str(int(self.max_clock_skew.total_seconds())),
            **({ENV_SERVER_KEY: str(self.server_key)} if self.server_key else {}),
            ENV_LOCK_TIMEOUT: str(_milliseconds(self.db_lock_timeout)),
            ENV_STATEMENT_TIMEOUT: str(_milliseconds(self.db_statement_timeout)),
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
        timeouts = {}
        for name, default in (
            (ENV_LOCK_TIMEOUT, DEFAULT_LOCK_TIMEOUT),
            (ENV_STATEMENT_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT),
        ):
            text = environ.get(name, str(_milliseconds(default)))
            if not text.isdigit():
                raise SettingsError(f"{name}: expected whole milliseconds")
            timeouts[name] = timedelta(milliseconds=int(text))
        # Workers never create the key file: the parent process did, when asked to.
        return cls(
            database_url=environ[ENV_DATABASE],
            package=Path(environ[ENV_PACKAGE]),
            max_clock_skew=timedelta(seconds=int(skew)),
            server_key=Path(environ[ENV_SERVER_KEY]) if environ.get(ENV_SERVER_KEY) else None,
            db_lock_timeout=timeouts[ENV_LOCK_TIMEOUT],
            db_statement_timeout=timeouts[ENV_STATEMENT_TIMEOUT],
            delivery=DeliverySettings.from_environment(environ),
        )


def _milliseconds(value: timedelta) -> int:
    return int(value.total_seconds() * 1000)
