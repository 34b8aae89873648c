"""``OutboxSync`` (kiosk/sync/outbox.py) against a real server: uvicorn on loopback
(tests/server/harness.py), real sealed ballots in a real kiosk store. Answers are written to the
store (accepted, duplicate, rejected with its reason), a cut batch resumes, the backoff grows,
jitters inside its bounds and resets, and the progress callback counts batches."""

from __future__ import annotations

import hashlib
import io
import random
import socket
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI

from kiosk.admin.operators import Operators
from kiosk.admin.roles import Role
from kiosk.cli import main
from kiosk.cli.sync import TOKEN_VARIABLE, ProgressBar
from kiosk.clock import ManualClock
from kiosk.crypto.context import election_context
from kiosk.election import package
from kiosk.election.kdf import KdfParams
from kiosk.election.model import CentralServer, KioskId, ScrutinId
from kiosk.store import KioskStore, PollsState, SyncState, create_key_file, schema
from kiosk.sync.client import FailureKind, ServerClient
from kiosk.sync.online import AtCastUpload
from kiosk.sync.outbox import FINAL_REASONS, Backoff, OutboxSync, SyncReport
from kiosk.sync.tls import format_fingerprint
from server.app import create_app, server_state
from server.bundles import import_bundle
from server.enrollment import issue_token
from server.envelopes import CLOSING_GRACE, Reason
from server.settings import ServerSettings
from server.storage.database import Database
from tests.factories import CLOSES
from tests.faults import Fault, FaultProxy, Schedule
from tests.server.ballots import (  # noqa: F401 - sealed_fixture is a fixture
    Cast,
    SealedElection,
    cast,
    client,
    enroll_all,
    sealed_fixture,
    voter_id,
)
from tests.server.conftest import START
from tests.server.harness import (
    Certificate,
    ServerThread,
    listening_socket,
    row_counts,
    self_signed_certificate,
)

KIOSK = "kiosk-01"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def _server_app(
    tmp_path: Path, sealed: SealedElection, clock: ManualClock, **extra: int
) -> FastAPI:
    settings = ServerSettings(
        database_url=f"sqlite:///{tmp_path / 'server.db'}", package=sealed.folder, **extra
    )
    return create_app(settings, clock)


@pytest.fixture
def app(tmp_path: Path, sealed: SealedElection, clock: ManualClock) -> Iterator[FastAPI]:
    application = _server_app(tmp_path, sealed, clock)
    yield application
    server_state(application).database.close()


CLI_OPERATOR, CLI_OPERATOR_PIN = "admin", "000000"


@pytest.fixture
def server(app: FastAPI, sealed: SealedElection, clock: ManualClock) -> Iterator[ServerThread]:
    with ServerThread(app) as running:
        enroll_all(server_state(app).database, sealed, clock, running.url)
        yield running


def _kiosk_store(tmp_path: Path, sealed: SealedElection, clock: ManualClock) -> KioskStore:
    made = KioskStore.create(tmp_path / "kiosk.db", create_key_file(tmp_path / "k"), clock)
    made.load_package(sealed.package)
    seed = sealed.kiosk_keys[KIOSK].private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    made.set_kiosk_key(KioskId(KIOSK), seed)
    made.set_polls_state(PollsState.OPEN)
    Operators(made, clock, pin_kdf=KdfParams(log2_n=4)).add(
        CLI_OPERATOR, Role.ADMINISTRATOR, CLI_OPERATOR_PIN
    )
    return made


@pytest.fixture
def store(tmp_path: Path, sealed: SealedElection, clock: ManualClock) -> Iterator[KioskStore]:
    with _kiosk_store(tmp_path, sealed, clock) as made:
        yield made


def cast_into(store: KioskStore, sealed: SealedElection, voter: int, scrutin: str = "cap") -> Cast:
    ballot = cast(sealed, KIOSK, voter_id(voter), scrutin)
    store.record_cast(voter_id(voter), ScrutinId(scrutin), ballot.envelope_id, ballot.envelope)
    return ballot


def states(store: KioskStore) -> dict[bytes, tuple[SyncState, str | None]]:
    return {entry.envelope_id: (entry.state, entry.reason) for entry in store.outbox()}


def sync_for(
    store: KioskStore, sealed: SealedElection, clock: ManualClock, url: str, **options: int
) -> tuple[OutboxSync, ServerClient]:
    kiosk_client = client(sealed, KIOSK, clock, url)
    return OutboxSync(store, kiosk_client, clock, rng=random.Random(7), **options), kiosk_client


# ---- answers ---------------------------------------------------------------------------------


def test_accepted_duplicate_and_rejected_answers_are_written_to_the_store(
    store: KioskStore, sealed: SealedElection, clock: ManualClock, server: ServerThread
) -> None:
    fresh = cast_into(store, sealed, 1)
    known = cast_into(store, sealed, 3)
    conflict = cast_into(store, sealed, 4)
    # The server has ``known`` already (an upload whose answer was lost), and voter 4 voted at
    # another kiosk first.
    with client(sealed, "kiosk-02", clock, server.url) as other:
        assert isinstance(other.upload([cast(sealed, "kiosk-02", voter_id(4)).envelope]), list)
    sync, kiosk_client = sync_for(store, sealed, clock, server.url)
    with kiosk_client:
        assert isinstance(kiosk_client.upload([known.envelope]), list)
        report = sync.push()
    assert report == SyncReport(accepted=1, duplicates=1, rejected=1, pending=0, failure=None)
    assert report.complete
    assert states(store) == {
        fresh.envelope_id: (SyncState.ACCEPTED, None),
        known.envelope_id: (SyncState.ACCEPTED, None),
        conflict.envelope_id: (SyncState.REJECTED, "already_voted"),
    }
    journal = [e for e in store.audit_entries() if e.event.code == "outbox-synced"]
    assert sorted((e.fields["state"], e.fields["count"]) for e in journal) == [
        ("accepted", 2),
        ("rejected", 1),
    ]
    # Nothing is left: a second push sends nothing and reports nothing.
    with client(sealed, KIOSK, clock, "http://127.0.0.1:9") as unreachable:
        idle = OutboxSync(store, unreachable, clock).push()
    assert idle == SyncReport(0, 0, 0, 0, None)


def test_exported_ballots_are_sent_and_only_restricts_the_push(
    store: KioskStore, sealed: SealedElection, clock: ManualClock, server: ServerThread
) -> None:
    exported = cast_into(store, sealed, 1)
    store.mark_exported([exported.envelope_id])
    chosen = cast_into(store, sealed, 3)
    other = cast_into(store, sealed, 4)
    sync, kiosk_client = sync_for(store, sealed, clock, server.url)
    with kiosk_client:
        report = sync.push(only=[chosen.envelope_id], timeout=2.0)
        assert (report.accepted, report.pending) == (1, 0)
        assert states(store)[other.envelope_id] == (SyncState.PENDING, None)
        assert sync.push().accepted == 2
    assert {state for state, _ in states(store).values()} == {SyncState.ACCEPTED}


# ---- refusals that are not final: held, never lost ----------------------------------------


def test_a_ballot_cast_in_the_window_and_synced_after_closing_is_held_exported_and_imported(
    store: KioskStore,
    sealed: SealedElection,
    clock: ManualClock,
    server: ServerThread,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The review's repro: cast at 15:59, the kiosk offline until after closing + grace."""
    clock.advance(CLOSES - timedelta(minutes=1) - clock.now())
    late = cast_into(store, sealed, 1)
    clock.advance(timedelta(minutes=1) + CLOSING_GRACE + timedelta(minutes=5))
    sync, kiosk_client = sync_for(store, sealed, clock, server.url)
    with kiosk_client:
        # What the voter's proof of deposit says is unchanged: "en attente de transmission".
        uploader = AtCastUpload(sync, timeout=5.0)
        try:
            assert uploader.deposit(late.envelope_id) is SyncState.PENDING
        finally:
            uploader.close()
        report = sync.push()
    assert report == SyncReport(0, 0, 0, 0, None, held=1)
    assert not report.complete
    assert states(store) == {late.envelope_id: (SyncState.PENDING, "outside_window")}
    assert sync.failures >= 1  # the backoff applies
    assert sync.next_attempt is not None
    # ``isoloir admin export`` includes it, with the kiosk's signed in-window statement ...
    out = tmp_path / "stick.isoloir-bundle"
    code, printed, err = _admin(capsys, tmp_path, "export", str(out))
    assert (code, err) == (0, ""), printed
    assert states(store) == {late.envelope_id: (SyncState.EXPORTED, "outside_window")}
    # ... and the server's import-bundle counts it, days later.
    database_url = f"sqlite:///{tmp_path / 'server.db'}"
    imported = import_bundle(
        database_url, sealed.folder, out, clock=ManualClock(CLOSES + timedelta(days=2))
    )
    assert (imported.accepted, imported.rejected) == (1, {})
    # The next online sync brings the answer back: accepted, no reason left.
    with client(sealed, KIOSK, clock, server.url) as again:
        settled = OutboxSync(store, again, clock).push()
    assert (settled.duplicates, settled.held, settled.complete) == (1, 0, True)
    assert states(store) == {late.envelope_id: (SyncState.ACCEPTED, None)}


def test_only_final_reasons_reject_and_every_server_reason_is_classified() -> None:
    codes = {reason.value for reason in Reason}
    assert codes >= FINAL_REASONS
    assert "already_voted" in FINAL_REASONS  # a conflict the server stored: final
    held = codes - FINAL_REASONS
    assert {"outside_window", "bad_signature", "election_not_sealed", "unknown_scrutin"} <= held


def test_admin_sync_names_held_ballots_and_the_export_command(
    online: Online, clock: ManualClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock.advance(CLOSES + CLOSING_GRACE - clock.now())  # both cast inside the window
    with ServerThread(online.app, listener=online.listener) as running:
        _enroll_all(online, clock, running)
        code, out, err = _admin(capsys, tmp_path, "sync")
    assert (code, err) == (1, "")
    assert "0 rejected, 2 held; 0 left to send." in out
    assert "by the server's reason: outside_window 2" in out
    assert "isoloir admin export FILE.isoloir-bundle" in out
    assert "isoloir server import-bundle" in out
    assert "2 sealed ballot(s) still wait for the server" in out


# ---- resume, progress, batch size ----------------------------------------------------------


def test_a_push_cut_mid_batch_resumes_without_loss_or_double(
    store: KioskStore,
    sealed: SealedElection,
    clock: ManualClock,
    server: ServerThread,
    app: FastAPI,
) -> None:
    ballots = [cast_into(store, sealed, n) for n in (1, 3, 4, 5, 6)]
    host, port = "127.0.0.1", server.port
    with FaultProxy(lambda: (host, port)) as proxy:
        # The first batch passes; the second reaches the server, whose answer is cut mid-body.
        proxy.schedule = Schedule(0, script=[Fault.PASS, Fault.CUT_RESPONSE])
        sync, kiosk_client = sync_for(store, sealed, clock, proxy.url, batch=2)
        with kiosk_client:
            cut = sync.push()
        assert (cut.accepted, cut.pending) == (2, 3)
        assert cut.failure is not None
        assert cut.failure.kind is FailureKind.UNREACHABLE
        proxy.schedule = None
        # A new sync (a kiosk restarted after the cut): the committed batch comes back as
        # duplicates, the rest as accepted.
        again, kiosk_client = sync_for(store, sealed, clock, proxy.url, batch=2)
        with kiosk_client:
            resumed = again.push()
    assert (resumed.accepted, resumed.duplicates, resumed.pending) == (1, 2, 0)
    assert {state for state, _ in states(store).values()} == {SyncState.ACCEPTED}
    codes = _board(server_state(app).database)
    assert sorted(codes) == sorted(b.tracking_code for b in ballots)


def test_progress_counts_each_answered_batch(
    store: KioskStore, sealed: SealedElection, clock: ManualClock, server: ServerThread
) -> None:
    for n in (1, 3, 4, 5, 6):
        cast_into(store, sealed, n)
    seen: list[tuple[int, int]] = []
    sync, kiosk_client = sync_for(store, sealed, clock, server.url, batch=2)
    with kiosk_client:
        sync.push(progress=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 5), (2, 5), (4, 5), (5, 5)]


def test_a_body_over_the_server_limit_is_sent_in_smaller_batches(
    tmp_path: Path, store: KioskStore, sealed: SealedElection, clock: ManualClock
) -> None:
    small = _server_app(tmp_path, sealed, clock, max_body_bytes=4096)  # about 2 envelopes
    try:
        with ServerThread(small) as running:
            enroll_all(server_state(small).database, sealed, clock, running.url)
            for n in (1, 3, 4, 5, 6):
                cast_into(store, sealed, n)
            sync, kiosk_client = sync_for(store, sealed, clock, running.url, batch=5)
            with kiosk_client:
                report = sync.push()
    finally:
        server_state(small).database.close()
    assert report == SyncReport(5, 0, 0, 0, None)


# ---- backoff ----------------------------------------------------------------------------------


def test_the_backoff_grows_with_jitter_up_to_its_ceiling_and_resets_on_success(
    store: KioskStore, sealed: SealedElection, clock: ManualClock, server: ServerThread
) -> None:
    cast_into(store, sealed, 1)
    backoff = Backoff(first=timedelta(seconds=5), ceiling=timedelta(minutes=10))
    host, port = "127.0.0.1", server.port
    with FaultProxy(lambda: (host, port)) as proxy:
        proxy.schedule = Schedule(0, {Fault.DROP: 1})  # the network is down
        kiosk_client = client(sealed, KIOSK, clock, proxy.url)
        sync = OutboxSync(store, kiosk_client, clock, backoff=backoff, rng=random.Random(1))
        assert sync.due(clock.now())
        delays: list[timedelta] = []
        with kiosk_client:
            for failures in range(1, 11):
                report = sync.run_due(clock.now())
                assert report is not None
                assert report.failure is not None
                assert report.failure.kind is FailureKind.UNREACHABLE
                assert (report.pending, sync.failures) == (1, failures)
                assert sync.next_attempt is not None
                delay = sync.next_attempt - clock.now()
                span = min(backoff.ceiling, backoff.first * 2 ** (failures - 1))
                assert span / 2 <= delay <= span
                delays.append(delay)
                # Not due a second before its time: nothing is sent then.
                clock.advance(delay - timedelta(seconds=1))
                assert not sync.due(clock.now())
                assert sync.run_due(clock.now()) is None
                clock.advance(timedelta(seconds=1))
                assert sync.due(clock.now())
            assert delays[3] > delays[0]
            assert delays[-1] >= backoff.ceiling / 2
            # The network is back: the next due attempt sends, and the backoff resets.
            proxy.schedule = None
            report = sync.run_due(clock.now())
    assert report == SyncReport(1, 0, 0, 0, None)
    assert (sync.failures, sync.next_attempt) == (0, None)
    assert sync.due(clock.now())
    # The same seed gives the same jitter.
    assert [Backoff().delay(n, random.Random(1)) for n in (1, 2, 3)] == [
        Backoff().delay(n, random.Random(1)) for n in (1, 2, 3)
    ]


def test_a_backoff_needs_sane_bounds_and_a_sync_a_sane_batch(
    store: KioskStore, sealed: SealedElection, clock: ManualClock
) -> None:
    with pytest.raises(ValueError, match="0 < first <= ceiling"):
        Backoff(first=timedelta(minutes=20), ceiling=timedelta(minutes=10))
    with (
        client(sealed, KIOSK, clock, "http://127.0.0.1:9") as unused,
        pytest.raises(ValueError, match="1 to 1,000"),
    ):
        OutboxSync(store, unused, clock, batch=0)
    assert Backoff().delay(0, random.Random(0)) == timedelta(0)


def test_a_v1_store_gains_the_reason_column_and_keeps_its_ballots(
    tmp_path: Path, sealed: SealedElection, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = schema.shipped()[:1]
    path, key = tmp_path / "old.db", create_key_file(tmp_path / "old.key")
    with monkeypatch.context() as patch:
        patch.setattr(schema, "shipped", lambda: first)
        patch.setattr(schema, "SCHEMA_VERSION", 1)
        with KioskStore.create(path, key, clock) as old:
            old.load_package(sealed.package)
            old.set_polls_state(PollsState.OPEN)
            ballot = cast_into(old, sealed, 1)
            assert old.status().schema_version == 1
    with KioskStore.open(path, key, clock) as upgraded:
        assert upgraded.status().schema_version == schema.SCHEMA_VERSION
        assert states(upgraded) == {ballot.envelope_id: (SyncState.PENDING, None)}
        upgraded.record_sync_answers([], [(ballot.envelope_id, "already_voted")])
        assert states(upgraded) == {ballot.envelope_id: (SyncState.REJECTED, "already_voted")}
        # An answer never overturns an earlier one.
        assert upgraded.record_sync_answers([ballot.envelope_id], []) == 0


def _board(database: Database) -> list[str]:
    with database.transaction() as tx:
        return [str(row[0]) for row in tx.query("SELECT tracking_code FROM board_entry")]


# ---- isoloir admin sync ------------------------------------------------------------------------
# The commands find the server, and its certificate's pin, in the signed package
# (docs/election-package.md, "Central server"): each test re-signs the election naming a server
# on a socket that listens before the app exists.


@pytest.fixture(autouse=True)
def _cli_clock(clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command signs with the server's (test) time, inside the voting window."""
    monkeypatch.setattr("kiosk.cli.sync.SystemClock", lambda: clock)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with listening_socket() as listening:
        yield listening


def naming_server(
    sealed: SealedElection, folder: Path, url: str, pin: bytes | None = None
) -> SealedElection:
    """``sealed`` re-signed with ``server`` = ``url`` and ``pin``, written to ``folder``."""
    manifest = replace(sealed.package.manifest, server=CentralServer(url, pin))
    signed = package.resign(sealed.package, manifest, sealed.organizer_key)
    package.write(signed, folder)
    return replace(sealed, folder=folder, package=signed, context=election_context(signed))


@dataclass(frozen=True)
class Online:
    """An election whose package names the server, that server's app, and the kiosk store."""

    election: SealedElection
    app: FastAPI
    listener: socket.socket
    url: str


def _online(
    tmp_path: Path,
    sealed: SealedElection,
    clock: ManualClock,
    listener: socket.socket,
    *,
    scheme: str = "http",
    pin: bytes | None = None,
    kiosk_pin: bytes | None = None,
) -> Iterator[Online]:
    url = f"{scheme}://127.0.0.1:{listener.getsockname()[1]}"
    election = naming_server(sealed, tmp_path / "online", url, pin)
    kiosk_election = election
    if kiosk_pin is not None:  # the kiosk loads a package that pins another certificate
        kiosk_election = naming_server(sealed, tmp_path / "other-pin", url, kiosk_pin)
    application = _server_app(tmp_path, election, clock)
    with _kiosk_store(tmp_path, kiosk_election, clock) as made:
        for n in (1, 3):
            cast_into(made, election, n)
    try:
        yield Online(election, application, listener, url)
    finally:
        server_state(application).database.close()


@pytest.fixture
def online(
    tmp_path: Path, sealed: SealedElection, clock: ManualClock, listener: socket.socket
) -> Iterator[Online]:
    yield from _online(tmp_path, sealed, clock, listener)


@pytest.fixture(autouse=True)
def _cli_operator_pin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISOLOIR_OPERATOR_PIN", CLI_OPERATOR_PIN)


def _admin(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """``isoloir admin ARGS`` on the test's store, signed in as its administrator."""
    code = main(["admin", *args, "--store", str(tmp_path / "kiosk.db"), "--key-file",
                 str(tmp_path / "k"), "--operator", CLI_OPERATOR])  # fmt: skip
    out, err = capsys.readouterr()
    return code, out, err


def _enroll_all(online: Online, clock: ManualClock, server: ServerThread) -> None:
    enroll_all(server_state(online.app).database, online.election, clock, server.url)


def test_admin_sync_sends_everything_and_exits_0(
    online: Online, clock: ManualClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ServerThread(online.app, listener=online.listener) as running:
        _enroll_all(online, clock, running)
        code, out, err = _admin(capsys, tmp_path, "sync", "--batch", "1")
    assert (code, err) == (0, "")
    assert "Sent: 2 accepted, 0 already on the server, 0 rejected, 0 held; 0 left to send." in out
    assert "\r" not in out  # not a terminal: no progress bar


def test_admin_sync_says_how_to_enroll_and_exits_1(
    online: Online, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ServerThread(online.app, listener=online.listener):  # nobody enrolled this kiosk
        code, _, err = _admin(capsys, tmp_path, "sync", "--server", online.url)
    assert code == 1
    assert "not enrolled" in err
    assert "isoloir server enroll-token --kiosk-id kiosk-01" in err
    assert "isoloir admin enroll with it" in err


def test_admin_sync_with_the_server_down_exits_1_with_the_reason(
    online: Online, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    online.listener.close()  # the package's server is not there
    code, _, err = _admin(capsys, tmp_path, "sync")
    assert code == 1
    assert "cannot sync: unreachable" in err
    code, _, err = _admin(capsys, tmp_path, "sync", "--server-pin", "ab")
    assert code == 2
    assert "--server-pin" in err


def test_admin_enroll_then_sync(
    online: Online,
    clock: ManualClock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = issue_token(server_state(online.app).database, KIOSK, timedelta(hours=1), clock).token
    monkeypatch.setenv(TOKEN_VARIABLE, token)
    with ServerThread(online.app, listener=online.listener):
        code, out, _ = _admin(capsys, tmp_path, "enroll")
        assert code == 0
        assert f"Kiosk kiosk-01 enrolled at {clock.now().isoformat()}"[:30] in out
        assert f"({online.url})" in out
        code, out, _ = _admin(capsys, tmp_path, "sync", "--server", online.url + "/")
    assert code == 0
    assert "2 accepted" in out


@pytest.mark.parametrize("command", ["enroll", "sync"])
def test_a_server_the_package_does_not_name_is_refused_before_anything_is_sent(
    online: Online,
    clock: ManualClock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    database = server_state(online.app).database
    monkeypatch.setenv(
        TOKEN_VARIABLE, issue_token(database, KIOSK, timedelta(hours=1), clock).token
    )
    with ServerThread(online.app) as elsewhere:  # the same app, on a URL nobody signed
        before = row_counts(database)
        code, _, err = _admin(capsys, tmp_path, command, "--server", elsewhere.url)
        assert code == 2
        assert f"is not the server the election package names ({online.url})" in err
        assert "nothing was sent" in err
        assert row_counts(database) == before


def test_an_offline_election_has_no_server(
    store: KioskStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store.close()  # its package names no server
    code, _, err = _admin(capsys, tmp_path, "sync")
    assert code == 1
    assert "names no central server: this is an offline election" in err
    code, _, err = _admin(capsys, tmp_path, "enroll", "--server", "http://127.0.0.1:9")
    assert code == 2
    assert "offline election" in err


# ---- the package's certificate pin, over real TLS ---------------------------------------------


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    return self_signed_certificate(tmp_path / "tls")


@pytest.fixture
def tls_online(
    tmp_path: Path,
    sealed: SealedElection,
    clock: ManualClock,
    listener: socket.socket,
    certificate: Certificate,
) -> Iterator[Online]:
    yield from _online(
        tmp_path, sealed, clock, listener, scheme="https", pin=certificate.fingerprint
    )


def test_the_packages_pin_enrolls_and_syncs_over_tls(
    tls_online: Online,
    certificate: Certificate,
    clock: ManualClock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = server_state(tls_online.app).database
    monkeypatch.setenv(
        TOKEN_VARIABLE, issue_token(database, KIOSK, timedelta(hours=1), clock).token
    )
    with ServerThread(
        tls_online.app,
        certfile=certificate.cert,
        keyfile=certificate.key,
        listener=tls_online.listener,
    ) as running:
        assert running.url == tls_online.url
        code, out, err = _admin(capsys, tmp_path, "enroll")  # no --server, no --server-pin
        assert (code, err) == (0, "")
        assert f"({tls_online.url})" in out
        pin = format_fingerprint(certificate.fingerprint)
        code, out, err = _admin(capsys, tmp_path, "sync", "--server-pin", pin)
        assert len(_board(database)) == 2
    assert (code, err) == (0, "")
    assert "2 accepted" in out


def test_a_package_pinning_another_certificate_is_refused_before_anything_is_sent(
    tmp_path: Path,
    sealed: SealedElection,
    clock: ManualClock,
    listener: socket.socket,
    certificate: Certificate,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = self_signed_certificate(tmp_path / "other-tls", "other").fingerprint
    for online in _online(
        tmp_path, sealed, clock, listener, scheme="https", pin=certificate.fingerprint,
        kiosk_pin=other,
    ):  # fmt: skip
        database = server_state(online.app).database
        monkeypatch.setenv(
            TOKEN_VARIABLE, issue_token(database, KIOSK, timedelta(hours=1), clock).token
        )
        with ServerThread(
            online.app, certfile=certificate.cert, keyfile=certificate.key, listener=listener
        ):
            before = row_counts(database)
            code, _, err = _admin(capsys, tmp_path, "enroll")
            assert code == 1
            assert "enrollment refused: certificate" in err
            assert format_fingerprint(certificate.fingerprint) in err  # what it presented
            code, _, err = _admin(capsys, tmp_path, "sync")
            assert code == 1
            assert "cannot sync: certificate" in err
            assert row_counts(database) == before  # the token is unused, nothing stored
            assert _board(database) == []


def test_a_server_pin_contradicting_the_package_is_refused(
    tls_online: Online, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No server runs: the refusal comes before any connection.
    wrong = format_fingerprint(hashlib.sha256(b"not the server").digest())
    for command in ("enroll", "sync"):
        code, _, err = _admin(capsys, tmp_path, command, "--server-pin", wrong)
        assert code == 2
        assert "is not the one the election package signs" in err
        assert "nothing was sent" in err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_redraws_in_place_on_a_terminal_only() -> None:
    terminal = _Terminal()
    bar = ProgressBar(terminal)
    for done in (0, 2, 5):
        bar.update(done, 5)
    bar.close()
    assert terminal.getvalue() == (
        "\r[..............................] 0/5 sent"
        "\r[############..................] 2/5 sent"
        "\r[##############################] 5/5 sent\n"
    )
    quiet = io.StringIO()
    ProgressBar(quiet).update(1, 5)
    assert quiet.getvalue() == ""
