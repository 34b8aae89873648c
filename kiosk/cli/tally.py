"""``isoloir tally ...``: the tally over the election record (docs/protocol.md §14, §15).

After the polls close: ``aggregate`` sums the whole bulletin board (refusing a partial, broken or
reordered board, any invalid ballot, or, with ``--expect-head``, a board with another head than
the one published at close); each trustee runs ``isoloir trustee decrypt --expect-head HEAD``,
which rebuilds the aggregate itself; ``combine`` turns any k trustees' partial decryptions into
results.json and results.pdf, moving the ones it sets aside into partials-rejected/.
``demo-record`` builds a complete synthetic record for tests, benchmarks and auditors' practice.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from kiosk import durable
from kiosk.cli.common import CliError, board_head_hex, existing_path
from kiosk.clock import SystemClock
from kiosk.election.model import SeatMethod
from kiosk.record import tally
from kiosk.record.demo import THRESHOLD, TRUSTEES, build_demo_record
from kiosk.record.layout import RecordError, RecordLayout
from kiosk.tally.results import ElectionResults, ScrutinResult


def register(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = groups.add_parser("tally", help="aggregate the board, combine decryptions, results")
    commands = group.add_subparsers(dest="command", required=True, metavar="ACTION")

    aggregate = commands.add_parser(
        "aggregate", help="sum the whole bulletin board into the tally aggregate"
    )
    aggregate.add_argument(
        "--record", type=existing_path, help="the record folder (package/, board.jsonl, ...)"
    )
    aggregate.add_argument("--package", type=existing_path, help="the sealed package")
    aggregate.add_argument("--board", type=existing_path, help="the board (board.jsonl)")
    aggregate.add_argument(
        "--head", type=existing_path, help="the board's head (default: board-head.json beside it)"
    )
    aggregate.add_argument("--out", type=Path, help="the aggregate to write")
    aggregate.add_argument(
        "--expect-head",
        type=board_head_hex,
        metavar="HEX",
        help="the board head (128 hex digits) the server published at close: refuse another",
    )
    aggregate.add_argument("--workers", type=int, help="processes verifying ballots (all cores)")
    aggregate.set_defaults(run=_aggregate)

    combine = commands.add_parser(
        "combine",
        help="combine any k partial decryptions into results.json and results.pdf",
        description="Seats follow the seat_method of the signed election package. Needs "
        "board-head.json; partial decryptions set aside are moved to partials-rejected/.",
    )
    combine.add_argument("--record", type=existing_path, required=True, help="the record folder")
    combine.set_defaults(run=_combine)

    demo = commands.add_parser(
        "demo-record", help="build a complete synthetic election record (practice, tests)"
    )
    demo.add_argument("out", type=Path, help="the record folder to create")
    demo.add_argument("--ballots", type=int, required=True, help="how many ballots to cast")
    demo.add_argument("--voters", type=int, help="voters on the roll (default: max(ballots, 10))")
    demo.add_argument("--seed", type=int, default=2026, help="seeds the choices (2026)")
    demo.add_argument(
        "--method",
        choices=[m.value for m in SeatMethod],
        default=SeatMethod.HIGHEST_AVERAGE.value,
        help="the seat_method written into the demo's signed manifest before sealing; the "
        "results follow it (default highest_average)",
    )
    demo.set_defaults(run=_demo_record)


def _aggregate(args: argparse.Namespace) -> int:
    if args.record is not None:
        if args.package or args.board or args.head or args.out:
            raise CliError("give either --record, or --package, --board and --out", exit_code=2)
        layout = RecordLayout(args.record)
        package_path, board_path = layout.package, layout.board
        head_path, out = layout.board_head, layout.aggregate
    elif args.package and args.board and args.out:
        package_path, board_path, out = args.package, args.board, args.out
        head_path = args.head or args.board.with_name("board-head.json")
    else:
        raise CliError("give either --record, or --package, --board and --out", exit_code=2)
    if out.exists():
        raise CliError(f"{out}: exists already; choose a new name")
    start = time.perf_counter()
    try:
        rebuilt = tally.rebuild_aggregate(
            package_path, board_path, head_path, expect_head=args.expect_head, workers=args.workers
        )
    except RecordError as exc:
        raise CliError(str(exc)) from None
    sealed, head, aggregate = rebuilt.sealed, rebuilt.head, rebuilt.aggregate
    try:
        durable.write_new_file(out, aggregate.to_json())
    except OSError as exc:
        raise CliError(f"{out}: cannot write ({exc.strerror})") from None
    print(f"Package:   {sealed.manifest.election_id}, fingerprint {sealed.fingerprint}")
    print(f"Board:     {_count(head.count, 'ballot')}, head {head.head.hex()}")
    if args.expect_head is not None:
        print("           = the head published at close (--expect-head)")
    print(
        f"Checked:   the whole chain, every tracking code, kiosk signature and ballot proof "
        f"({time.perf_counter() - start:.1f} s)"
    )
    for s in aggregate.scrutins:
        print(f"  {s.id}: {_count(s.ballots, 'ballot')}")
    print(f"Aggregate: SHA-256 {aggregate.digest.hex()}, written to {out}")
    print("Publish the board head above (the server's at close must be the same); each trustee")
    print("passes it to: isoloir trustee decrypt --expect-head HEAD (which rebuilds this sum)")
    return 0


def _combine(args: argparse.Namespace) -> int:
    layout = RecordLayout(args.record)
    try:
        sealed = tally.load_sealed_package(layout.package)
        aggregate = tally.read_aggregate(layout.aggregate)
        if not layout.board_head.is_file():
            raise RecordError(
                f"{layout.board_head}: missing; combine decrypts only an aggregate bound to the "
                "board's head (§15.3): put the head the server published at close there"
            )
        _, head = tally.load_board(layout.board, layout.board_head)
        tally.check_aggregate_binds(aggregate, head)
        files = layout.partial_files()
        if not files:
            raise RecordError(f"{layout.partials}: no partial decryption (trustees' *.json files)")
        partial_sets = tally.read_partials(files)
        tally.check_partial_names(layout, files, partial_sets)
        results, counts = tally.combine_results(sealed, aggregate, partial_sets)
        tally.refuse_existing_results(layout)
        # One file per trustee id, named after it: the files combine set aside.
        rejected = {
            ps.trustee_id: path
            for path, ps in zip(files, partial_sets, strict=True)
            if ps.trustee_id in counts.rejected
        }
        tally.set_aside_partials(layout, list(rejected.values()))
        tally.write_results(layout, results)
    except RecordError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"{exc.filename or 'file'}: {exc.strerror}") from None
    print(f"Combined the partial decryptions of {', '.join(counts.used)}.")
    aside = layout.partials_rejected.name
    for who, why in counts.rejected.items():
        print(f"  set aside: {who}: {why}; moved to {aside}/{rejected[who].name}")
    if rejected:
        print(f"  ({aside}/ is published with the record; the verifier does not check it)")
    print(f"Seats by {results.method.value}, the seat_method of the signed package.")
    _print_results(results)
    print(f"Written: {layout.results_json} and {layout.results_pdf}")
    return 0


def _noun(n: int, noun: str) -> str:
    """``vote`` for 1, ``votes`` for 0 or 2 or more."""
    return noun if n == 1 else f"{noun}s"


def _count(n: int, noun: str) -> str:
    return f"{n} {_noun(n, noun)}"


def _print_results(results: ElectionResults) -> None:
    for s in results.scrutins:
        print(f"{s.title} ({s.scrutin_id}): {_count(s.cast, 'ballot')} of {s.eligible} eligible")
        for row in s.rows:
            votes, seats = _noun(row.votes, "vote"), _noun(row.seats, "seat")
            print(f"  {row.entry.name:<50} {row.votes:>8} {votes:<5} {row.seats:>3} {seats}")
        print(f"  {s.blank_label:<50} {s.blank:>8} {_noun(s.blank, 'vote')}")
        for warning in _warnings(s):
            print(f"  Warning: {warning}")


def _warnings(s: ScrutinResult) -> list[str]:
    """What results.pdf shows in its notices: unfilled seats, and each tie settled by ballot
    order (results.json records the ties)."""
    warnings = []
    if not s.allocation.allocated:
        warnings.append(
            f"no vote went to a list: none of the {_count(s.seat_count, 'seat')} could be "
            "filled; they stay to fill by the applicable rules"
        )
    level_on = "average" if s.method is SeatMethod.HIGHEST_AVERAGE else "remainder"
    for tie in s.allocation.ties:
        names = ", ".join(f"“{s.lists[i].name}”" for i in tie.lists)
        winners = ", ".join(f"“{s.lists[i].name}”" for i in tie.winners)
        seats = "the last seat" if tie.seats == 1 else f"the last {tie.seats} seats"
        warnings.append(
            f"tie for {seats}: lists {names} have the same {level_on} and the same votes; "
            f"given here by ballot order to {winners}. The regulations may settle it otherwise "
            "(candidates presented) or require a draw by lot."
        )
    return warnings


def _demo_record(args: argparse.Namespace) -> int:
    if args.ballots < 0 or (args.voters is not None and args.voters < 1):
        raise CliError("--ballots must be 0 or more and --voters 1 or more", exit_code=2)
    try:
        record = build_demo_record(
            args.out,
            ballots=args.ballots,
            voters=args.voters,
            seed=args.seed,
            now=SystemClock().now(),
            seat_method=SeatMethod(args.method),
        )
    except (FileExistsError, ValueError) as exc:
        raise CliError(str(exc)) from None
    print(f"Demo election record written to {args.out}")
    print(
        f"  {len(TRUSTEES)} trustees, threshold {THRESHOLD}; decrypted by "
        f"{', '.join(record.trustees_used)}"
    )
    print(
        f"  {args.ballots} ballots; phases: "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in record.timings.items())
    )
    _print_results(record.results)
    print(f"Check it: isoloir verify record {args.out}")
    return 0
