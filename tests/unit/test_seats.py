"""Seat allocation: worked examples computed by hand, and properties of both methods."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.election.model import SeatMethod
from kiosk.tally.seats import Tie, allocate

HA = SeatMethod.HIGHEST_AVERAGE
LR = SeatMethod.LARGEST_REMAINDER


# ---- worked examples ----------------------------------------------------------------------------


def test_municipal_example_quotient_then_highest_average() -> None:
    # The proportional part of a French municipal count (16 seats, 5,577 votes), worked in the
    # press at the time: quotient 5577 / 16 = 348.5625.
    #   1515 / 348.5625 = 4.35 -> 4;  1188 / 348.5625 = 3.41 -> 3;  2874 / 348.5625 = 8.25 -> 8
    # 15 seats by quotient, 1 left. Averages votes / (seats + 1):
    #   1515 / 5 = 303;  1188 / 4 = 297;  2874 / 9 = 319.3  -> the third list.
    result = allocate([1515, 1188, 2874], 16, HA)
    assert result.by_quotient == (4, 3, 8)
    assert result.seats == (4, 3, 9)
    assert result.by_remainder_stage == (0, 0, 1)
    assert result.ties == ()


def test_municipal_example_largest_remainder_gives_the_seat_elsewhere() -> None:
    # Same counts; remainders votes - seats * 348.5625:
    #   1515 - 1394.25 = 120.75;  1188 - 1045.6875 = 142.3125;  2874 - 2788.5 = 85.5
    # -> the second list takes the last seat (the press noted this too).
    assert allocate([1515, 1188, 2874], 16, LR).seats == (4, 4, 8)


def test_textbook_dhondt_example() -> None:
    # The classic d'Hondt illustration: 8 seats, 100,000 / 80,000 / 30,000 / 20,000 votes.
    # Quotient 230,000 / 8 = 28,750: 3 (3.48), 2 (2.78), 1 (1.04), 0 (0.70) -> 6, 2 left.
    # Averages: 100000/4 = 25000, 80000/3 = 26667, 30000/2 = 15000, 20000/1 = 20000 -> B.
    # Then 25000, 80000/4 = 20000, 15000, 20000 -> A.  Result 4, 3, 1, 0.
    assert allocate([100_000, 80_000, 30_000, 20_000], 8, HA).seats == (4, 3, 1, 0)
    # Largest remainder: remainders 13,750, 22,500, 1,250, 20,000 -> B and D: 3, 3, 1, 1.
    assert allocate([100_000, 80_000, 30_000, 20_000], 8, LR).seats == (3, 3, 1, 1)


def test_textbook_largest_remainder_example() -> None:
    # The classic Hare illustration: 10 seats, 100,000 votes, quotient 10,000.
    # Floors 4, 1, 1, 1, 0, 0 (7 seats); remainders 7000, 6000, 5800, 2000, 6100, 3100
    # -> A, E, B take the 3 left: 5, 2, 1, 1, 1, 0.
    votes = [47_000, 16_000, 15_800, 12_000, 6_100, 3_100]
    assert allocate(votes, 10, LR).seats == (5, 2, 1, 1, 1, 0)
    # Highest average on the same votes (the d'Hondt table, top 10 of votes / k):
    #   A 47000 23500 15667 11750 9400 | B 16000 8000 | C 15800 7900 | D 12000
    # -> 5, 2, 2, 1, 0, 0 (the next, A's 7833, misses).
    assert allocate(votes, 10, HA).seats == (5, 2, 2, 1, 0, 0)


def test_public_service_example_blank_votes_do_not_count() -> None:
    # A CSA of 15 seats: 1520, 980, 610, 390 votes for the lists and 200 blank (not passed in:
    # blank votes are not suffrages exprimés). Quotient 3500 / 15 = 233.33.
    #   6.51 -> 6;  4.2 -> 4;  2.61 -> 2;  1.67 -> 1   (13 seats, 2 left)
    # Averages: 1520/7 = 217.1, 980/5 = 196, 610/3 = 203.3, 390/2 = 195 -> A;
    # then 1520/8 = 190 -> C (203.3).  Result 7, 4, 3, 1.
    result = allocate([1520, 980, 610, 390], 15, HA)
    assert (result.valid, result.by_quotient, result.seats) == (3500, (6, 4, 2, 1), (7, 4, 3, 1))
    # Largest remainder, remainders scaled by 15 (votes * 15 mod 3500): 1800, 700, 2150, 2350
    # -> D and C: 6, 4, 3, 2.
    assert allocate([1520, 980, 610, 390], 15, LR).seats == (6, 4, 3, 2)


def test_equal_average_goes_to_the_list_with_more_votes() -> None:
    # 2 seats, quotient 225: A 300 -> 1, B 150 -> 0. Averages 300/2 = 150 and 150/1 = 150:
    # level, A has more votes and takes the seat. The rule decides: no tie to report.
    result = allocate([150, 300], 2, HA)
    assert result.seats == (0, 2)
    assert result.ties == ()


def test_equal_average_and_votes_goes_by_ballot_order_and_is_reported() -> None:
    result = allocate([50, 50], 1, HA)
    assert result.seats == (1, 0)
    assert result.ties == (Tie((0, 1), 1),)
    assert result.ties[0].winners == (0,)


def test_a_level_pair_with_enough_seats_is_no_tie() -> None:
    result = allocate([50, 50, 10], 2, HA)
    assert result.seats == (1, 1, 0)
    assert result.ties == ()


def test_largest_remainder_tie_across_the_cut_is_reported() -> None:
    # 3 seats, 3 lists of 40 and one of 30, quotient 50: no quotient seat; remainders
    # 40, 40, 40, 30: three lists level for three seats -> no tie.
    assert allocate([40, 40, 40, 30], 3, LR).ties == ()
    # 2 seats, quotient 75: remainders 40, 40, 40, 30 -> three level lists for 2 seats.
    result = allocate([40, 40, 40, 30], 2, LR)
    assert result.seats == (1, 1, 0, 0)
    assert result.ties == (Tie((0, 1, 2), 2),)


def test_no_valid_votes_allocates_nothing() -> None:
    result = allocate([0, 0, 0], 5, HA)
    assert not result.allocated
    assert result.seats == (0, 0, 0)
    assert result.seat_count == 5


def test_zero_vote_lists_never_win() -> None:
    assert allocate([0, 7, 0], 4, HA).seats == (0, 4, 0)
    assert allocate([0, 7, 0], 4, LR).seats == (0, 4, 0)


@pytest.mark.parametrize(
    ("votes", "seats", "message"),
    [([1, 2], 0, "at least 1"), ([], 3, "at least one list"), ([1, -1], 3, "negative")],
)
def test_bad_input_is_refused(votes: list[int], seats: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        allocate(votes, seats, HA)


# ---- properties ---------------------------------------------------------------------------------

votes_lists = st.lists(st.integers(0, 5_000), min_size=1, max_size=15)
seat_counts = st.integers(1, 40)
methods = st.sampled_from(list(SeatMethod))


@given(votes_lists, seat_counts, methods)
def test_seats_sum_to_the_seats_to_fill(votes: list[int], seats: int, method: SeatMethod) -> None:
    result = allocate(votes, seats, method)
    assert sum(result.seats) == (seats if sum(votes) > 0 else 0)
    assert all(s >= 0 for s in result.seats)


@given(votes_lists, seat_counts, methods)
def test_every_list_gets_at_least_its_quota_floor(
    votes: list[int], seats: int, method: SeatMethod
) -> None:
    valid = sum(votes)
    result = allocate(votes, seats, method)
    for v, s, first in zip(votes, result.seats, result.by_quotient, strict=True):
        quota = Fraction(v * seats, valid) if valid else Fraction(0)
        assert first == int(quota)  # votes / quotient, rounded down
        assert s >= first
        if method is LR:
            assert s <= first + 1  # largest remainder never exceeds the upper quota


@given(votes_lists, seat_counts, methods)
def test_more_votes_never_means_fewer_seats(
    votes: list[int], seats: int, method: SeatMethod
) -> None:
    result = allocate(votes, seats, method)
    for i, vi in enumerate(votes):
        for j, vj in enumerate(votes):
            if vi > vj:
                assert result.seats[i] >= result.seats[j]
            if vi == vj:
                assert abs(result.seats[i] - result.seats[j]) <= 1
        if vi == 0:
            assert result.seats[i] == 0


def _dhondt_table(votes: list[int], seats: int) -> list[int] | None:
    """Independent d'Hondt: the ``seats`` largest of votes / k; None when the cut is a tie."""
    entries = sorted(
        ((Fraction(v, k), i) for i, v in enumerate(votes) if v for k in range(1, seats + 1)),
        reverse=True,
    )
    if len(entries) > seats and entries[seats - 1][0] == entries[seats][0]:
        return None
    won = [0] * len(votes)
    for _, i in entries[:seats]:
        won[i] += 1
    return won


@given(votes_lists, seat_counts)
def test_quotient_then_highest_average_is_dhondt(votes: list[int], seats: int) -> None:
    expected = _dhondt_table(votes, seats)
    result = allocate(votes, seats, HA)
    if expected is not None and sum(votes) > 0:
        assert list(result.seats) == expected
        assert result.ties == ()


@given(votes_lists, seat_counts, methods)
def test_reported_ties_are_real(votes: list[int], seats: int, method: SeatMethod) -> None:
    result = allocate(votes, seats, method)
    for tie in result.ties:
        assert len(tie.lists) > tie.seats >= 1
        assert len({votes[i] for i in tie.lists}) == 1
        # Moving the seat to a losing tied list gives another allocation as valid as this one.
        loser = tie.lists[tie.seats]
        assert result.seats[tie.winners[-1]] == result.seats[loser] + 1


@given(st.lists(st.integers(1, 5_000), min_size=2, max_size=10, unique=True), seat_counts, methods)
def test_order_of_lists_does_not_matter_without_level_lists(
    votes: list[int], seats: int, method: SeatMethod
) -> None:
    # With distinct vote counts, ballot order never decides, so reversing it reverses the seats.
    result = allocate(votes, seats, method)
    assert allocate(votes[::-1], seats, method).seats == result.seats[::-1]
