"""The server's log catalog: JSON lines that tell a story and never a secret.

The kiosk's rules (kiosk/log.py) hold here too, with the server's own events: code logs a
``ServerEvent`` and keyword fields; ``ServerRedactingFilter`` passes only catalog names as
messages and only the fields in ``SAFE_FIELDS``, drops %-arguments and exception text, and
shows anything else as ``"[redacted]"``. Enrollment tokens, request nonces, signatures, keys
and voter ids are never fields: a slip still does not reach the log.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from enum import Enum
from typing import Final, TextIO

from kiosk.log import REDACTED

SAFE_FIELDS: Final = frozenset(
    {
        "disposition",
        "reason",
        "election_id",
        "fingerprint",
        "kiosk_id",
        "backend",
        "database",
        "schema_version",
        "from_version",
        "to_version",
        "expires_at",
        "count",
        "route",
        "method",
        "status",
        "error",
        "host",
        "port",
        "tls",
        "workers",
        "version",
        "where",
        "accepted",
        "rejected",
        "duplicates",
        "scrutin_id",
        "channel",
    }
)
"""Fields that may reach a log. Never add a token, nonce, signature, key or voter id."""

_FIELDS_ATTR: Final = "isoloir_server_fields"


class ServerEvent(Enum):
    """Every event the server may log. Long actions log a start and an end with a disposition."""

    SERVER_RUN = "server_run"  # disposition: starting, started, stopped
    SCHEMA_MIGRATION = "schema_migration"  # from_version, to_version, backend
    ELECTION_BOUND = "election_bound"  # disposition: bound, package_updated
    ENROLLMENT_TOKEN = "enrollment_token"  # noqa: S105 - disposition: issued; kiosk_id, expires_at
    KIOSK_ENROLL = "kiosk_enroll"  # disposition: enrolled, refused; kiosk_id, reason
    REQUEST_REFUSED = "request_refused"  # reason (an error code), route, kiosk_id when well formed
    REQUEST_FAILED = "request_failed"  # route, error (the exception type only)
    NONCES_PRUNED = "nonces_pruned"  # count
    SERVER_KEY = "server_key"  # disposition: generated; where: database, file
    ENVELOPE_UPLOAD = "envelope_upload"  # kiosk_id, count, accepted, rejected, duplicates
    EMARGEMENT_CONFLICT = "emargement_conflict"  # kiosk_id, scrutin_id (never the voter)
    BUNDLE_IMPORT = "bundle_import"  # disposition: start, imported, refused; reason, counts
    # disposition: configured, sent, refused, rate_limited, unavailable, failed; channel,
    # kiosk_id, backend, reason (never the destination, text or token: server.messaging)
    MESSAGE_RELAY = "message_relay"


_EVENT_NAMES: Final = frozenset(event.value for event in ServerEvent)


def log_event(
    logger: logging.Logger, event: ServerEvent, level: int = logging.INFO, **fields: object
) -> None:
    logger.log(level, event.value, extra={_FIELDS_ATTR: fields})


class ServerRedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args or record.msg not in _EVENT_NAMES:
            record.args = None
            record.msg = REDACTED
        fields = getattr(record, _FIELDS_ATTR, {})
        safe = {k: (v if k in SAFE_FIELDS else REDACTED) for k, v in fields.items()}
        if record.exc_info:
            exc_type = record.exc_info[0]
            record.exc_info = None
            record.exc_text = None
            safe["error"] = exc_type.__name__ if exc_type else "?"
        setattr(record, _FIELDS_ATTR, safe)
        return True


class ServerJsonFormatter(logging.Formatter):
    converter = staticmethod(time.gmtime)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%SZ"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        entry.update(getattr(record, _FIELDS_ATTR, {}))
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send the ``server`` loggers' records, redacted, as JSON lines to ``stream`` (stderr)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(ServerRedactingFilter())
    handler.setFormatter(ServerJsonFormatter())
    root = logging.getLogger("server")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
