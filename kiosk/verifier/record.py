"""``verify_record``: re-check a published election record from its files alone (§15.4).

Each check below proves one thing and is reported on its own line, in this order; a check whose
input is unusable (say, no sealed package) fails with "not checked" and the reason, so that a
broken record never passes by omission.

    package              the manifest's signature by the organizer key it names; every asset's
                         SHA-256 (``package.load``)
    package-sealed       the election key is there, H = Σ C_i,0, every X_l derives from the
                         commitments, and the base hash (§4) is computed from the package
    board-entries        every line of board.jsonl is a strict entry and its ballot decodes for
                         its scrutin (§9, §15.2)
    board-chain          seq 1..n, each prev_hash links to the previous entry (the first to the
                         genesis of this election), each hash is the entry's, and board-head.json
                         names exactly this board (election, count, head)
    tracking-codes       each tracking code is the hash of its ballot (§9)
    tracker-uniqueness   no tracking code appears twice
    kiosk-signatures     each entry is signed by a kiosk the manifest lists (§12)
    ballot-proofs        every 0/1 proof and sum proof verifies (§7, §8)
    aggregate            aggregate.json is canonical, names this board (count and head), and
                         holds, per scrutin, its ballot count and the product of its ballots'
                         ciphertexts, option by option (§14.1)
    partial-decryptions  every partials/*.json names its trustee, this election and this
                         aggregate, and every proof verifies against X_l from the commitments
                         (partials-rejected/, what ``tally combine`` set aside, is only counted)
    combination          k valid trustees' shares combine (Lagrange) into counts, each at most
                         the scrutin's ballots and summing to them, equal to results.json's
    results              results.json is canonical and is exactly what those counts give with
                         the manifest (titles, lists, seats) and the roll's eligible voters:
                         totals, turnout, quotient, seats; results.pdf is present

Nothing here imports the kiosk store, the sync or the server code (a test enforces it): a
record is checked from public data alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.crypto import group, threshold
from kiosk.crypto.group import Element, GroupError
from kiosk.election import package as package_io
from kiosk.election.model import ElectionPackage, ScrutinId
from kiosk.encoding import EncodingError, JsonValue, strict_json_loads
from kiosk.record import board as board_io
from kiosk.record.board import BoardEntry, BoardError, BoardHead
from kiosk.record.layout import (
    MAX_BOARD_BYTES,
    MISNAMED_PARTIAL,
    RecordError,
    RecordLayout,
    read_file,
)
from kiosk.record.scan import BoardScan, ScanSetup, name_seqs, scan
from kiosk.tally.results import (
    ElectionResults,
    ResultsError,
    compute_results,
    eligible_from_roll,
    results_from_json,
    results_to_json,
)
from kiosk.trustee import decryption
from kiosk.trustee.decryption import DecryptionError, PartialDecryptions, TallyAggregate
from kiosk.verifier.report import Check, Report

CHECKS: tuple[tuple[str, str], ...] = (
    ("package", "package signature and asset hashes"),
    ("package-sealed", "election key and base hash"),
    ("board-entries", "every board entry parses"),
    ("board-chain", "board hash chain and head"),
    ("tracking-codes", "tracking code = hash of the ballot"),
    ("tracker-uniqueness", "no tracking code twice"),
    ("kiosk-signatures", "every entry signed by a listed kiosk"),
    ("ballot-proofs", "every ballot proof"),
    ("aggregate", "aggregate = product of the board's ballots"),
    ("partial-decryptions", "every partial decryption proof"),
    ("combination", "k partial decryptions give the counts"),
    ("results", "results follow from the counts"),
)


class _Fail(Exception):
    """A check's verdict: failed, for the reason given."""


@dataclass
class _State:
    """What the checks learn, for the checks after them."""

    layout: RecordLayout
    workers: int | None
    package: ElectionPackage | None = None
    setup: ScanSetup | None = None
    public_shares: dict[int, Element] = field(default_factory=dict)
    entries: list[BoardEntry] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)  # first problems, by line
    unparsed_count: int = 0
    head: BoardHead | None = None
    chain_ok: bool = False
    scan: BoardScan | None = None
    aggregate: TallyAggregate | None = None
    aggregate_bytes: bytes = b""
    valid_partials: list[PartialDecryptions] = field(default_factory=list)
    counts: dict[ScrutinId, tuple[int, ...]] | None = None
    results: ElectionResults | None = None
    results_bytes: bytes = b""

    def sealed(self) -> tuple[ElectionPackage, ScanSetup]:
        if self.package is None or self.setup is None:
            raise _Fail("not checked: no sealed, signed package (see package, package-sealed)")
        return self.package, self.setup

    def scanned(self) -> BoardScan:
        if self.scan is None:
            raise _Fail("not checked: the board could not be read (see board-entries)")
        return self.scan

    def parsed_aggregate(self) -> TallyAggregate:
        if self.aggregate is None:
            raise _Fail("not checked: aggregate.json does not parse (see aggregate)")
        return self.aggregate


def verify_record(path: Path, *, workers: int | None = None) -> Report:
    """Every check of the record in folder ``path``; ``workers`` processes verify the ballots
    (default: every core when the board is large)."""
    state = _State(RecordLayout(path), workers)
    runners: dict[str, Callable[[_State], str]] = {
        "package": _package,
        "package-sealed": _package_sealed,
        "board-entries": _board_entries,
        "board-chain": _board_chain,
        "tracking-codes": _tracking_codes,
        "tracker-uniqueness": _tracker_uniqueness,
        "kiosk-signatures": _kiosk_signatures,
        "ballot-proofs": _ballot_proofs,
        "aggregate": _aggregate,
        "partial-decryptions": _partial_decryptions,
        "combination": _combination,
        "results": _results,
    }
    checks = []
    for name, title in CHECKS:
        try:
            detail = runners[name](state)
            passed = True
        except _Fail as verdict:
            detail, passed = str(verdict), False
        checks.append(Check(name, title, passed, detail))
    return Report(path, tuple(checks))


# ---- package ---------------------------------------------------------------------------------


def _package(state: _State) -> str:
    if not state.layout.root.is_dir():
        raise _Fail(f"{state.layout.root}: not a record folder")
    try:
        state.package = package_io.load(state.layout.package)
    except package_io.PackageError as exc:
        raise _Fail(f"package refused: {exc}") from None
    manifest = state.package.manifest
    return (
        f"{manifest.election_id}, fingerprint {state.package.fingerprint}, "
        f"{len(manifest.assets)} files match the signed manifest"
    )


def _package_sealed(state: _State) -> str:
    if state.package is None:
        raise _Fail("not checked: the package is refused")
    key = state.package.manifest.election_key
    if key is None:
        raise _Fail("the package is not sealed: no election key")
    try:
        commitments = [tuple(group.element(c) for c in t.commitments) for t in key.trustees]
        if any(len(c) != key.threshold for c in commitments):
            raise _Fail(f"a trustee has not {key.threshold} commitments (the threshold)")
        if threshold.joint_key(commitments) != key.joint_public_key:
            raise _Fail("the joint key is not the sum of the trustees' first commitments")
        shares = {i: threshold.public_share(commitments, i) for i in range(1, len(commitments) + 1)}
    except GroupError:
        raise _Fail("a commitment is not a valid group element") from None
    state.public_shares = shares
    state.setup = ScanSetup.of(state.package)
    return (
        f"{len(key.trustees)} trustees, threshold {key.threshold}, joint key = Σ C_i,0; "
        f"base hash {state.setup.context.base_hash.hex()[:16]}…"
    )


# ---- board -----------------------------------------------------------------------------------


def _board_entries(state: _State) -> str:
    _, setup = state.sealed()
    layout = state.layout
    try:
        state.head = board_io.parse_head(read_file(layout.board_head), layout.board_head.name)
    except (RecordError, BoardError) as exc:
        state.unparsed.append(str(exc))
        state.unparsed_count += 1
    try:
        data = read_file(layout.board, MAX_BOARD_BYTES)
        lines = list(board_io.split_lines(data, layout.board.name))
    except (RecordError, BoardError) as exc:
        state.unparsed.append(str(exc))
        raise _Fail(str(exc)) from None
    for where, line in lines:
        try:
            state.entries.append(board_io.parse_entry(line, where))
        except BoardError as exc:
            state.unparsed_count += 1
            if len(state.unparsed) < 3:
                state.unparsed.append(str(exc))
    state.scan = scan(setup, state.entries, state.workers)
    malformed = state.scan.malformed
    if state.unparsed or malformed:
        problems = [*state.unparsed, *(f"seq {seq}: {why}" for seq, why in malformed[:3])]
        raise _Fail(
            f"{state.unparsed_count + len(malformed)} bad entries or files: " + "; ".join(problems)
        )
    per_scrutin = ", ".join(f"{sid} {n}" for sid, n in sorted(state.scan.ballots.items()))
    return f"{len(state.entries)} entries ({per_scrutin or 'no ballot'})"


def _board_chain(state: _State) -> str:
    package, setup = state.sealed()
    if state.unparsed:
        raise _Fail(f"not checked: {state.unparsed[0]}")
    head = state.head
    assert head is not None  # parsed, or unparsed holds why
    if head.election_id != package.manifest.election_id:
        raise _Fail(f"board-head.json names election {head.election_id!r}")
    try:
        board_io.check_chain(state.entries, setup.context.base_hash, head)
    except BoardError as exc:
        raise _Fail(str(exc)) from None
    state.chain_ok = True
    return f"{head.count} entries linked from the genesis; head {head.head.hex()} matches"


def _tracking_codes(state: _State) -> str:
    wrong = state.scanned().wrong_codes
    if wrong:
        raise _Fail(f"{len(wrong)} code(s) not the hash of their ballot: seq {name_seqs(wrong)}")
    return f"{state.scanned().entries - len(state.scanned().malformed)} codes recomputed"


def _tracker_uniqueness(state: _State) -> str:
    duplicates = state.scanned().duplicates
    if duplicates:
        shown = ", ".join(f"seq {seq} repeats seq {first}" for seq, first in duplicates[:5])
        raise _Fail(f"{len(duplicates)} repeated tracking code(s): {shown}")
    return f"{state.scanned().entries} distinct tracking codes"


def _kiosk_signatures(state: _State) -> str:
    bad = state.scanned().bad_signatures
    if bad:
        shown = "; ".join(f"seq {seq}: {why}" for seq, why in bad[:5])
        raise _Fail(f"{len(bad)} invalid: {shown}")
    package, _ = state.sealed()
    kiosks = {e.kiosk_id for e in state.entries}
    return (
        f"{state.scanned().entries - len(state.scanned().malformed)} signatures by "
        f"{len(kiosks)} of the {len(package.manifest.kiosks)} kiosks listed"
    )


def _ballot_proofs(state: _State) -> str:
    bad = state.scanned().bad_proofs
    if bad:
        raise _Fail(
            f"{len(bad)} ballot(s) with an invalid proof: seq {name_seqs([s for s, _ in bad])}"
        )
    checked = state.scanned().entries - len(state.scanned().malformed)
    return f"{checked} ballots: every 0/1 proof and sum proof verifies"


# ---- tally -----------------------------------------------------------------------------------


def _aggregate(state: _State) -> str:
    package, _ = state.sealed()
    manifest = package.manifest
    try:
        data = read_file(state.layout.aggregate)
        aggregate = decryption.parse_aggregate(data, state.layout.aggregate.name)
    except (RecordError, DecryptionError) as exc:
        raise _Fail(str(exc)) from None
    state.aggregate, state.aggregate_bytes = aggregate, data
    if aggregate.to_json() != data:
        raise _Fail("aggregate.json is not in canonical form")
    try:
        decryption.check_aggregate(aggregate, manifest)
    except DecryptionError as exc:
        raise _Fail(str(exc)) from None
    if aggregate.board is None:
        raise _Fail("aggregate.json names no bulletin board")
    result = state.scanned()
    if not state.chain_ok or state.head is None:
        raise _Fail("not checked: the board is not a complete chain (see board-chain)")
    if (aggregate.board.count, aggregate.board.head) != (state.head.count, state.head.head):
        raise _Fail(
            f"aggregate.json names a board of {aggregate.board.count} entries with head "
            f"{aggregate.board.head.hex()[:16]}…, not this one ({state.head.count}, "
            f"{state.head.head.hex()[:16]}…)"
        )
    if result.malformed or result.sum_failed:
        raise _Fail("not checked: some ballots do not parse, or the sum reached the identity")
    for s in aggregate.scrutins:
        count = result.ballots.get(s.id, 0)
        if s.ballots != count:
            raise _Fail(f"scrutin {s.id}: {s.ballots} ballots summed, the board holds {count}")
        sums = tuple((ct.alpha, ct.beta) for ct in result.sums.get(s.id, []))
        if s.options != sums:
            wrong = next(i for i, pair in enumerate(s.options) if pair != sums[i])
            raise _Fail(
                f"scrutin {s.id}, option {wrong}: not the product of the board's ciphertexts"
            )
    counts = ", ".join(f"{s.id} {s.ballots}" for s in aggregate.scrutins)
    return f"bound to the head and count; recomputed from every ballot ({counts})"


def _partial_decryptions(state: _State) -> str:
    package, setup = state.sealed()
    aggregate = state.parsed_aggregate()
    key = package.manifest.election_key
    assert key is not None  # sealed() passed
    names = {i: t.trustee_id for i, t in enumerate(key.trustees, start=1)}
    digest = hashlib.sha256(state.aggregate_bytes).digest()
    files = state.layout.partial_files()
    if not files:
        raise _Fail("no partial decryption in partials/")
    problems: list[str] = []
    valid: dict[int, PartialDecryptions] = {}
    for path in files:
        where = f"partials/{path.name}"
        try:
            ps = decryption.parse_partials(read_file(path), where)
        except (RecordError, DecryptionError) as exc:
            problems.append(str(exc))
            continue
        why = _partial_problem(ps, path, names, digest, aggregate, valid, state, setup)
        if why is not None:
            problems.append(f"{where} ({ps.trustee_id}): {why}")
        else:
            valid[ps.index] = ps
    state.valid_partials = [valid[i] for i in sorted(valid)]
    if problems:
        raise _Fail("; ".join(problems[:5]))
    options = sum(len(s.options) for s in aggregate.scrutins)
    who = ", ".join(ps.trustee_id for ps in state.valid_partials)
    detail = f"{len(valid)} trustees ({who}) × {options} options: every proof verifies against X_l"
    aside = len(state.layout.rejected_partial_files())
    if aside:
        detail += f"; {aside} file(s) in partials-rejected/, set aside by the tally, not checked"
    return detail


def _partial_problem(
    ps: PartialDecryptions,
    path: Path,
    names: Mapping[int, str],
    aggregate_digest: bytes,
    aggregate: TallyAggregate,
    valid: dict[int, PartialDecryptions],
    state: _State,
    setup: ScanSetup,
) -> str | None:
    if names.get(ps.index) != ps.trustee_id:
        return f"not trustee #{ps.index} of this election"
    if path.name != state.layout.partial(ps.trustee_id).name:
        return MISNAMED_PARTIAL
    if ps.election_id != aggregate.election_id:
        return f"decrypts election {ps.election_id!r}"
    if ps.aggregate != aggregate_digest:
        return "decrypts another aggregate than aggregate.json"
    if ps.index in valid:
        return "a second file for the same trustee"
    shape = [(s.id, len(s.options)) for s in aggregate.scrutins]
    if [(sid, len(p)) for sid, p in ps.scrutins] != shape:
        return "does not cover the aggregate's scrutins and options"
    public = state.public_shares[ps.index]
    base_hash = setup.context.base_hash
    for s, (_, partials) in zip(aggregate.scrutins, ps.scrutins, strict=True):
        for option, ((a, b), partial) in enumerate(zip(s.options, partials, strict=True)):
            context = threshold.decryption_context(base_hash, s.id, option, a, b)
            if not threshold.verify_partial(partial, public, a, context):
                return f"invalid proof (scrutin {s.id}, option {option})"
    return None


def _combination(state: _State) -> str:
    package, _ = state.sealed()
    aggregate = state.parsed_aggregate()
    try:
        counts = decryption.combine(package, aggregate, state.valid_partials)
    except DecryptionError as exc:
        raise _Fail(str(exc)) from None
    state.counts = dict(counts.counts)
    try:
        state.results_bytes = read_file(state.layout.results_json)
        state.results = results_from_json(state.results_bytes)
    except (RecordError, ResultsError) as exc:
        raise _Fail(f"counts not compared: results.json refused ({exc})") from None
    stated = {r.scrutin_id: r.counts for r in state.results.scrutins}
    for sid, values in counts.counts.items():
        if stated.get(sid) != values:
            raise _Fail(
                f"scrutin {sid}: the trustees' shares give {list(values)}, "
                f"results.json states {list(stated[sid]) if sid in stated else 'nothing'}"
            )
    extra = sorted(set(stated) - set(counts.counts))
    if extra:
        raise _Fail(f"results.json states scrutin {extra[0]!r}, which the aggregate lacks")
    return f"shares of {', '.join(counts.used)} give every count in results.json"


def _results(state: _State) -> str:
    package, _ = state.sealed()
    manifest = package.manifest
    if state.results is None:
        try:
            state.results_bytes = read_file(state.layout.results_json)
            state.results = results_from_json(state.results_bytes)
        except (RecordError, ResultsError) as exc:
            raise _Fail(str(exc)) from None
    stated = state.results
    if stated.method is not manifest.seat_method:
        raise _Fail(
            f"results.json allocates seats by {stated.method.value}, the signed package fixes "
            f"{manifest.seat_method.value}"
        )
    try:
        expected = compute_results(
            manifest,
            {r.scrutin_id: r.counts for r in stated.scrutins},
            eligible_from_roll(manifest, package.roll),
            fingerprint=package.fingerprint,
        )
    except ResultsError as exc:
        raise _Fail(f"results.json: {exc}") from None
    expected_bytes = results_to_json(expected)
    if expected_bytes != state.results_bytes:
        where = _first_difference(_json(expected_bytes), _json(state.results_bytes), "results")
        raise _Fail(f"{where} differs from what the package, the roll and the counts give")
    if not state.layout.results_pdf.is_file():
        raise _Fail("results.pdf is missing")
    cast = sum(r.cast for r in stated.scrutins)
    return (
        f"{len(stated.scrutins)} scrutins, {cast} ballots, seats by {stated.method.value} "
        "(the package's seat_method): totals, turnout and seats recomputed; eligible voters "
        "from the roll"
    )


def _json(data: bytes) -> JsonValue:
    try:
        return strict_json_loads(data, "results")
    except EncodingError:  # results_from_json accepted it: cannot happen
        return None


def _first_difference(expected: JsonValue, stated: JsonValue, path: str) -> str:
    """The path of the first place where two JSON values differ."""
    if isinstance(expected, dict) and isinstance(stated, dict):
        for key in sorted(set(expected) | set(stated)):
            if expected.get(key) != stated.get(key):
                return _first_difference(expected.get(key), stated.get(key), f"{path}.{key}")
    if isinstance(expected, list) and isinstance(stated, list) and len(expected) == len(stated):
        for i, (e, s) in enumerate(zip(expected, stated, strict=True)):
            if e != s:
                return _first_difference(e, s, f"{path}[{i}]")
    return path
