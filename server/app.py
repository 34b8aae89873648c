"""The central server's HTTP API: ``create_app(settings, clock)`` (docs/server.md).

At creation the app verifies and loads the election package, opens the database, applies pending
migrations and binds the database to the election; any failure raises before a socket is bound.
Then it serves:

    GET  /health            the database answers, the package is loaded; version, fingerprint
    GET  /metrics           Prometheus text (server.metrics)
    GET  /openapi.json      the OpenAPI schema of all of this
    POST /v1/kiosks/enroll  a kiosk registers its key with a one-time token (server.enrollment)
    GET  /v1/kiosks/me      who the server takes a signed request's kiosk to be (server.auth)
    POST /v1/envelopes      a kiosk's batch of sealed envelopes (server.envelope_api)
    GET  /v1/voters/.../status, /v1/lockouts/...   voter status, shared lockouts (server.voter_api)
    GET  /v1/board...       the public board and its signed head, /v1/server-key (server.board_api)
    GET  /v1/package        the election package, as a zip, to a kiosk (server.package_api)

Every answer that is not a success is ``{"error": code, "detail": message}`` (server.errors),
with a 4xx status for anything the client can fix, 503 when the database cannot be reached, and
500 only for a bug (logged by exception type only, never its message or traceback).
"""

# No "from __future__ import annotations" here: FastAPI reads the routes' annotations at run
# time, and those naming a closure's dependency cannot be resolved from strings.

import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Final, Literal

from fastapi import Depends, FastAPI, Header, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute, APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kiosk import __version__
from kiosk.clock import Clock, SystemClock
from kiosk.election import package as election_package
from kiosk.election.model import ID_PATTERN, ElectionPackage, KioskId
from kiosk.encoding import EncodingError, b64decode
from kiosk.sync.signing import (
    HEADER_KIOSK,
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    HEADERS,
    SignatureHeaderError,
    parse_headers,
)
from server.auth import AuthenticatedKiosk, Authenticator, SignedRequest
from server.board import PublicBoard, load_server_key
from server.board_api import board_router
from server.enrollment import Enrollment
from server.envelope_api import envelope_counter, envelope_router
from server.envelopes import EnvelopeIntake
from server.errors import ApiError, ErrorBody, ErrorCode, Refusal
from server.log import ServerEvent, log_event
from server.messaging.routes import add_message_routes
from server.metrics import CONTENT_TYPE, RequestMetricsMiddleware, ServerMetrics
from server.package_api import PackageAccess, package_router
from server.settings import ServerSettings
from server.storage import kiosks, migrations
from server.storage.database import Database, DatabaseBusy, DatabaseUnavailable
from server.storage.election import bind
from server.voter_api import voter_router

TITLE: Final = "Isoloir central server"
_ID_REGEX: Final = f"^{ID_PATTERN.pattern}$"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerState:
    """Everything the endpoints use, built once by ``create_app``."""

    settings: ServerSettings
    clock: Clock
    package: ElectionPackage
    database: Database
    schema_version: int
    authenticator: Authenticator
    enrollment: Enrollment
    metrics: ServerMetrics


def server_state(app: FastAPI) -> ServerState:
    state = app.state.isoloir
    if not isinstance(state, ServerState):
        raise TypeError("not an app made by create_app")
    return state


# ---- wire models (the OpenAPI schema is generated from these) ---------------------------------


class Health(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: Literal["ok"]
    version: str = Field(description="the server program's version")
    election_id: str
    fingerprint: str = Field(description="the loaded package's fingerprint (compare it)")
    schema_version: int
    database: Literal["sqlite", "postgresql"]


class EnrollRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    kiosk_id: str = Field(pattern=_ID_REGEX, max_length=64, description="as in the package")
    public_key: str = Field(
        min_length=44, max_length=44, description="base64 of the kiosk's 32-byte Ed25519 key"
    )
    token: str = Field(
        min_length=1, max_length=64, description="the one-time token the administrator issued"
    )


class KioskInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    kiosk_id: str
    enrolled_at: str = Field(description="RFC 3339, UTC")
    election_id: str
    fingerprint: str


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorBody} for status in statuses}


# ---- the app ----------------------------------------------------------------------------------


def create_app(settings: ServerSettings, clock: Clock) -> FastAPI:
    """The server app; raises ``PackageError`` or ``DatabaseError`` (and subclasses) when the
    package or the database cannot serve, with a message for the operator."""
    loaded = election_package.load(settings.package, staging_parent=settings.staging_dir)
    database = Database.open(
        settings.database_url,
        lock_timeout=settings.db_lock_timeout.total_seconds(),
        statement_timeout=settings.db_statement_timeout.total_seconds(),
    )
    try:
        migrations.migrate(database, clock)
        schema_version = migrations.check(database)
        bind(database, loaded, clock)
    except BaseException:
        database.close()
        raise
    authenticator = Authenticator(database, loaded, clock, settings.max_clock_skew)
    state = ServerState(
        settings=settings,
        clock=clock,
        package=loaded,
        database=database,
        schema_version=schema_version,
        authenticator=authenticator,
        enrollment=Enrollment(database, authenticator, clock),
        metrics=ServerMetrics(database, loaded),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        log_event(
            logger,
            ServerEvent.SERVER_RUN,
            disposition="started",
            election_id=loaded.manifest.election_id,
            fingerprint=loaded.fingerprint,
            backend=database.backend.value,
            schema_version=schema_version,
        )
        try:
            yield
        finally:
            database.close()
            log_event(logger, ServerEvent.SERVER_RUN, disposition="stopped")

    app = FastAPI(
        title=TITLE,
        version=__version__,
        description=(
            "Kiosk enrollment and signed kiosk requests for one election "
            f"({loaded.manifest.election_id}). Format and rules: docs/server.md."
        ),
        lifespan=lifespan,
        openapi_url="/openapi.json",
        # The interactive pages load scripts from a CDN: an election server serves none.
        docs_url=None,
        redoc_url=None,
        # FastAPI's OpenTelemetry hooks could export request bodies (tokens) and exception
        # text; this server reports through its own log catalog and /metrics only.
        telemetry={
            "tracing": False,
            "metrics": False,
            "logs": False,
            "operation_spans": False,
            "auto_configure": False,
        },
    )
    app.state.isoloir = state
    _install_error_handlers(app, state)
    _add_public_routes(app, state)
    signed_request, authenticated_kiosk = _add_kiosk_routes(app, state)
    try:
        server_key = load_server_key(
            database, clock, settings.server_key, create_file=settings.new_server_key
        )
    except BaseException:
        database.close()
        raise
    app.include_router(board_router(PublicBoard(database, loaded, clock, server_key)))
    app.include_router(
        package_router(loaded, PackageAccess(database, authenticator, clock), request_target)
    )
    from server.web import board_page_router  # the public board page (docs/server.md)

    app.include_router(board_page_router(state.package, state.database, state.clock))
    app.add_middleware(
        RequestGateMiddleware,
        state=state,
        gates=_route_gates(app, signed_request, authenticated_kiosk),
    )
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(RequestMetricsMiddleware, metrics=state.metrics)
    return app


def app_from_environment() -> FastAPI:
    """The app for each worker of ``uvicorn --workers N`` (settings in the environment)."""
    import os

    from server.log import configure
    from server.settings import ENV_LOG_LEVEL

    configure(os.environ.get(ENV_LOG_LEVEL, "INFO"))
    return create_app(ServerSettings.from_environment(), SystemClock())


# ---- routes -----------------------------------------------------------------------------------


def _add_public_routes(app: FastAPI, state: ServerState) -> None:
    @app.get(
        "/health",
        response_model=Health,
        tags=["operations"],
        summary="The database answers and the package is loaded",
        responses=_errors(503),
    )
    def health() -> Health:
        version = migrations.check(state.database)
        return Health(
            status="ok",
            version=__version__,
            election_id=state.package.manifest.election_id,
            fingerprint=state.package.fingerprint,
            schema_version=version,
            database=state.database.backend.value,
        )

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics (text exposition format)",
        response_class=Response,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    def metrics() -> Response:
        return Response(state.metrics.render(), media_type=CONTENT_TYPE)


def _signature_headers() -> Callable[..., Awaitable[SignedRequest]]:
    """A dependency gathering the four signature headers (documented in the OpenAPI schema)."""

    async def signed_request(
        request: Request,
        kiosk: Annotated[
            str | None, Header(alias=HEADER_KIOSK, description="the kiosk id, as in the package")
        ] = None,
        timestamp: Annotated[
            str | None, Header(alias=HEADER_TIMESTAMP, description="Unix seconds, decimal")
        ] = None,
        nonce: Annotated[
            str | None, Header(alias=HEADER_NONCE, description="16 random bytes, 32 hex digits")
        ] = None,
        signature: Annotated[
            str | None,
            Header(alias=HEADER_SIGNATURE, description="base64 Ed25519 signature (docs/server.md)"),
        ] = None,
    ) -> SignedRequest:
        body = await request.body()
        headers: Mapping[str, str | None] = {
            HEADER_KIOSK: kiosk,
            HEADER_TIMESTAMP: timestamp,
            HEADER_NONCE: nonce,
            HEADER_SIGNATURE: signature,
        }
        return SignedRequest(request.method, request_target(request.scope), body, headers)

    return signed_request


def _add_kiosk_routes(
    app: FastAPI, state: ServerState
) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Adds the kiosk-signed routes; the two dependencies that mark them (``_route_gates``)."""
    signed_request = _signature_headers()

    async def authenticated_kiosk(
        signed: Annotated[SignedRequest, Depends(signed_request)],
    ) -> AuthenticatedKiosk:
        result = await run_in_threadpool(state.authenticator.authenticate, signed)
        if isinstance(result, Refusal):
            raise ApiError(result)
        return result

    def info(kiosk_id: str, enrolled_at: str) -> KioskInfo:
        return KioskInfo(
            kiosk_id=kiosk_id,
            enrolled_at=enrolled_at,
            election_id=state.package.manifest.election_id,
            fingerprint=state.package.fingerprint,
        )

    @app.post(
        "/v1/kiosks/enroll",
        status_code=201,
        response_model=KioskInfo,
        tags=["kiosks"],
        summary="Enroll a kiosk's key with a one-time token (signed by that key)",
        responses=_errors(401, 403, 413, 422, 503),
    )
    async def enroll(
        body: EnrollRequest, signed: Annotated[SignedRequest, Depends(signed_request)]
    ) -> KioskInfo:
        try:
            public_key = b64decode(body.public_key, "public_key", length=32)
        except EncodingError as exc:
            raise ApiError(Refusal(422, ErrorCode.INVALID_REQUEST, str(exc))) from None
        result = await run_in_threadpool(
            state.enrollment.enroll, signed, KioskId(body.kiosk_id), public_key, body.token
        )
        if isinstance(result, Refusal):
            raise ApiError(result)
        return info(result.kiosk_id, result.enrolled_at)

    @app.get(
        "/v1/kiosks/me",
        response_model=KioskInfo,
        tags=["kiosks"],
        summary="The enrolled kiosk that signed this request",
        responses=_errors(401, 403, 413, 503),
    )
    def whoami(kiosk: Annotated[AuthenticatedKiosk, Depends(authenticated_kiosk)]) -> KioskInfo:
        return info(kiosk.kiosk_id, kiosk.enrolled_at)

    intake = EnvelopeIntake(
        state.database, state.package, state.clock, max_clock_skew=state.settings.max_clock_skew
    )
    counter = envelope_counter(state.metrics.registry)
    app.include_router(envelope_router(intake, authenticated_kiosk, counter))

    add_message_routes(app, state, authenticated_kiosk)  # POST /v1/messages (server.messaging)
    # Voter status and shared lockout counters (server.voter_api)
    app.include_router(voter_router(state.database, state.clock, authenticated_kiosk))
    return signed_request, authenticated_kiosk


def request_target(scope: Scope) -> str:
    """The path as it travelled (percent-encoded), then ``?query``: what the kiosk signed."""
    raw = scope.get("raw_path") or str(scope["path"]).encode("utf-8")
    query = scope.get("query_string") or b""
    return (raw + (b"?" + query if query else b"")).decode("latin-1")


# ---- errors -----------------------------------------------------------------------------------


def _refusal_response(request: Request, state: ServerState, refusal: Refusal) -> JSONResponse:
    state.metrics.refusals.labels(refusal.code.value).inc()
    route = getattr(request.scope.get("route"), "path", None) or "unmatched"
    kiosk = request.headers.get(HEADER_KIOSK, "")
    log_event(
        logger,
        ServerEvent.REQUEST_REFUSED,
        logging.INFO,
        reason=refusal.code.value,
        route=route,
        status=refusal.status,
        # A header is the sender's word: logged only when it is an id, so it cannot forge lines.
        **({"kiosk_id": kiosk} if ID_PATTERN.fullmatch(kiosk) else {}),
    )
    headers = {"WWW-Authenticate": "Isoloir-Signature"} if refusal.status == 401 else {}
    if refusal.retry_after is not None:
        headers["Retry-After"] = str(refusal.retry_after)
    body = ErrorBody(error=refusal.code, detail=refusal.detail)
    return JSONResponse(body.model_dump(mode="json"), status_code=refusal.status, headers=headers)


_HTTP_CODES: Final = {
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.BODY_TOO_LARGE,
}


def _install_error_handlers(app: FastAPI, state: ServerState) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return _refusal_response(request, state, exc.refusal)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = []
        for error in exc.errors()[:5]:
            # loc and msg only: "input" would echo what was sent (a token, say).
            where = ".".join(str(part) for part in error.get("loc", ()))
            problems.append(f"{where}: {error.get('msg', 'invalid')}")
        detail = "; ".join(problems) or "the request does not match the API schema"
        return _refusal_response(request, state, Refusal(422, ErrorCode.INVALID_REQUEST, detail))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code
        code = _HTTP_CODES.get(status, ErrorCode.INVALID_REQUEST)
        if status == 404:
            detail = f"no endpoint at {request.url.path} (see /openapi.json)"
        elif status == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
        elif status == 400:
            # FastAPI's answer to a JSON body it cannot even decode: the same 422 as any other
            # body that is not the documented one, saying why.
            status, detail = 422, _undecodable(exc.__cause__)
        else:
            detail = str(exc.detail)
        response = _refusal_response(request, state, Refusal(status, code, detail))
        if exc.headers and "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response

    @app.exception_handler(DatabaseUnavailable)
    async def unavailable(request: Request, exc: Exception) -> Response:
        return _refusal_response(request, state, _unavailable(exc))

    @app.exception_handler(migrations.MigrationError)
    async def schema_changed(request: Request, exc: Exception) -> Response:
        return _refusal_response(
            request, state, Refusal(503, ErrorCode.UNAVAILABLE, f"database schema: {exc}")
        )


def _undecodable(cause: BaseException | None) -> str:
    """Why a JSON body could not be decoded, from what ``json.loads`` raised."""
    if isinstance(cause, RecursionError):
        return "the JSON body is nested too deeply"
    if isinstance(cause, ValueError) and "digits" in str(cause):
        return f"a number in the JSON body has more than {sys.get_int_max_str_digits()} digits"
    return "the body is not JSON text in UTF-8"


def _unavailable(exc: BaseException) -> Refusal:
    if isinstance(exc, DatabaseBusy):
        # Nothing of the request was stored: the kiosk retries it (its upload is idempotent).
        return Refusal(503, ErrorCode.UNAVAILABLE, f"{exc}; retry", retry_after=1)
    return Refusal(503, ErrorCode.UNAVAILABLE, f"the database cannot be reached now: {exc}")


SMALL_BODY_BYTES: Final = 64 << 10
"""The body limit of the routes that take no kiosk-signed body (unsigned, unknown or body-less
requests): a client that has not shown a signature cannot make the server read 16 MiB."""


class Gate(Enum):
    """How ``RequestGateMiddleware`` treats a route before reading its body."""

    ENROLLED = "enrolled"  # kiosk-signed, by an enrolled kiosk (authenticated_kiosk)
    LISTED = "listed"  # kiosk-signed by a kiosk of the package, enrolled or not (enrollment)
    RAW = "raw"  # reads its body itself, under its own limit (the receipt upload)


def _route_gates(
    app: FastAPI, signed_request: Callable[..., Any], authenticated_kiosk: Callable[..., Any]
) -> list[tuple[APIRoute, Gate]]:
    def uses(dependant: Dependant, call: Callable[..., Any]) -> bool:
        return any(d.call is call or uses(d, call) for d in dependant.dependencies)

    def api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
        for route in routes:
            if isinstance(route, APIRoute):
                yield route
            # FastAPI keeps an included router whole (its routes are ours, without a prefix).
            included = getattr(route, "original_router", None)
            if isinstance(included, APIRouter):
                yield from api_routes(included.routes)

    gates: list[tuple[APIRoute, Gate]] = []
    for route in api_routes(app.routes):
        if uses(route.dependant, authenticated_kiosk):
            gates.append((route, Gate.ENROLLED))
        elif uses(route.dependant, signed_request):
            gates.append((route, Gate.LISTED))
        elif route.body_field is None and "requestBody" in (route.openapi_extra or {}):
            gates.append((route, Gate.RAW))
    return gates


class RequestGateMiddleware:
    """What happens before a body is read. A Content-Length over the limit is refused (413).
    On a kiosk-signed route, the four signature headers must be there in their one form and
    name a kiosk of the package (enrolled, where the route needs it): otherwise 401 with the
    ``Authenticator``'s reasons, the body unread; the signature proper is checked after, as
    before. Kiosk-signed routes (and those that read their body themselves) take up to
    ``max_body_bytes``; any other request ``SMALL_BODY_BYTES``. A streamed body is cut (413)
    as soon as it grows past its limit."""

    def __init__(self, app: ASGIApp, state: ServerState, gates: list[tuple[APIRoute, Gate]]):
        self._app = app
        self._state = state
        self._gates = gates
        self._limit = state.settings.max_body_bytes

    def _gate(self, scope: Scope) -> tuple[APIRoute, Gate] | None:
        for route, gate in self._gates:
            if route.matches(scope)[0] is Match.FULL:
                return route, gate
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        found = self._gate(scope)
        limit = self._limit if found is not None else min(self._limit, SMALL_BODY_BYTES)
        detail = f"the body is larger than {limit} bytes"
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > limit):
                too_large = Refusal(413, ErrorCode.BODY_TOO_LARGE, detail)
                await self._refuse(scope, None if found is None else found[0], too_large)(
                    scope, receive, send
                )
                return
        if found is not None and found[1] is not Gate.RAW:
            refusal: Refusal | None = await run_in_threadpool(self._precheck, scope, found[1])
            if refusal is not None:
                await self._refuse(scope, found[0], refusal)(scope, receive, send)
                return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                # FastAPI lets an HTTPException through its body reading: it becomes our 413.
                raise StarletteHTTPException(413, detail)
            return message

        await self._app(scope, limited, send)

    def _refuse(self, scope: Scope, route: APIRoute | None, refusal: Refusal) -> Response:
        if route is not None:
            scope["route"] = route  # for the log line and the request metrics (route template)
        request = Request(scope)
        return _refusal_response(request, self._state, refusal)

    def _precheck(self, scope: Scope, gate: Gate) -> Refusal | None:
        """Steps 1 and 2 of ``server.auth`` from the headers alone, before the body is read."""
        request = Request(scope)
        headers = {name: request.headers.get(name) for name in HEADERS}
        try:
            kiosk_id = parse_headers(headers).kiosk_id
        except SignatureHeaderError as exc:
            code = ErrorCode.UNSIGNED if exc.missing else ErrorCode.BAD_SIGNATURE_HEADERS
            return Refusal(401, code, str(exc))
        if self._state.authenticator.package_key(kiosk_id) is None:
            # 403 at enrollment, as ``server.enrollment`` answers it; 401 on the other routes.
            status = 403 if gate is Gate.LISTED else 401
            return Refusal(
                status,
                ErrorCode.UNKNOWN_KIOSK,
                f"the election package lists no kiosk {kiosk_id!r}",
            )
        if gate is Gate.LISTED:
            return None
        try:
            with self._state.database.transaction(single=True) as tx:
                record = kiosks.find_kiosk(tx, kiosk_id)
        except DatabaseUnavailable as exc:
            return _unavailable(exc)
        if record is None or not record.enrolled:
            return Refusal(
                401,
                ErrorCode.KIOSK_NOT_ENROLLED,
                f"kiosk {kiosk_id!r} is not enrolled with this server (enroll it with a token)",
            )
        return None


class CatchAllMiddleware:
    """A bug becomes a 500 ``internal`` answer and one log line with the exception's type:
    never its message or traceback, which may quote what a request carried."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = False

        async def note(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, receive, note)
        except Exception as exc:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            log_event(
                logger,
                ServerEvent.REQUEST_FAILED,
                logging.ERROR,
                route=route,
                error=type(exc).__name__,
            )
            if started:
                raise  # too late for an answer: the server closes the connection
            body = ErrorBody(
                error=ErrorCode.INTERNAL, detail="internal error; the server log has its type"
            )
            await JSONResponse(body.model_dump(mode="json"), status_code=500)(scope, receive, send)
