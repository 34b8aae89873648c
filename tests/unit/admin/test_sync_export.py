"""Sync now, enrollment and the export to removable media through the console, against a real
server on loopback (tests/server/harness.py) and real sealed ballots in a real store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI

from kiosk.admin.console import AdminConsole, AdminError, AdminSession, NotAllowed
from kiosk.admin.roles import Role
from kiosk.audit import AuditEvent
from kiosk.bundle.codec import parse_bundle
from kiosk.clock import ManualClock
from kiosk.election.model import KioskId, ScrutinId
from kiosk.store import KioskStore, PollsState, SyncState, create_key_file
from kiosk.sync.client import FailureKind, ServerClient
from server.app import create_app, server_state
from server.enrollment import issue_token
from server.settings import ServerSettings
from tests.server.ballots import (  # noqa: F401 - sealed_fixture is a fixture
    SealedElection,
    cast,
    client,
    sealed_fixture,
    voter_id,
)
from tests.server.conftest import START
from tests.server.harness import ServerThread
from tests.unit.admin.conftest import (
    ADMIN,
    ADMIN_PIN,
    ASSESSEUR,
    ASSESSEUR_PIN,
    make_console,
    sign_in,
)

KIOSK = "kiosk-01"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def store(tmp_path: Path, sealed: SealedElection, clock: ManualClock) -> Iterator[KioskStore]:
    made = KioskStore.create(tmp_path / "kiosk.db", create_key_file(tmp_path / "k"), clock)
    made.load_package(sealed.package)
    seed = sealed.kiosk_keys[KIOSK].private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    made.set_kiosk_key(KioskId(KIOSK), seed)
    made.set_polls_state(PollsState.OPEN)
    for voter in (1, 2):
        ballot = cast(sealed, KIOSK, voter_id(voter), "cap")
        made.record_cast(voter_id(voter), ScrutinId("cap"), ballot.envelope_id, ballot.envelope)
    yield made
    made.close()


@pytest.fixture
def app(tmp_path: Path, sealed: SealedElection, clock: ManualClock) -> Iterator[FastAPI]:
    settings = ServerSettings(
        database_url=f"sqlite:///{tmp_path / 'server.db'}", package=sealed.folder
    )
    made = create_app(settings, clock)
    yield made
    server_state(made).database.close()


@pytest.fixture
def server(app: FastAPI) -> Iterator[ServerThread]:
    with ServerThread(app) as running:
        yield running


def online_console(
    store: KioskStore, clock: ManualClock, tmp_path: Path, sealed: SealedElection, url: str
) -> AdminConsole:
    def make() -> ServerClient:
        return client(sealed, KIOSK, clock, url)

    console = make_console(store, clock, tmp_path, client_factory=make)
    console.operators.add(ADMIN, Role.ADMINISTRATOR, ADMIN_PIN)
    console.operators.add(ASSESSEUR, Role.ASSESSEUR, ASSESSEUR_PIN)
    return console


def test_enroll_then_sync_now_with_progress(
    store: KioskStore,
    clock: ManualClock,
    tmp_path: Path,
    sealed: SealedElection,
    server: ServerThread,
    app: FastAPI,
) -> None:
    console = online_console(store, clock, tmp_path, sealed, server.url)
    admin = sign_in(console, ADMIN, ADMIN_PIN)
    assesseur = sign_in(console, ASSESSEUR, ASSESSEUR_PIN)

    not_enrolled = assesseur.sync_now()
    assert not_enrolled.failure is not None
    assert not_enrolled.failure.code == "kiosk_not_enrolled"
    assert not_enrolled.pending == 2

    with pytest.raises(NotAllowed):
        assesseur.enroll("whatever")
    with pytest.raises(AdminError, match=r"enrollment refused: refused \[token_invalid\]"):
        admin.enroll("AAAA-BBBB-CCCC-DDDD")
    token = issue_token(server_state(app).database, KIOSK, timedelta(hours=1), clock).token
    admin.enroll(token)
    assert dict(store.audit_entries()[-1].fields) == {"kiosk_id": KIOSK}

    progress: list[tuple[int, int]] = []
    summary = assesseur.sync_now(lambda done, total: progress.append((done, total)))
    assert (summary.accepted, summary.pending, summary.failure) == (2, 0, None)
    assert progress == [(0, 2), (2, 2)]
    board = assesseur.dashboard()
    assert (board.queued, board.synced) == (0, 2)
    assert board.last_sync == clock.now()
    assert board.online


def test_an_offline_kiosk_syncs_nothing_and_exports_to_media(
    store: KioskStore, clock: ManualClock, tmp_path: Path
) -> None:
    console = make_console(store, clock, tmp_path)
    console.operators.add(ADMIN, Role.ADMINISTRATOR, ADMIN_PIN)
    console.operators.add(ASSESSEUR, Role.ASSESSEUR, ASSESSEUR_PIN)
    admin = sign_in(console, ADMIN, ADMIN_PIN)
    assesseur: AdminSession = sign_in(console, ASSESSEUR, ASSESSEUR_PIN)

    summary = assesseur.sync_now()
    assert summary.failure is not None
    assert summary.failure.kind is FailureKind.UNREACHABLE
    assert summary.failure.detail == "offline kiosk, no server"
    assert summary.pending == 2

    media = tmp_path / "usb"
    media.mkdir()
    with pytest.raises(NotAllowed):
        assesseur.export_media(media)
    written = admin.export_media(media)
    assert written.parent == media
    assert written.name == f"{KIOSK}-20261201T080000Z.isoloir-bundle"
    bundle = parse_bundle(written.read_bytes())
    assert len(bundle.items) == 2
    assert {e.state for e in store.outbox()} == {SyncState.EXPORTED}
    last = store.audit_entries()[-1]
    assert last.event is AuditEvent.MEDIA_EXPORTED
    assert dict(last.fields) == {"count": 2, "operator": ADMIN}
    with pytest.raises(AdminError, match="exists already"):
        admin.export_media(media)  # the same second: the same name, never overwritten
    with pytest.raises(AdminError, match="no such folder"):
        admin.export_media(tmp_path / "no-stick")
