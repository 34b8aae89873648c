"""Réassort messages through the central server: the ``Notifier`` of an online kiosk.

The kiosk keeps every rule of the token: it is issued, held as a digest, spent once and expires
here, on this kiosk, never on the server. It sends the server the message's ``TokenNotice`` only
(channel, voter id, language, token, expiry): never text nor an address. The server composes the
same message from the same templates (``kiosk.voting.reassort.compose_token_message``) to the
voter's address on its roll, and relays it by SMTP or its SMS gateway (docs/server.md,
"Réassort delivery"), with the credentials the kiosk never holds.

``send`` answers False on any failure (server unreachable, refused, rate limited, relay down), and
the réassort then tells the voter the message could not be sent (``Notice.NOT_SENT``) and voids
the token. ``last_failure`` keeps the server's code for an operator, never the message.
"""

from __future__ import annotations

import threading
from typing import Final

from kiosk.sync.client import MESSAGE_TIMEOUT, FailureKind, ServerClient, ServerFailure
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
        notice = message.notice
        if notice is None:  # the server relays token messages only, never free text
            with self._lock:
                self._last_failure = ServerFailure(
                    FailureKind.REFUSED, "the server sends réassort token messages only"
                )
            return False
        result = self._client.send_message(
            message.channel.value,
            notice.voter_id,
            notice.language,
            notice.token,
            notice.expires_at,
            timeout=self._timeout,
        )
        failed = result if isinstance(result, ServerFailure) else None
        with self._lock:
            self._last_failure = failed
        return failed is None
