"""``POST /v1/envelopes``: a kiosk's batch of sealed envelopes (docs/server.md, "Envelope
upload"). The rules are ``server.envelopes``; this module is the HTTP edge: the request's form,
the answer's bytes, the metrics."""

# No "from __future__ import annotations": FastAPI reads these annotations at run time.

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from kiosk.encoding import EncodingError, b64decode
from server.auth import AuthenticatedKiosk
from server.envelopes import (
    MAX_BATCH,
    MAX_ENVELOPE_BYTES,
    EnvelopeAnswer,
    EnvelopeIntake,
    Reason,
    Status,
    UploadItem,
    response_bytes,
)
from server.errors import ErrorBody

ENVELOPES_PATH: Final = "/v1/envelopes"
_MAX_ENVELOPE_CHARS: Final = (MAX_ENVELOPE_BYTES + 2) // 3 * 4


class EnvelopeIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    envelope: str = Field(
        min_length=4,
        max_length=_MAX_ENVELOPE_CHARS,
        description="base64 of the envelope's canonical bytes (docs/protocol.md §11)",
    )
    receipt_signature: str = Field(
        min_length=88,
        max_length=88,
        description="base64 of the 64-byte receipt signature the voter's receipt carries (§12)",
    )


class UploadRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    envelopes: list[EnvelopeIn] = Field(min_length=1, max_length=MAX_BATCH)


class EnvelopeVerdict(BaseModel):
    """The answer for one envelope id: kept with the envelope when it was accepted or counted as
    a conflict, and sent again byte for byte to a retry."""

    model_config = ConfigDict(frozen=True)

    envelope_id: str | None = Field(
        description="32 hex digits; null when the envelope could not be read"
    )
    outcome: Literal["accepted", "rejected"]
    reason: Reason | None = Field(description="why it was refused; null when accepted")
    detail: str


class UploadAnswerOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: Status = Field(
        description="accepted now, duplicate (answered before: the answer is that earlier one), "
        "or rejected now"
    )
    answer: EnvelopeVerdict


class UploadResponse(BaseModel):
    model_config = ConfigDict(frozen=True)

    answers: list[UploadAnswerOut] = Field(description="one per envelope, in the request's order")


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorBody} for status in statuses}


def envelope_router(
    intake: EnvelopeIntake,
    authenticated_kiosk: Callable[..., Awaitable[AuthenticatedKiosk]],
    counter: Counter,
) -> APIRouter:
    router = APIRouter(tags=["envelopes"])

    def upload(kiosk: AuthenticatedKiosk, body: UploadRequest) -> list[EnvelopeAnswer]:
        items = [_item(envelope) for envelope in body.envelopes]
        answers = intake.upload(kiosk.kiosk_id, items)
        for answer in answers:
            reason = "" if answer.reason is None else answer.reason.value
            counter.labels(answer.status.value, reason).inc()
        return answers

    @router.post(
        ENVELOPES_PATH,
        response_model=UploadResponse,
        summary="Upload sealed envelopes (signed by the kiosk); one answer per envelope",
        responses=_errors(401, 403, 413, 422, 503),
    )
    async def upload_envelopes(
        body: UploadRequest,
        kiosk: Annotated[AuthenticatedKiosk, Depends(authenticated_kiosk)],
    ) -> Response:
        answers = await run_in_threadpool(upload, kiosk, body)
        return Response(response_bytes(answers), media_type="application/json")

    return router


def _item(envelope: EnvelopeIn) -> UploadItem:
    """Bytes that are not base64 become an empty envelope: refused as ``malformed``."""
    try:
        data = b64decode(envelope.envelope, "envelope")
    except EncodingError:
        data = b""
    try:
        signature = b64decode(envelope.receipt_signature, "receipt_signature", length=64)
    except EncodingError:
        signature = b""
    return UploadItem(data, signature)


def envelope_counter(registry: Any) -> Counter:
    return Counter(
        "isoloir_envelopes",
        "Envelopes answered, by status (accepted, duplicate, rejected) and refusal reason",
        ["status", "reason"],
        registry=registry,
    )
