"""schemathesis against the published OpenAPI schema: every operation, in process, on SQLite and
PostgreSQL (docs/server.md, "Testing the API").

The schema is the app's own ``/openapi.json``. schemathesis draws requests from it, valid and
invalid, sends them to the ASGI app and checks each answer: never a 5xx, and a status code,
content type and body that the schema documents for that operation. Two runs:

- ``test_as_generated``: every operation, the requests as drawn. The kiosk-signed operations get
  whatever signature headers were drawn, so most stop at the signature check (a documented 401);
- ``test_signed``: the kiosk-signed operations, each request signed by an enrolled kiosk's key
  over its exact bytes (``KioskSigner``), so that drawn bodies reach the handlers. Besides the
  schema's own requests, realistic ones are mixed in (``Realistic``): real sealed envelopes, whole
  or with a flipped byte, from this kiosk or another; enrollments of the package's kiosks with
  real, spent or made-up tokens; réassort tokens for the roll's voters, relayed to a demo
  outbox; the roll's voters for the status and lockout endpoints. Each operation must answer a
  success at least once: proof that the signing works.

The server runs a sealed election, its clock inside the voting window, every kiosk enrolled and
three ballots on the board (so that the board's endpoints answer with entries, and its lookups
are given those codes too). Examples are few by default (30 per operation and run, drawn the
same way every time); ``ISOLOIR_SOAK=1`` draws 1,000, at random.

Drawn with schemathesis' Python API (``APIOperation.as_strategy`` under Hypothesis' ``given``)
rather than its pytest loader: ``schemathesis.pytest.from_fixture`` reads ``Node._nodeid``, which
pytest 9.2 no longer has.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import anyio.from_thread
import pytest
import requests
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from kiosk.clock import ManualClock, isoformat_utc
from kiosk.election import signing
from kiosk.election.model import ElectionId, KioskId
from kiosk.encoding import JsonValue, b64encode
from kiosk.sync.client import ENROLL_PATH
from kiosk.sync.signing import HEADERS, sign_request
from kiosk.voting.reassort import TOKEN_ALPHABET, TOKEN_LENGTH
from server.app import create_app, server_state
from server.enrollment import issue_token
from server.messaging.settings import DeliverySettings
from server.settings import ServerSettings
from tests.server.ballots import (  # noqa: F401 - sealed_fixture is a fixture
    VOTERS,
    Cast,
    SealedElection,
    cast,
    client,
    enroll_all,
    flip_byte,
    sealed_fixture,
    voter_id,
)
from tests.server.conftest import BASE_URL
from tests.server.harness import KIOSK_IDS, PortalTransport

SOAK = os.environ.get("ISOLOIR_SOAK") == "1"
EXAMPLES = 1_000 if SOAK else 30
SIGNER = KIOSK_IDS[0]
ON_BOARD = 3  # ballots uploaded before the run: the last voters', in scrutin "cap"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
OPERATIONS = (
    "GET /health",
    "GET /metrics",
    "POST /v1/kiosks/enroll",
    "GET /v1/kiosks/me",
    "POST /v1/envelopes",
    "POST /v1/messages",
    "GET /v1/server-key",
    "GET /v1/board/head",
    "GET /v1/board",
    "GET /v1/board/entries/{tracking_code}",
    "GET /v1/board/lookup",
    "POST /v1/board/lookup-receipt",
    "GET /v1/voters/{voter_id}/status",
    "GET /v1/lockouts/{kind}/{subject_id}",
    "POST /v1/lockouts/{kind}/{subject_id}/failure",
    "POST /v1/lockouts/{kind}/{subject_id}/success",
    "GET /v1/package",
)
SIGNED_OPERATIONS = (
    "POST /v1/kiosks/enroll",
    "GET /v1/kiosks/me",
    "POST /v1/envelopes",
    "POST /v1/messages",
    "GET /v1/voters/{voter_id}/status",
    "GET /v1/lockouts/{kind}/{subject_id}",
    "POST /v1/lockouts/{kind}/{subject_id}/failure",
    "POST /v1/lockouts/{kind}/{subject_id}/success",
    "GET /v1/package",  # or with an enrollment token (tests/server/test_package_download.py)
)
# Moving the server's clock before each request of these operations keeps their rate limits
# (one receipt upload per 6 s per address; 3 messages per destination per 15 min) from
# answering every later example with a 429.
CLOCK_STEP = {
    "POST /v1/board/lookup-receipt": timedelta(seconds=6),
    "POST /v1/messages": timedelta(minutes=5),
}

Strategy = st.SearchStrategy[schemathesis.Case]


@dataclass(frozen=True)
class Realistic:
    """What the server holds before the run, to draw requests that get past its first checks."""

    sealed: SealedElection
    casts: tuple[Cast, ...]  # envelopes of every voter, this kiosk's and another's
    on_board: tuple[Cast, ...]  # uploaded before the run
    tokens: tuple[tuple[str, str], ...]  # (kiosk id, unspent enrollment token)
    clock: ManualClock  # the server's


class KioskSigner(requests.auth.AuthBase):
    """Signs each prepared request (docs/server.md, "Signed requests") over its method, its
    target as it travels and its body's exact bytes, at the server's time: as the kiosk an
    enrollment names (an enrollment is signed by the enrolling key), else as ``SIGNER``."""

    def __init__(self, sealed: SealedElection, clock: ManualClock) -> None:
        self._sealed = sealed
        self._clock = clock

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        assert isinstance(body, bytes), "a streamed body cannot be signed"
        target = request.path_url
        kiosk_id = _enrolling_kiosk(body) if target == ENROLL_PATH else None
        kiosk_id = kiosk_id if kiosk_id in self._sealed.kiosk_keys else SIGNER
        assert kiosk_id is not None
        signature = sign_request(
            self._sealed.kiosk_keys[kiosk_id],
            election_id=ElectionId(self._sealed.election_id),
            kiosk_id=KioskId(kiosk_id),
            method=str(request.method),
            target=target,
            body=body,
            timestamp=int(self._clock.now().timestamp()),
        )
        for name in HEADERS:
            request.headers.pop(name, None)
        request.headers.update(signature.headers())
        return request


def _enrolling_kiosk(body: bytes) -> str | None:
    try:
        fields = json.loads(body)
    except ValueError:
        return None
    kiosk_id = fields.get("kiosk_id") if isinstance(fields, dict) else None
    return kiosk_id if isinstance(kiosk_id, str) else None


# ---- the server under test -----------------------------------------------------------------


@pytest.fixture(scope="module")
def casts(sealed: SealedElection) -> tuple[Cast, ...]:
    """An envelope for every voter and scrutin from ``SIGNER``, and a few from another kiosk."""
    own = [
        cast(sealed, SIGNER, voter_id(index), scrutin)
        for index in range(VOTERS)
        for scrutin in ("cap", "capn")
    ]
    other = [cast(sealed, KIOSK_IDS[1], voter_id(index)) for index in range(2)]
    return (*own, *other)


@pytest.fixture(params=["sqlite", "postgresql"])
def fuzzed_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.db'}"
        return
    cluster = request.getfixturevalue("postgres")
    url = cluster.fresh_database()
    yield url
    cluster.drop_database(url)


@pytest.fixture
def fuzzed_app(
    fuzzed_url: str, sealed: SealedElection, clock: ManualClock, tmp_path: Path
) -> Iterator[FastAPI]:
    """The server on a sealed election, every kiosk enrolled, réassort to a demo outbox."""
    server_settings = ServerSettings(
        database_url=fuzzed_url,
        package=sealed.folder,
        delivery=DeliverySettings(outbox=tmp_path / "outbox"),
    )
    application = create_app(server_settings, clock)
    yield application
    server_state(application).database.close()


@pytest.fixture
def realistic(
    fuzzed_app: FastAPI, sealed: SealedElection, clock: ManualClock, casts: tuple[Cast, ...]
) -> Realistic:
    database = server_state(fuzzed_app).database
    # ``casts`` holds each voter's "cap" then "capn" envelope: the last voters' "cap" ones.
    on_board = casts[2 * (VOTERS - ON_BOARD) : 2 * VOTERS : 2]
    with anyio.from_thread.start_blocking_portal() as portal:
        transport = PortalTransport(fuzzed_app, portal)
        enroll_all(database, sealed, clock, BASE_URL, transport)
        with client(sealed, SIGNER, clock, transport=transport) as kiosk:
            answers = kiosk.upload([c.envelope for c in on_board])
    assert isinstance(answers, list), answers
    assert all(answer.accepted for answer in answers), answers
    tokens = tuple(
        (kiosk_id, issue_token(database, kiosk_id, timedelta(hours=1), clock).token)
        for kiosk_id in KIOSK_IDS
    )
    return Realistic(sealed, casts, on_board, tokens, clock)


# ---- what is drawn --------------------------------------------------------------------------


def _operation(application: FastAPI, label: str) -> schemathesis.APIOperation:
    published = schemathesis.openapi.from_asgi("/openapi.json", application)
    method, path = label.split(" ", 1)
    return published[path][method]


def _from_schema(operation: schemathesis.APIOperation) -> list[Strategy]:
    return [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]


def _spellings(code: str) -> st.SearchStrategy[str]:
    """A tracking code as people type it: any case, with or without dashes and spaces."""
    compact = code.replace("-", "")
    return st.sampled_from([code, compact, compact.lower(), " ".join(code.split("-"))])


def _envelope_item(real: Realistic) -> st.SearchStrategy[dict[str, JsonValue]]:
    # Drawn by index: a strategy over the casts themselves would have a repr of many kB.
    casts = st.integers(min_value=0, max_value=len(real.casts) - 1).map(real.casts.__getitem__)

    def flipped(c: Cast, position: int) -> dict[str, JsonValue]:
        envelope = flip_byte(c.envelope, position % len(c.envelope))
        return {
            "envelope": b64encode(envelope),
            "receipt_signature": b64encode(c.receipt_signature),
        }

    def swapped(c: Cast, d: Cast) -> dict[str, JsonValue]:
        return {
            "envelope": b64encode(c.envelope),
            "receipt_signature": b64encode(d.receipt_signature),
        }

    whole = casts.map(Cast.item)
    return st.one_of(
        whole,
        whole,
        st.builds(flipped, casts, st.integers(min_value=0)),
        st.builds(swapped, casts, casts),
    )


def _enrollment(real: Realistic) -> st.SearchStrategy[dict[str, JsonValue]]:
    keys = real.sealed.kiosk_keys

    def body(kiosk_id: str, key_of: str, token: str) -> dict[str, JsonValue]:
        public_key = b64encode(signing.public_bytes(keys[key_of]))
        return {"kiosk_id": kiosk_id, "public_key": public_key, "token": token}

    kiosk_ids = st.sampled_from(sorted(keys))
    tokens = st.one_of(
        st.sampled_from([token for _, token in real.tokens]),
        st.sampled_from([token.lower().replace("-", " ") for _, token in real.tokens]),
        st.text(min_size=1, max_size=64),
    )
    return kiosk_ids.flatmap(
        lambda kiosk_id: st.builds(
            body, st.just(kiosk_id), st.one_of(st.just(kiosk_id), kiosk_ids), tokens
        )
    )


def _message(real: Realistic) -> st.SearchStrategy[dict[str, JsonValue]]:
    voter_ids = [str(voter.id) for voter in real.sealed.package.roll]
    tokens = st.text(alphabet=TOKEN_ALPHABET, min_size=TOKEN_LENGTH, max_size=TOKEN_LENGTH)

    def body(channel: str, voter_id: str, language: str, token: str) -> dict[str, JsonValue]:
        # Drawn before the clock moves by its step: expires 10 minutes after the request.
        expires_at = real.clock.now() + CLOCK_STEP["POST /v1/messages"] + timedelta(minutes=10)
        return {
            "channel": channel,
            "voter_id": voter_id,
            "language": language,
            "token": token,
            "expires_at": isoformat_utc(expires_at),
        }

    return st.builds(
        body,
        st.sampled_from(["email", "sms"]),
        st.sampled_from([*voter_ids, "v9999"]),
        st.sampled_from(["fr", "en"]),
        tokens,
    )


def _realistic(operation: schemathesis.APIOperation, real: Realistic) -> list[Strategy]:
    """Requests that get past the schema and the first checks, for the operations that take
    something the server knows."""
    codes = st.sampled_from([c.tracking_code for c in real.on_board]).flatmap(_spellings)
    match operation.label:
        case "GET /v1/board/entries/{tracking_code}":
            return [
                codes.flatmap(lambda c: operation.as_strategy(path_parameters={"tracking_code": c}))
            ]
        case "GET /v1/board/lookup":
            return [codes.flatmap(lambda c: operation.as_strategy(query={"code": c}))]
        case "GET /v1/voters/{voter_id}/status":
            voters = st.sampled_from([voter.id for voter in real.sealed.package.roll])
            return [
                voters.flatmap(lambda v: operation.as_strategy(path_parameters={"voter_id": v}))
            ]
        case label if label.startswith(("GET /v1/lockouts/", "POST /v1/lockouts/")):
            subjects = st.sampled_from(
                [voter.id for voter in real.sealed.package.roll] + ["0" * 32, "f" * 32]
            )
            kinds = st.sampled_from(["login", "vote_code", "reassort"])
            return [
                st.tuples(kinds, subjects).flatmap(
                    lambda ks: operation.as_strategy(
                        path_parameters={"kind": ks[0], "subject_id": ks[1]}
                    )
                )
            ]
        case "POST /v1/envelopes":
            items = st.lists(_envelope_item(real), min_size=1, max_size=4)
            bodies = items.map(lambda found: {"envelopes": found})
        case "POST /v1/kiosks/enroll":
            bodies = _enrollment(real)
        case "POST /v1/messages":
            bodies = _message(real)
        case _:
            return []
    return [bodies.flatmap(lambda body: operation.as_strategy(body=body))]


def _fuzz(
    strategies: list[Strategy], clock: ManualClock, session: requests.Session | None = None
) -> list[schemathesis.Response]:
    """Draw, send and check; every answer, for the caller to look at."""
    answers: list[schemathesis.Response] = []

    @given(case=st.one_of(strategies))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not SOAK,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def run(case: schemathesis.Case) -> None:
        step = CLOCK_STEP.get(case.operation.label)
        if step is not None:
            clock.advance(step)
        answers.append(case.call_and_validate(session=session, checks=CHECKS))

    run()
    return answers


# ---- the tests ------------------------------------------------------------------------------


def test_every_operation_is_fuzzed(fuzzed_app: FastAPI) -> None:
    published = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    labels = {result.ok().label for result in published.get_all_operations()}
    assert labels == set(OPERATIONS)


@pytest.mark.parametrize("label", OPERATIONS)
def test_as_generated(
    fuzzed_app: FastAPI, realistic: Realistic, clock: ManualClock, label: str
) -> None:
    operation = _operation(fuzzed_app, label)
    _fuzz([*_from_schema(operation), *_realistic(operation, realistic)], clock)


@pytest.mark.parametrize("label", SIGNED_OPERATIONS)
def test_signed(fuzzed_app: FastAPI, realistic: Realistic, clock: ManualClock, label: str) -> None:
    operation = _operation(fuzzed_app, label)
    with requests.Session() as session:
        session.auth = KioskSigner(realistic.sealed, clock)
        answers = _fuzz(
            [*_from_schema(operation), *_realistic(operation, realistic)], clock, session
        )
    statuses = sorted({answer.status_code for answer in answers})
    assert any(200 <= status < 300 for status in statuses), statuses
