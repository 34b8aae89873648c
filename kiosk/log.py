"""JSON logs that tell a story and never a secret.

Code logs an event from the ``LogEvent`` catalog and keyword fields:
``log_event(logger, LogEvent.PACKAGE_LOAD, disposition="loaded", fingerprint=f)``.
``RedactingFilter`` passes only catalog event names as messages, only whitelisted fields, no
%-style arguments and no exception text; anything else becomes ``"[redacted]"``, so a new field
or a stray ``logger.info(f"...")`` is hidden until someone decides it is safe to show.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from enum import Enum
from typing import Final, TextIO

from kiosk.audit import AuditEvent

REDACTED: Final = "[redacted]"
SAFE_FIELDS: Final = frozenset().union(*(event.fields for event in AuditEvent)) | frozenset(
    {
        "event",
        "election_id",
        "fingerprint",
        "scrutin_id",
        "kiosk_id",
        "schema_version",
        "from_version",
        "to_version",
        "count",
        "voters",
        "scrutins",
        "state",
        "path",
        "reason",
        "duration_ms",
        "disposition",
        "error",
        "where",
    }
)
"""Fields that may reach a log: every audit-catalog field, and these.

Never add a password, vote code, answer, NUMEN, nonce, key or choice.
"""

FIELDS_ATTR: Final = "isoloir_fields"  # where a record carries its fields (server/log.py too)


class LogEvent(Enum):
    """Every event the core may log. Long actions log a start and an end with a disposition."""

    PACKAGE_LOAD = "package_load"
    # disposition: started, finished, quit, timed_out, locked, incident
    VOTER_SESSION = "voter_session"
    VOTER_LOGIN = "voter_login"  # disposition: accepted, refused, wait, locked, polls_closed
    VOTE_CODE_CHECK = "vote_code_check"  # disposition: accepted, refused, wait, locked, captcha
    REASSORT = "reassort"  # disposition: token_sent, authorized, regenerated, refused; channel
    BALLOT_SEAL = "ballot_seal"  # start / complete, scrutin_id
    BALLOT_CAST = "ballot_cast"  # start / complete with disposition recorded or refused
    BALLOT_CHALLENGE = "ballot_challenge"  # complete, scrutin_id
    # start / end: deposited, pending, rejected (the server refused it), failed; scrutin_id
    BALLOT_UPLOAD = "ballot_upload"
    VOTER_STATUS = "voter_status"  # checked, unavailable (the server's answer, never its content)
    SERVER_CALL = "server_call"  # disposition: unavailable; reason (a failure kind), where
    BUNDLE_EXPORT = "bundle_export"  # start / complete with disposition written or refused; count
    # start / complete with disposition complete or stopped (reason: the failure kind); count
    OUTBOX_SYNC = "outbox_sync"


_EVENT_NAMES: Final = frozenset(event.value for event in LogEvent)


def log_event(
    logger: logging.Logger, event: LogEvent, level: int = logging.INFO, **fields: object
) -> None:
    logger.log(level, event.value, extra={FIELDS_ATTR: fields})


class RedactingFilter(logging.Filter):
    """Lets through only catalog names as messages and only ``safe_fields`` as fields (the
    kiosk's by default; the server passes its own catalog)."""

    def __init__(
        self,
        event_names: frozenset[str] = _EVENT_NAMES,
        safe_fields: frozenset[str] = SAFE_FIELDS,
    ) -> None:
        super().__init__()
        self._event_names = event_names
        self._safe_fields = safe_fields

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args or record.msg not in self._event_names:
            # Free text and %-arguments could carry anything: only catalog names pass.
            record.args = None
            record.msg = REDACTED
        fields = getattr(record, FIELDS_ATTR, {})
        setattr(
            record,
            FIELDS_ATTR,
            {k: (v if k in self._safe_fields else REDACTED) for k, v in fields.items()},
        )
        if record.exc_info:
            # Exception messages may quote input; keep the exception type only.
            exc_type = record.exc_info[0]
            record.exc_info = None
            record.exc_text = None
            name = exc_type.__name__ if exc_type else "?"
            setattr(record, FIELDS_ATTR, {**getattr(record, FIELDS_ATTR), "error": name})
        return True


class JsonFormatter(logging.Formatter):
    converter = staticmethod(time.gmtime)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%SZ"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        entry.update(getattr(record, FIELDS_ATTR, {}))
        return json.dumps(entry, ensure_ascii=False, default=str, sort_keys=False)


def configure(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send the ``kiosk`` loggers' records, redacted, as JSON lines to ``stream`` (stderr)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("kiosk")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
