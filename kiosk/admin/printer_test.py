"""The printer test page an assesseur prints before the polls open (docs/receipts.md, "Printer
test page"): an A4 page in French whose every part shows one way a printer fails.

Alignment marks in the four corners and at the middle of each edge (a page printed shifted or
cropped loses some), eleven grey levels from white to black (a faded or streaked drum merges
them), a ladder of line widths and small text (a worn head loses the thin ones), a QR code that
must decode (``isoloir-printer-test/1 KIOSK TIME``: what the receipts' and reports' codes need),
the receipts' three fonts, and the kiosk's id and the time. Same inputs, same bytes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import HRFlowable, PageTemplate, Paragraph, Spacer, Table, TableStyle

from kiosk import pdf
from kiosk.clock import isoformat_utc
from kiosk.election.model import ID_PATTERN
from kiosk.receipts.strings import printed_time
from kiosk.receipts.typeset import MONO_BOLD, SANS, SANS_BOLD, qr_flowable, register_fonts

PRINTER_TEST_HEADER: Final = "isoloir-printer-test/1"
GREY_LEVELS: Final = tuple(range(0, 101, 10))  # per cent of black
LINE_WIDTHS: Final = (0.25, 0.5, 1.0, 2.0)  # points
_MARK_INSET: Final = 8 * mm  # from the paper's edge: inside what most printers print
_MARK_LENGTH: Final = 10 * mm
_ACCENT: Final = colors.HexColor("#1f3a5f")
_GREY: Final = colors.HexColor("#404040")
_TITLE: Final = "Page de test de l'imprimante"
_SAMPLE: Final = "Aa Bb Çç Éé Èè Êê Àà Ùù Ôô Ïï Œœ Ææ « » € 0123456789"


def printer_test_payload(kiosk_id: str, at: datetime) -> bytes:
    """The test page's QR payload: printable ASCII, the kiosk and the time in UTC."""
    if not ID_PATTERN.fullmatch(kiosk_id):
        raise ValueError("not a kiosk id")
    return f"{PRINTER_TEST_HEADER} {kiosk_id} {isoformat_utc(at)}".encode("ascii")


def printer_test_page(kiosk_id: str, at: datetime, *, election_title: str | None = None) -> bytes:
    """The test page of kiosk ``kiosk_id`` printed at ``at`` (aware), as PDF bytes; the
    election's title, when a package is loaded, as its kicker."""
    register_fonts()
    payload = printer_test_payload(kiosk_id, at)
    when = printed_time(at, "fr")
    story: list[Any] = [
        _para(election_title or "Isoloir", _style("kicker", 10, textColor=_GREY)),
        Spacer(1, 3),
        _para(_TITLE, _style("title", 20, fontName=SANS_BOLD)),
        HRFlowable(width="100%", thickness=1.5, color=_ACCENT, spaceBefore=6, spaceAfter=10),
        _facts(kiosk_id, f"{when.date} {when.clock}", f"{when.zone} · {isoformat_utc(at)}"),
        *_section("Niveaux de gris (0 à 100 %)", _grey_levels()),
        *_section("Épaisseurs de trait (0,25 à 2 points)", _line_widths()),
        *_section("Caractères", *_type_samples()),
        *_section("Code QR", _qr(payload)),
        *_section("À vérifier", _para(_CHECKS, _style("checks", 9.5, leading=14))),
    ]
    _, data = pdf.render(
        story,
        [PageTemplate(id="test", frames=[pdf.text_frame(bottom=60, top=50)], onPage=_marks)],
        title=f"{_TITLE} — {kiosk_id}",
        author="Isoloir",
        subject=payload.decode("ascii"),
        creator="Isoloir",
    )
    return data


_CHECKS: Final = (
    "1. Les huit repères (quatre angles, quatre milieux de bord) sont tous imprimés.<br/>"
    "2. Les onze cases de gris se distinguent toutes, sans traînée ni bande blanche.<br/>"
    "3. Le trait le plus fin et le texte de 6 points sont visibles.<br/>"
    "4. Le code QR se lit avec un téléphone ou la douchette de la borne.<br/>"
    "Sinon, changez le toner ou le rouleau, nettoyez la tête, puis imprimez une autre page."
)


def _style(name: str, size: float, **options: Any) -> ParagraphStyle:
    options.setdefault("fontName", SANS)
    options.setdefault("leading", round(size * 1.3, 1))
    return ParagraphStyle(name, fontSize=size, **options)


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    # <br/> in the checklist is markup; everything else is escaped text
    parts = text.split("<br/>")
    return Paragraph("<br/>".join(escape(pdf.french(part)) for part in parts), style)


def _section(heading: str, *flowables: Any) -> list[Any]:
    style = _style("heading", 11, fontName=SANS_BOLD, textColor=_ACCENT, spaceAfter=5)
    return [Spacer(1, 10), _para(heading, style), *flowables]


def _facts(kiosk_id: str, when: str, detail: str) -> Table:
    label = _style("label", 7.5, fontName=SANS_BOLD, textColor=_GREY)
    value = _style("value", 10.5, fontName=SANS_BOLD)
    small = _style("detail", 8, textColor=_GREY)
    cells = [
        [_para("BORNE", label), _para(kiosk_id, value)],
        [_para("DATE ET HEURE", label), _para(when, value), _para(detail, small)],
    ]
    table = Table([cells], colWidths=[pdf.TEXT_WIDTH / 3, 2 * pdf.TEXT_WIDTH / 3])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _grey_levels() -> Drawing:
    width = pdf.TEXT_WIDTH / len(GREY_LEVELS)
    drawing = Drawing(pdf.TEXT_WIDTH, 20 * mm)
    for index, level in enumerate(GREY_LEVELS):
        shade = 1 - level / 100
        drawing.add(
            Rect(
                index * width,
                6 * mm,
                width,
                14 * mm,
                fillColor=colors.Color(shade, shade, shade),
                strokeColor=colors.black,
                strokeWidth=0.5,
            )
        )
        drawing.add(
            String(
                index * width + width / 2,
                1.5 * mm,
                f"{level}\u00a0%",
                fontName=SANS,
                fontSize=8,
                textAnchor="middle",
            )
        )
    return drawing


def _line_widths() -> Drawing:
    drawing = Drawing(pdf.TEXT_WIDTH, 16 * mm)
    for index, thickness in enumerate(LINE_WIDTHS):
        y = 14 * mm - index * 4 * mm
        drawing.add(Line(0, y, pdf.TEXT_WIDTH - 25 * mm, y, strokeWidth=thickness))
        label = f"{thickness:g} pt".replace(".", ",")
        drawing.add(String(pdf.TEXT_WIDTH - 22 * mm, y - 1 * mm, label, fontName=SANS, fontSize=8))
    return drawing


def _type_samples() -> list[Paragraph]:
    return [
        _para(_SAMPLE, _style("sans", 11)),
        _para(_SAMPLE, _style("sans-bold", 11, fontName=SANS_BOLD)),
        _para("ABCD-EFGH-2345-6789 0O 1Il", _style("mono", 11, fontName=MONO_BOLD)),
        _para(f"Texte de 6 points : {_SAMPLE}", _style("tiny", 6)),
    ]


def _qr(payload: bytes) -> Table:
    room = 45 * mm
    note = _para(
        "Ce code doit se lire. Il contient : " + payload.decode("ascii"),
        _style("qr-note", 9, textColor=_GREY),
    )
    table = Table([[qr_flowable(payload, room=room), note]], colWidths=[room + 8 * mm, None])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _marks(canvas: Any, document: Any) -> None:
    """Corner marks and mid-edge crosses, at a fixed distance from the paper's edges."""
    width, height, inset, length = pdf.PAGE_WIDTH, pdf.PAGE_HEIGHT, _MARK_INSET, _MARK_LENGTH
    canvas.saveState()
    canvas.setStrokeColor(colors.black)
    canvas.setLineWidth(0.75)
    for x, dx in ((inset, 1), (width - inset, -1)):
        for y, dy in ((inset, 1), (height - inset, -1)):
            canvas.line(x, y, x + dx * length, y)
            canvas.line(x, y, x, y + dy * length)
    half = length / 2
    for x, y in (
        (width / 2, inset + half),
        (width / 2, height - inset - half),
        (inset + half, height / 2),
        (width - inset - half, height / 2),
    ):
        canvas.line(x - half, y, x + half, y)
        canvas.line(x, y - half, x, y + half)
    canvas.setFillColor(_GREY)
    canvas.setFont(SANS, 8)
    canvas.drawString(pdf.MARGIN, 34, pdf.french(f"Isoloir · {_TITLE}"))
    canvas.restoreState()
