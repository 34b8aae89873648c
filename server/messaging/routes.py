"""``POST /v1/messages``: a kiosk asks the server to send a voter's réassort token
(docs/server.md, "Réassort delivery").

The kiosk issues the token and keeps its rules; it sends only the channel, the voter id, the
language, the token and its expiry: no text, no address. The server composes the message from
the fixed templates (``kiosk.voting.reassort.compose_token_message``, the kiosk's own), to the
voter's réassort address on its roll, and relays it (``server.messaging.desk``), answering 202
once the relay has taken it. An e-mail gets the token's QR code, drawn here
(``kiosk.voting.token_qr``). A stolen kiosk key can thus send a token message to a voter on the
roll, within the rate limits, and nothing else.
"""

# No "from __future__ import annotations" here: FastAPI reads the route's annotations at run
# time, and the dependency is a closure of server.app.

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from kiosk.election.model import ID_PATTERN, VoterId
from kiosk.voting.model import Channel
from kiosk.voting.reassort import TOKEN_ALPHABET, TOKEN_LENGTH, TokenNotice
from server.auth import AuthenticatedKiosk
from server.errors import ApiError, ErrorBody, ErrorCode, Refusal
from server.log import ServerEvent, log_event
from server.messaging.desk import MessageDesk

if TYPE_CHECKING:
    from server.app import ServerState

MESSAGES_PATH: Final = "/v1/messages"
_ID_REGEX: Final = f"^{ID_PATTERN.pattern}$"
_INSTANT: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"

logger = logging.getLogger(__name__)


class MessageRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    channel: Literal["email", "sms"]
    voter_id: str = Field(
        pattern=_ID_REGEX,
        max_length=64,
        repr=False,
        description="the voter, as on the roll: the server sends to this voter's réassort address",
    )
    language: Literal["fr", "en"] = Field(description="the language of the message's template")
    token: str = Field(
        pattern=f"^[{TOKEN_ALPHABET}]{{{TOKEN_LENGTH}}}$",
        repr=False,
        description="the one-time token the kiosk issued, compact",
    )
    expires_at: str = Field(
        pattern=_INSTANT,
        description="RFC 3339, UTC, to the second: when the token expires (the kiosk's clock)",
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
        max_clock_skew=state.settings.max_clock_skew,
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
        summary="Send a voter a réassort token by e-mail or SMS, from the server's templates",
        responses=_errors(401, 403, 413, 422, 429, 502, 503),
    )
    async def relay_message(
        body: MessageRequest,
        kiosk: Annotated[AuthenticatedKiosk, Depends(authenticated_kiosk)],
    ) -> MessageAccepted:
        try:
            expires_at = datetime.fromisoformat(body.expires_at.replace("Z", "+00:00"))
        except ValueError:
            raise ApiError(
                Refusal(422, ErrorCode.INVALID_REQUEST, "expires_at: not an RFC 3339 UTC time")
            ) from None
        notice = TokenNotice(VoterId(body.voter_id), body.language, body.token, expires_at)
        result = await run_in_threadpool(desk.relay, kiosk.kiosk_id, Channel(body.channel), notice)
        if isinstance(result, Refusal):
            raise ApiError(result)
        return MessageAccepted(channel=body.channel, accepted_at=result.accepted_at)

    return desk
