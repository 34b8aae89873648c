"""Kiosk configuration: a TOML file plus ``ISOLOIR_*`` environment overrides, validated once.

Every setting has a default, a type and a check; an unknown key, a wrong type or a bad value
stops the program at start with a message naming the setting and where it came from.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal, get_args

Language = Literal["fr", "en"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
ENV_PREFIX = "ISOLOIR_"


class ConfigError(ValueError):
    """A setting that cannot be used; the message names it and its source."""


@dataclass(frozen=True)
class KioskConfig:
    store: Path = Path("isoloir-kiosk.db")
    key_file: Path | None = None  # else the passphrase is asked for (or ISOLOIR_STORE_PASSPHRASE)
    staging_dir: Path | None = None  # where packages are unpacked; default: the system temp dir
    language: Language = "fr"
    captcha: bool = True  # may be switched off at supervised stations
    inactivity_warning_seconds: int = 60
    inactivity_reset_seconds: int = 30
    server_url: str | None = None
    # The bound on each call made while a voter waits (the at-cast upload, the voter-status check,
    # the shared lockout counters): past it the kiosk goes on with what it knows locally.
    server_timeout_ms: int = 3000
    log_level: LogLevel = "INFO"

    @property
    def server_timeout(self) -> float:
        """``server_timeout_ms`` in seconds, as the HTTP client takes it."""
        return self.server_timeout_ms / 1000

    def __post_init__(self) -> None:
        if self.language not in get_args(Language):
            raise ConfigError(f"language: {self.language!r} is not one of fr, en")
        if self.log_level not in get_args(LogLevel):
            raise ConfigError(
                f"log_level: {self.log_level!r} is not one of {', '.join(get_args(LogLevel))}"
            )
        for name in ("inactivity_warning_seconds", "inactivity_reset_seconds"):
            value = getattr(self, name)
            if not 5 <= value <= 3600:
                raise ConfigError(f"{name}: {value} is outside 5..3600 seconds")
        if not 100 <= self.server_timeout_ms <= 30_000:
            raise ConfigError(
                f"server_timeout_ms: {self.server_timeout_ms} is outside 100..30000 milliseconds"
            )
        if self.server_url is not None and not self.server_url.startswith(("https://", "http://")):
            raise ConfigError(f"server_url: {self.server_url!r} is not an http(s) URL")


_FIELD_TYPES: dict[str, str] = {f.name: str(f.type) for f in fields(KioskConfig)}


def load_config(path: Path | None, environ: Mapping[str, str] = os.environ) -> KioskConfig:
    """Read ``path`` (its ``[kiosk]`` table), then apply ``ISOLOIR_<SETTING>`` overrides."""
    raw: dict[str, tuple[object, str]] = {}
    if path is not None:
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: invalid TOML ({exc})") from None
        unknown_tables = sorted(set(document) - {"kiosk"})
        if unknown_tables:
            raise ConfigError(f"{path}: unknown table [{unknown_tables[0]}]")
        table = document.get("kiosk", {})
        for key, value in table.items():
            raw[key] = (value, f"{path} [kiosk].{key}")
    for name in _FIELD_TYPES:
        env_name = ENV_PREFIX + name.upper()
        if env_name in environ:
            raw[name] = (environ[env_name], f"environment {env_name}")
    values: dict[str, object] = {}
    for key, (value, source) in raw.items():
        if key not in _FIELD_TYPES:
            raise ConfigError(f"{source}: unknown setting {key!r}")
        values[key] = _coerce(_FIELD_TYPES[key], value, source)
    try:
        return KioskConfig(**values)  # type: ignore[arg-type]  # each value coerced above
    except ConfigError as exc:
        raise ConfigError(f"configuration: {exc}") from None


def _coerce(type_name: str, value: object, source: str) -> object:
    optional = "None" in type_name
    if optional and value == "":
        return None
    if type_name.startswith("Path"):
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{source}: expected a path")
        return Path(value)
    if type_name == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in (
            "1",
            "true",
            "yes",
            "on",
            "0",
            "false",
            "no",
            "off",
        ):
            return value.lower() in ("1", "true", "yes", "on")
        raise ConfigError(f"{source}: expected true or false")
    if type_name == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise ConfigError(f"{source}: expected a whole number")
    if not isinstance(value, str):
        raise ConfigError(f"{source}: expected text")
    return value
