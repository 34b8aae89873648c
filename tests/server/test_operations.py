"""What an operator sees, on SQLite and PostgreSQL: /health, /metrics, /openapi.json, and the
one error shape for everything that is not a success (never a 500 for bad input)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import anyio.from_thread
import httpx
import pytest
from fastapi import FastAPI

from kiosk import __version__
from kiosk.clock import ManualClock
from kiosk.election.package import PackageError
from kiosk.sync.client import KioskIdentity, ServerClient
from server.app import create_app, server_state
from server.log import ServerEvent, configure, log_event
from server.settings import ServerSettings
from server.storage import SCHEMA_VERSION
from server.storage.database import DatabaseUnavailable, DatabaseUrlError
from tests.server.harness import Election, PortalTransport, signed_headers
from tests.server.postgres import PostgresCluster


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus text ``text``."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        sample, _, value = line.rpartition(" ")
        sample_name, _, rest = sample.partition("{")
        found = ",".join(sorted(rest.rstrip("}").split(","))) if rest else ""
        if sample_name == name and found == wanted:
            return float(value)
    raise AssertionError(f"no sample {name}{{{wanted}}}")


def test_health_says_what_is_served(
    http: httpx.Client, election: Election, settings: ServerSettings
) -> None:
    answer = http.get("/health")
    assert answer.status_code == 200
    backend = "sqlite" if settings.database_url.startswith("sqlite") else "postgresql"
    assert answer.json() == {
        "status": "ok",
        "version": __version__,
        "election_id": election.election_id,
        "fingerprint": election.package.fingerprint,
        "schema_version": SCHEMA_VERSION,
        "database": backend,
    }


def test_health_is_503_when_the_database_is_gone(app: FastAPI, http: httpx.Client) -> None:
    server_state(app).database.close()
    answer = http.get("/health")
    assert answer.status_code == 503
    assert answer.json()["error"] == "unavailable"
    assert "cannot be reached" in answer.json()["detail"]


def test_a_lost_postgresql_is_503_not_500(
    postgres: PostgresCluster, election: Election, clock: ManualClock, tmp_path: Path
) -> None:
    url = postgres.fresh_database()
    app = create_app(ServerSettings(database_url=url, package=election.folder), clock)
    with (
        anyio.from_thread.start_blocking_portal() as portal,
        httpx.Client(transport=PortalTransport(app, portal), base_url="http://t") as http,
    ):
        assert http.get("/health").status_code == 200
        postgres.drop_database(url)  # closes the server's connections, then the database
        for path in ("/health", "/v1/kiosks/me"):
            answer = http.get(path)
            assert answer.status_code in (503, 401), answer.text
        answer = http.get("/health")
        assert (answer.status_code, answer.json()["error"]) == (503, "unavailable")
        metrics = http.get("/metrics")
        assert metrics.status_code == 200
        assert metric(metrics.text, "isoloir_database_up") == 0
    server_state(app).database.close()


def test_metrics_count_requests_refusals_and_kiosks(
    http: httpx.Client,
    kiosk_client: Callable[[str], ServerClient],
    token_for: Callable[..., str],
    election: Election,
) -> None:
    client = kiosk_client("kiosk-01")
    assert isinstance(client.enroll(token_for("kiosk-01")), KioskIdentity)
    assert isinstance(client.whoami(), KioskIdentity)
    http.get("/v1/kiosks/me")  # unsigned
    http.get("/no/such/path/12345")
    text = http.get("/metrics")
    assert text.headers["content-type"].startswith("text/plain")
    body = text.text
    assert metric(body, "isoloir_kiosks_enrolled", status="active") == 1
    assert metric(body, "isoloir_kiosks_enrolled", status="revoked") == 0
    assert metric(body, "isoloir_kiosks_in_package") == 3
    assert metric(body, "isoloir_database_up") == 1
    count = "isoloir_http_requests_total"
    assert metric(body, count, method="POST", route="/v1/kiosks/enroll", status="201") == 1
    assert metric(body, count, method="GET", route="/v1/kiosks/me", status="200") == 1
    assert metric(body, count, method="GET", route="/v1/kiosks/me", status="401") == 1
    assert metric(body, count, method="GET", route="unmatched", status="404") == 1
    assert metric(body, "isoloir_refusals_total", code="unsigned") == 1
    assert metric(body, "isoloir_refusals_total", code="not_found") == 1
    assert "/no/such/path" not in body  # raw paths never become labels
    info = {
        "version": __version__,
        "election_id": election.election_id,
        "fingerprint": election.package.fingerprint,
    }
    backend = re.search(r'isoloir_server_info\{[^}]*backend="(\w+)"', body)
    assert backend is not None
    assert metric(body, "isoloir_server_info", backend=backend[1], **info) == 1


def test_the_openapi_schema_is_published(http: httpx.Client) -> None:
    schema = http.get("/openapi.json").json()
    assert schema["info"]["title"] == "Isoloir central server"
    assert schema["info"]["version"] == __version__
    # Each subject's tests check its own paths (tests/server/test_board.py, ...).
    assert {"/health", "/metrics", "/v1/kiosks/enroll", "/v1/kiosks/me"} <= set(schema["paths"])
    me = schema["paths"]["/v1/kiosks/me"]["get"]
    assert {p["name"] for p in me["parameters"] if p["in"] == "header"} == {
        "X-Isoloir-Kiosk",
        "X-Isoloir-Timestamp",
        "X-Isoloir-Nonce",
        "X-Isoloir-Signature",
    }
    assert {"200", "401", "403", "503"} <= set(me["responses"])
    error = schema["components"]["schemas"]["ErrorBody"]
    assert set(error["properties"]) == {"error", "detail"}
    codes = schema["components"]["schemas"]["ErrorCode"]["enum"]
    assert {"unsigned", "bad_signature", "stale_request", "replayed_request", "token_used"} <= set(
        codes
    )
    enroll = schema["paths"]["/v1/kiosks/enroll"]["post"]
    assert enroll["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    assert http.get("/docs").status_code == 404  # no page pulling scripts from a CDN


def listed(election: Election) -> dict[str, str]:
    """Signature headers of a kiosk of the package, in their form: a request gets past the checks
    made before its body is read (the signature itself is checked after the body)."""
    return signed_headers(election.kiosk_keys["kiosk-01"], election_id=election.election_id,
                          kiosk_id="kiosk-01", timestamp=0)  # fmt: skip


def test_errors_have_one_shape(http: httpx.Client, election: Election) -> None:
    cases = [
        (http.get("/nowhere"), 404, "not_found"),
        (http.delete("/health"), 405, "method_not_allowed"),
        (
            http.post(
                "/v1/kiosks/enroll",
                content=b"\xff\xfe",
                headers={"Content-Type": "application/json", **listed(election)},
            ),
            422,
            "invalid_request",
        ),
        (
            http.post("/v1/kiosks/enroll", json={"kiosk_id": 5}, headers=listed(election)),
            422,
            "invalid_request",
        ),
        (http.post("/v1/kiosks/enroll", json={"kiosk_id": 5}), 401, "unsigned"),
        (
            http.get("/v1/kiosks/me", headers={"X-Isoloir-Nonce": "é".encode()}),
            401,
            "unsigned",
        ),
    ]
    for answer, status, code in cases:
        assert (answer.status_code, answer.json()["error"]) == (status, code), answer.text
        assert set(answer.json()) == {"error", "detail"}
    assert cases[1][0].headers["Allow"] == "GET"


def test_validation_errors_never_echo_what_was_sent(http: httpx.Client, election: Election) -> None:
    secret = "SECRET-TOKEN-VALUE-" + "X" * 60
    answer = http.post(
        "/v1/kiosks/enroll",
        json={"kiosk_id": "kiosk-01", "public_key": "A" * 44, "token": secret},
        headers=listed(election),
    )
    assert answer.status_code == 422
    assert "SECRET" not in answer.text
    assert "token" in answer.json()["detail"]


@pytest.fixture
def small_body_app(database_url: str, election: Election, clock: ManualClock) -> Iterator[FastAPI]:
    app = create_app(
        ServerSettings(database_url=database_url, package=election.folder, max_body_bytes=2048),
        clock,
    )
    yield app
    server_state(app).database.close()


def test_a_body_over_the_limit_is_413(small_body_app: FastAPI) -> None:
    with anyio.from_thread.start_blocking_portal() as portal:
        transport = PortalTransport(small_body_app, portal)
        with httpx.Client(transport=transport, base_url="http://t") as http:
            answer = http.post("/v1/kiosks/enroll", content=b"x" * 2049)
            assert (answer.status_code, answer.json()["error"]) == (413, "body_too_large")
            # Within the limit, an unsigned body is refused before it is read.
            answer = http.post("/v1/kiosks/enroll", content=b"x" * 2048)
            assert (answer.status_code, answer.json()["error"]) == (401, "unsigned")


def test_a_bad_package_or_database_stops_the_start(
    election: Election, clock: ManualClock, tmp_path: Path, database_url: str
) -> None:
    with pytest.raises(PackageError, match="no such package"):
        create_app(ServerSettings(database_url=database_url, package=tmp_path / "nope"), clock)
    with pytest.raises(DatabaseUrlError):
        create_app(ServerSettings(database_url="mysql://x/y", package=election.folder), clock)
    missing = f"sqlite:///{tmp_path / 'no-such-folder' / 'server.db'}"
    with pytest.raises(DatabaseUnavailable, match="does not exist"):
        create_app(ServerSettings(database_url=missing, package=election.folder), clock)


@pytest.fixture
def server_log() -> Iterator[io.StringIO]:
    """The ``server`` loggers' JSON lines, as an operator would read them."""
    logger = logging.getLogger("server")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    stream = io.StringIO()
    configure("INFO", stream)
    yield stream
    logger.handlers[:], logger.level, logger.propagate = saved


def test_a_bug_is_a_bare_500_and_one_log_line(
    app: FastAPI, http: httpx.Client, server_log: io.StringIO
) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("token ABCD-EFGH leaked into a message")

    answer = http.get("/boom")
    assert answer.status_code == 500
    assert answer.json() == {
        "error": "internal",
        "detail": "internal error; the server log has its type",
    }
    lines = [json.loads(line) for line in server_log.getvalue().splitlines()]
    failed = [line for line in lines if line["event"] == "request_failed"]
    assert failed == [{**failed[0], "route": "/boom", "error": "RuntimeError", "level": "ERROR"}]
    assert "ABCD" not in server_log.getvalue()


def test_the_log_shows_only_catalog_events_and_safe_fields(server_log: io.StringIO) -> None:
    logger = logging.getLogger("server.test")
    log_event(logger, ServerEvent.KIOSK_ENROLL, kiosk_id="kiosk-01", token="ABCD-EFGH")
    logger.warning("free text with a nonce %s", "00112233")
    lines = [json.loads(line) for line in server_log.getvalue().splitlines()]
    assert lines[0]["event"] == "kiosk_enroll"
    assert (lines[0]["kiosk_id"], lines[0]["token"]) == ("kiosk-01", "[redacted]")
    assert lines[1]["event"] == "[redacted]"
    assert "00112233" not in server_log.getvalue()
