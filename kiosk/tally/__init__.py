"""Election results: seat allocation, results JSON and the PDF report (docs/results.md)."""

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
from kiosk.tally.seats import Method, SeatAllocation, Tie, allocate

__all__ = [
    "SCHEMA",
    "ElectionResults",
    "ListEntry",
    "ListRow",
    "Method",
    "ResultsError",
    "ScrutinResult",
    "SeatAllocation",
    "Tie",
    "allocate",
    "compute_results",
    "eligible_from_roll",
    "results_from_json",
    "results_to_json",
]
