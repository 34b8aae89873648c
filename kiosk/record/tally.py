"""The tally over a published record: aggregate the whole board, combine the trustees' partial
decryptions into results (docs/protocol.md §14, §15).

``aggregate_board`` sums only a complete board: every entry from the genesis, linked in order,
exactly the entries its head names, each with a valid ballot, tracking code and kiosk signature.
``rebuild_aggregate`` does it from the files, as ``tally aggregate`` and ``trustee decrypt`` do,
refusing a board whose head is not the one published at close. ``combine_results`` turns any k
trustees' partial decryptions into ``ElectionResults``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kiosk import durable
from kiosk.crypto.context import NotSealedError
from kiosk.election import package as package_io
from kiosk.election.model import ElectionPackage
from kiosk.record import board as board_io
from kiosk.record.board import BoardEntry, BoardError, BoardHead
from kiosk.record.layout import (
    MAX_BOARD_BYTES,
    MISNAMED_PARTIAL,
    PARTIALS_REJECTED,
    RecordError,
    RecordLayout,
    read_file,
)
from kiosk.record.scan import ScanSetup, scan
from kiosk.tally.report import results_pdf
from kiosk.tally.results import (
    ElectionResults,
    ResultsError,
    compute_results,
    eligible_from_roll,
    results_to_json,
)
from kiosk.trustee import decryption
from kiosk.trustee.decryption import (
    AggregateScrutin,
    BoardBinding,
    DecryptionError,
    PartialDecryptions,
    TallyAggregate,
)


def load_sealed_package(path: Path) -> ElectionPackage:
    """The package at ``path``, checked (signature, hashes) and sealed, else ``RecordError``."""
    try:
        loaded = package_io.load(path)
    except package_io.PackageError as exc:
        raise RecordError(f"package refused: {exc}") from None
    if loaded.manifest.election_key is None:
        raise RecordError("the package is not sealed: no election key, so no ballot to tally")
    return loaded


def load_board(board_path: Path, head_path: Path) -> tuple[list[BoardEntry], BoardHead]:
    """Every entry of the board file and its head, strictly parsed, else ``RecordError``."""
    try:
        head = board_io.parse_head(read_file(head_path), head_path.name)
        entries = board_io.parse_board(read_file(board_path, MAX_BOARD_BYTES), board_path.name)
    except BoardError as exc:
        raise RecordError(f"board refused: {exc}") from None
    return entries, head


def check_expected_head(head: BoardHead, expected: bytes) -> None:
    """The board's head is the one the server published at close, else ``RecordError``.

    The chain binds a board to its own head only: a board cut down to one real ballot and
    re-chained, its kiosk signature kept, is a valid board with another head (§15.3).
    """
    if head.head != expected:
        raise RecordError(
            f"the board's head {head.head.hex()} (of {head.count} "
            f"{'entry' if head.count == 1 else 'entries'}) is not the head "
            f"published at close, {expected.hex()}: not the board of the ballots cast; "
            "nothing is summed or decrypted"
        )


@dataclass(frozen=True)
class RebuiltAggregate:
    """The sealed package, the board's head and the aggregate summed here from the board."""

    sealed: ElectionPackage
    head: BoardHead
    aggregate: TallyAggregate


def rebuild_aggregate(
    package_path: Path,
    board_path: Path,
    head_path: Path,
    *,
    expect_head: bytes | None = None,
    workers: int | None = None,
) -> RebuiltAggregate:
    """Load the package and the board, check the head against ``expect_head`` (before the long
    part), then ``aggregate_board``; any refusal is a ``RecordError``."""
    sealed = load_sealed_package(package_path)
    entries, head = load_board(board_path, head_path)
    if expect_head is not None:
        check_expected_head(head, expect_head)
    aggregate = aggregate_board(sealed, entries, head, workers=workers)
    return RebuiltAggregate(sealed, head, aggregate)


def aggregate_board(
    sealed: ElectionPackage,
    entries: Sequence[BoardEntry],
    head: BoardHead,
    *,
    workers: int | None = None,
) -> TallyAggregate:
    """Σα, Σβ per scrutin and option over the whole board, bound to its head (§14.1, §15.3).

    Refused (``RecordError``) unless the entries are the complete chain the head names and every
    ballot parses, matches its tracking code, carries its kiosk's signature and proves valid.
    """
    manifest = sealed.manifest
    if head.election_id != manifest.election_id:
        raise RecordError(
            f"the board is for election {head.election_id!r}, not {manifest.election_id!r}"
        )
    try:
        setup = ScanSetup.of(sealed)
    except NotSealedError as exc:
        raise RecordError(str(exc)) from None
    try:
        board_io.check_chain(entries, setup.context.base_hash, head)
    except BoardError as exc:
        raise RecordError(f"board refused: {exc}") from None
    result = scan(setup, entries, workers)
    if not result.clean:
        raise RecordError("board refused, nothing summed: " + "; ".join(result.findings()))
    scrutins = []
    for s in manifest.scrutins:
        count = result.ballots.get(s.id, 0)
        sums = result.sums.get(s.id, [])
        scrutins.append(
            AggregateScrutin(
                id=s.id, ballots=count, options=tuple((ct.alpha, ct.beta) for ct in sums)
            )
        )
    aggregate = TallyAggregate(
        election_id=manifest.election_id,
        scrutins=tuple(scrutins),
        board=BoardBinding(count=head.count, head=head.head),
    )
    try:
        decryption.check_aggregate(aggregate, manifest)
    except DecryptionError as exc:
        raise RecordError(str(exc)) from None
    return aggregate


def read_aggregate(path: Path) -> TallyAggregate:
    try:
        return decryption.parse_aggregate(read_file(path), path.name)
    except DecryptionError as exc:
        raise RecordError(str(exc)) from None


def read_partials(paths: Sequence[Path]) -> list[PartialDecryptions]:
    sets = []
    for path in paths:
        try:
            sets.append(decryption.parse_partials(read_file(path), path.name))
        except DecryptionError as exc:
            raise RecordError(str(exc)) from None
    return sets


def check_partial_names(
    layout: RecordLayout, paths: Sequence[Path], partial_sets: Sequence[PartialDecryptions]
) -> None:
    """Each file is ``partials/<its trustee_id>.json``, the verifier's rule (§15.1), else a
    ``RecordError`` in the verifier's words: a result combined from a file by another name
    would be published with a record that fails ``verify record``."""
    for path, ps in zip(paths, partial_sets, strict=True):
        if path.name != layout.partial(ps.trustee_id).name:
            raise RecordError(f"partials/{path.name} ({ps.trustee_id}): {MISNAMED_PARTIAL}")


def set_aside_partials(layout: RecordLayout, paths: Sequence[Path]) -> list[Path]:
    """Move each of ``paths`` (files of ``partials/``) into ``partials-rejected/``, never over
    a file there; returns where each went.

    The verifier checks every file of ``partials/``: one that ``combine_results`` set aside
    (a forged or invalid one) would make the published record fail, though the result is right.
    """
    if not paths:
        return []
    target = layout.partials_rejected
    moves = [(path, target / path.name) for path in paths]
    for _, destination in moves:  # all checked before any is moved
        if destination.exists() or destination.is_symlink():
            raise RecordError(f"{PARTIALS_REJECTED}/{destination.name}: exists already")
    target.mkdir(exist_ok=True)
    for path, destination in moves:
        path.rename(destination)
    durable.fsync_directory(target)
    durable.fsync_directory(layout.partials)
    durable.fsync_directory(layout.root)
    return [destination for _, destination in moves]


def combine_results(
    sealed: ElectionPackage,
    aggregate: TallyAggregate,
    partial_sets: Sequence[PartialDecryptions],
) -> tuple[ElectionResults, decryption.TallyCounts]:
    """Counts from any k valid partial decryptions, then votes, turnout and seats (§14.3), by
    the seat method the signed manifest fixes.

    Fewer than k valid trustees is a ``RecordError`` naming those set aside and why.
    """
    try:
        counts = decryption.combine(sealed, aggregate, partial_sets)
    except DecryptionError as exc:
        raise RecordError(str(exc)) from None
    manifest = sealed.manifest
    try:
        results = compute_results(
            manifest,
            counts.counts,
            eligible_from_roll(manifest, sealed.roll),
            fingerprint=sealed.fingerprint,
        )
    except ResultsError as exc:
        raise RecordError(f"results: {exc}") from None
    return results, counts


def check_aggregate_binds(aggregate: TallyAggregate, head: BoardHead) -> None:
    """The aggregate names exactly this board (count and head), else ``RecordError``."""
    if (aggregate.board.count, aggregate.board.head) != (head.count, head.head):
        raise RecordError(
            f"aggregate.json sums a board of {aggregate.board.count} entries with another head "
            f"than board-head.json ({head.count} entries): not this record's board"
        )


def refuse_existing_results(layout: RecordLayout) -> None:
    for path in (layout.results_json, layout.results_pdf):
        if path.exists():
            raise RecordError(f"{path}: exists already; remove it to combine again")


def write_results(layout: RecordLayout, results: ElectionResults) -> None:
    """results.json and results.pdf, never overwriting either."""
    refuse_existing_results(layout)
    durable.write_new_file(layout.results_json, results_to_json(results))
    durable.write_new_file(layout.results_pdf, results_pdf(results))
    durable.fsync_directory(layout.root)
