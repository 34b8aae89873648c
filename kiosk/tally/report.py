"""The printed results report: an A4 PDF in French (docs/results.md).

A cover page (election, package fingerprint, method, one line per scrutin), then each scrutin
from a new page: key figures, the table of lists (votes, share of the suffrages exprimés,
seats), the blank vote, a bar chart of votes per list, and any tie or unfilled seats.

Rendering only: every figure comes from ``ElectionResults``. Percentages are computed here, for
display, from exact fractions. The bytes are reproducible for the same results (reportlab
``invariant=1``, no timestamp, the standard PDF fonts).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any, Final
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from kiosk import pdf
from kiosk.election.model import SeatMethod
from kiosk.tally.results import ElectionResults, ScrutinResult

_INK: Final = colors.HexColor("#1b1b1b")
_GREY: Final = colors.HexColor("#5f6368")
_RULE: Final = colors.HexColor("#c7ccd1")
_NAVY: Final = colors.HexColor("#1f3a5f")
_BAR_SEATED: Final = colors.HexColor("#2f5d8a")
_BAR_UNSEATED: Final = colors.HexColor("#a9bccf")
_SHADE: Final = colors.HexColor("#f2f4f7")
_WARN_BG: Final = colors.HexColor("#fff4e0")
_WARN_LINE: Final = colors.HexColor("#e6a23c")
_DASH: Final = "\u2014"

METHOD_LABELS: Final = {
    SeatMethod.HIGHEST_AVERAGE: "quotient électoral, puis plus forte moyenne",
    SeatMethod.LARGEST_REMAINDER: "quotient électoral, puis plus forts restes",
}


# ---- French number formatting (display only) ----------------------------------------------------


def format_count(value: int) -> str:
    """``12345`` -> ``12 345`` with non-breaking spaces, as French typography groups digits."""
    return f"{value:,}".replace(",", pdf.NBSP)


def format_decimal(value: Fraction, places: int = 2) -> str:
    """``value`` rounded half up to ``places`` decimals with a decimal comma: ``42,86``."""
    scale = 10**places
    scaled = (value * scale * 2 + 1) // 2  # floor(value * scale + 1/2), exactly
    whole, part = divmod(int(scaled), scale)
    return f"{format_count(whole)},{part:0{places}d}" if places else format_count(whole)


def format_percent(numerator: int, denominator: int) -> str:
    """``numerator / denominator`` as a French percentage (``42,86 %``); a dash when undefined."""
    if denominator == 0:
        return _DASH
    return f"{format_decimal(Fraction(100 * numerator, denominator))}{pdf.NBSP}%"


# ---- styles -------------------------------------------------------------------------------------


def _style(name: str, **kwargs: Any) -> ParagraphStyle:
    if "parent" in kwargs:  # inherit everything not given
        return ParagraphStyle(name, **kwargs)
    base: dict[str, Any] = {"fontName": "Helvetica", "fontSize": 10, "leading": 13}
    return ParagraphStyle(name, **(base | {"textColor": _INK} | kwargs))


_KICKER: Final = _style("kicker", fontName="Helvetica-Bold", fontSize=9, textColor=_GREY)
_TITLE: Final = _style(
    "title", fontName="Helvetica-Bold", fontSize=20, leading=25, textColor=_NAVY, spaceAfter=4
)
_HEADING: Final = _style(
    "heading", fontName="Helvetica-Bold", fontSize=15, leading=19, textColor=_NAVY, spaceAfter=2
)
_SUBHEADING: Final = _style(
    "subheading",
    fontName="Helvetica-Bold",
    fontSize=11,
    leading=14,
    textColor=_NAVY,
    spaceBefore=12,
    spaceAfter=6,
)
_BODY: Final = _style("body", spaceAfter=6)
_SMALL: Final = _style("small", fontSize=8.5, leading=11, textColor=_GREY)
_CELL: Final = _style("cell", fontSize=8.5, leading=10.5)
_CELL_BOLD: Final = _style("cellb", parent=_CELL, fontName="Helvetica-Bold")
_CELL_RIGHT: Final = _style("cellr", parent=_CELL, alignment=2)
_CELL_HEAD: Final = _style("cellh", fontName="Helvetica-Bold", fontSize=8, leading=10)
_CELL_HEAD_RIGHT: Final = _style("cellhr", parent=_CELL_HEAD, alignment=2)
_FIGURE: Final = _style("figure", fontName="Helvetica-Bold", fontSize=13, leading=16)
_FIGURE_LABEL: Final = _style("figlabel", fontSize=7.5, leading=9.5, textColor=_GREY)
_MONO: Final = _style("mono", fontName="Courier-Bold", fontSize=10.5, leading=13)


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(_french(text)), style)


def _french(text: str) -> str:
    """No line break before ``: ; ! ? %`` (French spacing), curly apostrophes."""
    return pdf.french(text, no_break_before=":;!?%")


# ---- the document -------------------------------------------------------------------------------


def results_pdf(results: ElectionResults) -> bytes:
    """The results report of ``results`` as PDF bytes (A4, French)."""
    pages, _ = _build(results, _story(results), total_pages=None)
    # Second pass with the page count known, for "page n / N" in the footer.
    final_pages, pdf = _build(results, _story(results), total_pages=pages)
    if final_pages != pages:  # the footer cannot change the flow; if it ever did, say so
        raise RuntimeError(f"results report: {final_pages} pages, {pages} expected")
    return pdf


def _story(results: ElectionResults) -> list[Any]:
    # Flowables are consumed by a build: each pass needs a fresh story.
    story = _cover(results)
    for scrutin in results.scrutins:
        story += [PageBreak(), *_scrutin_section(scrutin)]
    return story


def _build(
    results: ElectionResults, story: list[Any], *, total_pages: int | None
) -> tuple[int, bytes]:
    frame = pdf.text_frame(bottom=60, top=70)
    return pdf.render(
        story,
        [PageTemplate(id="page", frames=[frame], onPage=_page_decor(results, total_pages))],
        title=f"Résultats {_DASH} {results.election_title}",
        subject=f"Élection {results.election_id}, paquet {results.fingerprint}",
        creator="Isoloir",
        author="Isoloir",
    )


def _page_decor(results: ElectionResults, total: int | None) -> Callable[[Any, Any], None]:
    def decorate(canvas: Any, template: Any) -> None:
        canvas.saveState()
        top = pdf.PAGE_HEIGHT - 40
        canvas.setFillColor(_NAVY)
        canvas.setFont("Helvetica-Bold", 9)
        canvas.drawString(pdf.MARGIN, top, "RÉSULTATS DE L'ÉLECTION".replace("'", "\u2019"))
        canvas.setFillColor(_GREY)
        canvas.setFont("Helvetica", 8.5)
        canvas.drawRightString(
            pdf.PAGE_WIDTH - pdf.MARGIN,
            top,
            f"Empreinte du paquet électoral : {results.fingerprint}",
        )
        canvas.setStrokeColor(_NAVY)
        canvas.setLineWidth(1.5)
        canvas.line(pdf.MARGIN, top - 8, pdf.PAGE_WIDTH - pdf.MARGIN, top - 8)

        canvas.setStrokeColor(_RULE)
        canvas.setLineWidth(0.5)
        canvas.line(pdf.MARGIN, 46, pdf.PAGE_WIDTH - pdf.MARGIN, 46)
        canvas.setFillColor(_GREY)
        canvas.setFont("Helvetica", 8)
        canvas.drawString(
            pdf.MARGIN, 34, _fit(results.election_title, "Helvetica", 8, pdf.TEXT_WIDTH - 80)
        )
        page = f"Page {template.page} / {total}" if total else f"Page {template.page}"
        canvas.drawRightString(pdf.PAGE_WIDTH - pdf.MARGIN, 34, page)
        canvas.restoreState()

    return decorate


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text``, cut with an ellipsis if it is wider than ``width`` points."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "\u2026", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


# ---- cover --------------------------------------------------------------------------------------


def _cover(results: ElectionResults) -> list[Any]:
    method = METHOD_LABELS[results.method]
    facts = [
        ("Identifiant", _para(results.election_id, _CELL)),
        ("Empreinte du paquet électoral", Paragraph(escape(results.fingerprint), _MONO)),
        ("Répartition des sièges", _para(f"Représentation proportionnelle : {method}", _CELL)),
        (
            "Suffrages exprimés",
            _para("Voix recueillies par les listes ; les votes blancs n'en font pas partie", _CELL),
        ),
    ]
    facts_table = Table(
        [[_para(label, _CELL_HEAD), value] for label, value in facts],
        colWidths=[150, pdf.TEXT_WIDTH - 150],
    )
    facts_table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), _SHADE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, -2), 0.5, colors.white),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ("LEFTPADDING", (0, 0), (-1, -1), 10),
            ]
        )
    )
    head = ["Scrutin", "Inscrits", "Votants", "Participation", "Blancs", "Exprimés", "Sièges"]
    rows: list[list[Any]] = [
        [_para(head[0], _CELL_HEAD), *(_para(h, _CELL_HEAD_RIGHT) for h in head[1:])]
    ]
    for s in results.scrutins:
        rows.append(
            [
                _para(s.title, _CELL),
                _para(format_count(s.eligible), _CELL_RIGHT),
                _para(format_count(s.cast), _CELL_RIGHT),
                _para(format_percent(s.cast, s.eligible), _CELL_RIGHT),
                _para(format_count(s.blank), _CELL_RIGHT),
                _para(format_count(s.valid), _CELL_RIGHT),
                _para(str(s.seat_count), _CELL_RIGHT),
            ]
        )
    overview = Table(rows, colWidths=[165, 55, 55, 65, 50, 55, 50], repeatRows=1)
    overview.setStyle(_grid_style(len(rows)))
    fingerprint_note = (
        "Comparez l'empreinte ci-dessus avec l'empreinte officielle publiée par "
        "l'organisateur : elle identifie le paquet électoral (listes, scrutins, liste "
        "électorale) dont ces résultats sont issus."
    )
    return [
        _para("Résultats de l'élection", _KICKER),
        Spacer(1, 4),
        _para(results.election_title, _TITLE),
        Spacer(1, 10),
        facts_table,
        Spacer(1, 6),
        _para(fingerprint_note, _SMALL),
        _para("Vue d'ensemble des scrutins", _SUBHEADING),
        overview,
    ]


def _grid_style(row_count: int) -> TableStyle:
    return TableStyle(
        [
            ("LINEBELOW", (0, 0), (-1, 0), 1, _NAVY),
            ("LINEBELOW", (0, 1), (-1, -1), 0.4, _RULE),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            *(
                ("BACKGROUND", (0, row), (-1, row), _SHADE)
                for row in range(2, row_count, 2)  # zebra rows after the header
            ),
        ]
    )


# ---- one scrutin --------------------------------------------------------------------------------


def _scrutin_section(result: ScrutinResult) -> list[Any]:
    quotient = result.quotient
    quotient_text = format_decimal(quotient) if quotient is not None else _DASH
    seats = _plural(result.seat_count, "siège à pourvoir", "sièges à pourvoir")
    lists = _plural(len(result.lists), "liste", "listes")
    story: list[Any] = [
        _para(f"Scrutin {result.scrutin_id}", _KICKER),
        Spacer(1, 2),
        _para(result.title, _HEADING),
        _para(f"{seats} {_DASH} {lists}", _BODY),
        Spacer(1, 4),
        _key_figures(
            [
                ("Inscrits", format_count(result.eligible)),
                ("Votants", format_count(result.cast)),
                ("Participation", format_percent(result.cast, result.eligible)),
                ("Votes blancs", format_count(result.blank)),
                ("Suffrages exprimés", format_count(result.valid)),
                ("Quotient électoral", quotient_text),
            ]
        ),
        _para("Résultats par liste", _SUBHEADING),
        _lists_table(result),
    ]
    if result.allocation.allocated:
        then = (
            "à la plus forte moyenne"
            if result.method is SeatMethod.HIGHEST_AVERAGE
            else "aux plus forts restes"
        )
        story += [
            Spacer(1, 4),
            _para(
                "Pourcentages calculés sur les suffrages exprimés. Sièges attribués au quotient "
                f"électoral ({format_count(result.valid)} / {result.seat_count}), puis {then}.",
                _SMALL,
            ),
        ]
    for notice in _notices(result):
        story += [Spacer(1, 8), notice]
    if result.allocation.allocated:  # no bar to draw without a single vote for a list
        story += [
            CondPageBreak(120),
            KeepTogether(
                [_para("Voix par liste", _SUBHEADING), _bar_chart(result), _chart_legend()]
            ),
        ]
    return story


def _plural(count: int, one: str, many: str) -> str:
    return f"{format_count(count)} {one if count == 1 else many}"


def _key_figures(figures: list[tuple[str, str]]) -> Table:
    cells = [
        [_para(value, _FIGURE), _para(label.upper(), _FIGURE_LABEL)] for label, value in figures
    ]
    table = Table([cells], colWidths=[pdf.TEXT_WIDTH / len(figures)] * len(figures))
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), _SHADE),
                ("LINEBEFORE", (1, 0), (-1, -1), 2, colors.white),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 7),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return table


def _lists_table(result: ScrutinResult) -> Table:
    head = ["Liste", "Organisation syndicale", "Voix", "% des exprimés", "Au quotient", "Sièges"]
    rows: list[list[Any]] = [
        [
            _para(head[0], _CELL_HEAD),
            _para(head[1], _CELL_HEAD),
            *(_para(h, _CELL_HEAD_RIGHT) for h in head[2:]),
        ]
    ]
    for row in result.rows:
        rows.append(
            [
                _para(row.entry.name, _CELL_BOLD),
                _para(row.entry.affiliation, _CELL),
                _para(format_count(row.votes), _CELL_RIGHT),
                _para(format_percent(row.votes, result.valid), _CELL_RIGHT),
                _para(str(row.seats_by_quotient), _CELL_RIGHT),
                _para(
                    str(row.seats), _style("seats", parent=_CELL_RIGHT, fontName="Helvetica-Bold")
                ),
            ]
        )
    total_style = _style("total", parent=_CELL_RIGHT, fontName="Helvetica-Bold")
    rows.append(
        [
            _para("Suffrages exprimés", _CELL_BOLD),
            "",
            _para(format_count(result.valid), total_style),
            _para(format_percent(result.valid, result.valid), total_style),
            _para(str(sum(result.allocation.by_quotient)), total_style),
            _para(str(sum(result.seats)), total_style),
        ]
    )
    blank_style = _style("blank", parent=_CELL, textColor=_GREY, fontName="Helvetica-Oblique")
    blank_right = _style("blankr", parent=blank_style, alignment=2)
    rows.append(
        [
            _para(result.blank_label, blank_style),
            _para("Non compté dans les suffrages exprimés", blank_style),
            _para(format_count(result.blank), blank_right),
            _para(_DASH, blank_right),
            _para(_DASH, blank_right),
            _para(_DASH, blank_right),
        ]
    )
    table = Table(rows, colWidths=[148, 158, 48, 52, 46, 43], repeatRows=1)
    total_row = len(rows) - 2  # positive indices: they stay right when the table splits
    style = _grid_style(total_row)
    style.add("LINEABOVE", (0, total_row), (-1, total_row), 1, _NAVY)
    style.add("SPAN", (0, total_row), (1, total_row))
    table.setStyle(style)
    return table


def _notices(result: ScrutinResult) -> list[Table]:
    notices: list[str] = []
    if not result.allocation.allocated:
        notices.append(
            "Aucun suffrage exprimé : aucun siège n'a pu être attribué. Les "
            f"{result.seat_count} sièges restent à pourvoir selon les règles applicables."
        )
    level_on = "moyenne" if result.method is SeatMethod.HIGHEST_AVERAGE else "reste"
    for tie in result.allocation.ties:
        names = " et ".join(f"« {result.lists[i].name} »" for i in tie.lists)
        winners = " et ".join(f"« {result.lists[i].name} »" for i in tie.winners)
        if tie.seats == 1:
            seats, given = "le dernier siège", "Il est attribué ici"
        else:
            seats, given = f"les {tie.seats} derniers sièges", "Ils sont attribués ici"
        notices.append(
            f"Égalité pour {seats} : les listes {names} ont la même {level_on} et le même "
            f"nombre de voix. {given} selon l'ordre du bulletin, à {winners} ; la "
            "réglementation applicable peut départager autrement (nombre de candidats "
            "présentés) ou imposer un tirage au sort."
        )
    boxes = []
    for text in notices:
        box = Table([[_para(text, _CELL)]], colWidths=[pdf.TEXT_WIDTH])
        box.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, -1), _WARN_BG),
                    ("LINEBEFORE", (0, 0), (0, -1), 3, _WARN_LINE),
                    ("LEFTPADDING", (0, 0), (-1, -1), 10),
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
                ]
            )
        )
        boxes.append(box)
    return boxes


# ---- bar chart ----------------------------------------------------------------------------------

_BAR_ROW: Final = 17.0
_BAR_HEIGHT: Final = 11.0
_LABEL_WIDTH: Final = 165.0
_VALUE_WIDTH: Final = 95.0


def _bar_chart(result: ScrutinResult) -> Drawing:
    """Horizontal bars, one per list in ballot order, scaled to the list with the most votes."""
    rows = result.rows
    height = _BAR_ROW * len(rows) + 4
    drawing = Drawing(pdf.TEXT_WIDTH, height)
    top_votes = max(row.votes for row in rows)
    bar_left = _LABEL_WIDTH + 6
    bar_span = pdf.TEXT_WIDTH - bar_left - _VALUE_WIDTH
    drawing.add(Line(bar_left, 0, bar_left, height, strokeColor=_RULE, strokeWidth=0.6))
    for index, row in enumerate(rows):
        base = height - (index + 1) * _BAR_ROW
        middle = base + (_BAR_ROW - _BAR_HEIGHT) / 2
        label = _fit(row.entry.name, "Helvetica", 8.5, _LABEL_WIDTH)
        drawing.add(
            String(0, middle + 3, label, fontName="Helvetica", fontSize=8.5, fillColor=_INK)
        )
        length = bar_span * row.votes / top_votes if top_votes else 0.0
        if length > 0:
            colour = _BAR_SEATED if row.seats else _BAR_UNSEATED
            drawing.add(
                Rect(bar_left, middle, length, _BAR_HEIGHT, fillColor=colour, strokeColor=None)
            )
        value = f"{format_count(row.votes)}  ({format_percent(row.votes, result.valid)})"
        drawing.add(
            String(
                bar_left + length + 5,
                middle + 3,
                value,
                fontName="Helvetica",
                fontSize=8,
                fillColor=_GREY,
            )
        )
    return drawing


def _chart_legend() -> Drawing:
    drawing = Drawing(pdf.TEXT_WIDTH, 18)
    x = _LABEL_WIDTH + 6
    for colour, text in (
        (_BAR_SEATED, "liste ayant obtenu au moins un siège"),
        (_BAR_UNSEATED, "liste sans siège"),
    ):
        drawing.add(Rect(x, 3, 9, 9, fillColor=colour, strokeColor=None))
        drawing.add(String(x + 13, 4, text, fontName="Helvetica", fontSize=7.5, fillColor=_GREY))
        x += 22 + stringWidth(text, "Helvetica", 7.5)
    return drawing
