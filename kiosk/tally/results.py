"""Election results: votes per list, blank, turnout and seats, and their JSON (docs/results.md).

``compute_results`` turns decrypted counts into ``ElectionResults``; ``results_to_json`` and
``results_from_json`` are the published form. Parsing recomputes every derived figure (totals,
participation, quotient, seats, ties) from the counts and refuses a file that states another,
so a results file that parses is a results file whose arithmetic is right.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from kiosk.election.model import (
    BLANK_OPTION,
    ElectionId,
    ListId,
    Manifest,
    ScrutinId,
    SeatMethod,
    Voter,
)
from kiosk.encoding import EncodingError, JsonValue, canonical_json, strict_json_loads
from kiosk.jsonfields import Fields
from kiosk.tally.seats import SeatAllocation, Tie, allocate

SCHEMA: Final = "isoloir.results/1"
_MAX_COUNT: Final = 10**12  # far above any electorate; keeps absurd numbers out of the record


class ResultsError(ValueError):
    """Counts that cannot be results, or a results file that breaks the format; the message
    names the scrutin or the field at fault."""


@dataclass(frozen=True)
class ListEntry:
    """A candidate list as the results name it (copied from the manifest)."""

    id: ListId
    name: str
    affiliation: str


@dataclass(frozen=True)
class ListRow:
    """One line of a results table."""

    entry: ListEntry
    votes: int
    seats_by_quotient: int
    seats: int


@dataclass(frozen=True)
class ScrutinResult:
    scrutin_id: ScrutinId
    title: str
    lists: tuple[ListEntry, ...]  # ballot order
    blank_label: str
    counts: tuple[int, ...]  # per option in ballot order: each list, then the blank vote
    eligible: int  # inscrits: voters on the roll for this scrutin
    allocation: SeatAllocation

    def __post_init__(self) -> None:
        if len(self.counts) != len(self.lists) + 1 or len(self.allocation.seats) != len(self.lists):
            raise ValueError(f"scrutin {self.scrutin_id!r}: counts, lists and seats disagree")
        if self.allocation.valid != self.valid:
            raise ValueError(f"scrutin {self.scrutin_id!r}: seats allocated on other counts")

    @property
    def options(self) -> tuple[ListId, ...]:
        return (*(entry.id for entry in self.lists), BLANK_OPTION)

    @property
    def list_votes(self) -> tuple[int, ...]:
        return self.counts[:-1]

    @property
    def blank(self) -> int:
        return self.counts[-1]

    @property
    def cast(self) -> int:
        """Votants: every ballot counted in this scrutin, blank included."""
        return sum(self.counts)

    @property
    def valid(self) -> int:
        """Suffrages valablement exprimés: ballots for a list (a kiosk cannot spoil a ballot,
        so the only ballots not expressed are blank ones)."""
        return self.cast - self.blank

    @property
    def turnout(self) -> Fraction | None:
        """Votants / inscrits; None when nobody was eligible."""
        return Fraction(self.cast, self.eligible) if self.eligible else None

    @property
    def seat_count(self) -> int:
        return self.allocation.seat_count

    @property
    def seats(self) -> tuple[int, ...]:
        return self.allocation.seats

    @property
    def method(self) -> SeatMethod:
        return self.allocation.method

    @property
    def quotient(self) -> Fraction | None:
        """The quotient électoral, valid / seats; None when no vote went to a list."""
        return Fraction(self.valid, self.seat_count) if self.valid else None

    @property
    def rows(self) -> tuple[ListRow, ...]:
        return tuple(
            ListRow(entry, votes, first, seats)
            for entry, votes, first, seats in zip(
                self.lists,
                self.list_votes,
                self.allocation.by_quotient,
                self.allocation.seats,
                strict=True,
            )
        )


@dataclass(frozen=True)
class ElectionResults:
    election_id: ElectionId
    election_title: str
    fingerprint: str  # of the election package, shown so readers can compare it
    method: SeatMethod
    scrutins: tuple[ScrutinResult, ...]

    def __post_init__(self) -> None:
        if any(result.method is not self.method for result in self.scrutins):
            raise ValueError("every scrutin's seats must follow the election's method")

    def scrutin(self, scrutin_id: ScrutinId) -> ScrutinResult:
        for result in self.scrutins:
            if result.scrutin_id == scrutin_id:
                return result
        raise KeyError(scrutin_id)


def compute_results(
    manifest: Manifest,
    counts: Mapping[ScrutinId, Sequence[int]],
    eligible: Mapping[ScrutinId, int],
    *,
    fingerprint: str,
) -> ElectionResults:
    """Results of every scrutin of ``manifest`` from its decrypted per-option ``counts``
    (ballot order: lists, then blank) and its number of ``eligible`` voters. Seats follow the
    manifest's ``seat_method``, signed by the organizer before the polls open: the tally has no
    say in it. ``fingerprint`` is the election package's (``ElectionPackage.fingerprint``),
    carried into the results.

    Raises ``ResultsError`` when a scrutin is missing or unknown, a count list has the wrong
    length, a count is negative, or more ballots were cast than voters were eligible.
    """
    known = {scrutin.id for scrutin in manifest.scrutins}
    for name, mapping in (("counts", counts), ("eligible", eligible)):
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise ResultsError(f"{name}: unknown scrutin {unknown[0]!r}")
    scrutins = []
    for scrutin in manifest.scrutins:
        if scrutin.id not in counts:
            raise ResultsError(f"counts: no counts for scrutin {scrutin.id!r}")
        if scrutin.id not in eligible:
            raise ResultsError(f"eligible: no number of eligible voters for {scrutin.id!r}")
        scrutins.append(
            _scrutin_result(
                scrutin.id,
                scrutin.title,
                tuple(ListEntry(c.id, c.name, c.affiliation) for c in scrutin.lists),
                scrutin.blank_label,
                tuple(counts[scrutin.id]),
                eligible[scrutin.id],
                scrutin.seats,
                manifest.seat_method,
            )
        )
    return ElectionResults(
        manifest.election_id, manifest.title, fingerprint, manifest.seat_method, tuple(scrutins)
    )


def eligible_from_roll(manifest: Manifest, roll: Iterable[Voter]) -> dict[ScrutinId, int]:
    """The number of voters on ``roll`` entitled to vote in each scrutin of ``manifest``."""
    eligible = {scrutin.id: 0 for scrutin in manifest.scrutins}
    for voter in roll:
        for scrutin_id in voter.scrutins:
            if scrutin_id in eligible:
                eligible[scrutin_id] += 1
    return eligible


def _scrutin_result(
    scrutin_id: ScrutinId,
    title: str,
    lists: tuple[ListEntry, ...],
    blank_label: str,
    counts: tuple[int, ...],
    eligible: int,
    seat_count: int,
    method: SeatMethod,
) -> ScrutinResult:
    where = f"scrutin {scrutin_id!r}"
    options = len(lists) + 1
    if len(counts) != options:
        raise ResultsError(
            f"{where}: {len(counts)} counts for {options} options (each list, then blank)"
        )
    if any(isinstance(c, bool) or not isinstance(c, int) for c in counts):
        raise ResultsError(f"{where}: counts must be integers")
    if any(c < 0 for c in counts):
        raise ResultsError(f"{where}: a count is negative")
    if eligible < 0:
        raise ResultsError(f"{where}: the number of eligible voters is negative")
    if sum(counts) > eligible:
        raise ResultsError(
            f"{where}: {sum(counts)} ballots counted but only {eligible} voters eligible"
        )
    if seat_count < 1:
        raise ResultsError(f"{where}: at least one seat must be filled, got {seat_count}")
    allocation = allocate(counts[:-1], seat_count, method)
    return ScrutinResult(scrutin_id, title, lists, blank_label, counts, eligible, allocation)


# ---- JSON ---------------------------------------------------------------------------------------


def results_to_json(results: ElectionResults) -> bytes:
    """Canonical JSON of ``results`` (integers only: fractions as numerator and denominator)."""
    return canonical_json(
        {
            "schema": SCHEMA,
            "election_id": results.election_id,
            "election_title": results.election_title,
            "fingerprint": results.fingerprint,
            "method": results.method.value,
            "scrutins": [_scrutin_to_json(s) for s in results.scrutins],
        }
    )


def _fraction_json(numerator: int, denominator: int) -> JsonValue:
    return {"numerator": numerator, "denominator": denominator}


def _scrutin_to_json(result: ScrutinResult) -> JsonValue:
    return {
        "id": result.scrutin_id,
        "title": result.title,
        "seats": result.seat_count,
        "eligible": result.eligible,
        "cast": result.cast,
        "blank": {"label": result.blank_label, "votes": result.blank},
        "valid": result.valid,
        # Unreduced on purpose: votants / inscrits and exprimés / sièges, as people read them.
        "participation": _fraction_json(result.cast, result.eligible) if result.eligible else None,
        "quotient": _fraction_json(result.valid, result.seat_count) if result.valid else None,
        "allocated": result.allocation.allocated,
        "lists": [
            {
                "id": row.entry.id,
                "name": row.entry.name,
                "affiliation": row.entry.affiliation,
                "votes": row.votes,
                "seats_by_quotient": row.seats_by_quotient,
                "seats": row.seats,
            }
            for row in result.rows
        ],
        "ties": [_tie_to_json(tie, result.lists) for tie in result.allocation.ties],
    }


def _tie_to_json(tie: Tie, lists: tuple[ListEntry, ...]) -> JsonValue:
    return {"lists": [lists[i].id for i in tie.lists], "seats": tie.seats}


def results_from_json(data: bytes) -> ElectionResults:
    """Parse a results file: canonical JSON whose every derived figure matches its counts."""
    try:
        value = strict_json_loads(data, "results")
        canonical = canonical_json(value)
    except EncodingError as exc:
        raise ResultsError(str(exc)) from None
    if canonical != data:
        raise ResultsError("results: not in canonical form (was it edited by hand?)")
    with _reading(value, "results") as r:
        r.constant("schema", SCHEMA)
        method_text = r.text("method")
        try:
            method = SeatMethod(method_text)
        except ValueError:
            raise ResultsError(f"results.method: unknown method {method_text[:40]!r}") from None
        results = ElectionResults(
            election_id=ElectionId(r.text("election_id")),
            election_title=r.text("election_title"),
            fingerprint=r.text("fingerprint"),
            method=method,
            scrutins=tuple(
                _parse_scrutin(item, path, method) for path, item in r.array("scrutins")
            ),
        )
    ids = [s.scrutin_id for s in results.scrutins]
    if len(set(ids)) != len(ids):
        raise ResultsError("results.scrutins: a scrutin id appears twice")
    return results


def _parse_scrutin(value: JsonValue, path: str, method: SeatMethod) -> ScrutinResult:
    with _reading(value, path) as s:
        lists: list[ListEntry] = []
        votes: list[int] = []
        stated_lists: list[tuple[str, int, int]] = []
        for lpath, item in s.array("lists"):
            with _reading(item, lpath) as entry:
                lists.append(
                    ListEntry(
                        ListId(entry.text("id")), entry.text("name"), entry.text("affiliation")
                    )
                )
                votes.append(entry.count("votes"))
                stated_lists.append((lpath, entry.count("seats_by_quotient"), entry.count("seats")))
        if not lists:
            raise ResultsError(f"{path}.lists: a scrutin needs at least one list")
        list_ids = [entry.id for entry in lists]
        if len(set(list_ids)) != len(list_ids) or BLANK_OPTION in list_ids:
            raise ResultsError(f"{path}.lists: list ids must be unique and not {BLANK_OPTION!r}")
        with _reading(s.raw("blank"), f"{path}.blank") as b:
            blank_label = b.text("label")
            blank = b.count("votes")
        scrutin_id, title = ScrutinId(s.text("id")), s.text("title")
        eligible, seat_count = s.count("eligible"), s.count("seats")
        try:
            result = _scrutin_result(
                scrutin_id,
                title,
                tuple(lists),
                blank_label,
                (*votes, blank),
                eligible,
                seat_count,
                method,
            )
        except ResultsError as exc:
            raise ResultsError(f"{path}: {exc}") from None
        # Derived figures: each must be what the counts give.
        _same(f"{path}.cast", s.count("cast"), result.cast)
        _same(f"{path}.valid", s.count("valid"), result.valid)
        _same(f"{path}.allocated", s.raw("allocated"), result.allocation.allocated)
        participation = _fraction_json(result.cast, result.eligible) if result.eligible else None
        _same(f"{path}.participation", s.raw("participation"), participation)
        quotient = _fraction_json(result.valid, result.seat_count) if result.valid else None
        _same(f"{path}.quotient", s.raw("quotient"), quotient)
        for (lpath, first, seats), row in zip(stated_lists, result.rows, strict=True):
            _same(f"{lpath}.seats_by_quotient", first, row.seats_by_quotient)
            _same(f"{lpath}.seats", seats, row.seats)
        ties = [_tie_to_json(tie, result.lists) for tie in result.allocation.ties]
        _same(f"{path}.ties", s.raw("ties"), ties)
        return result


def _same(path: str, stated: JsonValue, computed: JsonValue) -> None:
    # type() too: JSON true must not pass for 1, nor 1 for true.
    if type(stated) is not type(computed) or stated != computed:
        raise ResultsError(f"{path}: states {stated!r} but the counts give {computed!r}")


class _ResultsFields(Fields):
    error = ResultsError

    def count(self, key: str) -> int:
        return self.integer(key, 0, _MAX_COUNT)


_reading = _ResultsFields.reading
