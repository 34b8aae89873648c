"""The server's log catalog: JSON lines that tell a story and never a secret.

The kiosk's rules (kiosk/log.py) hold here too, with the server's own events: code logs a
``ServerEvent`` and keyword fields; the kiosk's ``RedactingFilter``, given this catalog,
passes only its names as messages and only the fields in ``SAFE_FIELDS``, drops %-arguments
and exception text, and shows anything else as ``"[redacted]"``. Enrollment tokens, request
nonces, signatures, keys and voter ids are never fields: a slip still does not reach the log.
"""

from __future__ import annotations

import logging
import sys
from enum import Enum
from typing import Final, TextIO

from kiosk.log import FIELDS_ATTR, JsonFormatter, RedactingFilter

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
    logger.log(level, event.value, extra={FIELDS_ATTR: fields})


def configure(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send the ``server`` loggers' records, redacted, as JSON lines to ``stream`` (stderr)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactingFilter(_EVENT_NAMES, SAFE_FIELDS))
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("server")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
