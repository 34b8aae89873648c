"""The server over real HTTP on loopback: uvicorn in a thread (with the test's clock) on SQLite
and PostgreSQL, TLS with a pinned certificate, the kiosk client's failures as values, and
``isoloir server run`` itself in a subprocess (one worker on SQLite, two on PostgreSQL)."""

from __future__ import annotations

import re
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from kiosk.clock import ManualClock, SystemClock
from kiosk.election.model import ElectionId, KioskId
from kiosk.sync.client import FailureKind, KioskIdentity, ServerClient, ServerFailure
from kiosk.sync.tls import format_fingerprint, pinned_context
from server.app import create_app, server_state
from server.enrollment import issue_token
from server.settings import ServerSettings
from server.storage import SCHEMA_VERSION
from tests.server.harness import (
    Certificate,
    Election,
    ServerProcess,
    ServerThread,
    free_port,
    row_counts,
    self_signed_certificate,
    signed_headers,
    wait_for_health,
)
from tests.server.postgres import PostgresCluster


def client_for(
    election: Election, url: str, clock: object, kiosk_id: str = "kiosk-01", **options: object
) -> ServerClient:
    settings: dict[str, object] = {"package_fingerprint": election.package.fingerprint}
    settings.update(options)
    return ServerClient(
        url,
        election_id=ElectionId(election.election_id),
        kiosk_id=KioskId(kiosk_id),
        key=election.kiosk_keys[kiosk_id],
        clock=clock,
        **settings,
    )


def test_enroll_and_signed_requests_over_loopback(
    app: FastAPI, election: Election, clock: ManualClock
) -> None:
    database = server_state(app).database
    token = issue_token(database, "kiosk-01", timedelta(hours=1), clock).token
    with ServerThread(app) as server:
        assert wait_for_health(server.url).json()["status"] == "ok"
        with client_for(election, server.url, clock) as client:
            enrolled = client.enroll(token)
            assert isinstance(enrolled, KioskIdentity)
            assert client.whoami() == enrolled
        key = election.kiosk_keys["kiosk-01"]
        headers = signed_headers(
            key, election_id=election.election_id, kiosk_id="kiosk-01",
            timestamp=int(clock.now().timestamp()),
        )  # fmt: skip
        with httpx.Client(base_url=server.url, trust_env=False) as http:
            assert http.get("/v1/kiosks/me", headers=headers).status_code == 200
            before = row_counts(database)
            replay = http.get("/v1/kiosks/me", headers=headers)
            assert (replay.status_code, replay.json()["error"]) == (401, "replayed_request")
            clock.advance(timedelta(minutes=6))  # the server's clock: the test's
            fresh_nonce_old_time = signed_headers(
                key, election_id=election.election_id, kiosk_id="kiosk-01",
                timestamp=int(clock.now().timestamp()) - 360,
            )  # fmt: skip
            stale = http.get("/v1/kiosks/me", headers=fresh_nonce_old_time)
            assert (stale.status_code, stale.json()["error"]) == (401, "stale_request")
            assert row_counts(database) == before


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    return self_signed_certificate(tmp_path / "tls")


@pytest.fixture
def tls_server(
    election: Election, clock: ManualClock, tmp_path: Path, certificate: Certificate
) -> Iterator[tuple[ServerThread, FastAPI]]:
    settings = ServerSettings(
        database_url=f"sqlite:///{tmp_path / 'server.db'}", package=election.folder
    )
    app = create_app(settings, clock)
    with ServerThread(app, certfile=certificate.cert, keyfile=certificate.key) as server:
        yield server, app
    server_state(app).database.close()


def test_the_kiosk_pins_the_server_certificate(
    tls_server: tuple[ServerThread, FastAPI],
    certificate: Certificate,
    election: Election,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    server, app = tls_server
    database = server_state(app).database
    wait_for_health(server.url, verify=pinned_context(certificate.fingerprint))
    token = issue_token(database, "kiosk-01", timedelta(hours=1), clock).token
    before = row_counts(database)
    # Another certificate's pin, as a man in the middle would present: nothing is sent.
    other = self_signed_certificate(tmp_path / "other", "impostor")
    with client_for(election, server.url, clock, pin=other.fingerprint) as client:
        failure = client.enroll(token)
    assert isinstance(failure, ServerFailure)
    assert failure.kind is FailureKind.CERTIFICATE
    assert format_fingerprint(certificate.fingerprint) in failure.detail
    # No pin: the certificate must come from a public CA, and a self-signed one does not.
    with client_for(election, server.url, clock) as client:
        failure = client.enroll(token)
    assert isinstance(failure, ServerFailure)
    assert failure.kind is FailureKind.CERTIFICATE
    assert row_counts(database) == before
    # The right pin: accepted.
    with client_for(election, server.url, clock, pin=certificate.fingerprint) as client:
        assert isinstance(client.enroll(token), KioskIdentity)
        assert isinstance(client.whoami(), KioskIdentity)
    with pytest.raises(ValueError, match="https"):
        client_for(election, f"http://127.0.0.1:{server.port}", clock, pin=certificate.fingerprint)


def test_client_failures_are_values(
    app: FastAPI, election: Election, clock: ManualClock, settings: ServerSettings
) -> None:
    closed_port = free_port()  # nothing listens there now
    with client_for(election, f"http://127.0.0.1:{closed_port}", clock) as client:
        failure = client.whoami()
    assert isinstance(failure, ServerFailure)
    assert failure.kind is FailureKind.UNREACHABLE
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with client_for(election, url, clock, timeout=0.3) as client:
            failure = client.whoami()
        assert isinstance(failure, ServerFailure)
        assert failure.kind is FailureKind.TIMEOUT
    database = server_state(app).database
    token = issue_token(database, "kiosk-01", timedelta(hours=1), clock).token
    with ServerThread(app) as server:
        wait_for_health(server.url)
        with client_for(
            election, server.url, clock, package_fingerprint="AAAA-AAAA-AAAA-AAAA"
        ) as client:
            failure = client.enroll(token)
        assert isinstance(failure, ServerFailure)
        assert failure.kind is FailureKind.WRONG_ELECTION
        database.close()
        with client_for(election, server.url, clock) as client:
            failure = client.whoami()
        assert isinstance(failure, ServerFailure)
        assert (failure.kind, failure.code, failure.status) == (
            FailureKind.SERVER_ERROR, "unavailable", 503
        )  # fmt: skip


def test_a_streamed_body_over_the_limit_is_cut_at_413(
    database_url: str, election: Election, clock: ManualClock
) -> None:
    app = create_app(
        ServerSettings(database_url=database_url, package=election.folder, max_body_bytes=4096),
        clock,
    )
    with ServerThread(app) as server, httpx.Client(base_url=server.url, trust_env=False) as http:
        chunks = (b"x" * 1024 for _ in range(64))  # no Content-Length: chunked transfer
        # Headers of a listed kiosk, in their form: the body is read only then (server.app).
        headers = signed_headers(election.kiosk_keys["kiosk-01"], election_id=election.election_id,
                                 kiosk_id="kiosk-01", timestamp=0)  # fmt: skip
        answer = http.post("/v1/kiosks/enroll", content=chunks, headers=headers)
        assert (answer.status_code, answer.json()["error"]) == (413, "body_too_large")
    server_state(app).database.close()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        capture_output=True, text=True, check=False, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_isoloir_server_run_with_tls(
    election: Election, tmp_path: Path, certificate: Certificate
) -> None:
    database = f"sqlite:///{tmp_path / 'server.db'}"
    port = free_port()
    issued = _cli(
        "server", "enroll-token", "--db", database, "--kiosk-id", "kiosk-01", "--ttl", "2h"
    )
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"([A-Z2-7]{4}-){7}[A-Z2-7]{4}", token)
    assert token not in issued.stderr  # shown once, on stdout, never in a log line
    server = ServerProcess(
        ["--db", database, "--package", str(election.folder), "--port", str(port),
         "--tls-cert", str(certificate.cert), "--tls-key", str(certificate.key)]
    )  # fmt: skip
    try:
        server.wait_started()
        url = f"https://127.0.0.1:{port}"
        wait_for_health(url, verify=pinned_context(certificate.fingerprint))
        with client_for(election, url, SystemClock(), pin=certificate.fingerprint) as client:
            assert isinstance(client.enroll(token), KioskIdentity)
            assert isinstance(client.whoami(), KioskIdentity)
    finally:
        code = server.stop()
    output = "".join(server.output)
    assert code == 0, output
    assert f"Fingerprint: {election.package.fingerprint}" in output
    pinned = format_fingerprint(certificate.fingerprint)
    assert f"TLS certificate SHA-256 (kiosks pin it): {pinned}" in output
    assert token not in output
    assert '"event": "kiosk_enroll"' in output  # the server's own catalog, as JSON lines
    fingerprint = _cli("server", "fingerprint", "--tls-cert", str(certificate.cert))
    assert fingerprint.stdout.strip() == format_fingerprint(certificate.fingerprint)


def test_isoloir_server_run_two_workers_on_postgresql(
    postgres: PostgresCluster, election: Election
) -> None:
    database = postgres.fresh_database()
    port = free_port()
    server = ServerProcess(
        ["--db", database, "--package", str(election.folder), "--port", str(port),
         "--workers", "2"],
        workers=2,
    )  # fmt: skip
    try:
        server.wait_started()
        url = f"http://127.0.0.1:{port}"
        answered = 0
        for _ in range(12):  # new connections: both workers get some
            wait_for_health(url)
            answered += 1
        metrics = httpx.get(f"{url}/metrics", trust_env=False).text
    finally:
        code = server.stop()
    assert code == 0, "".join(server.output)
    totals = re.findall(
        r'isoloir_http_requests_total\{method="GET",route="/health",status="200"\} (\S+)', metrics
    )
    assert [float(value) for value in totals] == [answered]  # summed over the workers
    assert 'isoloir_kiosks_enrolled{status="active"} 0.0' in metrics


def test_the_cli_refuses_what_cannot_run(election: Election, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'server.db'}"
    cases = [
        (["server", "run", "--db", database, "--package", str(election.folder), "--workers", "2"],
         "SQLite serves one process"),
        (["server", "run", "--db", database, "--package", str(election.folder),
          "--tls-cert", str(election.folder / "manifest.json")], "--tls-cert and --tls-key"),
        (["server", "enroll-token", "--db", database, "--kiosk-id", "Kiosk 1"], "not a kiosk id"),
        (["server", "enroll-token", "--db", database, "--kiosk-id", "k", "--ttl", "99d"], "--ttl"),
        (["server", "migrate", "--db", "mysql://x/y"], "expected sqlite:///"),
    ]  # fmt: skip
    for args, message in cases:
        result = _cli(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
    migrated = _cli("server", "migrate", "--db", database)
    assert migrated.returncode == 0, migrated.stderr
    assert "Applied 0001_initial.sql" in migrated.stdout
    assert f"Schema version {SCHEMA_VERSION}" in _cli("server", "migrate", "--db", database).stdout


def test_pinned_context_rejects_a_bad_pin_length() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        pinned_context(b"short")
    assert isinstance(pinned_context(bytes(32)), ssl.SSLContext)
