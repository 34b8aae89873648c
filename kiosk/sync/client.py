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

import email.utils
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import ClassVar, Final

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.clock import Clock, isoformat_utc
from kiosk.crypto.envelope import decode_envelope
from kiosk.crypto.receipt import sign_receipt
from kiosk.crypto.tracking import tracking_code
from kiosk.election.model import ID_PATTERN, ElectionId, KioskId, ScrutinId, VoterId
from kiosk.election.signing import public_bytes
from kiosk.encoding import JsonValue, b64encode, canonical_json
from kiosk.jsonfields import Fields
from kiosk.sync.signing import sign_request
from kiosk.sync.tls import PinMismatchError, pinned_context

DEFAULT_TIMEOUT: Final = 5.0
ENROLL_PATH: Final = "/v1/kiosks/enroll"
WHOAMI_PATH: Final = "/v1/kiosks/me"
ENVELOPES_PATH: Final = "/v1/envelopes"
MESSAGES_PATH: Final = "/v1/messages"
VOTER_STATUS_PATH: Final = "/v1/voters/{voter_id}/status"
LOCKOUT_PATH: Final = "/v1/lockouts/{kind}/{subject_id}"
# The server answers within its relay's timeout (8 s a step): wait longer than that, no more.
MESSAGE_TIMEOUT: Final = 15.0
HEALTH_PATH: Final = "/health"
PACKAGE_PATH: Final = "/v1/package"
HEALTH_TIMEOUT: Final = 3.0  # a diagnostic: an answer that takes longer is a problem itself
PACKAGE_TIMEOUT: Final = 120.0  # megabytes of PDFs over a slow link
MAX_PACKAGE_BYTES: Final = 512 << 20  # what the package loader accepts uncompressed at most
MAX_ERROR_BYTES: Final = 64 << 10  # an error answer is a short JSON object: no more is read
ENROLLMENT_SCHEME: Final = "Isoloir-Enrollment"  # Authorization scheme of server.package_api


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


@dataclass(frozen=True)
class MessageAccepted:
    """The server's relay took a réassort message (docs/server.md, "Réassort delivery")."""

    channel: str
    accepted_at: str


@dataclass(frozen=True)
class SharedCounter:
    """A credential's failed attempts on every kiosk, as the server counts them
    (docs/server.md, "Shared lockouts"); the kiosk's lockout policy judges them."""

    kind: str  # login, vote_code, reassort
    subject_id: str = field(repr=False)
    failures: int
    last_failure_at: datetime | None  # the server's clock: for display, never judged here
    # How long ago the last failure was, by the server's own clock: what the kiosk judges,
    # against its own clock (the two clocks may differ by minutes). None without failures.
    seconds_since_last_failure: int | None = None


@dataclass(frozen=True)
class ServerHealth:
    """``GET /health``: the election and package the server serves, and its clock."""

    election_id: ElectionId
    fingerprint: str
    version: str
    server_time: datetime | None  # the answer's HTTP ``Date`` header (to the second), if any


@dataclass(frozen=True)
class DownloadedPackage:
    """``GET /v1/package``: the zip as received. Nothing is trusted yet: the kiosk verifies the
    organizer's signature when it loads it, and recomputes the fingerprint."""

    data: bytes = field(repr=False)
    stated_fingerprint: str | None  # the server's ``X-Isoloir-Fingerprint``, for display


class UploadStatus(StrEnum):
    ACCEPTED = "accepted"  # in the ballot box now
    DUPLICATE = "duplicate"  # answered before; ``accepted`` and ``reason`` are that answer's
    REJECTED = "rejected"  # refused now, for ``reason`` (docs/server.md, "Envelope upload")


@dataclass(frozen=True)
class UploadAnswer:
    """The server's answer for one envelope of an upload."""

    envelope_id: bytes
    status: UploadStatus
    accepted: bool  # the envelope is in the ballot box (now or at an earlier upload)
    reason: str | None  # why it was refused (e.g. ``already_voted``); None when accepted
    detail: str


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

    @property
    def base_url(self) -> str:
        return str(self._http.base_url).rstrip("/")

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

    def send_message(
        self,
        channel: str,
        voter_id: VoterId,
        language: str,
        token: str,
        expires_at: datetime,
        *,
        timeout: float = MESSAGE_TIMEOUT,
    ) -> MessageAccepted | ServerFailure:
        """A signed ``POST /v1/messages``: the server composes a réassort token message from its
        fixed templates (in ``language``) and relays it by e-mail or SMS to ``voter_id``'s
        address on its roll. No text and no address leave the kiosk."""
        if not ID_PATTERN.fullmatch(voter_id):
            raise ValueError("not a voter id")
        fields: dict[str, JsonValue] = {
            "channel": channel,
            "voter_id": voter_id,
            "language": language,
            "token": token,
            "expires_at": isoformat_utc(expires_at),
        }
        response = self._send("POST", MESSAGES_PATH, canonical_json(fields), timeout=timeout)
        if isinstance(response, ServerFailure):
            return response
        if response.status_code != 202:
            return _answer_failure(response)
        try:
            with _Response.reading(_json(response), "response") as answer:
                accepted = MessageAccepted(
                    answer.string("channel", 8), answer.string("accepted_at", 40)
                )
        except _ResponseError as exc:
            return ServerFailure(FailureKind.BAD_RESPONSE, str(exc), status=response.status_code)
        return accepted

    def voter_status(
        self, voter_id: VoterId, *, timeout: float | None = None
    ) -> frozenset[ScrutinId] | ServerFailure:
        """A signed ``GET /v1/voters/{voter_id}/status``: the scrutins this voter has an
        émargement for on the server (cast at any kiosk and uploaded)."""
        if not ID_PATTERN.fullmatch(voter_id):
            raise ValueError("not a voter id")
        path = VOTER_STATUS_PATH.format(voter_id=voter_id)
        response = self._send("GET", path, b"", timeout=timeout)
        if isinstance(response, ServerFailure):
            return response
        if response.status_code != 200:
            return _answer_failure(response)
        try:
            with _Response.reading(_json(response), "response") as answer:
                stated = answer.ident("voter_id")
                voted = [item for _, item in answer.array("voted", 1000)]
            if stated != voter_id or not all(
                isinstance(item, str) and ID_PATTERN.fullmatch(item) for item in voted
            ):
                raise _ResponseError("response: not this voter's status")
        except _ResponseError as exc:
            return ServerFailure(FailureKind.BAD_RESPONSE, str(exc), status=response.status_code)
        return frozenset(ScrutinId(str(item)) for item in voted)

    def shared_counter(
        self, kind: str, subject_id: str, *, timeout: float | None = None
    ) -> SharedCounter | ServerFailure:
        """A signed ``GET /v1/lockouts/{kind}/{subject_id}``."""
        return self._counter("GET", kind, subject_id, "", timeout)

    def count_failure(
        self, kind: str, subject_id: str, *, timeout: float | None = None
    ) -> SharedCounter | ServerFailure:
        """A signed ``POST .../failure``: one more failed attempt; the counter after it."""
        return self._counter("POST", kind, subject_id, "/failure", timeout)

    def clear_failures(
        self, kind: str, subject_id: str, *, timeout: float | None = None
    ) -> SharedCounter | ServerFailure:
        """A signed ``POST .../success``: a success or an assesseur's unlock clears it."""
        return self._counter("POST", kind, subject_id, "/success", timeout)

    def upload(
        self, envelopes: Sequence[bytes], *, timeout: float | None = None
    ) -> list[UploadAnswer] | ServerFailure:
        """A signed ``POST /v1/envelopes``: this kiosk's sealed envelopes (the outbox's bytes),
        each with its receipt signature, recomputed here (Ed25519 is deterministic: the printed
        receipt's very bytes). One answer per envelope, in order; a retry gets the earlier
        answer as ``duplicate``. Raises only for a misuse (no package fingerprint given, an
        envelope that is not this kiosk's)."""
        if self._package_fingerprint is None:
            raise ValueError("uploading envelopes needs the package fingerprint")
        if not envelopes:
            return []
        items: list[JsonValue] = []
        ids: list[bytes] = []
        for data in envelopes:
            envelope = decode_envelope(data)
            if envelope.kiosk_id != self._kiosk_id:
                raise ValueError("an envelope of another kiosk cannot be uploaded by this one")
            receipt = sign_receipt(
                self._key,
                election_fingerprint=self._package_fingerprint,
                scrutin_id=envelope.scrutin_id,
                tracking_code=tracking_code(envelope.ballot),
                kiosk_id=self._kiosk_id,
            )
            signature = b64encode(receipt.signature)
            items.append({"envelope": b64encode(data), "receipt_signature": signature})
            ids.append(envelope.envelope_id)
        body = canonical_json({"envelopes": items})
        response = self._send("POST", ENVELOPES_PATH, body, timeout=timeout)
        if isinstance(response, ServerFailure):
            return response
        if response.status_code != 200:
            return _answer_failure(response)
        try:
            return _upload_answers(_json(response), ids)
        except _ResponseError as exc:
            return ServerFailure(FailureKind.BAD_RESPONSE, str(exc), status=response.status_code)

    def health(self, *, timeout: float = HEALTH_TIMEOUT) -> ServerHealth | ServerFailure:
        """``GET /health`` (public, unsigned), with a short timeout."""
        return fetch_health(self._http, timeout)

    def download_package(
        self, *, enrollment_token: str | None = None, timeout: float = PACKAGE_TIMEOUT
    ) -> DownloadedPackage | ServerFailure:
        """``GET /v1/package``, signed by this enrolled kiosk: the package, as a zip. A kiosk
        not enrolled yet shows its ``enrollment_token`` instead (not spent by it)."""
        if enrollment_token is not None:
            headers = enrollment_authorization(enrollment_token)
        else:
            target = self._http.build_request("GET", PACKAGE_PATH).url.raw_path.decode("ascii")
            headers = self._signature_headers("GET", target, b"")
        return fetch_package(self._http, timeout, headers)

    # ---- plumbing ----

    def _send(
        self, method: str, path: str, body: bytes, *, timeout: float | None = None
    ) -> httpx.Response | ServerFailure:
        headers = {"Content-Type": "application/json"} if body else {}
        request = self._http.build_request(
            method,
            path,
            content=body,
            headers=headers,
            timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else httpx.Timeout(timeout),
        )
        request.headers.update(
            self._signature_headers(method, request.url.raw_path.decode("ascii"), body)
        )
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

    def _signature_headers(self, method: str, target: str, body: bytes) -> dict[str, str]:
        return sign_request(
            self._key,
            election_id=self._election_id,
            kiosk_id=self._kiosk_id,
            method=method,
            target=target,
            body=body,
            timestamp=int(self._clock.now().timestamp()),
        ).headers()

    def _counter(
        self, method: str, kind: str, subject_id: str, action: str, timeout: float | None
    ) -> SharedCounter | ServerFailure:
        if not (ID_PATTERN.fullmatch(kind) and ID_PATTERN.fullmatch(subject_id)):
            raise ValueError("not a credential subject")
        path = LOCKOUT_PATH.format(kind=kind, subject_id=subject_id) + action
        response = self._send(method, path, b"", timeout=timeout)
        if isinstance(response, ServerFailure):
            return response
        if response.status_code != 200:
            return _answer_failure(response)
        try:
            with _Response.reading(_json(response), "response") as answer:
                stated = (answer.string("kind", 16), answer.ident("subject_id"))
                failures = answer.integer("failures", 0, 1 << 31)
                last = answer.raw("last_failure_at")
                since = answer.raw("seconds_since_last_failure")
            if stated != (kind, subject_id):
                raise _ResponseError("response: the counter of another credential")
            last_at = _instant(last) if last is not None else None
            if (failures == 0) != (last_at is None):
                raise _ResponseError("response.last_failure_at: does not fit the count")
            seconds = _seconds_since(since)
            if (seconds is None) != (last_at is None):
                raise _ResponseError("response.seconds_since_last_failure: does not fit the count")
        except _ResponseError as exc:
            return ServerFailure(FailureKind.BAD_RESPONSE, str(exc), status=response.status_code)
        return SharedCounter(kind, subject_id, failures, last_at, seconds)

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


class PublicServer:
    """The server's public routes, for a kiosk that has no package yet (first-run setup): no
    key, no signature. ``pin`` as for ``ServerClient``."""

    def __init__(
        self,
        base_url: str,
        *,
        pin: bytes | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if pin is not None and not base_url.startswith("https://"):
            raise ValueError("a pinned certificate needs an https:// server URL")
        verify: ssl.SSLContext | bool = pinned_context(pin) if pin is not None else True
        self._http = httpx.Client(
            base_url=base_url,
            timeout=httpx.Timeout(DEFAULT_TIMEOUT),
            verify=verify,
            transport=transport,
            follow_redirects=False,
            trust_env=False,
        )

    def __enter__(self) -> PublicServer:
        return self

    @property
    def base_url(self) -> str:
        return str(self._http.base_url).rstrip("/")

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def health(self, *, timeout: float = HEALTH_TIMEOUT) -> ServerHealth | ServerFailure:
        return fetch_health(self._http, timeout)

    def download_package(
        self, enrollment_token: str, *, timeout: float = PACKAGE_TIMEOUT
    ) -> DownloadedPackage | ServerFailure:
        """``GET /v1/package`` with the kiosk's ``enrollment_token`` (not spent by it): the
        server gives the package, which holds the roll, only to a kiosk of the election."""
        return fetch_package(self._http, timeout, enrollment_authorization(enrollment_token))


def enrollment_authorization(token: str) -> dict[str, str]:
    """The header that shows a kiosk's enrollment token (``GET /v1/package``)."""
    return {"Authorization": f"{ENROLLMENT_SCHEME} {token.strip()}"}


def fetch_health(http: httpx.Client, timeout: float) -> ServerHealth | ServerFailure:
    """``GET /health`` on ``http`` (the base URL set); expected failures as values."""
    try:
        response = http.get(HEALTH_PATH, timeout=httpx.Timeout(timeout))
    except httpx.HTTPError as exc:
        return _transport_failure(exc)
    if response.status_code != 200:
        return _answer_failure(response)
    try:
        # Only the fields used are read: a server that says more is still healthy.
        answer = _Response(_json(response), "response")
        health = ServerHealth(
            election_id=ElectionId(answer.ident("election_id")),
            fingerprint=answer.string("fingerprint", 40),
            version=answer.string("version", 64),
            server_time=_http_date(response.headers.get("date")),
        )
    except _ResponseError as exc:
        return ServerFailure(FailureKind.BAD_RESPONSE, str(exc), status=response.status_code)
    return health


def fetch_package(
    http: httpx.Client, timeout: float, headers: dict[str, str]
) -> DownloadedPackage | ServerFailure:
    """``GET /v1/package`` on ``http`` with ``headers`` (a signature or a token), read up to
    ``MAX_PACKAGE_BYTES``; an error answer up to ``MAX_ERROR_BYTES``."""
    try:
        with http.stream(
            "GET", PACKAGE_PATH, headers=headers, timeout=httpx.Timeout(timeout)
        ) as response:
            if response.status_code != 200:
                return _answer_failure(_read_error(response))
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_PACKAGE_BYTES:
                    return ServerFailure(
                        FailureKind.BAD_RESPONSE,
                        f"the package is over {MAX_PACKAGE_BYTES >> 20} MiB; not read further",
                        status=response.status_code,
                    )
                chunks.append(chunk)
            stated = response.headers.get("x-isoloir-fingerprint")
    except httpx.HTTPError as exc:
        return _transport_failure(exc)
    return DownloadedPackage(b"".join(chunks), stated[:40] if stated else None)


def _read_error(response: httpx.Response) -> httpx.Response:
    """A streamed error answer with at most ``MAX_ERROR_BYTES`` of its body: a server (or
    whatever answers at its address) cannot make the kiosk read a huge error."""
    kept = bytearray()
    for chunk in response.iter_bytes():
        kept += chunk[: MAX_ERROR_BYTES + 1 - len(kept)]
        if len(kept) > MAX_ERROR_BYTES:
            break
    return httpx.Response(response.status_code, headers=response.headers, content=bytes(kept))


def _http_date(value: str | None) -> datetime | None:
    """An HTTP ``Date`` header as an aware instant; None when absent or malformed."""
    if value is None:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return None if parsed.tzinfo is None else parsed.astimezone(UTC)


def _transport_failure(exc: httpx.HTTPError) -> ServerFailure:
    if isinstance(exc, httpx.TimeoutException):
        return ServerFailure(FailureKind.TIMEOUT, "the server did not answer in time")
    if isinstance(exc, httpx.ConnectError):
        return _connect_failure(exc)
    return ServerFailure(FailureKind.UNREACHABLE, f"the connection failed ({type(exc).__name__})")


def _json(response: httpx.Response) -> JsonValue:
    """The answer's JSON object, read strictly; ``_ResponseError`` otherwise."""
    return _Response.load(response.content, "response").value


def _instant(value: JsonValue) -> datetime:
    if not isinstance(value, str) or len(value) != 20 or not value.endswith("Z"):
        raise _ResponseError("response.last_failure_at: not an RFC 3339 UTC time")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise _ResponseError("response.last_failure_at: not an RFC 3339 UTC time") from None


def _seconds_since(value: JsonValue) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << 40:
        raise _ResponseError("response.seconds_since_last_failure: not a count of seconds")
    return value


def _upload_answers(value: JsonValue, ids: list[bytes]) -> list[UploadAnswer]:
    """One answer per envelope sent, each for that envelope; ``_ResponseError`` otherwise."""
    answers: list[UploadAnswer] = []
    with _Response.reading(value, "response") as top:
        listed = top.array("answers", len(ids))
        if len(listed) != len(ids):
            raise _ResponseError(f"response.answers: {len(listed)} for {len(ids)} envelopes")
        for (path, item), envelope_id in zip(listed, ids, strict=True):
            with _Response.reading(item, path) as fields:
                status = fields.string("status", 16)
                with _Response.reading(fields.raw("answer"), f"{path}.answer") as answer:
                    stated_id = answer.raw("envelope_id")
                    outcome = answer.string("outcome", 16)
                    reason = answer.raw("reason")
                    detail = answer.string("detail", 2000)
            if stated_id != envelope_id.hex():
                raise _ResponseError(f"{path}: the answer is for another envelope")
            if status not in {s.value for s in UploadStatus}:
                raise _ResponseError(f"{path}.status: unknown status {status[:16]!r}")
            if outcome not in ("accepted", "rejected"):
                raise _ResponseError(f"{path}.answer.outcome: unknown outcome {outcome[:16]!r}")
            if not (reason is None if outcome == "accepted" else isinstance(reason, str)):
                raise _ResponseError(f"{path}.answer.reason: does not fit the outcome")
            answers.append(
                UploadAnswer(
                    envelope_id, UploadStatus(status), outcome == "accepted", reason, detail
                )
            )
    return answers


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
