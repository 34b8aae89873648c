"""``kill -9`` in the middle of casting never loses a committed ballot nor splits a cast.

A child process (``store_writer.py``) casts ballot after ballot into one store and prints each
envelope id once its transaction has committed. The parent kills it with SIGKILL after a random
number of printed commits (or right after spawning it), then opens the store as a kiosk would
after a power cut: it must open, pass its integrity checks and hold every printed ballot, with
exactly as many émargements as ballots as ``ballot-cast`` journal entries (all three writes of a
cast, or none) and an intact audit chain. Fifty rounds, one store.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

from kiosk.audit import AuditEvent
from kiosk.clock import ManualClock
from kiosk.store import KioskStore, PollsState, StoreKey, create_key_file
from tests.factories import small_package
from tests.integration.store_writer import envelope_for

WRITER = Path(__file__).with_name("store_writer.py")
ROUNDS = 50
MAX_COMMITS = 40
VOTERS = ROUNDS * (MAX_COMMITS + 10)  # each round uses at most MAX_COMMITS + a few unprinted


def test_committed_casts_survive_kill_9(tmp_path: Path) -> None:
    rng = random.Random(20261201)
    key_file = tmp_path / "store.key"
    key = create_key_file(key_file)
    store_path = tmp_path / "kiosk.db"
    clock = ManualClock()
    with KioskStore.create(store_path, key, clock) as store:
        store.load_package(small_package(voters=VOTERS))
        store.set_polls_state(PollsState.OPEN)

    printed: set[bytes] = set()
    cast_so_far = 0
    for round_number in range(ROUNDS):
        immediate = rng.random() < 0.15
        wanted = 0 if immediate else rng.randint(0, MAX_COMMITS)
        writer = subprocess.Popen(
            [sys.executable, str(WRITER), str(store_path), str(key_file), str(cast_so_far)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert writer.stdout is not None
        for _ in range(wanted):
            line = writer.stdout.readline()
            if not line:
                _, err = writer.communicate()
                raise AssertionError(f"round {round_number}: the writer died: {err.decode()}")
            printed.add(bytes.fromhex(line.decode().strip()))
        writer.kill()  # SIGKILL: no handler, no flush, no close
        rest, _ = writer.communicate()
        complete_lines = rest.split(b"\n")[:-1]  # a line cut by the kill was never flushed whole
        printed.update(bytes.fromhex(line.decode()) for line in complete_lines)

        cast_so_far = _check_after_crash(store_path, StoreKey.from_key_file(key_file), printed)
    assert cast_so_far >= len(printed) > ROUNDS  # the rounds did cast, and nothing was lost


def _check_after_crash(store_path: Path, key: StoreKey, printed: set[bytes]) -> int:
    with KioskStore.open(store_path, key, ManualClock()) as store:  # runs the integrity checks
        status = store.status()
        ballots = store.outbox()
        journaled = [e for e in store.audit_entries() if e.event is AuditEvent.BALLOT_CAST]
        assert store.verify_audit_chain().ok
    stored = {entry.envelope_id for entry in ballots}
    missing = printed - stored
    assert not missing, f"{len(missing)} committed ballot(s) lost"
    assert status.emargements == status.outbox.total == len(ballots) == len(journaled)
    assert all(entry.envelope == envelope_for(entry.envelope_id) for entry in ballots)
    return status.emargements
