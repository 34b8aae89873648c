"""Réassort messages through the central server: the ``Notifier`` of an online kiosk.

The kiosk composes the message (``kiosk.voting.reassort``) and keeps every rule of the token: it
is issued, held as a digest, spent once and expires here, on this kiosk, never on the server. The
server only relays the message by SMTP or its SMS gateway (docs/server.md, "Réassort delivery"),
with the credentials the kiosk never holds.

``send`` answers False on any failure (server unreachable, refused, rate limited, relay down), and
the réassort then tells the voter the message could not be sent (``Notice.NOT_SENT``) and voids
the token. ``last_failure`` keeps the server's code for an operator, never the message.
"""

from __future__ import annotations

import threading
from typing import Final

from kiosk.sync.client import MESSAGE_TIMEOUT, ServerClient, ServerFailure
from kiosk.voting.reassort import OutgoingMessage

DEFAULT_TIMEOUT: Final = MESSAGE_TIMEOUT


class ServerNotifier:
    """Hands each message to ``client.send_message``; True once the server's relay took it."""

    def __init__(self, client: ServerClient, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._client = client
        self._timeout = timeout
        self._lock = threading.Lock()
        self._last_failure: ServerFailure | None = None

    def __repr__(self) -> str:
        return "ServerNotifier()"

    @property
    def last_failure(self) -> ServerFailure | None:
        """Why the last message was not sent (kind, the server's code, HTTP status); None after
        a success. For an operator's diagnosis: it holds nothing of the message."""
        with self._lock:
            return self._last_failure

    def send(self, message: OutgoingMessage) -> bool:
        result = self._client.send_message(
            message.channel.value,
            message.to,
            message.subject,
            message.body,
            message.qr_token,
            timeout=self._timeout,
        )
        failed = result if isinstance(result, ServerFailure) else None
        with self._lock:
            self._last_failure = failed
        return failed is None
