"""Seats among candidate lists by proportional representation, as French public-service
elections allocate them (docs/results.md).

Exact arithmetic: the electoral quotient is the fraction ``valid / seats``, averages are
``Fraction`` values and remainders are scaled to integers, so no rounding ever decides a seat.

1. Quotient stage: each list gets ``floor(votes / quotient)`` seats.
2. Remaining seats, by the method the signed manifest fixes (``Manifest.seat_method``):
   - highest average (plus forte moyenne, the rule of the fonction publique): each seat in turn
     goes to the list with the largest ``votes / (seats so far + 1)``;
   - largest remainder (plus forts restes): to the lists with the largest
     ``votes - seats * quotient``, one each.
3. Ties: at equal average (or remainder), the list with more votes wins; at equal votes too,
   the list earlier on the ballot wins and the tie is reported in ``SeatAllocation.ties``,
   because the regulations settle it differently (number of candidates, a draw by lot).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from kiosk.election.model import SeatMethod


@dataclass(frozen=True)
class Tie:
    """Lists level on average (or remainder) and on votes, competing for fewer seats than they
    are: ``seats`` of them went to the first ``seats`` lists in ballot order, a choice the
    regulations may make otherwise (candidates presented, draw by lot)."""

    lists: tuple[int, ...]  # indices in ballot order
    seats: int  # how many of those lists got a seat out of the tie

    @property
    def winners(self) -> tuple[int, ...]:
        return self.lists[: self.seats]


@dataclass(frozen=True)
class SeatAllocation:
    """The seats of one scrutin, per list in ballot order.

    ``allocated`` is False when no vote went to any list (zero suffrages exprimés): there is no
    quotient, every list has 0 seats and the seats stay unfilled.
    """

    method: SeatMethod
    seat_count: int  # seats to fill
    valid: int  # suffrages valablement exprimés: votes for the lists, blank votes excluded
    by_quotient: tuple[int, ...]
    seats: tuple[int, ...]
    ties: tuple[Tie, ...]

    @property
    def allocated(self) -> bool:
        return self.valid > 0

    @property
    def by_remainder_stage(self) -> tuple[int, ...]:
        """Seats won after the quotient stage (by average or by remainder)."""
        return tuple(
            total - first for total, first in zip(self.seats, self.by_quotient, strict=True)
        )


def allocate(votes: Sequence[int], seat_count: int, method: SeatMethod) -> SeatAllocation:
    """Allocate ``seat_count`` seats among lists that received ``votes`` (ballot order, blank
    votes not included). Raises ``ValueError`` on a negative count or no seat or no list."""
    if seat_count < 1:
        raise ValueError(f"seats to fill must be at least 1, got {seat_count}")
    if not votes:
        raise ValueError("there must be at least one list")
    if any(v < 0 for v in votes):
        raise ValueError("vote counts must not be negative")
    votes = tuple(votes)
    valid = sum(votes)
    if valid == 0:
        zeros = (0,) * len(votes)
        return SeatAllocation(method, seat_count, 0, zeros, zeros, ())

    # floor(votes / (valid / seat_count)), exactly.
    by_quotient = tuple(v * seat_count // valid for v in votes)
    seats = list(by_quotient)
    left = seat_count - sum(by_quotient)
    ties: list[Tie] = []
    if method is SeatMethod.HIGHEST_AVERAGE:
        while left > 0:
            average = [Fraction(v, s + 1) for v, s in zip(votes, seats, strict=True)]
            best = max(range(len(votes)), key=lambda i: (average[i], votes[i], -i))
            tied = [
                i
                for i in range(len(votes))
                if (average[i], votes[i]) == (average[best], votes[best])
            ]
            # Level lists keep the best average until each has won one seat: all win, or a tie.
            if len(tied) > left:
                ties.append(Tie(tuple(tied), left))
            for i in tied[:left]:
                seats[i] += 1
            left -= min(left, len(tied))
    elif method is SeatMethod.LARGEST_REMAINDER:
        # remainder_i = votes_i - by_quotient_i * valid / seat_count, scaled by seat_count.
        remainder = [v * seat_count - q * valid for v, q in zip(votes, by_quotient, strict=True)]
        order = sorted(range(len(votes)), key=lambda i: (-remainder[i], -votes[i], i))
        winners = order[:left]
        if left > 0:
            last = winners[-1]
            tied = [i for i in order if (remainder[i], votes[i]) == (remainder[last], votes[last])]
            if any(i not in winners for i in tied):
                ties.append(Tie(tuple(tied), sum(1 for i in tied if i in winners)))
        for i in winners:
            seats[i] += 1
    else:  # pragma: no cover - exhaustive over SeatMethod
        raise AssertionError(method)
    return SeatAllocation(method, seat_count, valid, by_quotient, tuple(seats), tuple(ties))
