"""The public bulletin board over HTTP (docs/server.md, "The bulletin board (JSON)").

Unsigned, public requests: ``GET /v1/server-key`` (the key that signs the board head),
``GET /v1/board/head`` (count and head hash, signed), ``GET /v1/board?after=N&limit=M``
(board.jsonl lines, the record's format, a page of at most 10,000 entries: 1,000 unless
``limit`` says) and ``GET /v1/board/entries/{code}`` (one
entry, by a tracking code typed as people type it).
"""

# No "from __future__ import annotations": FastAPI reads these annotations at run time.

import hashlib
from collections.abc import Iterator
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from kiosk.crypto.tracking import parse_tracking_code
from kiosk.encoding import b64encode
from server.board import PublicBoard
from server.errors import ApiError, ErrorBody, ErrorCode, Refusal

JSONL: Final = "application/jsonl"
MAX_PAGE: Final = 10_000
DEFAULT_PAGE: Final = 1_000
HEADER_COUNT: Final = "X-Isoloir-Board-Count"
HEADER_HEAD: Final = "X-Isoloir-Board-Head"


class ServerKeyInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    algorithm: Literal["ed25519"]
    public_key: str = Field(description="base64 of the 32-byte Ed25519 public key")
    sha256: str = Field(description="hex SHA-256 of those 32 bytes, to compare by eye")


class SignedBoardHead(BaseModel):
    """``isoloir.signed-board-head/1`` (docs/server.md): canonical JSON, signed by the server."""

    model_config = ConfigDict(frozen=True)

    schema_: Literal["isoloir.signed-board-head/1"] = Field(alias="schema")
    election_id: str
    fingerprint: str
    count: int = Field(ge=0)
    head: str = Field(description="hex of the last entry's hash (the genesis when empty)")
    signed_at: str = Field(description="RFC 3339, UTC, the server's clock")
    server_key: str = Field(description="base64 of the server's Ed25519 public key")
    signature: str = Field(description="base64 Ed25519 signature (docs/server.md)")


class BoardEntryOut(BaseModel):
    """One line of board.jsonl (docs/protocol.md §15.2)."""

    model_config = ConfigDict(frozen=True)

    seq: int = Field(ge=1)
    scrutin_id: str
    ballot: str = Field(description="base64 of the canonical ballot bytes (§9)")
    tracking_code: str
    kiosk_id: str
    kiosk_signature: str = Field(description="base64 of the receipt signature (§12)")
    prev_hash: str
    hash: str


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorBody} for status in statuses}


_NOT_SEALED: Final = Refusal(
    404, ErrorCode.NOT_FOUND, "the election package is not sealed yet: the board has no genesis"
)


def board_router(board: PublicBoard) -> APIRouter:
    router = APIRouter(tags=["board"])

    @router.get(
        "/v1/server-key",
        response_model=ServerKeyInfo,
        summary="The server's Ed25519 public key, which signs the board head",
    )
    def server_key() -> ServerKeyInfo:
        return ServerKeyInfo(
            algorithm="ed25519",
            public_key=b64encode(board.public_key),
            sha256=hashlib.sha256(board.public_key).hexdigest(),
        )

    @router.get(
        "/v1/board/head",
        response_model=SignedBoardHead,
        summary="The board's entry count and head hash, signed by the server",
        responses=_errors(404, 503),
    )
    def board_head() -> Response:
        signed = board.signed_head()
        if signed is None:
            raise ApiError(_NOT_SEALED)
        return Response(signed.to_json(), media_type="application/json")

    @router.get(
        "/v1/board",
        summary="The board, one canonical JSON entry per line (board.jsonl, §15.2)",
        response_class=StreamingResponse,
        responses={
            200: {
                "content": {JSONL: {"schema": {"type": "string"}}},
                "description": f"entries after+1 .. after+limit (a page: fetch the next with "
                f"after=after+limit until {HEADER_COUNT}); {HEADER_COUNT} and {HEADER_HEAD} "
                "give the whole board's count and head when the read began",
            },
            **_errors(404, 422, 503),
        },
    )
    def whole_board(
        after: Annotated[int, Query(ge=0, le=10**9, description="start after this seq")] = 0,
        limit: Annotated[
            int,
            Query(
                ge=1,
                le=MAX_PAGE,
                description=f"at most this many entries ({DEFAULT_PAGE}; at most {MAX_PAGE})",
            ),
        ] = DEFAULT_PAGE,
    ) -> StreamingResponse:
        head = board.head()
        if head is None:
            raise ApiError(_NOT_SEALED)
        up_to = min(head.count, after + limit)
        lines: Iterator[bytes] = board.lines(after, up_to)
        return StreamingResponse(
            lines,
            media_type=JSONL,
            headers={HEADER_COUNT: str(head.count), HEADER_HEAD: head.head.hex()},
        )

    @router.get(
        "/v1/board/entries/{tracking_code}",
        response_model=BoardEntryOut,
        summary="The board entry with this tracking code (case, spaces and dashes forgiven)",
        responses=_errors(404, 422, 503),
    )
    def board_entry(
        tracking_code: Annotated[str, Path(max_length=80, description="e.g. ABCD-EFGH-…")],
    ) -> Response:
        try:
            code = parse_tracking_code(tracking_code)
        except ValueError as exc:
            raise ApiError(Refusal(422, ErrorCode.INVALID_REQUEST, str(exc))) from None
        entry = board.lookup(code)
        if entry is None:
            raise ApiError(
                Refusal(
                    404, ErrorCode.NOT_FOUND, f"no ballot with tracking code {code} is on the board"
                )
            )
        return Response(entry.to_line()[:-1], media_type="application/json")

    return router
