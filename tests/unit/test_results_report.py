"""The printed results report: its text, its layout over pages, and reproducible bytes.

The text is read back with poppler's ``pdftotext`` (the report's streams are compressed).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from fractions import Fraction

import pytest

from kiosk.election.model import ElectionId, ListId, ScrutinId
from kiosk.tally import ElectionResults, ListEntry, ScrutinResult, SeatMethod, allocate
from kiosk.tally.report import format_count, format_decimal, format_percent, results_pdf
from tests.system import required

FINGERPRINT = "Q7ZK-M2XA-4B9P-R3TD"
LR = SeatMethod.LARGEST_REMAINDER
NBSP = "\u00a0"

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None and not required(),  # under make test: must run
    reason="needs poppler-utils (make bootstrap)",
)


def scrutin(
    scrutin_id: str,
    title: str,
    names: list[tuple[str, str]],
    votes: list[int],
    blank: int,
    eligible: int,
    seats: int,
    method: SeatMethod = SeatMethod.HIGHEST_AVERAGE,
) -> ScrutinResult:
    return ScrutinResult(
        scrutin_id=ScrutinId(scrutin_id),
        title=title,
        lists=tuple(
            ListEntry(ListId(f"l{i}"), name, affiliation)
            for i, (name, affiliation) in enumerate(names)
        ),
        blank_label="Vote blanc",
        counts=(*votes, blank),
        eligible=eligible,
        allocation=allocate(votes, seats, method),
    )


def fourteen_lists() -> ScrutinResult:
    names = [
        (f"L{i:02d} – Liste des personnels numéro {i}", f"Union syndicale des agents n°{i}")
        for i in range(14)
    ]
    votes = [28_725, 23_334, 2_602, 9_818, 8_081, 16_982, 24_883, 352, 32, 27_940, 7_491]
    votes += [23_242, 0, 722]
    return scrutin(
        "capn-certifies", "CAPN des professeurs certifiés", names, votes, 2_324, 354_290, 18
    )


def election(
    *scrutins: ScrutinResult, method: SeatMethod = SeatMethod.HIGHEST_AVERAGE
) -> ElectionResults:
    return ElectionResults(
        election_id=ElectionId("ep-2026"),
        election_title="Élections professionnelles 2026",
        fingerprint=FINGERPRINT,
        method=method,
        scrutins=scrutins,
    )


def csa(method: SeatMethod = SeatMethod.HIGHEST_AVERAGE) -> ScrutinResult:
    # The worked example of test_seats: 7, 4, 3, 1 seats; blank votes excluded from the quotient.
    names = [
        ("ALPHA – Ensemble", "Fédération Alpha"),
        ("BETA – Agir", "Syndicat Beta"),
        ("GAMMA – Oser", "Union Gamma"),
        ("DELTA – Défendre", "Collectif Delta"),
    ]
    return scrutin(
        "csa", "Comité social d'administration", names, [1520, 980, 610, 390], 200, 5000, 15, method
    )


def text_of(pdf: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8").replace(NBSP, " ")


def test_report_shows_the_figures_of_each_scrutin() -> None:
    text = text_of(results_pdf(election(csa())))
    for expected in (
        "Élections professionnelles 2026",
        f"Empreinte du paquet électoral : {FINGERPRINT}",
        "quotient électoral, puis plus forte moyenne",
        "Comité social d’administration",
        "ALPHA – Ensemble",
        "Fédération Alpha",
        "1 520",  # votes, French digit grouping
        "43,43 %",  # 1520 / 3500
        "Suffrages exprimés",
        "3 500",
        "100,00 %",
        "Vote blanc",
        "Non compté dans les suffrages",
        "5 000",  # inscrits
        "3 700",  # votants
        "74,00 %",  # participation 3700 / 5000
        "233,33",  # quotient électoral 3500 / 15
        "Voix par liste",
        "Page 1 / 2",
        "Page 2 / 2",
    ):
        assert expected in text, expected
    seats = re.search(r"ALPHA – Ensemble\s+Fédération Alpha\s+1 520\s+43,43 %\s+6\s+7", text)
    assert seats is not None, "ALPHA: 6 seats by quotient, 7 in all"


def test_report_names_the_largest_remainder_method() -> None:
    text = text_of(results_pdf(election(csa(LR), method=LR)))
    assert "quotient électoral, puis plus forts restes" in text
    assert "aux plus forts restes" in text


def test_fourteen_lists_run_over_pages_with_a_running_header() -> None:
    text = text_of(results_pdf(election(csa(), fourteen_lists())))
    pages = text.split("\f")[:-1]  # pdftotext ends each page with a form feed
    assert len(pages) >= 3
    for number, page in enumerate(pages, 1):
        assert FINGERPRINT in page
        assert f"Page {number} / {len(pages)}" in page
    for i in range(14):
        assert text.count(f"L{i:02d} – Liste des personnels") == 2  # table and chart


def test_a_tie_and_an_empty_count_are_explained() -> None:
    tie = scrutin("cap", "CAP", [("A", "Union A"), ("B", "Union B")], [4, 4], 1, 20, 5)
    empty = scrutin("vide", "Scrutin sans suffrage", [("C", "Union C")], [0], 3, 10, 4)
    text = " ".join(text_of(results_pdf(election(tie, empty))).split())
    assert "Égalité pour le dernier siège : les listes « A » et « B »" in text
    assert "selon l’ordre du bulletin, à « A »" in text
    assert "tirage au sort" in text
    assert "Aucun suffrage exprimé : aucun siège n’a pu être attribué" in text
    assert re.search(r"4 sièges à pourvoir — 1 liste\b", text)


def test_results_that_mix_methods_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="method"):
        election(csa(LR))


def test_same_results_same_bytes() -> None:
    first = results_pdf(election(csa(), fourteen_lists()))
    assert results_pdf(election(csa(), fourteen_lists())) == first
    assert first.startswith(b"%PDF-")
    assert b"CreationDate" not in first or b"D:20000101000000" in first  # invariant=1


# Snapshot of the report's bytes (reportlab is pinned). A deliberate change of the layout
# updates it: render, look at the pages (pdftoppm -png), then paste the new digest here.
SNAPSHOT_SHA256 = "6e17caf62c696c90fb4b31013fe7532dffbe13e0599bdd3ff7057f8b8cb724ef"


def test_report_snapshot() -> None:
    pdf = results_pdf(election(csa(), fourteen_lists()))
    assert hashlib.sha256(pdf).hexdigest() == SNAPSHOT_SHA256


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (Fraction(0), 2, "0,00"),
        (Fraction(1, 200), 2, "0,01"),  # 0.005 rounds half up
        (Fraction(1, 201), 2, "0,00"),
        (Fraction(700, 3), 2, "233,33"),
        (Fraction(2, 3), 2, "0,67"),
        (Fraction(1_234_567, 1), 2, f"1{NBSP}234{NBSP}567,00"),
        (Fraction(5, 2), 0, "3"),
    ],
)
def test_decimal_format(value: Fraction, places: int, expected: str) -> None:
    assert format_decimal(value, places) == expected


def test_count_and_percent_format() -> None:
    assert format_count(174_204) == f"174{NBSP}204"
    assert format_count(7) == "7"
    assert format_percent(1520, 3500) == f"43,43{NBSP}%"
    assert format_percent(1, 1) == f"100,00{NBSP}%"
    assert format_percent(0, 0) == "—"
