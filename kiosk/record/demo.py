"""A complete synthetic election record, built in one process (``isoloir tally demo-record``).

For tests, benchmarks and auditors' practice: the demo election (test KDF), a key ceremony of
five trustees with threshold three, the sealed package, N random ballots (blank ones included)
cast by the demo kiosks over random eligible (voter, scrutin) pairs, the board, the aggregate,
three random trustees' partial decryptions, the combination and the results. Every step uses the
same functions as the real commands. The trustees' state files live in a temporary folder and
are deleted at the end: a demo record holds public data only, like a real one.

Choices and the sample of voters follow ``seed``; keys and nonces are fresh at every build.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk import durable
from kiosk.crypto.ballot import encode_ballot, seal
from kiosk.crypto.context import election_context
from kiosk.crypto.receipt import sign_receipt
from kiosk.crypto.tracking import tracking_code_of_bytes
from kiosk.election import package as package_io
from kiosk.election.demo import build_demo
from kiosk.election.kdf import KdfProfile
from kiosk.election.model import ElectionPackage, KioskId, ScrutinId, SeatMethod, VoterId
from kiosk.record import board as board_io
from kiosk.record.board import Board
from kiosk.record.layout import RecordLayout
from kiosk.record.tally import aggregate_board, combine_results, load_board, write_results
from kiosk.tally.results import ElectionResults
from kiosk.trustee import decryption
from kiosk.trustee.demo import DEMO_PASSPHRASE, THRESHOLD, TRUSTEES, seal_with_demo_ceremony

__all__ = ["THRESHOLD", "TRUSTEES", "DemoRecord", "build_demo_record"]

_BLANK_SHARE: Final = 0.06


@dataclass
class DemoRecord:
    """What was built, and how long each phase took (seconds), for the bench."""

    layout: RecordLayout
    results: ElectionResults
    trustees_used: tuple[str, ...]
    timings: dict[str, float] = field(default_factory=dict)
    # The demo kiosks' signing keys, in memory only (never written), for practice slips.
    kiosk_keys: Mapping[KioskId, Ed25519PrivateKey] = field(default_factory=dict, repr=False)


def build_demo_record(
    out: Path,
    *,
    ballots: int,
    now: datetime,
    voters: int | None = None,
    seed: int = 2026,
    seat_method: SeatMethod = SeatMethod.HIGHEST_AVERAGE,
    workers: int | None = None,
) -> DemoRecord:
    """Write a complete record into ``out`` (a new folder); on failure nothing stays there.

    ``seat_method`` is written into the demo manifest before it is signed and sealed; the
    results follow it, as a real tally follows the organizer's.
    """
    if ballots < 0:
        raise ValueError("the number of ballots is a count, not negative")
    voter_count = voters if voters is not None else max(ballots, 10)
    if voter_count < 1:
        raise ValueError("a demo election needs at least one voter")
    if out.exists():
        raise FileExistsError(f"{out}: exists already; choose a new name")
    rng = random.Random(f"isoloir-demo-record/{seed}")
    timings: dict[str, float] = {}
    out.mkdir(parents=True)
    try:
        with tempfile.TemporaryDirectory(prefix="isoloir-demo-trustees-") as secrets:
            start = time.perf_counter()
            demo = build_demo(
                now=now,
                voters=voter_count,
                kdf=KdfProfile.TEST.value,
                seed=seed,
                seat_method=seat_method,
            )
            casts = _voters_and_scrutins(demo.package, ballots, rng)
            sealed, trustees = seal_with_demo_ceremony(
                demo.package, demo.organizer_key, Path(secrets)
            )
            layout = RecordLayout(out)
            package_io.write(sealed, layout.package)
            timings["election"] = time.perf_counter() - start

            start = time.perf_counter()
            board = _cast(sealed, demo.kiosk_keys, casts, rng)
            board_io.write_board(layout.board, board.entries)
            board_io.write_head(layout.board_head, board.head())
            timings["ballots"] = time.perf_counter() - start

            start = time.perf_counter()  # as ``tally aggregate`` does: from the files
            entries, head = load_board(layout.board, layout.board_head)
            aggregate = aggregate_board(sealed, entries, head, workers=workers)
            durable.write_new_file(layout.aggregate, aggregate.to_json())
            timings["aggregate"] = time.perf_counter() - start

            start = time.perf_counter()
            layout.partials.mkdir()
            chosen = sorted(rng.sample(range(1, len(TRUSTEES) + 1), THRESHOLD))
            for index in chosen:
                partials = decryption.decrypt(
                    trustees.states[index], DEMO_PASSPHRASE, sealed, aggregate
                )
                durable.write_new_file(layout.partial(partials.trustee_id), partials.to_json())
            timings["decrypt"] = time.perf_counter() - start

        start = time.perf_counter()
        partial_sets = [
            decryption.parse_partials(path.read_bytes(), path.name)
            for path in layout.partial_files()
        ]
        results, counts = combine_results(sealed, aggregate, partial_sets)
        write_results(layout, results)
        durable.fsync_tree(out)
        timings["combine"] = time.perf_counter() - start
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    return DemoRecord(layout, results, counts.used, timings, demo.kiosk_keys)


def _voters_and_scrutins(
    election: ElectionPackage, count: int, rng: random.Random
) -> list[tuple[VoterId, ScrutinId]]:
    """``count`` distinct eligible (voter, scrutin) pairs, in random order: who casts what."""
    pairs = [(voter.id, sid) for voter in election.roll for sid in voter.scrutins]
    if count > len(pairs):
        raise ValueError(
            f"{count} ballots need more voters: {election.manifest.voter_count} voters may cast "
            f"at most {len(pairs)} (use --voters)"
        )
    return rng.sample(pairs, count)


def _cast(
    sealed: ElectionPackage,
    keys: Mapping[KioskId, Ed25519PrivateKey],
    casts: list[tuple[VoterId, ScrutinId]],
    rng: random.Random,
) -> Board:
    """One ballot per (voter, scrutin) of ``casts``, for a random choice, by a random kiosk."""
    manifest = sealed.manifest
    weights = {s.id: [rng.uniform(0.15, 1.0) ** 2 for _ in s.lists] for s in manifest.scrutins}
    for sid, w in weights.items():
        w.append(_BLANK_SHARE * sum(w) / (1 - _BLANK_SHARE))
        weights[sid] = w
    context = election_context(sealed)
    kiosk_ids = sorted(keys)
    board = Board(manifest.election_id, context.base_hash)
    for _voter, sid in casts:
        scrutin = manifest.scrutin(sid)
        choice = rng.choices(scrutin.options, weights[sid])[0]
        ballot = encode_ballot(seal(context, scrutin, choice).cast())
        kiosk_id = rng.choice(kiosk_ids)
        receipt = sign_receipt(
            keys[kiosk_id],
            election_fingerprint=sealed.fingerprint,
            scrutin_id=sid,
            tracking_code=tracking_code_of_bytes(ballot),
            kiosk_id=kiosk_id,
        )
        board.append(sid, ballot, kiosk_id, receipt.signature)
    return board
