"""Seal and verify a 15-option ballot (14 lists + blank) against the libsodium bound.

The figures in docs/protocol.md ("Cost") come from this script.

Run: .venv/bin/python bench/crypto.py [--rounds R] [--ballots N]

- seal and verify: the median over R rounds of the median time of a batch in each round;
- the libsodium bound, in the same rounds: the exact count of base multiplications, variable-base
  multiplications and additions/subtractions per seal and per verify (counted by wrapping
  ``kiosk.crypto.group``), times each operation's unit cost measured right then by a tight loop
  over the raw cffi call (``group._base_mul_c`` ...). Each round's time is divided by that
  round's bound and the ratio is the median of those quotients, so a burst of load from another
  process weighs on both sides of a quotient, not on one;
- verification of N ballots (default 100,000) from their bytes (parse + verify) on all cores with
  multiprocessing. The N ballots cycle through a pool of up to 2,000 distinct sealed ballots
  (sealing 100,000 would only time sealing again);
- the scaling factor: throughput on all cores over throughput on one core, each the best of
  three alternating trials (the machine may be shared; the best trial is the least disturbed).

Targets (docs/protocol.md, DESIGN.md): seal_ratio <= 1.15, verify_ratio <= 1.15, scaling >= 1.7
on 2 cores. It ends with one line of key=value figures; verify_100k_s is measured when N is
100,000 and projected linearly from N otherwise (the line says which N).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from kiosk.crypto import group
from kiosk.crypto.ballot import (
    SealedBallot,
    decode_ballot,
    encode_ballot,
    seal,
    verify_ballot,
)
from kiosk.crypto.context import ElectionContext
from kiosk.crypto.hashing import digest, hash_to_scalar
from kiosk.election.model import CandidateList, ListId, Scrutin, ScrutinId

OPS = ("base_mul", "mul", "add", "sub")
POOL_MAX = 2_000

CONTEXT = ElectionContext(
    base_hash=digest("bench-base-hash"),
    joint_key=group.base_mul(hash_to_scalar("bench-secret-key")),
)
SCRUTIN = Scrutin(
    id=ScrutinId("cap-bench"),
    title="Bench",
    seats=10,
    lists=tuple(
        CandidateList(ListId(f"list-{i:02d}"), f"Liste {i}", "", "l.png", "p.pdf", "b.pdf")
        for i in range(14)
    ),
    blank_label="Vote blanc",
)


@contextmanager
def counting() -> Iterator[Counter[str]]:
    counts: Counter[str] = Counter()
    originals = {name: getattr(group, name) for name in OPS}

    def wrap(name: str) -> Callable[..., group.Element]:
        inner = originals[name]

        def counted(*args: object) -> group.Element:
            counts[name] += 1
            return inner(*args)  # type: ignore[no-any-return]

        return counted

    for name in OPS:
        setattr(group, name, wrap(name))
    try:
        yield counts
    finally:
        for name, original in originals.items():
            setattr(group, name, original)


def op_counts() -> tuple[Counter[str], Counter[str]]:
    """Exact group operations per seal and per verify; the same for every choice."""
    seal_counts: set[tuple[tuple[str, int], ...]] = set()
    verify_counts: set[tuple[tuple[str, int], ...]] = set()
    seal(CONTEXT, SCRUTIN, SCRUTIN.options[0])  # the once-per-election precomputation (H + G)
    for choice in SCRUTIN.options:
        with counting() as counts:
            ballot = seal(CONTEXT, SCRUTIN, choice).ballot
        seal_counts.add(tuple(sorted(counts.items())))
        with counting() as counts:
            assert verify_ballot(CONTEXT, SCRUTIN, ballot)
        verify_counts.add(tuple(sorted(counts.items())))
    assert len(seal_counts) == 1, "seal counts depend on the choice"
    assert len(verify_counts) == 1, "verify counts depend on the choice"
    return Counter(dict(seal_counts.pop())), Counter(dict(verify_counts.pop()))


def unit_costs(loops: int) -> dict[str, float]:
    """Seconds per raw libsodium call, tight loops, no Python wrapper beyond the cffi call."""
    out = group._new("unsigned char[32]")
    k = group.scalar_bytes(group.random_scalar())
    p = group.base_mul(group.random_scalar())
    q = group.base_mul(group.random_scalar())
    calls: dict[str, Callable[[], object]] = {
        "base_mul": lambda: group._base_mul_c(out, k),
        "mul": lambda: group._mul_c(out, k, p),
        "add": lambda: group._add_c(out, p, q),
        "sub": lambda: group._sub_c(out, p, q),
    }
    costs = {}
    for name, call in calls.items():
        start = time.perf_counter()
        for _ in range(loops):
            call()
        costs[name] = (time.perf_counter() - start) / loops
    return costs


def bound(counts: Counter[str], costs: dict[str, float]) -> float:
    return sum(counts[name] * costs[name] for name in OPS)


def timed_batch(work: Callable[[int], object], size: int) -> float:
    times = []
    for i in range(size):
        start = time.perf_counter()
        work(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ---- many ballots on all cores ---------------------------------------------------------------

_POOL: list[bytes] = []


def _init_worker(pool: list[bytes]) -> None:
    _POOL[:] = pool


def _seal_bytes(index: int) -> bytes:
    return encode_ballot(seal(CONTEXT, SCRUTIN, SCRUTIN.options[index % 15]).ballot)


def _verify_range(span: tuple[int, int]) -> int:
    valid = 0
    for i in range(*span):
        ballot = decode_ballot(_POOL[i % len(_POOL)], SCRUTIN)
        valid += verify_ballot(CONTEXT, SCRUTIN, ballot)
    return valid


def verify_many(pool: list[bytes], count: int, workers: int) -> float:
    """Wall time to parse and verify ``count`` ballots with ``workers`` processes."""
    chunk = max(1, min(250, count // (workers * 8) or 1))
    spans = [(start, min(start + chunk, count)) for start in range(0, count, chunk)]
    with multiprocessing.Pool(workers, _init_worker, (pool,)) as processes:
        processes.map(_verify_range, spans[:workers])  # warm up every worker
        start = time.perf_counter()
        valid = sum(processes.map(_verify_range, spans))
        elapsed = time.perf_counter() - start
    assert valid == count, "an honest ballot failed to verify"
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds (default 15)")
    parser.add_argument("--batch", type=int, default=20, help="seals/verifies per round")
    parser.add_argument("--ballots", type=int, default=100_000, help="ballots on all cores")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))

    seal_ops, verify_ops = op_counts()
    print(f"ops per seal:   {dict(seal_ops)}")
    print(f"ops per verify: {dict(verify_ops)}")

    ballots: list[SealedBallot] = [
        seal(CONTEXT, SCRUTIN, SCRUTIN.options[i % 15]).ballot for i in range(args.batch)
    ]
    seal_times, verify_times, seal_bounds, verify_bounds = [], [], [], []
    seal_ratios, verify_ratios = [], []
    unit_rounds: list[dict[str, float]] = []
    for _ in range(args.rounds):
        costs = unit_costs(300)
        unit_rounds.append(costs)
        seal_bounds.append(bound(seal_ops, costs))
        verify_bounds.append(bound(verify_ops, costs))
        seal_times.append(
            timed_batch(lambda i: seal(CONTEXT, SCRUTIN, SCRUTIN.options[i % 15]), args.batch)
        )
        verify_times.append(
            timed_batch(lambda i: verify_ballot(CONTEXT, SCRUTIN, ballots[i]), args.batch)
        )
        seal_ratios.append(seal_times[-1] / seal_bounds[-1])
        verify_ratios.append(verify_times[-1] / verify_bounds[-1])
    units = {name: statistics.median(r[name] for r in unit_rounds) for name in OPS}
    print("unit cost (µs): " + ", ".join(f"{n}={units[n] * 1e6:.2f}" for n in OPS))
    seal_ms = statistics.median(seal_times) * 1e3
    verify_ms = statistics.median(verify_times) * 1e3
    seal_bound_ms = statistics.median(seal_bounds) * 1e3
    verify_bound_ms = statistics.median(verify_bounds) * 1e3
    seal_ratio = statistics.median(seal_ratios)
    verify_ratio = statistics.median(verify_ratios)
    print(f"seal:   {seal_ms:.3f} ms, bound {seal_bound_ms:.3f} ms, ratio {seal_ratio:.3f}")
    print(f"verify: {verify_ms:.3f} ms, bound {verify_bound_ms:.3f} ms, ratio {verify_ratio:.3f}")

    pool_size = min(args.ballots, POOL_MAX)
    start = time.perf_counter()
    with multiprocessing.Pool(cores) as processes:
        pool = processes.map(_seal_bytes, range(pool_size), chunksize=50)
    print(f"sealed a pool of {pool_size} distinct ballots in {time.perf_counter() - start:.1f} s")
    trial = min(args.ballots, 300)
    one_rates, all_rates = [], []
    for _ in range(3):
        one_rates.append(trial / verify_many(pool, trial, 1))
        all_rates.append(trial * cores / verify_many(pool, trial * cores, cores))
    one_rate, best_all_rate = max(one_rates), max(all_rates)
    scaling = best_all_rate / one_rate
    print(
        f"scaling trials: 1 core {one_rate:.0f}/s, {cores} cores {best_all_rate:.0f}/s (best of 3)"
    )
    all_cores_s = verify_many(pool, args.ballots, cores)
    all_rate = args.ballots / all_cores_s
    per_100k = all_cores_s * 100_000 / args.ballots
    print(f"{cores} cores: {args.ballots} ballots in {all_cores_s:.1f} s ({all_rate:.0f}/s)")
    print(
        f"100,000 ballots on {cores} cores: {per_100k:.1f} s"
        + ("" if args.ballots == 100_000 else f" (projected from {args.ballots})")
        + f"; scaling {scaling:.2f}"
    )
    targets_met = seal_ratio <= 1.15 and verify_ratio <= 1.15 and scaling >= 1.7
    print(f"targets: seal and verify ratio <= 1.15, scale >= 1.7 on 2 cores: {targets_met}")
    print(
        f"seal_ms={seal_ms:.3f} verify_ms={verify_ms:.3f} bound_ms={seal_bound_ms:.3f} "
        f"verify_bound_ms={verify_bound_ms:.3f} seal_ratio={seal_ratio:.3f} "
        f"verify_ratio={verify_ratio:.3f} ballots={args.ballots} verify_n_s={all_cores_s:.1f} "
        f"verify_100k_s={per_100k:.1f} cores={cores} scale={scaling:.2f}"
    )


if __name__ == "__main__":
    main()
