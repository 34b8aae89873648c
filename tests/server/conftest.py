"""Fixtures of the server tests. Every test that takes ``database_url`` runs twice: on SQLite
and on a real PostgreSQL 15 (``tests/server/postgres.py``), each time on a new, empty database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio.from_thread
import httpx
import pytest
from fastapi import FastAPI

from kiosk.clock import ManualClock
from kiosk.election.model import ElectionId, KioskId
from kiosk.sync.client import ServerClient
from server.app import create_app, server_state
from server.enrollment import issue_token
from server.settings import ServerSettings
from server.storage.database import Database
from tests.server.harness import Election, PortalTransport, make_election
from tests.server.postgres import PostgresCluster, postgres

__all__ = ["postgres"]

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
BASE_URL = "http://isoloir.test"


@pytest.fixture(scope="session")
def election(tmp_path_factory: pytest.TempPathFactory) -> Election:
    return make_election(tmp_path_factory.mktemp("election") / "package")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.db'}"
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    url = cluster.fresh_database()
    yield url
    cluster.drop_database(url)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings(database_url: str, election: Election) -> ServerSettings:
    return ServerSettings(database_url=database_url, package=election.folder)


@pytest.fixture
def app(settings: ServerSettings, clock: ManualClock) -> Iterator[FastAPI]:
    application = create_app(settings, clock)
    yield application
    server_state(application).database.close()


@pytest.fixture
def database(app: FastAPI) -> Database:
    return server_state(app).database


@pytest.fixture
def transport(app: FastAPI) -> Iterator[PortalTransport]:
    with anyio.from_thread.start_blocking_portal() as portal:
        yield PortalTransport(app, portal)


@pytest.fixture
def http(transport: PortalTransport) -> Iterator[httpx.Client]:
    with httpx.Client(transport=transport, base_url=BASE_URL) as client:
        yield client


@pytest.fixture
def kiosk_client(
    election: Election, clock: ManualClock, transport: PortalTransport
) -> Iterator[Callable[[str], ServerClient]]:
    """``kiosk_client("kiosk-01")``: that kiosk's client of the in-process app."""
    made: list[ServerClient] = []

    def make(kiosk_id: str) -> ServerClient:
        client = ServerClient(
            BASE_URL,
            election_id=ElectionId(election.election_id),
            kiosk_id=KioskId(kiosk_id),
            key=election.kiosk_keys[kiosk_id],
            clock=clock,
            package_fingerprint=election.package.fingerprint,
            transport=transport,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def token_for(database: Database, clock: ManualClock) -> Callable[..., str]:
    """``token_for("kiosk-01")``: a fresh enrollment token, as the administrator would issue."""

    def issue(kiosk_id: str, ttl: timedelta = timedelta(hours=1)) -> str:
        return issue_token(database, kiosk_id, ttl, clock).token

    return issue
