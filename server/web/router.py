"""The public board page and its two lookups (docs/server.md, "Public board page").

    GET  /                          redirects to /board
    GET  /board?lang=fr|en          the page (French by default); ?code=... answers without script
    GET  /board/static/{name}       its stylesheet, script and icon, from server/web/static
    GET  /v1/board/lookup?code=...  is this tracking code on the board (JSON)
    POST /v1/board/lookup-receipt   a photo, scan or PDF of a proof of deposit (multipart, "file")

Anyone may call these; they need no signature and set no cookie. Every answer of this router
carries a strict Content-Security-Policy (only this server's own files) and asks browsers to
send no referrer. Receipt uploads are limited in size and, per client address, in rate; their
decoding runs in a small pool of threads off the event loop.
"""

# No "from __future__ import annotations": FastAPI reads the routes' annotations at run time.

import math
from collections.abc import AsyncGenerator, Mapping
from pathlib import Path
from typing import Annotated, Final

import anyio
import anyio.to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect

from kiosk.clock import Clock
from kiosk.crypto.context import base_hash
from kiosk.crypto.receipt import Receipt
from kiosk.crypto.tracking import TrackingCode, parse_tracking_code
from kiosk.election.model import ElectionPackage, ScrutinId
from kiosk.record.board import genesis
from server.errors import ApiError, ErrorBody, ErrorCode, Refusal
from server.storage.database import Database
from server.web.board_view import board_summary, find_entry
from server.web.page import BoardFacts, CodeResult, render_page
from server.web.rate_limit import RateLimiter
from server.web.receipt_check import ReceiptFinding, check_receipt
from server.web.receipt_scan import read_receipts
from server.web.texts import texts_for

PAGE_PATH: Final = "/board"
STATIC_DIR: Final = Path(__file__).parent / "static"
UPLOAD_MAX_BYTES: Final = 10 << 20  # the file itself: 10 MiB
_UPLOAD_MAX_BODY: Final = UPLOAD_MAX_BYTES + (64 << 10)  # with the multipart framing
UPLOAD_BURST: Final = 10  # uploads a client address may send at once ...
UPLOAD_EVERY_SECONDS: Final = 6.0  # ... then one every 6 seconds
DECODE_THREADS: Final = 2  # receipts decoded at once, whatever the number of uploads
_MAX_CODE_CHARS: Final = 100  # a tracking code with generous spacing

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "object-src 'none'"
)
SECURITY_HEADERS: Final[Mapping[str, str]] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
_STATIC_TYPES: Final = {
    "board.css": "text/css; charset=utf-8",
    "board.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}


# ---- wire models ------------------------------------------------------------------------------


class BoardLookup(BaseModel):
    """Whether a tracking code is on the board, and where; nothing about any voter."""

    model_config = ConfigDict(frozen=True)

    found: bool
    tracking_code: str = Field(description="the code in its printed form (XXXX-XXXX-...)")
    seq: int | None = Field(description="its position on the board, when found")
    scrutin: str | None = Field(description="the scrutin id, when found")
    scrutin_title: str | None = Field(description="the scrutin's title in the package")
    kiosk: str | None = Field(description="the kiosk that signed its receipt, when found")


class ReceiptResult(BaseModel):
    """One receipt read from the upload, checked against the package and the board."""

    model_config = ConfigDict(frozen=True)

    tracking_code: str
    scrutin: str
    scrutin_title: str | None = Field(description="None when the package has no such scrutin")
    kiosk: str
    election_fingerprint: str = Field(description="the fingerprint the receipt names")
    this_election: bool = Field(description="the receipt names this election's fingerprint")
    signature_valid: bool = Field(description="that kiosk's key in the package signed it")
    on_board: bool = Field(description="on the board with the same scrutin, kiosk, signature")
    seq: int | None = Field(description="the board position of the receipt's tracking code")
    mismatch: bool = Field(description="the code is on the board with other fields: report it")


class ReceiptLookup(BaseModel):
    model_config = ConfigDict(frozen=True)

    receipts: list[ReceiptResult] = Field(description="each distinct receipt, in reading order")


_UPLOAD_BODY: Final = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "a PNG or JPEG photo or scan, or a PDF, of at most "
                            f"{UPLOAD_MAX_BYTES} bytes",
                        }
                    },
                }
            }
        },
    }
}


def _errors(*statuses: int) -> dict[int | str, dict[str, object]]:
    return {status: {"model": ErrorBody} for status in statuses}


def _refuse(status: int, code: ErrorCode, detail: str) -> ApiError:
    return ApiError(Refusal(status, code, detail))


# ---- the router -------------------------------------------------------------------------------


def board_page_router(package: ElectionPackage, database: Database, clock: Clock) -> APIRouter:
    """The page and its lookups for one election's board."""
    key = package.manifest.election_key
    # Before the first append the board's head is the election's genesis (§15.2); an unsealed
    # package has none (and takes no ballot).
    empty_head = genesis(base_hash(package.manifest_bytes, key)) if key is not None else None
    titles = {scrutin.id: scrutin.title for scrutin in package.manifest.scrutins}
    static = {name: (STATIC_DIR / name).read_bytes() for name in _STATIC_TYPES}
    limiter = RateLimiter(clock, burst=UPLOAD_BURST, every=UPLOAD_EVERY_SECONDS)
    decoders = anyio.CapacityLimiter(DECODE_THREADS)
    router = APIRouter()

    @router.get("/", include_in_schema=False)
    def root() -> Response:
        return RedirectResponse(PAGE_PATH, status_code=307, headers=SECURITY_HEADERS)

    @router.get(PAGE_PATH, include_in_schema=False)
    def page(lang: str | None = None, code: str | None = None) -> Response:
        texts = texts_for(lang)
        result = None if code is None else _code_result(code)
        facts = BoardFacts(
            election_title=package.manifest.title,
            fingerprint=package.fingerprint,
            summary=board_summary(database, empty_head),
            upload_megabytes=UPLOAD_MAX_BYTES >> 20,
        )
        headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache"}
        return HTMLResponse(render_page(texts, facts, result), headers=headers)

    def _code_result(typed: str) -> CodeResult:
        try:
            tracking = _parse_code(typed)
        except ApiError:
            return CodeResult("invalid", typed[:_MAX_CODE_CHARS])
        entry = find_entry(database, tracking)
        if entry is None:
            return CodeResult("not-found", tracking)
        return CodeResult("found", tracking, entry, titles.get(entry.scrutin_id))

    @router.get(f"{PAGE_PATH}/static/{{name}}", include_in_schema=False)
    def static_file(name: str) -> Response:
        if name not in static:
            raise StarletteHTTPException(404)
        headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache"}
        return Response(static[name], media_type=_STATIC_TYPES[name], headers=headers)

    @router.get(
        "/v1/board/lookup",
        response_model=BoardLookup,
        tags=["board"],
        summary="Is this tracking code on the board? (case, spaces and dashes forgiven)",
        responses=_errors(400, 422, 503),
    )
    def lookup(
        code: Annotated[
            str,
            Query(max_length=_MAX_CODE_CHARS, description="the tracking code, as printed"),
        ],
        response: Response,
    ) -> BoardLookup:
        response.headers.update(SECURITY_HEADERS)
        tracking = _parse_code(code)
        entry = find_entry(database, tracking)
        if entry is None:
            return BoardLookup(
                found=False,
                tracking_code=tracking,
                seq=None,
                scrutin=None,
                scrutin_title=None,
                kiosk=None,
            )
        return BoardLookup(
            found=True,
            tracking_code=tracking,
            seq=entry.seq,
            scrutin=entry.scrutin_id,
            scrutin_title=titles.get(entry.scrutin_id),
            kiosk=entry.kiosk_id,
        )

    @router.post(
        "/v1/board/lookup-receipt",
        response_model=ReceiptLookup,
        tags=["board"],
        summary="Read a proof of deposit's QR code and check it against the board",
        responses=_errors(400, 413, 415, 422, 429, 503),
        openapi_extra=_UPLOAD_BODY,
    )
    async def lookup_receipt(request: Request, response: Response) -> ReceiptLookup:
        response.headers.update(SECURITY_HEADERS)
        address = request.client.host if request.client else "unknown"
        wait = limiter.take(address)
        if wait is not None:
            raise _refuse(
                429,
                ErrorCode.TOO_MANY_REQUESTS,
                f"too many uploads from this address: try again in {math.ceil(round(wait, 3))} s",
            )
        data = await _uploaded_file(request)
        scanned = await anyio.to_thread.run_sync(read_receipts, data, limiter=decoders)
        if isinstance(scanned, Refusal):
            raise ApiError(scanned)
        findings = await run_in_threadpool(_check_all, scanned)
        return ReceiptLookup(receipts=[_result(finding) for finding in findings])

    def _check_all(receipts: list[Receipt]) -> list[ReceiptFinding]:
        return [check_receipt(package, database, receipt) for receipt in receipts]

    def _result(finding: ReceiptFinding) -> ReceiptResult:
        receipt, entry = finding.receipt, finding.entry
        return ReceiptResult(
            tracking_code=receipt.tracking_code,
            scrutin=receipt.scrutin_id,
            scrutin_title=titles.get(ScrutinId(receipt.scrutin_id)),
            kiosk=receipt.kiosk_id,
            election_fingerprint=receipt.election_fingerprint,
            this_election=finding.this_election,
            signature_valid=finding.signature_valid,
            on_board=finding.on_board,
            seq=entry.seq if entry is not None else None,
            mismatch=finding.mismatch,
        )

    return router


def _parse_code(typed: str) -> TrackingCode:
    """The canonical code, as ``isoloir verify tracking-code`` reads it; else a 400."""
    try:
        if len(typed) > _MAX_CODE_CHARS:
            raise ValueError("too long")
        return parse_tracking_code(typed)
    except ValueError:
        raise _refuse(
            400,
            ErrorCode.INVALID_TRACKING_CODE,
            "not a tracking code: 32 characters, letters A-Z and digits 2-7, in groups of 4 "
            "(case, spaces and dashes do not matter)",
        ) from None


async def _uploaded_file(request: Request) -> bytes:
    """The bytes of the one ``file`` part of a multipart body of at most the upload limit."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "multipart/form-data":
        raise _refuse(
            415,
            ErrorCode.UNSUPPORTED_FILE,
            "send the file as multipart/form-data, in a part named 'file'",
        )
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > _UPLOAD_MAX_BODY):
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > _UPLOAD_MAX_BODY:
                raise _too_large()
            chunks.append(chunk)
    except ClientDisconnect:
        raise _refuse(400, ErrorCode.INVALID_REQUEST, "the upload was cut off") from None
    body = b"".join(chunks)

    async def whole_body() -> AsyncGenerator[bytes, None]:
        yield body

    parser = MultiPartParser(
        request.headers, whole_body(), max_files=1, max_fields=4, max_part_size=4096
    )
    parser.spool_max_size = _UPLOAD_MAX_BODY  # keep the file in memory, never on disk
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise _refuse(
            422, ErrorCode.INVALID_REQUEST, f"not a well-formed multipart upload: {exc.message}"
        ) from None
    try:
        part = form.get("file")
        if not isinstance(part, UploadFile):
            raise _refuse(422, ErrorCode.INVALID_REQUEST, "no file in a part named 'file'")
        data = await part.read()
    finally:
        await form.close()
    if len(data) > UPLOAD_MAX_BYTES:
        raise _too_large()
    if not data:
        raise _refuse(422, ErrorCode.UNREADABLE_FILE, "the file is empty")
    return data


def _too_large() -> ApiError:
    return _refuse(
        413, ErrorCode.BODY_TOO_LARGE, f"the upload is larger than {UPLOAD_MAX_BYTES} bytes"
    )
