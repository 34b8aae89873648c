"""The election record and its verifier, tested as the ElectionGuard verifier is: a valid record
passes every check, and each one-byte mutation of a proof, a ciphertext, a partial decryption, a
board link, a result or the aggregate is caught by the check it should trip (§15.4).

One demo record of 30 ballots is built per module; each test changes its own copy. Each kind of
one-byte mutation is tried at a hand-picked position, then at ``MUTATION_CASES`` random positions
(seeded ``random.Random``, so every run tries the same ones; ``ISOLOIR_SOAK=1`` tries 100 per kind).
"""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kiosk.cli import main
from kiosk.crypto import group
from kiosk.crypto.ballot import challenge, encode_ballot, seal
from kiosk.crypto.context import election_context
from kiosk.crypto.receipt import Receipt, encode_receipt
from kiosk.crypto.tracking import tracking_code_of_bytes
from kiosk.election import package as package_io
from kiosk.election.model import KioskId, ScrutinId, SeatMethod
from kiosk.encoding import b64encode, canonical_json
from kiosk.record import board as board_io
from kiosk.record import tally
from kiosk.record.demo import DemoRecord, build_demo_record
from kiosk.record.layout import RecordLayout
from kiosk.record.scan import ScanSetup, scan
from kiosk.tally.results import compute_results, eligible_from_roll, results_to_json
from kiosk.verifier import CHECKS, Report, verify_record
from kiosk.verifier.ballots import slip_of

pytestmark = pytest.mark.filterwarnings("error")

BALLOTS = 30
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
ALL_CHECKS = {name for name, _ in CHECKS}
MUTATION_CASES = 100 if os.environ.get("ISOLOIR_SOAK") == "1" else 5


@pytest.fixture(scope="module")
def demo_record(tmp_path_factory: pytest.TempPathFactory) -> DemoRecord:
    out = tmp_path_factory.mktemp("record") / "record"
    return build_demo_record(out, ballots=BALLOTS, now=NOW, seed=7)


@pytest.fixture(scope="module")
def built(demo_record: DemoRecord) -> Path:
    return demo_record.layout.root


@pytest.fixture
def record(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "record"
    shutil.copytree(built, copy)
    return copy


def failed(path: Path) -> set[str]:
    report = verify_record(path)
    return set(report.failed)


# ---- editing helpers: what a tamperer does ---------------------------------------------------


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (path / "board.jsonl").read_bytes().splitlines()]


def write_lines(path: Path, lines: list[dict[str, Any]], *, rechain: bool = False) -> None:
    """Write the board back; ``rechain`` recomputes every seq, link and the head, as the board's
    operator could."""
    if rechain:
        base_hash = election_context(package_io.load(path / "package")).base_hash
        prev = board_io.genesis(base_hash)
        for seq, line in enumerate(lines, start=1):
            line["seq"], line["prev_hash"] = seq, prev.hex()
            body = {k: v for k, v in line.items() if k not in {"prev_hash", "hash"}}
            line["hash"] = board_io.entry_hash(prev, body).hex()
            prev = bytes.fromhex(line["hash"])
        head = json.loads((path / "board-head.json").read_bytes())
        head["count"], head["head"] = len(lines), prev.hex()
        (path / "board-head.json").write_bytes(canonical_json(head))
    (path / "board.jsonl").write_bytes(b"".join(canonical_json(line) + b"\n" for line in lines))


def edit_json(path: Path, edit: Callable[[Any], None]) -> None:
    document = json.loads(path.read_bytes())
    edit(document)
    path.write_bytes(canonical_json(document))


def flip(data: bytes, offset: int, mask: int = 0x01) -> bytes:
    return data[:offset] + bytes([data[offset] ^ mask]) + data[offset + 1 :]


def another_valid_point(point: bytes) -> bytes:
    """A one-byte change of ``point`` that is still a valid group element."""
    for offset in range(31):
        for mask in range(1, 256):
            candidate = flip(point, offset, mask)
            try:
                return group.element(candidate)
            except group.GroupError:
                continue
    raise AssertionError("no valid neighbour")


def ballot_offsets(ballot: bytes) -> tuple[int, int]:
    """(offset of option 0's α, offset of option 0's c0) in the ballot bytes (§9)."""
    start = 7 + ballot[4]
    return start, start + 64


def mutate_ballot(line: dict[str, Any], change: Callable[[bytes], bytes]) -> None:
    line["ballot"] = b64encode(change(base64.b64decode(line["ballot"])))


# ---- the valid record, and garbage -----------------------------------------------------------


def test_a_valid_record_passes_every_check(built: Path) -> None:
    report = verify_record(built)
    assert report.passed, report.lines()
    assert [c.name for c in report.checks] == [name for name, _ in CHECKS]
    assert report.lines()[-1] == f"the record verifies: all {len(CHECKS)} checks pass"


def test_random_files_fail_every_check_without_a_crash(record: Path) -> None:
    rng = random.Random(3)
    files = [p for p in record.rglob("*") if p.is_file()]
    for path in files:
        path.write_bytes(rng.randbytes(rng.randint(0, 2000)))
    assert failed(record) == ALL_CHECKS


def test_random_record_files_beside_a_good_package_fail(record: Path) -> None:
    rng = random.Random(4)
    for path in [record / "board.jsonl", record / "aggregate.json", record / "results.json"]:
        path.write_bytes(rng.randbytes(3000))
    for path in (record / "partials").iterdir():
        path.write_bytes(rng.randbytes(500))
    assert failed(record) == ALL_CHECKS - {"package", "package-sealed"}


def test_an_empty_folder_is_no_record(tmp_path: Path) -> None:
    assert failed(tmp_path) == ALL_CHECKS


# ---- one-byte mutations ----------------------------------------------------------------------


def test_a_ballot_proof_byte_is_caught_by_the_ballot_proofs(record: Path) -> None:
    lines = read_lines(record)
    mutate_ballot(lines[4], lambda b: flip(b, ballot_offsets(b)[1]))
    write_lines(record, lines)
    found = failed(record)
    assert {"ballot-proofs", "board-chain", "tracking-codes"} <= found
    assert "board-entries" not in found
    assert "seq 5" in verify_record(record).check("ballot-proofs").detail


def test_a_sum_proof_byte_is_caught_by_the_ballot_proofs(record: Path) -> None:
    lines = read_lines(record)
    mutate_ballot(lines[9], lambda b: flip(b, len(b) - 64))
    write_lines(record, lines, rechain=True)
    assert "ballot-proofs" in failed(record)


def test_a_ciphertext_byte_is_caught_by_the_ballot_proofs_and_the_aggregate(record: Path) -> None:
    lines = read_lines(record)

    def change(ballot: bytes) -> bytes:
        alpha = ballot_offsets(ballot)[0]
        return (
            ballot[:alpha] + another_valid_point(ballot[alpha : alpha + 32]) + ballot[alpha + 32 :]
        )

    mutate_ballot(lines[0], change)
    write_lines(record, lines, rechain=True)
    found = failed(record)
    assert {"ballot-proofs", "aggregate", "tracking-codes"} <= found
    assert "board-chain" not in found
    assert "board-entries" not in found


def test_a_board_operator_who_recomputes_all_it_can_is_caught_by_the_kiosk_signature(
    record: Path,
) -> None:
    lines = read_lines(record)
    mutate_ballot(lines[2], lambda b: flip(b, ballot_offsets(b)[1]))
    lines[2]["tracking_code"] = tracking_code_of_bytes(base64.b64decode(lines[2]["ballot"]))
    write_lines(record, lines, rechain=True)
    assert failed(record) == {"kiosk-signatures", "ballot-proofs", "aggregate"}


def test_a_point_that_is_not_on_the_curve_is_caught_by_the_entry_parser(record: Path) -> None:
    lines = read_lines(record)
    mutate_ballot(lines[1], lambda b: flip(b, ballot_offsets(b)[0] + 31, 0x80))
    write_lines(record, lines, rechain=True)
    found = failed(record)
    assert "board-entries" in found
    assert "seq 2" in verify_record(record).check("board-entries").detail


def test_an_unknown_kiosk_is_caught_by_the_kiosk_signatures(record: Path) -> None:
    lines = read_lines(record)
    lines[3]["kiosk_id"] = "kiosk-99"
    write_lines(record, lines, rechain=True)
    assert failed(record) == {"kiosk-signatures", "aggregate"}  # the head moved too


@pytest.mark.parametrize("field", ["prev_hash", "hash"])
def test_a_board_link_byte_is_caught_by_the_chain(record: Path, field: str) -> None:
    lines = read_lines(record)
    text = lines[10][field]
    lines[10][field] = ("1" if text[0] == "0" else "0") + text[1:]
    write_lines(record, lines)
    assert failed(record) == {"board-chain", "aggregate"}
    assert "seq 1" in verify_record(record).check("board-chain").detail


def test_the_board_chain_shows_the_whole_head(built: Path) -> None:
    """Auditors compare it with the head the server published at close: all 128 digits."""
    head = json.loads((built / "board-head.json").read_bytes())["head"]
    assert len(head) == 128
    detail = verify_record(built).check("board-chain").detail
    assert detail == f"{BALLOTS} entries linked from the genesis; head {head} matches"


def test_a_head_byte_is_caught_by_the_chain(record: Path) -> None:
    edit_json(record / "board-head.json", lambda d: d.update(head="0" * 128))
    assert "board-chain" in failed(record)


def test_a_partial_decryption_value_is_caught_by_its_proof(record: Path) -> None:
    path = sorted((record / "partials").iterdir())[1]

    def edit(document: Any) -> None:
        option = document["scrutins"][0]["options"][2]
        option["share"] = b64encode(another_valid_point(base64.b64decode(option["share"])))

    edit_json(path, edit)
    found = failed(record)
    assert found == {"partial-decryptions", "combination"}
    detail = verify_record(record).check("partial-decryptions").detail
    assert "invalid proof (scrutin capn-certifies, option 2)" in detail


def test_a_partial_proof_byte_is_caught_by_the_partial_decryptions(record: Path) -> None:
    path = sorted((record / "partials").iterdir())[0]

    def edit(document: Any) -> None:
        option = document["scrutins"][2]["options"][0]
        option["proof"] = b64encode(flip(base64.b64decode(option["proof"]), 0))

    edit_json(path, edit)
    assert failed(record) == {"partial-decryptions", "combination"}


def test_an_aggregate_byte_is_caught_by_the_aggregate(record: Path) -> None:
    def edit(document: Any) -> None:
        option = document["scrutins"][1]["options"][0]
        option["b"] = b64encode(another_valid_point(base64.b64decode(option["b"])))

    edit_json(record / "aggregate.json", edit)
    found = failed(record)
    assert {"aggregate", "partial-decryptions"} <= found
    assert "option 0: not the product" in verify_record(record).check("aggregate").detail


def test_an_aggregate_count_is_caught_by_the_aggregate(record: Path) -> None:
    def edit(document: Any) -> None:
        document["scrutins"][0]["ballots"] += 1
        document["board"]["count"] += 1

    edit_json(record / "aggregate.json", edit)
    assert "aggregate" in failed(record)


def test_a_result_count_is_caught_by_the_results(record: Path) -> None:
    edit_json(
        record / "results.json",
        lambda d: d["scrutins"][2]["lists"][1].update(
            votes=d["scrutins"][2]["lists"][1]["votes"] + 1
        ),
    )
    found = failed(record)
    assert {"results", "combination"} <= found
    assert "cast" in verify_record(record).check("results").detail


def test_a_seat_is_caught_by_the_results(record: Path) -> None:
    def edit(document: Any) -> None:
        rows = document["scrutins"][0]["lists"]
        giver = next(row for row in rows if row["seats"] > 0)
        taker = next(row for row in rows if row is not giver)
        giver["seats"] -= 1
        taker["seats"] += 1

    edit_json(record / "results.json", edit)
    assert "results" in failed(record)


def test_consistent_false_results_are_caught_by_the_combination(record: Path) -> None:
    """A tamperer who moves a vote and recomputes every derived figure: the arithmetic holds,
    but the trustees' decryption says otherwise."""
    sealed = package_io.load(record / "package")
    stated = json.loads((record / "results.json").read_bytes())
    counts = {
        ScrutinId(s["id"]): [row["votes"] for row in s["lists"]] + [s["blank"]["votes"]]
        for s in stated["scrutins"]
    }
    sid = ScrutinId("csa-ministeriel")
    source = next(i for i, v in enumerate(counts[sid]) if v > 0)
    counts[sid][source] -= 1
    counts[sid][(source + 1) % len(counts[sid])] += 1
    forged = compute_results(
        sealed.manifest,
        counts,
        eligible_from_roll(sealed.manifest, sealed.roll),
        fingerprint=sealed.fingerprint,
    )
    (record / "results.json").write_bytes(results_to_json(forged))
    assert failed(record) == {"combination"}


def test_results_by_another_seat_method_are_caught_by_the_results(record: Path) -> None:
    """A tally that picks the other method after seeing the counts: every figure is consistent
    and the counts are the trustees', but the signed package fixed the method beforehand."""
    sealed = package_io.load(record / "package")
    assert sealed.manifest.seat_method is SeatMethod.HIGHEST_AVERAGE
    honest = json.loads((record / "results.json").read_bytes())
    counts = {
        ScrutinId(s["id"]): [row["votes"] for row in s["lists"]] + [s["blank"]["votes"]]
        for s in honest["scrutins"]
    }
    forged = compute_results(
        replace(sealed.manifest, seat_method=SeatMethod.LARGEST_REMAINDER),
        counts,
        eligible_from_roll(sealed.manifest, sealed.roll),
        fingerprint=sealed.fingerprint,
    )
    seats = [[row["seats"] for row in s["lists"]] for s in honest["scrutins"]]
    assert [list(s.seats) for s in forged.scrutins] != seats  # the other method moves seats
    (record / "results.json").write_bytes(results_to_json(forged))
    assert failed(record) == {"results"}
    detail = verify_record(record).check("results").detail
    assert "seats by largest_remainder, the signed package fixes highest_average" in detail


def test_an_eligible_count_that_is_not_the_rolls_is_caught_by_the_results(record: Path) -> None:
    def edit(document: Any) -> None:
        scrutin = document["scrutins"][1]
        scrutin["eligible"] += 1
        scrutin["participation"]["denominator"] += 1

    edit_json(record / "results.json", edit)
    found = failed(record)
    assert found == {"results"}
    assert "eligible" in verify_record(record).check("results").detail


# ---- one-byte mutations at random positions ---------------------------------------------------
#
# Each mutation below edits a copy of the record at a position drawn from its ``rng`` and returns
# what the verifier must find: exactly which checks fail, and the words of the failing check's
# line that name the place. A tamperer of the board recomputes all it can (the tracking code,
# every link, the head and the aggregate's binding to it), so that what catches the change is
# the check that cannot be recomputed without a secret.


@dataclass(frozen=True)
class Caught:
    failed: frozenset[str]  # exactly these checks fail
    check: str  # ... and this one's line names the place:
    names: str  # its detail contains this text (or is this text, when ``whole``)
    where: str  # the position mutated, for the assertion message
    whole: bool = False


def neighbour_point(point: bytes, rng: random.Random) -> tuple[bytes, int]:
    """(a valid group element differing from ``point`` in one byte, that byte's offset); the
    offset and the change are drawn at random."""
    offsets = list(range(32))
    rng.shuffle(offsets)
    for offset in offsets:
        masks = list(range(1, 256))
        rng.shuffle(masks)
        for mask in masks:
            try:
                return group.element(flip(point, offset, mask)), offset
            except group.GroupError:
                continue
    raise AssertionError("no valid neighbour")


def flip_scalar(data: bytes, start: int, rng: random.Random) -> tuple[bytes, int]:
    """(``data`` with one random byte of the scalar at ``start`` changed, that byte's offset),
    the scalar still canonical (< L), so that the proof check, not the decoder, must catch it."""
    while True:
        offset = start + rng.randrange(32)
        changed = flip(data, offset, rng.randrange(1, 256))
        if int.from_bytes(changed[start : start + 32], "little") < group.L:
            return changed, offset


def tamper_board(record: Path, lines: list[dict[str, Any]], changed: int) -> None:
    """Write the board back as its operator could: line ``changed``'s tracking code recomputed,
    every link and the head rechained, and aggregate.json bound to the new head."""
    line = lines[changed]
    line["tracking_code"] = tracking_code_of_bytes(base64.b64decode(line["ballot"]))
    write_lines(record, lines, rechain=True)
    head = json.loads((record / "board-head.json").read_bytes())["head"]
    edit_json(record / "aggregate.json", lambda d: d["board"].update(head=head))


def random_option(document: Any, rng: random.Random) -> tuple[int, int, dict[str, Any]]:
    """(scrutin position, option position, option) of an aggregate or partial file."""
    scrutin = rng.choice([i for i, s in enumerate(document["scrutins"]) if s["options"]])
    option = rng.randrange(len(document["scrutins"][scrutin]["options"]))
    return scrutin, option, document["scrutins"][scrutin]["options"][option]


def other_count(value: int, rng: random.Random) -> int:
    """Another count near ``value``, never 0 (a scrutin without ballots has another shape)."""
    return rng.choice([v for v in range(max(1, value - 3), value + 4) if v != value])


def mutate_ballot_proof(record: Path, rng: random.Random) -> Caught:
    """One byte of a scalar of a 0/1 proof (c0, c1, z0, z1) or of the sum proof (c, z)."""
    lines = read_lines(record)
    seq = rng.randrange(len(lines))
    ballot = base64.b64decode(lines[seq]["ballot"])
    options = int.from_bytes(ballot[5 + ballot[4] : 7 + ballot[4]], "big")
    first, _ = ballot_offsets(ballot)
    scalar = rng.randrange(4 * options + 2)
    if scalar < 4 * options:  # option scalar // 4: α ‖ β ‖ c0 ‖ c1 ‖ z0 ‖ z1
        start = first + 192 * (scalar // 4) + 64 + 32 * (scalar % 4)
    else:  # the sum proof closes the ballot: c ‖ z
        start = len(ballot) - 64 + 32 * (scalar - 4 * options)
    changed, offset = flip_scalar(ballot, start, rng)
    lines[seq]["ballot"] = b64encode(changed)
    tamper_board(record, lines, seq)
    return Caught(
        frozenset({"kiosk-signatures", "ballot-proofs", "partial-decryptions", "combination"}),
        "ballot-proofs",
        f"1 ballot(s) with an invalid proof: seq {seq + 1}",
        f"seq {seq + 1}, ballot byte {offset}",
        whole=True,
    )


def mutate_ciphertext(record: Path, rng: random.Random) -> Caught:
    """One byte of an option's α or β, still a valid group element."""
    lines = read_lines(record)
    seq = rng.randrange(len(lines))
    ballot = base64.b64decode(lines[seq]["ballot"])
    options = int.from_bytes(ballot[5 + ballot[4] : 7 + ballot[4]], "big")
    option = rng.randrange(options)
    start = ballot_offsets(ballot)[0] + 192 * option + rng.choice((0, 32))  # α or β
    point, offset = neighbour_point(ballot[start : start + 32], rng)
    lines[seq]["ballot"] = b64encode(ballot[:start] + point + ballot[start + 32 :])
    tamper_board(record, lines, seq)
    scrutin = lines[seq]["scrutin_id"]
    return Caught(
        frozenset(
            {"kiosk-signatures", "ballot-proofs", "aggregate", "partial-decryptions", "combination"}
        ),
        "aggregate",
        f"scrutin {scrutin}, option {option}: not the product",
        f"seq {seq + 1}, ballot byte {start + offset}",
    )


def _partial(record: Path, rng: random.Random, field: str) -> Caught:
    path = rng.choice(sorted((record / "partials").iterdir()))
    document = json.loads(path.read_bytes())
    s, o, option = random_option(document, rng)
    data = base64.b64decode(option[field])
    if field == "share":
        changed, offset = neighbour_point(data, rng)
    else:  # the proof: c ‖ r
        changed, offset = flip_scalar(data, rng.choice((0, 32)), rng)
    option[field] = b64encode(changed)
    path.write_bytes(canonical_json(document))
    scrutin = document["scrutins"][s]["id"]
    return Caught(
        frozenset({"partial-decryptions", "combination"}),
        "partial-decryptions",
        f"partials/{path.name} ({path.stem}): invalid proof (scrutin {scrutin}, option {o})",
        f"{path.name}, scrutin {scrutin}, option {o}, {field} byte {offset}",
    )


def mutate_partial_share(record: Path, rng: random.Random) -> Caught:
    """One byte of a trustee's D_l, still a valid group element."""
    return _partial(record, rng, "share")


def mutate_partial_proof(record: Path, rng: random.Random) -> Caught:
    """One byte of a partial decryption's Chaum-Pedersen proof, its scalars still canonical."""
    return _partial(record, rng, "proof")


def mutate_board_link(record: Path, rng: random.Random) -> Caught:
    """One byte of an entry's prev_hash or hash, or of the head; nothing recomputed."""
    lines = read_lines(record)
    seq = rng.randrange(len(lines) + 1)
    if seq == len(lines):
        field, head = "head", json.loads((record / "board-head.json").read_bytes())
        offset = rng.randrange(64)
        head["head"] = flip(bytes.fromhex(head["head"]), offset, rng.randrange(1, 256)).hex()
        (record / "board-head.json").write_bytes(canonical_json(head))
        names = "the last entry's hash differs from the head"
    else:
        field, offset = rng.choice(("prev_hash", "hash")), rng.randrange(64)
        value = flip(bytes.fromhex(lines[seq][field]), offset, rng.randrange(1, 256))
        lines[seq][field] = value.hex()
        write_lines(record, lines)
        names = f"seq {seq + 1}: {'prev_hash does not link' if field == 'prev_hash' else 'hash is'}"
    return Caught(
        frozenset({"board-chain", "aggregate"}),
        "board-chain",
        names,
        f"line {seq + 1}, {field} byte {offset}",
    )


def mutate_aggregate_point(record: Path, rng: random.Random) -> Caught:
    """One byte of an option's A or B in aggregate.json, still a valid group element."""
    document = json.loads((record / "aggregate.json").read_bytes())
    s, o, option = random_option(document, rng)
    field = rng.choice(("a", "b"))
    point, offset = neighbour_point(base64.b64decode(option[field]), rng)
    option[field] = b64encode(point)
    (record / "aggregate.json").write_bytes(canonical_json(document))
    scrutin = document["scrutins"][s]["id"]
    return Caught(
        frozenset({"aggregate", "partial-decryptions", "combination"}),
        "aggregate",
        f"scrutin {scrutin}, option {o}: not the product",
        f"scrutin {scrutin}, option {o}, {field} byte {offset}",
    )


def mutate_aggregate_count(record: Path, rng: random.Random) -> Caught:
    """A scrutin's ballot count in aggregate.json: alone, with the board's count following it, or
    with another scrutin's count making up for it (the total stays)."""
    document = json.loads((record / "aggregate.json").read_bytes())
    s = rng.randrange(len(document["scrutins"]))
    scrutin = document["scrutins"][s]
    value = other_count(scrutin["ballots"], rng)
    delta = value - scrutin["ballots"]
    how = rng.choice(("alone", "board follows", "another scrutin makes up"))
    scrutin["ballots"] = value
    if how == "alone":
        names = f"the aggregate sums {BALLOTS + delta} ballots but names a board of {BALLOTS}"
    elif how == "board follows":
        document["board"]["count"] += delta
        names = f"aggregate.json names a board of {BALLOTS + delta} entries"
    else:
        other = rng.choice(
            [i for i, o in enumerate(document["scrutins"]) if i != s and o["ballots"] - delta > 0]
        )
        document["scrutins"][other]["ballots"] -= delta
        first = document["scrutins"][min(s, other)]
        held = first["ballots"] + (-delta if first is scrutin else delta)
        names = f"scrutin {first['id']}: {first['ballots']} ballots summed, the board holds {held}"
    (record / "aggregate.json").write_bytes(canonical_json(document))
    return Caught(
        frozenset({"aggregate", "partial-decryptions", "combination"}),
        "aggregate",
        names,
        f"scrutin {scrutin['id']}: ballots {value}, {how}",
    )


def mutate_result_count(record: Path, rng: random.Random) -> Caught:
    """The votes of one list, or the blank votes, of one scrutin of results.json."""
    document = json.loads((record / "results.json").read_bytes())
    s = rng.randrange(len(document["scrutins"]))
    scrutin = document["scrutins"][s]
    row = rng.choice([*scrutin["lists"], scrutin["blank"]])
    row["votes"] = other_count(row["votes"], rng)
    (record / "results.json").write_bytes(canonical_json(document))
    return Caught(
        frozenset({"results", "combination"}),
        "results",
        f"results.scrutins[{s}]",
        f"scrutin {scrutin['id']}, {row.get('id', 'blank')} votes = {row['votes']}",
    )


def mutate_result_seat(record: Path, rng: random.Random) -> Caught:
    """The seats of one list of one scrutin of results.json, or a seat moved to another list."""
    document = json.loads((record / "results.json").read_bytes())
    s = rng.randrange(len(document["scrutins"]))
    rows = document["scrutins"][s]["lists"]
    field = rng.choice(("seats", "seats_by_quotient"))
    row = rng.randrange(len(rows))
    if rng.random() < 0.5 and rows[row][field] > 0:  # moved: the total stays
        rows[row][field] -= 1
        rows[rng.choice([i for i in range(len(rows)) if i != row])][field] += 1
    else:
        rows[row][field] = other_count(rows[row][field], rng)
    (record / "results.json").write_bytes(canonical_json(document))
    return Caught(
        frozenset({"results", "combination"}),  # combination: results.json no longer parses
        "results",
        f"results.scrutins[{s}].lists[",
        f"scrutin {s}, list {row}, {field}",
    )


MUTATIONS: dict[str, Callable[[Path, random.Random], Caught]] = {
    "ballot-proof": mutate_ballot_proof,
    "ciphertext": mutate_ciphertext,
    "partial-share": mutate_partial_share,
    "partial-proof": mutate_partial_proof,
    "board-link": mutate_board_link,
    "aggregate-point": mutate_aggregate_point,
    "aggregate-count": mutate_aggregate_count,
    "result-count": mutate_result_count,
    "result-seat": mutate_result_seat,
}


@pytest.mark.parametrize("case", range(MUTATION_CASES))
@pytest.mark.parametrize("kind", MUTATIONS)
def test_a_one_byte_mutation_at_a_random_position_is_caught(
    record: Path, kind: str, case: int
) -> None:
    caught = MUTATIONS[kind](record, random.Random(f"{kind}/{case}"))
    report = verify_record(record)
    assert not report.passed, caught.where
    assert set(report.failed) == caught.failed, (caught.where, report.lines())
    detail = report.check(caught.check).detail
    assert (detail == caught.names) if caught.whole else (caught.names in detail), (
        caught.where,
        report.lines(),
    )


# ---- whole entries ---------------------------------------------------------------------------


def test_a_removed_entry_is_caught_by_the_chain(record: Path) -> None:
    lines = read_lines(record)
    del lines[12]
    write_lines(record, lines)
    assert "board-chain" in failed(record)
    assert "line 13 holds seq 14" in verify_record(record).check("board-chain").detail


def test_a_removed_last_entry_is_caught_by_the_head(record: Path) -> None:
    write_lines(record, read_lines(record)[:-1])
    assert "board-chain" in failed(record)
    assert "its head says 30" in verify_record(record).check("board-chain").detail


def test_a_removed_entry_with_a_new_head_is_caught_by_the_aggregate(record: Path) -> None:
    lines = read_lines(record)
    del lines[5]
    write_lines(record, lines, rechain=True)
    assert failed(record) == {"aggregate"}


def test_swapped_entries_are_caught_by_the_chain(record: Path) -> None:
    lines = read_lines(record)
    lines[3], lines[4] = lines[4], lines[3]
    write_lines(record, lines)
    assert "board-chain" in failed(record)


def test_a_duplicated_entry_is_caught_by_tracker_uniqueness(record: Path) -> None:
    lines = read_lines(record)
    lines.insert(20, dict(lines[7]))
    write_lines(record, lines, rechain=True)
    found = failed(record)
    assert {"tracker-uniqueness", "aggregate"} <= found
    assert "board-chain" not in found
    assert "seq 21 repeats seq 8" in verify_record(record).check("tracker-uniqueness").detail


def test_a_copied_ballot_under_another_code_is_caught_by_tracker_uniqueness(record: Path) -> None:
    lines = read_lines(record)
    copy = dict(lines[7])
    copy["tracking_code"] = lines[9]["tracking_code"][::-1].replace("-", "").upper()
    copy["tracking_code"] = "-".join(copy["tracking_code"][i : i + 4] for i in range(0, 32, 4))
    lines.append(copy)
    write_lines(record, lines, rechain=True)
    found = failed(record)
    assert {"tracker-uniqueness", "tracking-codes", "kiosk-signatures"} <= found
    assert "seq 31 repeats seq 8" in verify_record(record).check("tracker-uniqueness").detail


# ---- the commands ------------------------------------------------------------------------------


def isoloir(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_verify_record_prints_each_check_and_exits_by_the_verdict(
    record: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = isoloir(capsys, "verify", "record", str(record))
    assert code == 0
    assert [line.split()[:2] for line in out.splitlines()[:-1]] == [
        ["PASS", name] for name, _ in CHECKS
    ]
    write_lines(record, read_lines(record)[:-1])
    code, out, _ = isoloir(capsys, "verify", "record", str(record))
    assert code == 1
    assert "FAIL  board-chain" in out
    assert out.splitlines()[-1].startswith("the record does NOT verify")


def test_tally_aggregate_reproduces_the_records_aggregate(
    record: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = record / "again.json"
    code, printed, _ = isoloir(
        capsys, "tally", "aggregate", "--package", str(record / "package"),
        "--board", str(record / "board.jsonl"), "--out", str(out),
    )  # fmt: skip
    assert code == 0, printed
    assert out.read_bytes() == (record / "aggregate.json").read_bytes()
    assert "30 ballots" in printed
    assert "Publish that SHA-256" not in printed  # trustees rebuild the sum: they need the head
    assert "isoloir trustee decrypt --expect-head HEAD" in printed


def test_tally_aggregate_checks_the_published_head(
    record: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = json.loads((record / "board-head.json").read_bytes())["head"]
    other = ("1" if head[0] == "0" else "0") + head[1:]
    (record / "aggregate.json").unlink()
    code, _, err = isoloir(capsys, "tally", "aggregate", "--record", str(record),
                           "--expect-head", other)  # fmt: skip
    assert code == 1
    assert f"is not the head published at close, {other}" in err
    assert not (record / "aggregate.json").exists()
    code, out, err = isoloir(capsys, "tally", "aggregate", "--record", str(record),
                             "--expect-head", head.upper())  # fmt: skip
    assert code == 0, err
    assert "= the head published at close (--expect-head)" in out


def test_tally_aggregate_refuses_a_subset_of_the_board(
    record: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (record / "aggregate.json").unlink()
    write_lines(record, read_lines(record)[:20])
    code, _, err = isoloir(capsys, "tally", "aggregate", "--record", str(record))
    assert code == 1
    assert "holds 20 entries but its head says 30: not the whole board" in err
    assert not (record / "aggregate.json").exists()
    lines = read_lines(record)  # and a gap in the middle
    write_lines(record, lines[:5] + lines[6:])
    code, _, err = isoloir(capsys, "tally", "aggregate", "--record", str(record))
    assert code == 1
    assert "line 6 holds seq 7" in err


def test_tally_aggregate_refuses_an_invalid_ballot_naming_its_seq(
    record: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (record / "aggregate.json").unlink()
    lines = read_lines(record)
    mutate_ballot(lines[16], lambda b: flip(b, ballot_offsets(b)[1]))
    write_lines(record, lines, rechain=True)
    code, _, err = isoloir(capsys, "tally", "aggregate", "--record", str(record))
    assert code == 1
    assert "nothing summed" in err
    assert "invalid ballot proof(s): seq 17" in err
    assert not (record / "aggregate.json").exists()


def test_tally_combine_with_two_partials_is_a_clear_error(
    record: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("results.json", "results.pdf"):
        (record / name).unlink()
    sorted((record / "partials").iterdir())[0].unlink()
    code, _, err = isoloir(capsys, "tally", "combine", "--record", str(record))
    assert code == 1
    assert "3 trustees' valid partial decryptions are needed, 2 available" in err
    assert not (record / "results.json").exists()


def test_tally_combine_writes_the_same_results(
    built: Path, record: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("results.json", "results.pdf"):
        (record / name).unlink()
    code, out, _ = isoloir(capsys, "tally", "combine", "--record", str(record))
    assert code == 0, out
    assert (record / "results.json").read_bytes() == (built / "results.json").read_bytes()
    assert (record / "results.pdf").read_bytes().startswith(b"%PDF")
    code, _, err = isoloir(capsys, "tally", "combine", "--record", str(record))
    assert code == 1
    assert "exists already" in err


def remove_results(record: Path) -> None:
    for name in ("results.json", "results.pdf"):
        (record / name).unlink()


def test_tally_combine_needs_the_board_head(
    record: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """§15.3: combine refuses an aggregate it cannot bind to the board's head."""
    remove_results(record)
    (record / "board-head.json").unlink()
    code, _, err = isoloir(capsys, "tally", "combine", "--record", str(record))
    assert code == 1
    assert "board-head.json: missing; combine decrypts only an aggregate bound to" in err
    assert not (record / "results.json").exists()


def test_tally_combine_refuses_a_partial_not_named_after_its_trustee(
    record: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The verifier's rule, in the verifier's words: such a record would not verify."""
    remove_results(record)
    path = sorted((record / "partials").iterdir())[0]
    renamed = path.with_name(f"partial-{path.name}")
    path.rename(renamed)
    expected = f"partials/{renamed.name} ({path.stem}): the file is not named after its trustee"
    code, _, err = isoloir(capsys, "tally", "combine", "--record", str(record))
    assert code == 1
    assert expected in err
    assert not (record / "results.json").exists()
    assert expected in verify_record(record).check("partial-decryptions").detail


def test_tally_combine_moves_a_forged_partial_aside_and_the_record_verifies(
    built: Path, record: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fourth file, copied from a real trustee's and relabelled as another trustee's: its
    proofs fail, combine sets it aside and moves it out of partials/, so the record verifies."""
    remove_results(record)
    key = package_io.load(record / "package").manifest.election_key
    assert key is not None
    used = {p.stem for p in (record / "partials").iterdir()}
    index, absent = next(
        (i, t.trustee_id) for i, t in enumerate(key.trustees, start=1) if t.trustee_id not in used
    )
    forged = json.loads(sorted((record / "partials").iterdir())[0].read_bytes())
    forged.update(trustee_id=absent, index=index)
    (record / "partials" / f"{absent}.json").write_bytes(canonical_json(forged))
    assert "partial-decryptions" in failed(record)

    code, out, err = isoloir(capsys, "tally", "combine", "--record", str(record))
    assert code == 0, err
    assert f"  set aside: {absent}: invalid proof (scrutin" in out
    assert f"moved to partials-rejected/{absent}.json" in out
    assert not (record / "partials" / f"{absent}.json").exists()
    assert (record / "partials-rejected" / f"{absent}.json").read_bytes() == canonical_json(forged)
    assert (record / "results.json").read_bytes() == (built / "results.json").read_bytes()
    report = verify_record(record)
    assert report.passed, report.lines()
    detail = report.check("partial-decryptions").detail
    assert "1 file(s) in partials-rejected/, set aside by the tally, not checked" in detail


def test_tally_combine_takes_no_method(record: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The seat method is the signed package's: nobody picks it once the counts are known."""
    for name in ("results.json", "results.pdf"):
        (record / name).unlink()
    with pytest.raises(SystemExit) as exit_info:
        main(["tally", "combine", "--record", str(record), "--method", "largest_remainder"])
    assert exit_info.value.code == 2
    assert "unrecognized arguments: --method" in capsys.readouterr().err
    assert not (record / "results.json").exists()


def test_demo_record_writes_its_method_into_the_signed_package(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "record"
    code, _, err = isoloir(
        capsys, "tally", "demo-record", str(out), "--ballots", "12", "--method", "largest_remainder"
    )
    assert code == 0, err
    assert package_io.load(out / "package").manifest.seat_method is SeatMethod.LARGEST_REMAINDER
    assert json.loads((out / "results.json").read_bytes())["method"] == "largest_remainder"
    assert verify_record(out).passed


def test_the_parallel_scan_finds_what_one_process_finds(record: Path) -> None:
    sealed = tally.load_sealed_package(record / "package")
    lines = read_lines(record)
    mutate_ballot(lines[7], lambda b: flip(b, ballot_offsets(b)[1]))
    write_lines(record, lines, rechain=True)
    entries, _ = tally.load_board(record / "board.jsonl", record / "board-head.json")
    setup = ScanSetup.of(sealed)
    one, two = scan(setup, entries, workers=1), scan(setup, entries, workers=2)
    assert one == two
    assert one.bad_proofs == [(8, "invalid-proof")]


def test_tracking_code_receipt_and_challenge_commands(
    record: Path, demo_record: DemoRecord, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sealed = package_io.load(record / "package")
    entry = board_io.parse_board((record / "board.jsonl").read_bytes())[4]
    typed = entry.tracking_code.lower().replace("-", " ")
    code, out, _ = isoloir(capsys, "verify", "tracking-code", str(record), typed)
    assert code == 0
    assert f"seq {entry.seq}" in out

    receipt = Receipt(
        sealed.fingerprint, entry.scrutin_id, entry.tracking_code, entry.kiosk_id,
        entry.kiosk_signature,
    )  # fmt: skip
    payload = tmp_path / "receipt.txt"
    payload.write_bytes(encode_receipt(receipt))
    code, out, _ = isoloir(capsys, "verify", "receipt", str(record), str(payload))
    assert code == 0, out
    other = KioskId("kiosk-02" if entry.kiosk_id == "kiosk-01" else "kiosk-01")
    payload.write_bytes(encode_receipt(replace(receipt, kiosk_id=other)))
    code, out, _ = isoloir(capsys, "verify", "receipt", str(record), str(payload))
    assert code == 1
    assert "FAIL  kiosk-signature" in out

    scrutin = sealed.manifest.scrutins[1]
    opened = challenge(seal(election_context(sealed), scrutin, scrutin.options[2]))
    kiosk_id = KioskId("kiosk-01")
    slip = slip_of(
        opened, sealed.fingerprint, kiosk_id=kiosk_id, kiosk_key=demo_record.kiosk_keys[kiosk_id]
    )
    slip_file = tmp_path / "slip.txt"
    slip_file.write_bytes(base64.b64encode(slip.to_json()))
    code, out, _ = isoloir(capsys, "verify", "challenge", str(slip_file), "--record", str(record))
    assert code == 0, out
    assert scrutin.lists[2].name in out
    assert "PASS  not-cast" in out
    lie = json.loads(slip.to_json())
    lie["choice"] = scrutin.options[0]
    slip_file.write_bytes(canonical_json(lie))
    code, out, _ = isoloir(capsys, "verify", "challenge", str(slip_file), "--package",
                           str(record / "package"))  # fmt: skip
    assert code == 1
    assert "FAIL  opening" in out
    assert encode_ballot(opened.ballot) == base64.b64decode(lie["ballot"])


def test_demo_record_command_refuses_an_existing_folder_and_too_many_ballots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = isoloir(capsys, "tally", "demo-record", str(tmp_path), "--ballots", "3")
    assert code == 1
    assert "exists already" in err
    code, _, err = isoloir(
        capsys, "tally", "demo-record", str(tmp_path / "r"), "--ballots", "30", "--voters", "5"
    )
    assert code == 1
    assert "need more voters" in err
    assert not (tmp_path / "r").exists()


def test_a_record_layout_names_every_file(built: Path) -> None:
    layout = RecordLayout(built)
    for path in (layout.package, layout.board, layout.board_head, layout.aggregate,
                 layout.results_json, layout.results_pdf):  # fmt: skip
        assert path.exists(), path
    assert len(layout.partial_files()) == 3
    assert isinstance(verify_record(built), Report)
