"""Where réassort messages go and how many may go: read once at start (docs/server.md).

Every setting comes from the environment (``ISOLOIR_SERVER_SMTP_*``, ``ISOLOIR_SERVER_SMS_*``,
``ISOLOIR_SERVER_OUTBOX``, ``ISOLOIR_SERVER_MESSAGE_LIMIT_*``), so that the SMTP password and
the gateway's bearer token never appear on a command line; each secret may instead be read from
a file (``..._FILE``: a systemd credential, a mounted secret). Secrets are ``repr=False`` and no
message here quotes them.

A channel without a relay is not offered: the server answers ``channel_not_configured``. The demo
folder (``ISOLOIR_SERVER_OUTBOX``) serves each channel that has no real relay.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Final, NoReturn
from urllib.parse import urlsplit

DEFAULT_RELAY_TIMEOUT: Final = 8.0  # seconds per network step; the kiosk waits 15 s in all
MAX_RELAY_TIMEOUT: Final = 60.0
MAX_LIMIT_COUNT: Final = 1000  # one database row per allowed message and subject

ENV_SMTP_HOST: Final = "ISOLOIR_SERVER_SMTP_HOST"
ENV_SMTP_PORT: Final = "ISOLOIR_SERVER_SMTP_PORT"
ENV_SMTP_SECURITY: Final = "ISOLOIR_SERVER_SMTP_SECURITY"
ENV_SMTP_USER: Final = "ISOLOIR_SERVER_SMTP_USER"
ENV_SMTP_PASSWORD: Final = "ISOLOIR_SERVER_SMTP_PASSWORD"  # noqa: S105 - a variable's name
ENV_SMTP_PASSWORD_FILE: Final = "ISOLOIR_SERVER_SMTP_PASSWORD_FILE"  # noqa: S105 - a name
ENV_SMTP_FROM: Final = "ISOLOIR_SERVER_SMTP_FROM"
ENV_SMTP_CA_FILE: Final = "ISOLOIR_SERVER_SMTP_CA_FILE"
ENV_SMTP_TIMEOUT: Final = "ISOLOIR_SERVER_SMTP_TIMEOUT"
ENV_SMS_URL: Final = "ISOLOIR_SERVER_SMS_GATEWAY_URL"
ENV_SMS_TOKEN: Final = "ISOLOIR_SERVER_SMS_GATEWAY_TOKEN"  # noqa: S105 - a variable's name
ENV_SMS_TOKEN_FILE: Final = "ISOLOIR_SERVER_SMS_GATEWAY_TOKEN_FILE"  # noqa: S105 - a name
ENV_SMS_SENDER: Final = "ISOLOIR_SERVER_SMS_SENDER"
ENV_SMS_CA_FILE: Final = "ISOLOIR_SERVER_SMS_GATEWAY_CA_FILE"
ENV_SMS_TIMEOUT: Final = "ISOLOIR_SERVER_SMS_GATEWAY_TIMEOUT"
ENV_OUTBOX: Final = "ISOLOIR_SERVER_OUTBOX"
ENV_LIMIT_DESTINATION: Final = "ISOLOIR_SERVER_MESSAGE_LIMIT_DESTINATION"
ENV_LIMIT_KIOSK: Final = "ISOLOIR_SERVER_MESSAGE_LIMIT_KIOSK"

ENVIRONMENT_NAMES: Final = (
    ENV_SMTP_HOST,
    ENV_SMTP_PORT,
    ENV_SMTP_SECURITY,
    ENV_SMTP_USER,
    ENV_SMTP_PASSWORD,
    ENV_SMTP_PASSWORD_FILE,
    ENV_SMTP_FROM,
    ENV_SMTP_CA_FILE,
    ENV_SMTP_TIMEOUT,
    ENV_SMS_URL,
    ENV_SMS_TOKEN,
    ENV_SMS_TOKEN_FILE,
    ENV_SMS_SENDER,
    ENV_SMS_CA_FILE,
    ENV_SMS_TIMEOUT,
    ENV_OUTBOX,
    ENV_LIMIT_DESTINATION,
    ENV_LIMIT_KIOSK,
)

_HOST: Final = re.compile(r"[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]")
_ADDRESS: Final = re.compile(r"[^\s@<>\"]{1,64}@[A-Za-z0-9.-]{1,253}")
_SENDER_NAME: Final = re.compile(r"[A-Za-z0-9 ._+-]{1,16}")
_LIMIT: Final = re.compile(r"([1-9][0-9]{0,3})\s*/\s*([1-9][0-9]{0,6})([smhd]?)")
_UNITS: Final = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _refuse(message: str) -> NoReturn:
    # Imported here: server.settings imports this module for its ``delivery`` field.
    from server.settings import SettingsError

    raise SettingsError(message)


class SmtpSecurity(StrEnum):
    STARTTLS = "starttls"  # plain connection upgraded by STARTTLS (port 587): the default
    SSL = "ssl"  # TLS from the first byte (port 465)
    NONE = "none"  # no TLS at all: a relay on this machine only


DEFAULT_SMTP_PORTS: Final = {
    SmtpSecurity.STARTTLS: 587,
    SmtpSecurity.SSL: 465,
    SmtpSecurity.NONE: 25,
}


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine: ``localhost``, 127.0.0.0/8 or ``::1``."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    sender: str  # the From address
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    port: int | None = None  # None: 587, 465 or 25 by ``security``
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None  # None: the system's certificate authorities
    timeout: float = DEFAULT_RELAY_TIMEOUT

    def __post_init__(self) -> None:
        if not _HOST.fullmatch(self.host):
            _refuse(f"{ENV_SMTP_HOST}: not a host name or address")
        if not _ADDRESS.fullmatch(self.sender):
            _refuse(f"{ENV_SMTP_FROM}: expected an address such as no-reply@example.org")
        if self.port is not None and not 0 < self.port < 65536:
            _refuse(f"{ENV_SMTP_PORT}: between 1 and 65535")
        if (self.user is None) != (self.password is None):
            _refuse(f"give {ENV_SMTP_USER} and {ENV_SMTP_PASSWORD} together, or neither")
        if (
            self.security is SmtpSecurity.NONE
            and self.password is not None
            and not is_loopback(self.host)
        ):
            _refuse(
                f"{ENV_SMTP_SECURITY}=none would send the SMTP password in clear to "
                f"{self.host}: use starttls or ssl (none is for a relay on this machine)"
            )
        _check_timeout(self.timeout, ENV_SMTP_TIMEOUT)

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else DEFAULT_SMTP_PORTS[self.security]


@dataclass(frozen=True)
class SmsGatewaySettings:
    url: str  # https:// (http:// only to this machine): where each SMS is POSTed as JSON
    token: str = field(repr=False)  # the bearer token the gateway expects
    sender: str | None = None  # the sender name the gateway shows, when it supports one
    ca_file: Path | None = None
    timeout: float = DEFAULT_RELAY_TIMEOUT

    def __post_init__(self) -> None:
        try:
            parts = urlsplit(self.url)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            _refuse(f"{ENV_SMS_URL}: not a URL")
        if parts.scheme not in ("https", "http") or not parts.hostname:
            _refuse(f"{ENV_SMS_URL}: expected https://host/path")
        if parts.username is not None or parts.password is not None:
            _refuse(f"{ENV_SMS_URL}: no credentials in the URL (use {ENV_SMS_TOKEN})")
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            _refuse(
                f"{ENV_SMS_URL}: http:// would send the bearer token in clear; use https:// "
                "(http:// is for a gateway on this machine)"
            )
        if not self.token or any(c.isspace() for c in self.token) or not self.token.isascii():
            _refuse(f"{ENV_SMS_TOKEN}: expected a token without spaces")
        if self.sender is not None and not _SENDER_NAME.fullmatch(self.sender):
            _refuse(f"{ENV_SMS_SENDER}: 1 to 16 letters, digits, spaces or ._+-")
        _check_timeout(self.timeout, ENV_SMS_TIMEOUT)

    def __repr__(self) -> str:  # the URL's query might hold a key: show where only
        parts = urlsplit(self.url)
        return f"SmsGatewaySettings({parts.scheme}://{parts.netloc}{parts.path})"


@dataclass(frozen=True)
class RateLimit:
    """At most ``count`` messages in any ``window`` (a sliding window, not calendar slots)."""

    count: int
    window: timedelta

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_LIMIT_COUNT:
            _refuse(f"a message limit allows 1 to {MAX_LIMIT_COUNT} messages")
        if not timedelta(seconds=1) <= self.window <= timedelta(days=30):
            _refuse("a message limit's window is between 1 s and 30 days")

    @classmethod
    def parse(cls, text: str, name: str) -> RateLimit:
        """``3/15m``: 3 messages per 15 minutes (units s, m, h, d)."""
        match = _LIMIT.fullmatch(text.strip())
        if match is None:
            _refuse(f"{name}: expected COUNT/WINDOW, such as 3/15m or 20/1h")
        return cls(int(match[1]), timedelta(seconds=int(match[2]) * _UNITS[match[3]]))

    def __str__(self) -> str:
        seconds = int(self.window.total_seconds())
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if seconds % size == 0:
                return f"{self.count}/{seconds // size}{unit}"
        return f"{self.count}/{seconds}s"


DEFAULT_LIMIT_DESTINATION: Final = RateLimit(3, timedelta(minutes=15))
DEFAULT_LIMIT_KIOSK: Final = RateLimit(20, timedelta(minutes=15))


@dataclass(frozen=True)
class DeliverySettings:
    """The relays of this server. None of them: réassort by message is refused (503)."""

    smtp: SmtpSettings | None = None
    sms_gateway: SmsGatewaySettings | None = None
    outbox: Path | None = None  # the demo's folder, for each channel without a real relay
    per_destination: RateLimit = DEFAULT_LIMIT_DESTINATION
    per_kiosk: RateLimit = DEFAULT_LIMIT_KIOSK

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> DeliverySettings:
        def get(name: str) -> str | None:
            value = environ.get(name, "").strip()
            return value or None

        smtp = None
        host = get(ENV_SMTP_HOST)
        if host is not None:
            security_text = get(ENV_SMTP_SECURITY) or SmtpSecurity.STARTTLS.value
            if security_text not in {s.value for s in SmtpSecurity}:
                _refuse(f"{ENV_SMTP_SECURITY}: starttls, ssl or none")
            sender = get(ENV_SMTP_FROM)
            if sender is None:
                _refuse(f"{ENV_SMTP_HOST} needs {ENV_SMTP_FROM} (the From address)")
            smtp = SmtpSettings(
                host=host,
                sender=sender,
                security=SmtpSecurity(security_text),
                port=_integer(get(ENV_SMTP_PORT), ENV_SMTP_PORT),
                user=get(ENV_SMTP_USER),
                password=_secret(environ, ENV_SMTP_PASSWORD, ENV_SMTP_PASSWORD_FILE),
                ca_file=_path(get(ENV_SMTP_CA_FILE)),
                timeout=_seconds(get(ENV_SMTP_TIMEOUT), ENV_SMTP_TIMEOUT),
            )
        sms = None
        url = get(ENV_SMS_URL)
        if url is not None:
            token = _secret(environ, ENV_SMS_TOKEN, ENV_SMS_TOKEN_FILE)
            if token is None:
                _refuse(f"{ENV_SMS_URL} needs {ENV_SMS_TOKEN} or {ENV_SMS_TOKEN_FILE}")
            sms = SmsGatewaySettings(
                url=url,
                token=token,
                sender=get(ENV_SMS_SENDER),
                ca_file=_path(get(ENV_SMS_CA_FILE)),
                timeout=_seconds(get(ENV_SMS_TIMEOUT), ENV_SMS_TIMEOUT),
            )
        destination = get(ENV_LIMIT_DESTINATION)
        kiosk = get(ENV_LIMIT_KIOSK)
        return cls(
            smtp=smtp,
            sms_gateway=sms,
            outbox=_path(get(ENV_OUTBOX)),
            per_destination=(
                RateLimit.parse(destination, ENV_LIMIT_DESTINATION)
                if destination
                else DEFAULT_LIMIT_DESTINATION
            ),
            per_kiosk=RateLimit.parse(kiosk, ENV_LIMIT_KIOSK) if kiosk else DEFAULT_LIMIT_KIOSK,
        )

    def to_environment(self) -> dict[str, str]:
        """What ``from_environment`` reads back (the worker processes of ``--workers N``)."""
        env: dict[str, str] = {
            ENV_LIMIT_DESTINATION: str(self.per_destination),
            ENV_LIMIT_KIOSK: str(self.per_kiosk),
        }
        if self.outbox is not None:
            env[ENV_OUTBOX] = str(self.outbox)
        if self.smtp is not None:
            smtp = self.smtp
            env.update(
                {
                    ENV_SMTP_HOST: smtp.host,
                    ENV_SMTP_FROM: smtp.sender,
                    ENV_SMTP_SECURITY: smtp.security.value,
                    ENV_SMTP_TIMEOUT: str(smtp.timeout),
                }
            )
            if smtp.port is not None:
                env[ENV_SMTP_PORT] = str(smtp.port)
            if smtp.user is not None and smtp.password is not None:
                env[ENV_SMTP_USER] = smtp.user
                env[ENV_SMTP_PASSWORD] = smtp.password
            if smtp.ca_file is not None:
                env[ENV_SMTP_CA_FILE] = str(smtp.ca_file)
        if self.sms_gateway is not None:
            sms = self.sms_gateway
            env.update({ENV_SMS_URL: sms.url, ENV_SMS_TOKEN: sms.token})
            env[ENV_SMS_TIMEOUT] = str(sms.timeout)
            if sms.sender is not None:
                env[ENV_SMS_SENDER] = sms.sender
            if sms.ca_file is not None:
                env[ENV_SMS_CA_FILE] = str(sms.ca_file)
        return env


def _secret(environ: Mapping[str, str], name: str, file_name: str) -> str | None:
    """A secret from ``name``, or from the file ``file_name`` names (one trailing newline off)."""
    value = environ.get(name) or None
    path = environ.get(file_name, "").strip() or None
    if value is not None and path is not None:
        _refuse(f"give {name} or {file_name}, not both")
    if path is None:
        return value
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _refuse(f"{file_name}: cannot read {path} ({type(exc).__name__})")
    return text.removesuffix("\n").removesuffix("\r") or None


def _integer(text: str | None, name: str) -> int | None:
    if text is None:
        return None
    if not text.isdigit():
        _refuse(f"{name}: expected a whole number")
    return int(text)


def _seconds(text: str | None, name: str) -> float:
    if text is None:
        return DEFAULT_RELAY_TIMEOUT
    try:
        return float(text)
    except ValueError:
        _refuse(f"{name}: expected seconds, such as 8 or 2.5")


def _check_timeout(value: float, name: str) -> None:
    if not 0 < value <= MAX_RELAY_TIMEOUT:
        _refuse(f"{name}: between 0 and {MAX_RELAY_TIMEOUT:g} seconds")


def _path(text: str | None) -> Path | None:
    return None if text is None else Path(text)
