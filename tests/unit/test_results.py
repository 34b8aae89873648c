"""Election results: computing them from counts, and their strict canonical JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.election.model import ElectionPackage, Manifest, ScrutinId
from kiosk.encoding import canonical_json, strict_json_loads
from kiosk.tally import (
    ElectionResults,
    ResultsError,
    SeatMethod,
    compute_results,
    eligible_from_roll,
    results_from_json,
    results_to_json,
)
from tests.factories import small_package

CAPN, CAP = ScrutinId("capn"), ScrutinId("cap")  # 3 lists and 2 lists, 5 seats each


@pytest.fixture(scope="module")
def election() -> ElectionPackage:
    return small_package()


@pytest.fixture(scope="module")
def manifest(election: ElectionPackage) -> Manifest:
    return election.manifest


def results(
    manifest: Manifest,
    capn: list[int] | None = None,
    cap: list[int] | None = None,
    *,
    eligible: int = 100,
    method: SeatMethod = SeatMethod.HIGHEST_AVERAGE,
) -> ElectionResults:
    """Results under ``manifest`` with its ``seat_method`` set to ``method``."""
    return compute_results(
        replace(manifest, seat_method=method),
        {CAPN: capn or [10, 5, 3, 2], CAP: cap or [4, 4, 1]},
        {CAPN: eligible, CAP: eligible},
        fingerprint="ABCD-EFGH-IJKL-MNOP",
    )


# ---- computing ----------------------------------------------------------------------------------


def test_figures_of_a_scrutin(manifest: Manifest) -> None:
    result = results(manifest, eligible=40).scrutin(CAPN)
    assert result.options == ("l0", "l1", "l2", "blank")
    assert result.list_votes == (10, 5, 3)
    assert (result.cast, result.blank, result.valid) == (20, 2, 18)
    assert result.turnout == Fraction(1, 2)
    assert result.quotient == Fraction(18, 5)
    # 18 / 5 = 3.6: quotient seats 2, 1, 0; averages 10/3, 5/2, 3/1 -> l0, then 2.5, 2.5, 3 -> l2
    assert result.seats == (3, 1, 1)
    assert [(row.entry.name, row.votes, row.seats) for row in result.rows] == [
        ("Liste 0", 10, 3),
        ("Liste 1", 5, 1),
        ("Liste 2", 3, 1),
    ]
    assert result.method is SeatMethod.HIGHEST_AVERAGE


def test_blank_votes_do_not_change_the_quotient(manifest: Manifest) -> None:
    few = results(manifest, [10, 5, 3, 0]).scrutin(CAPN)
    many = results(manifest, [10, 5, 3, 60]).scrutin(CAPN)
    assert few.quotient == many.quotient
    assert few.seats == many.seats
    assert many.cast == 78


def test_seats_follow_the_manifests_method(manifest: Manifest) -> None:
    counts = {CAPN: [40, 10, 8, 0], CAP: [4, 4, 1]}
    eligible = {CAPN: 100, CAP: 100}
    assert manifest.seat_method is SeatMethod.HIGHEST_AVERAGE
    by_average = compute_results(manifest, counts, eligible, fingerprint="F")
    assert by_average.method is SeatMethod.HIGHEST_AVERAGE
    assert by_average.scrutin(CAPN).seats == (4, 1, 0)
    by_remainder = compute_results(
        replace(manifest, seat_method=SeatMethod.LARGEST_REMAINDER),
        counts,
        eligible,
        fingerprint="F",
    )
    assert by_remainder.method is SeatMethod.LARGEST_REMAINDER
    assert by_remainder.scrutin(CAPN).seats == (3, 1, 1)


def test_largest_remainder_is_carried_through(manifest: Manifest) -> None:
    election = results(manifest, [10, 5, 3, 0], method=SeatMethod.LARGEST_REMAINDER)
    assert election.method is SeatMethod.LARGEST_REMAINDER
    # Remainders (x5 - 18 * quota seats): 50-36=14, 25-18=7, 15-0=15 -> l2 then l0: 3, 1, 1
    assert election.scrutin(CAPN).seats == (3, 1, 1)
    assert election.scrutin(CAPN).method is SeatMethod.LARGEST_REMAINDER


def test_only_blank_votes_allocates_no_seat(manifest: Manifest) -> None:
    # The list votes are [0, 0, 0]: `capn or default` would replace an all-zero list, so pass it.
    election = compute_results(
        manifest,
        {CAPN: [0, 0, 0, 7], CAP: [0, 0, 0]},
        {CAPN: 10, CAP: 0},
        fingerprint="F",
    )
    capn, cap = election.scrutin(CAPN), election.scrutin(CAP)
    assert not capn.allocation.allocated
    assert capn.seats == (0, 0, 0)
    assert capn.quotient is None
    assert cap.turnout is None  # nobody eligible: no participation rate
    data = json.loads(results_to_json(election))
    assert data["scrutins"][0]["allocated"] is False
    assert data["scrutins"][0]["quotient"] is None
    assert data["scrutins"][1]["participation"] is None
    assert results_from_json(results_to_json(election)) == election


@pytest.mark.parametrize(
    ("counts", "eligible", "message"),
    [
        ({CAPN: [1, 2, 3], CAP: [1, 1, 1]}, {CAPN: 9, CAP: 9}, "3 counts for 4 options"),
        ({CAPN: [1, 2, 3, 4, 5], CAP: [1, 1, 1]}, {CAPN: 99, CAP: 9}, "5 counts for 4 options"),
        ({CAPN: [1, -2, 3, 4], CAP: [1, 1, 1]}, {CAPN: 9, CAP: 9}, "negative"),
        ({CAPN: [1, 2, 3, 4], CAP: [1, 1, 1]}, {CAPN: 9, CAP: 9}, "10 ballots counted but only 9"),
        ({CAPN: [1, 2, 3, 4], CAP: [1, 1, 1]}, {CAPN: -1, CAP: 9}, "eligible voters is negative"),
        ({CAPN: [1, 2, 3, 4]}, {CAPN: 99, CAP: 9}, "no counts for scrutin 'cap'"),
        ({CAPN: [1, 2, 3, 4], CAP: [1, 1, 1]}, {CAPN: 99}, "no number of eligible voters"),
        (
            {CAPN: [1, 2, 3, 4], CAP: [1, 1, 1], ScrutinId("x"): [1]},
            {CAPN: 99, CAP: 9},
            "counts: unknown scrutin 'x'",
        ),
        ({CAPN: [1, 2, 3.0, 4], CAP: [1, 1, 1]}, {CAPN: 99, CAP: 9}, "must be integers"),
    ],
)
def test_bad_counts_are_refused(
    manifest: Manifest, counts: Any, eligible: Any, message: str
) -> None:
    with pytest.raises(ResultsError, match=message):
        compute_results(manifest, counts, eligible, fingerprint="F")


def test_eligible_voters_come_from_the_roll(election: ElectionPackage) -> None:
    assert eligible_from_roll(election.manifest, election.roll) == {CAPN: 3, CAP: 3}
    fewer = [replace(election.roll[0], scrutins=(CAP,)), *election.roll[1:]]
    assert eligible_from_roll(election.manifest, fewer) == {CAPN: 2, CAP: 3}


# ---- JSON ---------------------------------------------------------------------------------------


def test_json_round_trip_is_canonical_and_has_no_floats(manifest: Manifest) -> None:
    election = results(manifest, eligible=30)
    data = results_to_json(election)
    assert canonical_json(strict_json_loads(data, "t")) == data  # also refuses any float
    assert results_from_json(data) == election
    parsed = json.loads(data)
    assert parsed["schema"] == "isoloir.results/1"
    assert parsed["method"] == "highest_average"
    capn = parsed["scrutins"][0]
    assert capn["participation"] == {"numerator": 20, "denominator": 30}
    assert capn["quotient"] == {"numerator": 18, "denominator": 5}
    assert capn["blank"] == {"label": "Vote blanc", "votes": 2}
    assert [entry["seats"] for entry in capn["lists"]] == [3, 1, 1]


def test_a_tie_is_recorded_in_the_json(manifest: Manifest) -> None:
    # cap: 4 and 4 votes for 5 seats: 2 + 2 by quotient, the last seat level on every count.
    data = json.loads(results_to_json(results(manifest)))
    assert data["scrutins"][1]["ties"] == [{"lists": ["l0", "l1"], "seats": 1}]


def _integer_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield path
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from _integer_paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _integer_paths(child, (*path, index))


def _mutated(data: bytes, path: tuple[Any, ...], change: Any) -> bytes:
    value = json.loads(data)
    target = value
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = change(target[path[-1]])
    return canonical_json(value)


def test_changing_any_number_is_caught(manifest: Manifest) -> None:
    data = results_to_json(results(manifest, eligible=30))
    paths = list(_integer_paths(json.loads(data)))
    assert len(paths) > 30
    for path in paths:
        with pytest.raises(ResultsError):
            results_from_json(_mutated(data, path, lambda n: n + 1))


@pytest.mark.parametrize(
    ("path", "change", "message"),
    [
        (("scrutins", 0, "lists", 0, "seats"), lambda n: n - 1, r"lists\[0\].seats: states 2"),
        (("scrutins", 0, "cast"), lambda n: n + 1, r"scrutins\[0\].cast: states 21"),
        (("scrutins", 0, "allocated"), lambda b: not b, "allocated"),
        (("scrutins", 1, "ties"), lambda t: [], "ties"),
        (("scrutins", 0, "participation"), lambda p: None, "participation"),
        (("scrutins", 0, "seats"), lambda n: True, r"seats: expected an integer"),
        (("scrutins", 0, "lists", 0, "votes"), lambda n: -1, "expected an integer"),
        (("scrutins", 0, "lists", 1, "id"), lambda i: "l0", "unique"),
        (("scrutins", 0, "lists", 1, "id"), lambda i: "blank", "unique"),
        (("scrutins", 1, "id"), lambda i: "capn", "appears twice"),
        (("scrutins", 0, "blank", "votes"), lambda n: 100, "ballots counted but only 30"),
        (("scrutins", 0, "lists"), lambda lists: [], "at least one list"),
        (("scrutins", 0, "lists"), lambda lists: lists[:2], "participation|cast"),
        (("method",), lambda m: "sainte_lague", "unknown method"),
        (("schema",), lambda s: "isoloir.results/2", "schema"),
        (("fingerprint",), lambda f: "", "non-empty string"),
        (("scrutins", 0, "title"), lambda t: "a\nb", "control characters"),
        (("scrutins",), lambda s: {}, "expected an array"),
    ],
)
def test_a_doctored_file_is_refused_naming_the_field(
    manifest: Manifest, path: tuple[Any, ...], change: Any, message: str
) -> None:
    data = results_to_json(results(manifest, eligible=30))
    with pytest.raises(ResultsError, match=message):
        results_from_json(_mutated(data, path, change))


def test_method_change_is_caught_by_the_seats(manifest: Manifest) -> None:
    # 5 seats, quotient 58 / 5 = 11.6, 3 + 0 + 0 by quotient. Highest average: 40/4 = 10 and
    # 10/1 level, 40 has more votes; then 10/1 -> 4, 1, 0. Largest remainder: 5.2, 10, 8 -> 3, 1, 1.
    election = results(manifest, [40, 10, 8, 0])
    assert election.scrutin(CAPN).seats == (4, 1, 0)
    data = results_to_json(election)
    with pytest.raises(ResultsError, match="seats"):
        results_from_json(_mutated(data, ("method",), lambda m: "largest_remainder"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"a":1,"a":2}', "duplicate key"),
        (b'{"a":1.5}', "non-integer"),
        (b"\xff", "UTF-8"),
        (b"[]", "expected an object"),
        (b'{"schema":"isoloir.results/1"}', "missing"),
    ],
)
def test_malformed_json_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(ResultsError, match=message):
        results_from_json(data)


def test_unknown_fields_and_non_canonical_files_are_refused(manifest: Manifest) -> None:
    data = results_to_json(results(manifest))
    value = json.loads(data)
    with pytest.raises(ResultsError, match="not in canonical form"):
        results_from_json(json.dumps(value, indent=2).encode())
    value["scrutins"][0]["lists"][0]["logo"] = "x.png"
    with pytest.raises(ResultsError, match=r"lists\[0\].logo: unknown field"):
        results_from_json(canonical_json(value))


@given(
    capn=st.lists(st.integers(0, 400), min_size=4, max_size=4),
    cap=st.lists(st.integers(0, 400), min_size=3, max_size=3),
    spare=st.integers(0, 50),
    method=st.sampled_from(list(SeatMethod)),
)
def test_any_counts_round_trip(
    manifest: Manifest, capn: list[int], cap: list[int], spare: int, method: SeatMethod
) -> None:
    election = compute_results(
        replace(manifest, seat_method=method),
        {CAPN: capn, CAP: cap},
        {CAPN: sum(capn) + spare, CAP: sum(cap) + spare},
        fingerprint="F",
    )
    assert results_from_json(results_to_json(election)) == election
    for scrutin in election.scrutins:
        assert scrutin.valid + scrutin.blank == scrutin.cast
        assert sum(scrutin.seats) == (scrutin.seat_count if scrutin.valid else 0)
