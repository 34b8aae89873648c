"""Exactly-once under faults (issue 5, "Must show"): kiosks push their outboxes through the fault
proxy (tests/faults.py: drop, duplicate, reorder, cut mid-body either way, delay past the client's
timeout, the server killed between commit and answer) to a real uvicorn server in a subprocess.
After retries until every outbox is settled: the board holds exactly the union of the kiosks'
ballots, none twice, none missing, and every outbox is all ``accepted``.

100 seeded schedules on SQLite (1,000 with ``ISOLOIR_SOAK=1``) and a batch of them on a
PostgreSQL 15 the tests start. A failing seed replays alone: the same seed gives the same
faults. No sleep: the backoff runs on a ``ManualClock`` the loop moves forward.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pytest
from cryptography.hazmat.primitives import serialization

from kiosk.clock import ManualClock
from kiosk.election.model import KioskId, ScrutinId
from kiosk.store import KioskStore, PollsState, SyncState, create_key_file
from kiosk.sync.client import ServerClient
from kiosk.sync.outbox import OutboxSync
from server.storage.database import Database
from tests.faults import DEFAULT_WEIGHTS, Fault, FaultProxy, KillableServer, OffsetClock, Schedule
from tests.server.ballots import (
    SealedElection,
    cast,
    client,
    enroll_all,
    make_sealed_election,
    voter_id,
)
from tests.server.harness import KIOSK_IDS
from tests.server.postgres import PostgresCluster, postgres

__all__ = ["postgres"]

SOAK: Final = os.environ.get("ISOLOIR_SOAK") == "1"
SCHEDULES: Final = 1000 if SOAK else 100
PG_SCHEDULES: Final = 100 if SOAK else 12
MAX_CASTS: Final = 8  # per schedule: the roll must hold enough voters (2 scrutins each)
VOTERS: Final = (SCHEDULES + PG_SCHEDULES) * MAX_CASTS // 2 + 8
SERVER_NOW: Final = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # inside the package's window
TIMEOUT: Final = 0.5  # seconds per upload: what a delayed request costs
MAX_ROUNDS: Final = 400
SCRUTINS: Final = ("capn", "cap")


@pytest.fixture(scope="module")
def election(tmp_path_factory: pytest.TempPathFactory) -> SealedElection:
    return make_sealed_election(tmp_path_factory.mktemp("exactly-once"), voters=VOTERS)


@dataclass
class Kiosk:
    kiosk_id: str
    store: KioskStore
    client: ServerClient
    cast: set[str] = field(default_factory=set)  # tracking codes of every ballot it sealed

    def unsettled(self) -> int:
        counts = self.store.status().outbox
        return counts.pending + counts.exported


@dataclass
class World:
    """One server, its proxy and three kiosks with their stores, shared by a run's schedules;
    each schedule casts with voters no other schedule used."""

    election: SealedElection
    server: KillableServer
    proxy: FaultProxy
    database: Database
    kiosks: list[Kiosk]
    backoff_clock: ManualClock
    voters: Iterator[tuple[int, str]]
    faults: Counter[Fault] = field(default_factory=Counter)

    def cast_one(self, rng: random.Random) -> None:
        kiosk = rng.choice(self.kiosks)
        index, scrutin = next(self.voters)
        options = self.election.package.manifest.scrutin(ScrutinId(scrutin)).options
        ballot = cast(self.election, kiosk.kiosk_id, voter_id(index), scrutin, rng.choice(options))
        kiosk.store.record_cast(voter_id(index), ScrutinId(scrutin), ballot.envelope_id,
                                ballot.envelope)  # fmt: skip
        kiosk.cast.add(ballot.tracking_code)


def run_schedule(world: World, seed: int, *, kills: bool) -> None:
    rng = random.Random(seed)
    weights = dict(DEFAULT_WEIGHTS)
    weights[Fault.KILL] = 12 if kills else 0
    schedule = Schedule(seed, weights)
    world.proxy.schedule = schedule
    for _ in range(rng.randint(1, MAX_CASTS - 2)):
        world.cast_one(rng)
    syncs = [
        OutboxSync(kiosk.store, kiosk.client, world.backoff_clock, batch=rng.randint(1, 3),
                   rng=random.Random(seed * 31 + n))
        for n, kiosk in enumerate(world.kiosks)
    ]  # fmt: skip
    late_casts = rng.randint(0, 2)  # ballots sealed while the sync goes on
    for _ in range(MAX_ROUNDS):
        if late_casts and rng.random() < 0.3:
            world.cast_one(rng)
            late_casts -= 1
        ran = False
        for kiosk, sync in zip(world.kiosks, syncs, strict=True):
            if kiosk.unsettled() and sync.due(world.backoff_clock.now()):
                sync.push(timeout=TIMEOUT)
                ran = True
        if not late_casts and not any(kiosk.unsettled() for kiosk in world.kiosks):
            break
        if not ran:  # every kiosk waits for its backoff: move time, not the test, forward
            waits = [s.next_attempt for s in syncs if s.next_attempt is not None]
            if waits:
                world.backoff_clock.current = max(world.backoff_clock.current, min(waits))
    else:
        raise AssertionError(f"seed {seed}: not settled after {MAX_ROUNDS} rounds")
    world.proxy.schedule = None
    world.proxy.flush()  # a request reordered past the end reaches the server now
    world.faults.update(schedule.seen)
    check(world, seed)


def check(world: World, seed: int) -> None:
    """The server's board is the union of the kiosks' ballots: no duplicate, no loss."""
    for kiosk in world.kiosks:
        states = Counter(entry.state for entry in kiosk.store.outbox())
        assert set(states) <= {SyncState.ACCEPTED}, (seed, kiosk.kiosk_id, states)
    expected = set().union(*(kiosk.cast for kiosk in world.kiosks))
    with world.database.transaction() as tx:
        board = [str(row[0]) for row in tx.query("SELECT tracking_code FROM board_entry")]
        emargements = tx.query_one("SELECT COUNT(*) FROM emargement")
        head = tx.query_one("SELECT entry_count FROM board_head WHERE singleton = 1")
    duplicates = [code for code, n in Counter(board).items() if n > 1]
    assert duplicates == [], (seed, duplicates)
    assert set(board) - expected == set(), (seed, "on the board but cast nowhere")
    assert expected - set(board) == set(), (seed, "lost")
    assert emargements is not None
    assert int(emargements[0] or 0) == len(board), seed
    assert head is not None
    assert int(head[0] or 0) == len(board), seed


def make_world(
    tmp_path: Path, election: SealedElection, database_url: str, first_voter: int
) -> Iterator[World]:
    clock = OffsetClock.at(SERVER_NOW)
    store_clock = ManualClock(SERVER_NOW)
    with KillableServer(database_url, election.folder, clock, tmp_path / "server.log") as server:
        database = Database.open(database_url)
        try:
            enroll_all(database, election, clock, server.url)
            with FaultProxy(server.address, kill=server.kill_and_restart) as proxy:
                kiosks = [
                    _kiosk(tmp_path, election, kiosk_id, store_clock, clock, proxy.url)
                    for kiosk_id in KIOSK_IDS
                ]
                voters = ((i, s) for i in range(first_voter, VOTERS) for s in SCRUTINS)
                world = World(election, server, proxy, database, kiosks, ManualClock(SERVER_NOW),
                              voters)  # fmt: skip
                try:
                    yield world
                finally:
                    for kiosk in kiosks:
                        kiosk.client.close()
                        kiosk.store.close()
        finally:
            database.close()


def _kiosk(
    tmp_path: Path,
    election: SealedElection,
    kiosk_id: str,
    store_clock: ManualClock,
    clock: OffsetClock,
    url: str,
) -> Kiosk:
    key = create_key_file(tmp_path / f"{kiosk_id}.key")
    store = KioskStore.create(tmp_path / f"{kiosk_id}.db", key, store_clock)
    store.load_package(election.package)
    seed = election.kiosk_keys[kiosk_id].private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    store.set_kiosk_key(KioskId(kiosk_id), seed)
    store.set_polls_state(PollsState.OPEN)
    return Kiosk(kiosk_id, store, client(election, kiosk_id, clock, url))


def test_exactly_once_under_faults_on_sqlite(election: SealedElection, tmp_path: Path) -> None:
    worlds = make_world(tmp_path, election, f"sqlite:///{tmp_path / 'server.db'}", 0)
    world = next(worlds)
    try:
        for seed in range(SCHEDULES):
            run_schedule(world, seed, kills=seed % 10 == 3)
        kills = world.server.kills
    finally:
        worlds.close()
    # Every kind of fault happened, the kill included.
    assert {f for f in Fault if f is not Fault.PASS} <= set(world.faults), world.faults
    assert kills >= 1


def test_exactly_once_under_faults_on_postgresql(
    election: SealedElection, tmp_path: Path, postgres: PostgresCluster
) -> None:
    url = postgres.fresh_database()
    first = SCHEDULES * MAX_CASTS // 2  # voters the SQLite run does not use
    worlds = make_world(tmp_path, election, url, first)
    world = next(worlds)
    try:
        for seed in range(10_000, 10_000 + PG_SCHEDULES):
            run_schedule(world, seed, kills=seed % 4 == 0)
        kills = world.server.kills
    finally:
        worlds.close()
        postgres.drop_database(url)
    assert kills >= 1
    assert world.faults[Fault.PASS] > 0
