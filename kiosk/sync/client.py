"""The kiosk's client of the central server (docs/server.md): signed requests over httpx.

Qt-free and synchronous: the kiosk calls it off the GUI thread. Every request is signed with the
kiosk's key (``kiosk.sync.signing``); with a pinned fingerprint the TLS connection is accepted
only for that exact certificate (``kiosk.sync.tls``). Timeouts are short: a kiosk that cannot
reach the server goes on offline rather than keep a voter waiting.

Expected failures are values: each method returns its result or a ``ServerFailure`` saying what
went wrong (unreachable, timeout, certificate, refused with the server's code, ...). Only a
misuse (a pin on an ``http://`` URL, say) raises.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Final

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.clock import Clock
from kiosk.election.model import ElectionId, KioskId
from kiosk.election.signing import public_bytes
from kiosk.encoding import JsonValue, b64encode, canonical_json
from kiosk.jsonfields import Fields
from kiosk.sync.signing import sign_request
from kiosk.sync.tls import PinMismatchError, pinned_context

DEFAULT_TIMEOUT: Final = 5.0
ENROLL_PATH: Final = "/v1/kiosks/enroll"
WHOAMI_PATH: Final = "/v1/kiosks/me"


class FailureKind(StrEnum):
    UNREACHABLE = "unreachable"  # no connection, or it broke before an answer
    TIMEOUT = "timeout"
    CERTIFICATE = "certificate"  # not the pinned certificate, or TLS failed
    REFUSED = "refused"  # a 4xx answer: ``code`` is the server's error code
    SERVER_ERROR = "server_error"  # a 5xx answer (503: the database is down)
    BAD_RESPONSE = "bad_response"  # an answer that is not the API's
    WRONG_ELECTION = "wrong_election"  # the server serves another election or package


@dataclass(frozen=True)
class ServerFailure:
    kind: FailureKind
    detail: str
    code: str | None = None  # the server's error code (docs/server.md, "Errors")
    status: int | None = None


@dataclass(frozen=True)
class KioskIdentity:
    """Who the server takes this kiosk to be."""

    kiosk_id: KioskId
    enrolled_at: str
    election_id: ElectionId
    fingerprint: str


class _ResponseError(ValueError):
    pass


class _Response(Fields):
    error: ClassVar[type[ValueError]] = _ResponseError


class ServerClient:
    def __init__(
        self,
        base_url: str,
        *,
        election_id: ElectionId,
        kiosk_id: KioskId,
        key: Ed25519PrivateKey,
        clock: Clock,
        package_fingerprint: str | None = None,
        pin: bytes | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """``pin``: the SHA-256 fingerprint of the server's certificate (``https://`` only);
        without it, an ``https://`` server needs a certificate from a public CA.
        ``package_fingerprint``: the kiosk's package; a server with another one is refused.
        ``transport``: another way to reach the server (tests run the app in process)."""
        if pin is not None and not base_url.startswith("https://"):
            raise ValueError("a pinned certificate needs an https:// server URL")
        if pin is not None and transport is not None:
            raise ValueError("a pin applies to the default transport only")
        self._election_id = election_id
        self._kiosk_id = kiosk_id
        self._key = key
        self._clock = clock
        self._package_fingerprint = package_fingerprint
        verify: ssl.SSLContext | bool = pinned_context(pin) if pin is not None else True
        self._http = httpx.Client(
            base_url=base_url,
            timeout=httpx.Timeout(timeout),
            verify=verify,
            transport=transport,
            follow_redirects=False,
            trust_env=False,  # no proxy or CA bundle from the environment: only what is given
        )

    def __enter__(self) -> ServerClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def enroll(self, token: str) -> KioskIdentity | ServerFailure:
        """Register this kiosk's key with the one-time ``token`` an administrator issued."""
        body = canonical_json(
            {
                "kiosk_id": self._kiosk_id,
                "public_key": b64encode(public_bytes(self._key)),
                "token": token,
            }
        )
        return self._identity(self._send("POST", ENROLL_PATH, body), expected_status=201)

    def whoami(self) -> KioskIdentity | ServerFailure:
        """A signed ``GET /v1/kiosks/me``: the server's view of this kiosk."""
        return self._identity(self._send("GET", WHOAMI_PATH, b""), expected_status=200)

    # ---- plumbing ----

    def _send(self, method: str, path: str, body: bytes) -> httpx.Response | ServerFailure:
        headers = {"Content-Type": "application/json"} if body else {}
        request = self._http.build_request(method, path, content=body, headers=headers)
        signature = sign_request(
            self._key,
            election_id=self._election_id,
            kiosk_id=self._kiosk_id,
            method=method,
            target=request.url.raw_path.decode("ascii"),
            body=body,
            timestamp=int(self._clock.now().timestamp()),
        )
        request.headers.update(signature.headers())
        try:
            return self._http.send(request)
        except httpx.TimeoutException:
            return ServerFailure(FailureKind.TIMEOUT, "the server did not answer in time")
        except httpx.ConnectError as exc:
            return _connect_failure(exc)
        except httpx.TransportError as exc:
            return ServerFailure(
                FailureKind.UNREACHABLE, f"the connection failed ({type(exc).__name__})"
            )

    def _identity(
        self, response: httpx.Response | ServerFailure, *, expected_status: int
    ) -> KioskIdentity | ServerFailure:
        if isinstance(response, ServerFailure):
            return response
        if response.status_code != expected_status:
            return _answer_failure(response)
        try:
            with _Response.reading(_json(response), "response") as fields:
                identity = KioskIdentity(
                    kiosk_id=KioskId(fields.ident("kiosk_id")),
                    enrolled_at=fields.string("enrolled_at", 40),
                    election_id=ElectionId(fields.ident("election_id")),
                    fingerprint=fields.string("fingerprint", 40),
                )
        except _ResponseError as exc:
            return ServerFailure(FailureKind.BAD_RESPONSE, str(exc), status=response.status_code)
        if identity.kiosk_id != self._kiosk_id:
            return ServerFailure(
                FailureKind.BAD_RESPONSE, f"the server answered for kiosk {identity.kiosk_id!r}"
            )
        if identity.election_id != self._election_id or (
            self._package_fingerprint is not None
            and identity.fingerprint != self._package_fingerprint
        ):
            return ServerFailure(
                FailureKind.WRONG_ELECTION,
                f"the server serves election {identity.election_id!r} with package "
                f"{identity.fingerprint}, not this kiosk's",
            )
        return identity


def _json(response: httpx.Response) -> JsonValue:
    """The answer's JSON object, read strictly; ``_ResponseError`` otherwise."""
    return _Response.load(response.content, "response").value


def _answer_failure(response: httpx.Response) -> ServerFailure:
    """A 4xx or 5xx answer, with the server's ``{"error", "detail"}`` when it sent one."""
    status = response.status_code
    kind = FailureKind.REFUSED if 400 <= status < 500 else FailureKind.SERVER_ERROR
    try:
        with _Response.reading(_json(response), "error") as fields:
            code = fields.string("error", 64)
            detail = fields.string("detail", 2000)
    except _ResponseError:
        return ServerFailure(
            FailureKind.BAD_RESPONSE if status < 500 else kind,
            f"HTTP {status} without the API's error body",
            status=status,
        )
    return ServerFailure(kind, detail, code=code, status=status)


def _connect_failure(exc: httpx.ConnectError) -> ServerFailure:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, PinMismatchError):
            return ServerFailure(FailureKind.CERTIFICATE, str(cause))
        if isinstance(cause, ssl.SSLError):
            return ServerFailure(
                FailureKind.CERTIFICATE, f"TLS failed: {cause.reason or type(cause).__name__}"
            )
        cause = cause.__cause__ or cause.__context__
    return ServerFailure(FailureKind.UNREACHABLE, "cannot connect to the server")
