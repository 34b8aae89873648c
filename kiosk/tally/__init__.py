"""Election results: seat allocation, results JSON and the PDF report (docs/results.md)."""

from kiosk.election.model import SeatMethod
from kiosk.tally.results import (
    SCHEMA,
    ElectionResults,
    ListEntry,
    ListRow,
    ResultsError,
    ScrutinResult,
    compute_results,
    eligible_from_roll,
    results_from_json,
    results_to_json,
)
from kiosk.tally.seats import SeatAllocation, Tie, allocate

__all__ = [
    "SCHEMA",
    "ElectionResults",
    "ListEntry",
    "ListRow",
    "ResultsError",
    "ScrutinResult",
    "SeatAllocation",
    "SeatMethod",
    "Tie",
    "allocate",
    "compute_results",
    "eligible_from_roll",
    "results_from_json",
    "results_to_json",
]
