"""An online kiosk against a real server (uvicorn on a loopback port, the test's clock): the
cast goes into the ballot box at once and the receipt says so; with the server not answering,
the receipt says "awaiting transmission" within the timeout and the background sync delivers the
ballot once the server is back; a voter who voted at kiosk A is told at kiosk B before choosing;
ten wrong passwords spread over two kiosks lock the identifier on both."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI

from kiosk.clock import ManualClock
from kiosk.election.model import ElectionId, KioskId, ListId, ScrutinId
from kiosk.receipts import SyncState
from kiosk.store import KioskStore, PollsState, create_key_file
from kiosk.store import SyncState as OutboxState
from kiosk.sync.client import ServerClient, SharedCounter
from kiosk.sync.online import AtCastUpload, Link, ServerLockouts, ServerVoterStatus
from kiosk.sync.outbox import OutboxSync
from kiosk.voting import flow
from kiosk.voting.lockout import login_subject
from kiosk.voting.model import LockedCredential, Notice
from server.app import create_app, server_state
from server.settings import ServerSettings
from server.storage.database import Database
from tests.server.ballots import SealedElection, enroll_all, make_sealed_election
from tests.server.harness import ServerThread
from tests.unit.test_voting_world import Kiosk, VoterSecrets

ALICE, BOB = VoterSecrets(0), VoterSecrets(1)
CAPN, CAP = ScrutinId("capn"), ScrutinId("cap")
TIMEOUT = 3.0  # seconds: what a voter may wait for the server (the default; CI may be loaded)


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> SealedElection:
    return make_sealed_election(tmp_path_factory.mktemp("online-election"))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def app(tmp_path: Path, sealed: SealedElection, clock: ManualClock) -> Iterator[FastAPI]:
    settings = ServerSettings(
        database_url=f"sqlite:///{tmp_path / 'server.db'}", package=sealed.folder
    )
    application = create_app(settings, clock)
    yield application
    server_state(application).database.close()


@pytest.fixture
def database(app: FastAPI) -> Database:
    return server_state(app).database


@dataclass
class OnlineKiosk:
    kiosk: Kiosk
    client: ServerClient
    outbox: OutboxSync
    uploader: AtCastUpload

    def close(self) -> None:
        self.uploader.close()
        self.client.close()
        self.kiosk.store.close()


def online_kiosk(
    tmp_path: Path, sealed: SealedElection, clock: ManualClock, kiosk_id: str, url: str
) -> OnlineKiosk:
    folder = tmp_path / kiosk_id
    folder.mkdir()
    store = KioskStore.create(folder / "kiosk.db", create_key_file(folder / "store.key"), clock)
    store.load_package(sealed.package)
    key = sealed.kiosk_keys[kiosk_id]
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    store.set_kiosk_key(KioskId(kiosk_id), seed)
    store.set_polls_state(PollsState.OPEN)
    client = ServerClient(
        url,
        election_id=ElectionId(sealed.election_id),
        kiosk_id=KioskId(kiosk_id),
        key=key,
        clock=clock,
        package_fingerprint=sealed.package.fingerprint,
    )
    outbox = OutboxSync(store, client, clock)
    uploader = AtCastUpload(outbox, timeout=TIMEOUT)
    link = Link(clock)
    kiosk = Kiosk(
        folder,
        clock,
        store=store,
        uploader=uploader,
        voter_status=ServerVoterStatus(client, link, timeout=TIMEOUT),
        shared_lockouts=ServerLockouts(client, link, timeout=TIMEOUT),
    )
    return OnlineKiosk(kiosk, client, outbox, uploader)


@pytest.fixture
def kiosks(
    tmp_path: Path, sealed: SealedElection, clock: ManualClock, app: FastAPI, database: Database
) -> Iterator[tuple[OnlineKiosk, OnlineKiosk]]:
    with ServerThread(app) as server:
        enroll_all(database, sealed, clock, server.url)
        a = online_kiosk(tmp_path, sealed, clock, "kiosk-01", server.url)
        b = online_kiosk(tmp_path, sealed, clock, "kiosk-02", server.url)
        yield a, b
        a.close()
        b.close()


def cast(kiosk: Kiosk, voter: VoterSecrets, scrutin: ScrutinId) -> flow.State:
    state = kiosk.to_scrutins(voter)
    assert isinstance(state, flow.ScrutinList)
    kiosk.send(flow.ChooseScrutin(scrutin))
    kiosk.send(flow.ArmSelection())
    assert isinstance(kiosk.send(flow.Select(ListId("l1"))), flow.Confirm)
    return kiosk.send(flow.CastVote())


def board_codes(database: Database) -> list[str]:
    with database.transaction() as tx:
        return [str(row[0]) for row in tx.query("SELECT tracking_code FROM board_entry")]


def test_an_online_cast_is_in_the_ballot_box_and_the_receipt_says_so(
    kiosks: tuple[OnlineKiosk, OnlineKiosk], database: Database
) -> None:
    a, _ = kiosks
    receipt = cast(a.kiosk, ALICE, CAPN)
    assert isinstance(receipt, flow.Receipt)
    assert receipt.deposit is SyncState.DEPOSITED
    [printed] = a.kiosk.steps[-1].outputs
    assert isinstance(printed, flow.PrintReceipt)
    assert printed.sync is SyncState.DEPOSITED
    assert board_codes(database) == [str(receipt.tracking_code)]
    assert [entry.state for entry in a.kiosk.store.outbox()] == [OutboxState.ACCEPTED]


def test_a_voter_who_voted_at_kiosk_a_is_told_at_kiosk_b_before_choosing(
    kiosks: tuple[OnlineKiosk, OnlineKiosk],
) -> None:
    a, b = kiosks
    assert isinstance(cast(a.kiosk, ALICE, CAP), flow.Receipt)
    a.kiosk.send(flow.Quit())
    state = b.kiosk.to_scrutins(ALICE)
    assert isinstance(state, flow.ScrutinList)
    assert [(s.scrutin_id, s.voted) for s in state.booth.scrutins] == [(CAPN, False), (CAP, True)]
    refused = b.kiosk.send(flow.ChooseScrutin(CAP))
    assert isinstance(refused, flow.ScrutinList)
    assert refused.notice is Notice.ALREADY_VOTED
    assert isinstance(b.kiosk.send(flow.ChooseScrutin(CAPN)), flow.Gallery)  # the other one


def test_ten_wrong_passwords_over_two_kiosks_lock_the_identifier_on_both(
    kiosks: tuple[OnlineKiosk, OnlineKiosk], clock: ManualClock
) -> None:
    a, b = kiosks
    for kiosk in (a.kiosk, b.kiosk):
        kiosk.send(flow.Start())
    state: flow.State = a.kiosk.state
    for attempt in range(10):
        kiosk = (a, b)[attempt % 2].kiosk
        assert isinstance(kiosk.state, flow.Credentials)
        state = kiosk.send(flow.SubmitCredentials(BOB.identifier, "not the password"))
        if isinstance(state, flow.Credentials) and state.retry_at is not None:
            clock.current = max(clock.current, state.retry_at)
    assert isinstance(state, flow.Locked)  # the tenth, at kiosk B, locked it
    assert state.credential is LockedCredential.LOGIN
    # Kiosk A counted five failures only, and still refuses the right password.
    assert a.kiosk.store.lockout("login", login_subject(BOB.identifier).id).failures == 5
    locked = a.kiosk.send(flow.SubmitCredentials(BOB.identifier, BOB.password))
    assert isinstance(locked, flow.Locked)


def test_a_kiosk_clock_four_minutes_ahead_still_waits_the_whole_shared_delay(
    tmp_path: Path, sealed: SealedElection, clock: ManualClock, app: FastAPI, database: Database
) -> None:
    """The server says how long ago the last failure was, by its own clock; the kiosk places it
    on its own: a kiosk 4 minutes ahead still waits the full 2 minutes the fifth failure costs
    (judging the server's time of the failure by the kiosk's clock would open it at once)."""
    skewed = ManualClock(clock.current + timedelta(minutes=4))
    subject = login_subject(BOB.identifier)
    with ServerThread(app) as server:
        enroll_all(database, sealed, clock, server.url)
        a = online_kiosk(tmp_path, sealed, skewed, "kiosk-01", server.url)
        b = online_kiosk(tmp_path, sealed, clock, "kiosk-02", server.url)
        try:
            for _ in range(5):  # five failures counted through kiosk B: 2 minutes to wait
                counted = b.client.count_failure("login", subject.id)
                assert isinstance(counted, SharedCounter)
            counter = a.client.shared_counter("login", subject.id)
            assert isinstance(counter, SharedCounter)
            assert counter.failures == 5
            assert counter.last_failure_at == clock.current  # the server's clock
            assert counter.seconds_since_last_failure == 0

            a.kiosk.send(flow.Start())
            state = a.kiosk.send(flow.SubmitCredentials(BOB.identifier, BOB.password))
            assert isinstance(state, flow.Credentials)
            assert state.notice is Notice.WAIT
            assert state.retry_at == skewed.current + timedelta(minutes=2)  # on A's clock

            for moving in (clock, skewed):
                moving.advance(timedelta(minutes=1))
            counter = a.client.shared_counter("login", subject.id)
            assert isinstance(counter, SharedCounter)
            assert counter.seconds_since_last_failure == 60
            state = a.kiosk.send(flow.SubmitCredentials(BOB.identifier, BOB.password))
            assert isinstance(state, flow.Credentials)
            assert state.notice is Notice.WAIT
            assert state.retry_at == skewed.current + timedelta(minutes=1)

            for moving in (clock, skewed):
                moving.advance(timedelta(minutes=1))
            state = a.kiosk.send(flow.SubmitCredentials(BOB.identifier, BOB.password))
            assert not isinstance(state, (flow.Credentials, flow.Locked))  # logged in
        finally:
            a.close()
            b.close()


def test_with_the_server_silent_the_receipt_says_awaiting_then_the_sync_delivers(
    tmp_path: Path, sealed: SealedElection, clock: ManualClock, app: FastAPI, database: Database
) -> None:
    # The server's socket listens before uvicorn serves it: a connection waits in the backlog
    # and no answer comes, as from a server that hangs. Nothing sleeps: the client times out.
    server = ServerThread(app)
    a = online_kiosk(tmp_path, sealed, clock, "kiosk-01", server.url)
    waited: list[float] = []
    deposit = a.uploader.deposit

    def timed(envelope_id: bytes) -> OutboxState:
        started = time.monotonic()
        try:
            return deposit(envelope_id)
        finally:
            waited.append(time.monotonic() - started)

    a.uploader.deposit = timed  # type: ignore[method-assign]
    try:
        receipt = cast(a.kiosk, ALICE, CAPN)
        assert isinstance(receipt, flow.Receipt)
        assert receipt.deposit is SyncState.PENDING
        assert waited[0] < TIMEOUT + 2.0  # the bound, not a dead server's minutes
        assert [entry.state for entry in a.kiosk.store.outbox()] == [OutboxState.PENDING]
        with server:
            enroll_all(database, sealed, clock, server.url)
            assert not a.outbox.due(clock.now())  # the failure started the backoff
            clock.advance(timedelta(minutes=11))
            report = a.outbox.run_due(clock.now())
            assert report is not None
            assert (report.accepted, report.pending, report.failure) == (1, 0, None)
            assert board_codes(database) == [str(receipt.tracking_code)]
            assert [entry.state for entry in a.kiosk.store.outbox()] == [OutboxState.ACCEPTED]
    finally:
        a.close()
