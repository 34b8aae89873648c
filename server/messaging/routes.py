"""``POST /v1/messages``: a kiosk hands the server one réassort message to relay (docs/server.md).

The kiosk composes the message (``kiosk.voting.reassort``) and signs the request; the server
checks and relays it (``server.messaging.desk``) and answers 202 once the relay has taken it.
For an e-mail the kiosk sends the token itself (``qr_token``), not an image: the server draws the
QR code (``kiosk.voting.token_qr``), so what it attaches is always exactly a token's QR code.
"""

# No "from __future__ import annotations" here: FastAPI reads the route's annotations at run
# time, and the dependency is a closure of server.app.

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from kiosk.voting.model import Channel
from kiosk.voting.reassort import TOKEN_ALPHABET, TOKEN_LENGTH, OutgoingMessage
from server.auth import AuthenticatedKiosk
from server.errors import ApiError, ErrorBody, Refusal
from server.log import ServerEvent, log_event
from server.messaging.desk import MessageDesk

if TYPE_CHECKING:
    from server.app import ServerState

MESSAGES_PATH: Final = "/v1/messages"
MAX_BODY_CHARS: Final = 8000
_NO_CONTROL: Final = r"^[^\x00-\x1f\x7f]+$"  # one line: no header injection

logger = logging.getLogger(__name__)


class MessageRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    channel: Literal["email", "sms"]
    to: str = Field(
        min_length=3,
        max_length=254,
        pattern=_NO_CONTROL,
        repr=False,
        description="the voter's personal e-mail address or phone number, as on the roll",
    )
    subject: str = Field(
        min_length=1, max_length=200, pattern=_NO_CONTROL, description="the e-mail's subject"
    )
    body: str = Field(
        min_length=1,
        max_length=MAX_BODY_CHARS,
        repr=False,
        description="the text (an SMS: at most 640 characters)",
    )
    qr_token: str | None = Field(
        default=None,
        pattern=f"^[{TOKEN_ALPHABET}]{{{TOKEN_LENGTH}}}$",
        repr=False,
        description="e-mail only: the token, compact, for the QR code the server attaches",
    )


class MessageAccepted(BaseModel):
    model_config = ConfigDict(frozen=True)

    channel: Literal["email", "sms"]
    accepted_at: str = Field(description="RFC 3339, UTC: when the relay took the message")


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorBody} for status in statuses}


def add_message_routes(
    app: FastAPI,
    state: "ServerState",
    authenticated_kiosk: Callable[..., Awaitable[AuthenticatedKiosk]],
) -> MessageDesk:
    """Add ``POST /v1/messages`` to ``app``; the desk behind it (its relays from the settings)."""
    desk = MessageDesk(
        state.database,
        state.clock,
        state.package,
        state.settings.delivery,
        registry=state.metrics.registry,
    )
    for channel, backend in desk.backends().items():
        log_event(
            logger,
            ServerEvent.MESSAGE_RELAY,
            disposition="configured",
            channel=channel.value,
            backend=backend,
        )

    @app.post(
        MESSAGES_PATH,
        status_code=202,
        response_model=MessageAccepted,
        tags=["messages"],
        summary="Relay one réassort message (e-mail or SMS) composed by the kiosk",
        responses=_errors(401, 403, 413, 422, 429, 502, 503),
    )
    async def relay_message(
        body: MessageRequest,
        kiosk: Annotated[AuthenticatedKiosk, Depends(authenticated_kiosk)],
    ) -> MessageAccepted:
        message = OutgoingMessage(
            Channel(body.channel),
            body.to,
            body.subject,
            body.body,
            state.clock.now(),
            body.qr_token,
        )
        result = await run_in_threadpool(desk.relay, kiosk.kiosk_id, message)
        if isinstance(result, Refusal):
            raise ApiError(result)
        return MessageAccepted(channel=body.channel, accepted_at=result.accepted_at)

    return desk
