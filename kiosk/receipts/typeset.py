"""How a receipt sits on paper: an 80 mm thermal roll cut to its content, or an A4 page.

A document is a ``Sheet``: a kicker (the election), a title and a column of blocks (fields, the
tracking code, a banner, QR codes, notes, small print), laid out the same way on both papers,
larger on A4. Rendering only: every word comes from the caller.

Fonts are embedded, never left to the reader's substitutes, so that every printer and every
snapshot shows the same glyphs: Bitstream Vera and Adobe's Courier, both shipped with the
pinned reportlab. With ``invariant=1`` the bytes depend on the content alone.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final, TypeAlias, assert_never
from xml.sax.saxutils import escape

from reportlab.graphics.barcode import qrencoder
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    HRFlowable,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from kiosk import pdf
from kiosk.crypto.tracking import TrackingCode

SANS: Final = "IsoloirSans"
SANS_BOLD: Final = "IsoloirSans-Bold"
MONO_BOLD: Final = "IsoloirMono-Bold"
ROLL_WIDTH: Final = 80 * mm
_INK: Final = colors.HexColor("#000000")
_GREY: Final = colors.HexColor("#404040")  # dark enough for a thermal head
_RULE: Final = colors.HexColor("#9a9a9a")
_ACCENT: Final = colors.HexColor("#1f3a5f")
_TALLEST_PAGE: Final = 14_400.0  # 200 inches, the PDF limit: the roll's first, measuring pass


class Paper(Enum):
    ROLL_80MM = "roll-80mm"  # thermal ticket printer: 80 mm wide, cut after the content
    A4 = "a4"


class Tone(Enum):
    DONE = "done"
    WAITING = "waiting"
    ALERT = "alert"


@dataclass(frozen=True)
class Field:
    label: str
    value: str  # one line, or several separated by "\n"
    detail: str = ""  # a smaller line under the value


@dataclass(frozen=True)
class Fields:
    items: tuple[Field, ...]


@dataclass(frozen=True)
class Code:
    """A tracking code, printed big in two lines of four monospace groups."""

    label: str
    code: TrackingCode


@dataclass(frozen=True)
class Banner:
    text: str
    note: str
    tone: Tone


@dataclass(frozen=True)
class QrCode:
    payload: bytes
    caption: str = ""


@dataclass(frozen=True)
class QrCodes:
    codes: tuple[QrCode, ...]
    note: str


@dataclass(frozen=True)
class Note:
    text: str


@dataclass(frozen=True)
class SmallPrint:
    """Machine values (fingerprint, signature) in small monospace, cut to the width."""

    items: tuple[Field, ...]


Block: TypeAlias = Fields | Code | Banner | QrCodes | Note | SmallPrint


@dataclass(frozen=True)
class Sheet:
    kicker: str  # the election's title
    title: str
    blocks: tuple[Block, ...]
    subject: str  # the PDF's metadata


def render_sheet(sheet: Sheet, paper: Paper) -> bytes:
    """The PDF of ``sheet``: one roll ticket of its content's height, or A4 pages."""
    register_fonts()
    symbols = {
        code.payload: _qr_modules(code.payload)
        for block in sheet.blocks
        if isinstance(block, QrCodes)
        for code in block.codes
    }
    if paper is Paper.ROLL_80MM:
        return _render_roll(sheet, symbols)
    return _render_a4(sheet, symbols)


# ---- fonts --------------------------------------------------------------------------------------


@functools.cache
def register_fonts() -> None:
    """Register the three faces above with reportlab (once); every paper that names them calls
    this first (the receipts here, the polls reports of ``kiosk.admin.reports``)."""
    pdfmetrics.registerFont(TTFont(SANS, str(pdf.FONTS / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(SANS_BOLD, str(pdf.FONTS / "VeraBd.ttf")))
    face = pdfmetrics.EmbeddedType1Face(
        str(pdf.FONTS / "cob_____.afm"), str(pdf.FONTS / "cob_____.pfb")
    )
    # Under its own name, Courier-Bold, reportlab would take it for the standard font and not
    # embed it, and each reader would substitute a monospace of its own.
    face.name = MONO_BOLD
    pdfmetrics.registerTypeFace(face)
    pdfmetrics.registerFont(pdfmetrics.Font(MONO_BOLD, MONO_BOLD, "WinAnsiEncoding"))


# ---- metrics ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Metrics:
    width: float  # of the text column
    kicker: float
    title: float
    label: float
    value: float
    detail: float
    code: float
    banner: float
    note: float
    small: float
    gap: float  # between blocks
    qr_module: float  # the wished size of a QR module, before the limits below
    qr_min: float
    qr_max: float
    qr_columns: int
    field_columns: int
    is_roll: bool  # a ticket: centred heading, dashed rules, small print under a rule


_ROLL_MARGIN: Final = 5 * mm
_ROLL_TOP: Final = 5 * mm
_ROLL_BOTTOM: Final = 12 * mm  # room for the cutter
_ROLL: Final = _Metrics(
    width=ROLL_WIDTH - 2 * _ROLL_MARGIN,
    kicker=8,
    title=15,
    label=7,
    value=10.5,
    detail=7.5,
    code=16,
    banner=10.5,
    note=7.5,
    small=7,
    gap=7,
    qr_module=0.75 * mm,
    qr_min=36 * mm,
    qr_max=64 * mm,
    qr_columns=1,
    field_columns=1,
    is_roll=True,
)
_A4: Final = _Metrics(
    width=pdf.TEXT_WIDTH,
    kicker=10,
    title=22,
    label=9,
    value=12.5,
    detail=9.5,
    code=22,
    banner=13,
    note=9.5,
    small=8.5,
    gap=10,
    qr_module=1 * mm,
    qr_min=50 * mm,
    qr_max=70 * mm,
    qr_columns=3,
    field_columns=2,
    is_roll=False,
)


def _style(name: str, size: float, **options: Any) -> ParagraphStyle:
    options.setdefault("fontName", SANS)
    options.setdefault("leading", round(size * 1.3, 1))
    options.setdefault("textColor", _INK)
    return ParagraphStyle(name, fontSize=size, **options)


def _markup(text: str) -> str:
    """``text`` as reportlab paragraph markup, with French spacing (harmless in English)."""
    return escape(pdf.french(text, no_break_before=":;!?»", no_break_after="«"))


# ---- blocks -------------------------------------------------------------------------------------


def _story(sheet: Sheet, metrics: _Metrics, symbols: _Symbols) -> list[Any]:
    centre = TA_CENTER if metrics.is_roll else TA_LEFT
    story: list[Any] = [
        Paragraph(
            _markup(sheet.kicker),
            _style("kicker", metrics.kicker, alignment=centre, textColor=_GREY),
        ),
        Spacer(1, metrics.gap * 0.3),
        Paragraph(
            _markup(sheet.title),
            _style("title", metrics.title, fontName=SANS_BOLD, alignment=centre),
        ),
        _rule(metrics),
    ]
    for index, block in enumerate(sheet.blocks):
        story += [
            *([Spacer(1, metrics.gap)] if index else []),
            *_block(block, metrics, symbols),
        ]
    return story


def _block(block: Block, metrics: _Metrics, symbols: _Symbols) -> list[Any]:
    match block:
        case Fields(items):
            return [_fields(items, metrics)]
        case Code(label, code):
            return [_code(label, code, metrics)]
        case Banner(text, note, tone):
            return [_banner(text, note, tone, metrics)]
        case QrCodes(codes, note):
            return _qr_codes(codes, note, metrics, symbols)
        case Note(text):
            return [Paragraph(_markup(text), _style("note", metrics.note, textColor=_GREY))]
        case SmallPrint(items):
            return [*([_rule(metrics)] if metrics.is_roll else []), *_small_print(items, metrics)]
        case _:
            assert_never(block)


def _rule(metrics: _Metrics) -> HRFlowable:
    roll = metrics.is_roll
    return HRFlowable(
        width="100%",
        thickness=0.8 if roll else 1.5,
        color=_INK if roll else _ACCENT,
        dash=(2, 2) if roll else None,
        spaceBefore=metrics.gap * 0.6,
        spaceAfter=metrics.gap,
    )


def _fields(items: Sequence[Field], metrics: _Metrics) -> Flowable:
    """Label over value, as on a ticket; on A4 in two columns, row by row."""
    label = _style("label", metrics.label, fontName=SANS_BOLD, textColor=_GREY)
    value = _style("value", metrics.value, fontName=SANS_BOLD)
    detail = _style("detail", metrics.detail, textColor=_GREY)

    def cell(item: Field) -> list[Paragraph]:
        lines = "<br/>".join(_markup(line) for line in item.value.split("\n"))
        shown = [Paragraph(_markup(item.label.upper()), label), Paragraph(lines, value)]
        if item.detail:
            shown.append(Paragraph(_markup(item.detail), detail))
        return shown

    columns = metrics.field_columns
    cells: list[Any] = [cell(item) for item in items]
    cells += [""] * (-len(cells) % columns)
    rows = [cells[i : i + columns] for i in range(0, len(cells), columns)]
    table = Table(rows, colWidths=[metrics.width / columns] * columns)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), metrics.gap),
                ("TOPPADDING", (0, 0), (-1, -1), metrics.gap * 0.2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), metrics.gap * 0.45),
            ]
        )
    )
    return table


def _code(label: str, code: TrackingCode, metrics: _Metrics) -> Flowable:
    groups = code.split("-")
    lines = [" ".join(groups[:4]), " ".join(groups[4:])]
    caption = Paragraph(
        _markup(label),
        _style("code-label", metrics.label, fontName=SANS_BOLD, textColor=_GREY, alignment=1),
    )
    text = Paragraph(
        "<br/>".join(lines),
        _style("code", metrics.code, fontName=MONO_BOLD, leading=metrics.code * 1.25, alignment=1),
    )
    box = Table([[caption], [text]], colWidths=[metrics.width])
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.2, _INK),
                ("TOPPADDING", (0, 0), (-1, 0), metrics.gap * 0.7),
                ("BOTTOMPADDING", (0, 0), (-1, 0), 0),
                ("TOPPADDING", (0, 1), (-1, 1), metrics.gap * 0.3),
                ("BOTTOMPADDING", (0, 1), (-1, 1), metrics.gap * 0.9),
            ]
        )
    )
    return box


def _banner(text: str, note: str, tone: Tone, metrics: _Metrics) -> Flowable:
    alert = tone is Tone.ALERT
    ink = colors.white if alert else _INK
    mark_size = metrics.banner * 1.6
    words = [
        Paragraph(
            _markup(text), _style("banner", metrics.banner, fontName=SANS_BOLD, textColor=ink)
        )
    ]
    if note:
        words.append(Paragraph(_markup(note), _style("banner-note", metrics.note, textColor=ink)))
    pad = metrics.gap * 0.8
    box = Table(
        [[_Mark(tone, mark_size, ink), words]],
        colWidths=[mark_size + pad, metrics.width - mark_size - pad],
    )
    dash = (3, 2) if tone is Tone.WAITING else None
    box.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BOX", (0, 0), (-1, -1), 1.6, _INK, None, dash),
                ("BACKGROUND", (0, 0), (-1, -1), _INK if alert else colors.white),
                ("LEFTPADDING", (0, 0), (0, 0), pad),
                ("RIGHTPADDING", (0, 0), (0, 0), 0),
                ("LEFTPADDING", (1, 0), (1, 0), pad),
                ("RIGHTPADDING", (1, 0), (1, 0), pad),
                ("TOPPADDING", (0, 0), (-1, -1), pad),
                ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
            ]
        )
    )
    return box


def _qr_codes(
    codes: Sequence[QrCode], note: str, metrics: _Metrics, symbols: _Symbols
) -> list[Any]:
    """The codes in rows of up to ``qr_columns``, each row centred, each code over its caption."""
    columns = min(metrics.qr_columns, len(codes))
    cell_width = metrics.width / columns
    room = cell_width - (4 * mm if columns > 1 else 0)
    caption = _style("qr-caption", metrics.label, fontName=SANS_BOLD, alignment=1)
    cells = [
        [_Qr(symbols[code.payload], metrics, room), *_captions(code.caption, caption)]
        for code in codes
    ]
    story: list[Any] = []
    for start in range(0, len(cells), columns):
        row = cells[start : start + columns]
        grid = Table([row], colWidths=[cell_width] * len(row))
        grid.setStyle(
            TableStyle(
                [
                    ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), metrics.gap * 0.6),
                ]
            )
        )
        grid.hAlign = "CENTER"
        story.append(grid)
    if note:
        story.append(Paragraph(_markup(note), _style("qr-note", metrics.note, textColor=_GREY)))
    return story


def _captions(text: str, style: ParagraphStyle) -> list[Paragraph]:
    return [Paragraph(_markup(text), style)] if text else []


def _small_print(items: Sequence[Field], metrics: _Metrics) -> list[Any]:
    """Each item's label, then its value in monospace, cut into lines that fit the width."""
    label = _style("small-label", metrics.small, fontName=SANS_BOLD, textColor=_GREY)
    mono = _style("small", metrics.small, fontName=MONO_BOLD, leading=metrics.small * 1.25)
    per_line = max(8, int(metrics.width / pdfmetrics.stringWidth("M", MONO_BOLD, metrics.small)))
    story: list[Any] = []
    for item in items:
        lines = [item.value[i : i + per_line] for i in range(0, len(item.value), per_line)]
        story.append(
            KeepTogether(
                [
                    Paragraph(_markup(item.label), label),
                    Paragraph("<br/>".join(escape(line) for line in lines), mono),
                    Spacer(1, metrics.small * 0.6),
                ]
            )
        )
    return story


_Modules: TypeAlias = tuple[tuple[bool, ...], ...]
_Symbols: TypeAlias = Mapping[bytes, _Modules]  # computed once per document, not per pass


def _qr_modules(payload: bytes) -> _Modules:
    """The dark modules of ``payload`` in byte mode at error correction M (15 % restorable)."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(qrencoder.QR8bitByte(payload))
    code.make()
    return tuple(tuple(bool(module) for module in row) for row in code.modules)


def qr_flowable(payload: bytes, *, room: float) -> Flowable:
    """``payload``'s QR code as an A4 receipt prints it (byte mode, level M, its quiet zone),
    at most ``room`` points wide: for the other papers that carry a signed QR code."""
    return _Qr(_qr_modules(payload), _A4, room)


class _Qr(Flowable):  # type: ignore[misc]  # reportlab is untyped
    """A QR code with its quiet zone, sized from a module size within the paper's limits."""

    _BORDER: Final = 4  # modules of quiet zone, as the standard asks

    def __init__(self, modules: _Modules, metrics: _Metrics, room: float) -> None:
        super().__init__()
        self._modules = modules
        span = len(self._modules) + 2 * self._BORDER
        self._size = min(max(span * metrics.qr_module, metrics.qr_min), metrics.qr_max, room)
        self.hAlign = "CENTER"

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self._size, self._size

    def draw(self) -> None:
        count = len(self._modules)
        module = self._size / (count + 2 * self._BORDER)
        canvas = self.canv
        canvas.setFillColor(_INK)
        for r, row in enumerate(self._modules):
            y = self._size - (r + self._BORDER + 1) * module
            c = 0
            while c < count:
                if not row[c]:
                    c += 1
                    continue
                start = c
                while c < count and row[c]:
                    c += 1
                # A hair taller than a module, so that rows print without white seams.
                canvas.rect(
                    (start + self._BORDER) * module,
                    y - module * 0.02,
                    (c - start) * module,
                    module * 1.04,
                    stroke=0,
                    fill=1,
                )


class _Mark(Flowable):  # type: ignore[misc]  # reportlab is untyped
    """The banner's sign, drawn rather than typed (no font has them all): a tick, an
    hourglass, an exclamation mark in a circle."""

    def __init__(self, tone: Tone, size: float, ink: colors.Color) -> None:
        super().__init__()
        self._tone, self._size, self._ink = tone, size, ink

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self._size, self._size

    def draw(self) -> None:
        canvas, s = self.canv, self._size
        canvas.setStrokeColor(self._ink)
        canvas.setFillColor(self._ink)
        canvas.setLineWidth(s * 0.12)
        canvas.setLineCap(1)
        canvas.setLineJoin(1)
        if self._tone is Tone.DONE:
            path = canvas.beginPath()
            path.moveTo(s * 0.12, s * 0.5)
            path.lineTo(s * 0.4, s * 0.2)
            path.lineTo(s * 0.9, s * 0.82)
            canvas.drawPath(path, stroke=1, fill=0)
        elif self._tone is Tone.WAITING:
            canvas.setLineWidth(s * 0.09)
            path = canvas.beginPath()
            path.moveTo(s * 0.2, s * 0.92)
            path.lineTo(s * 0.8, s * 0.92)
            path.lineTo(s * 0.2, s * 0.08)
            path.lineTo(s * 0.8, s * 0.08)
            path.close()
            canvas.drawPath(path, stroke=1, fill=0)
            sand = canvas.beginPath()
            sand.moveTo(s * 0.32, s * 0.14)
            sand.lineTo(s * 0.68, s * 0.14)
            sand.lineTo(s * 0.5, s * 0.36)
            sand.close()
            canvas.drawPath(sand, stroke=0, fill=1)
        else:
            canvas.setLineWidth(s * 0.09)
            canvas.circle(s / 2, s / 2, s * 0.45, stroke=1, fill=0)
            canvas.setLineWidth(s * 0.13)
            canvas.line(s / 2, s * 0.72, s / 2, s * 0.42)
            canvas.circle(s / 2, s * 0.25, s * 0.07, stroke=0, fill=1)


class _EndMark(Flowable):  # type: ignore[misc]  # reportlab is untyped
    """Zero-size, last in the roll's story: records how far down the content went."""

    _ZEROSIZE = True

    def __init__(self) -> None:
        super().__init__()
        self.y: float | None = None

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0, 0

    def drawOn(self, canvas: Any, x: float, y: float, _sW: float = 0) -> None:
        self.y = y


# ---- papers -------------------------------------------------------------------------------------


def _metadata(sheet: Sheet) -> dict[str, str]:
    return {
        "title": f"{sheet.title} — {sheet.subject}",
        "author": "Isoloir",
        "subject": sheet.kicker,
        "creator": "Isoloir",
    }


def _render_roll(sheet: Sheet, symbols: _Symbols) -> bytes:
    """Laid out once on the tallest page to measure it, then on a page of exactly that height."""

    def build(height: float) -> tuple[float, int, bytes]:
        end = _EndMark()
        top = height - _ROLL_TOP
        frame = Frame(_ROLL_MARGIN, 0, _ROLL.width, top, 0, 0, 0, 0)
        out = io.BytesIO()
        document = BaseDocTemplate(
            out, pagesize=(ROLL_WIDTH, height), invariant=1, **_metadata(sheet)
        )
        document.addPageTemplates([PageTemplate(id="roll", frames=[frame])])
        document.build([*_story(sheet, _ROLL, symbols), Spacer(1, _ROLL.gap), _end_line(), end])
        if end.y is None:  # the marker is always laid out last
            raise RuntimeError("roll layout: end of content not found")
        return top - end.y, int(document.page), out.getvalue()

    used, _, _ = build(_TALLEST_PAGE)
    height = _ROLL_TOP + used + _ROLL_BOTTOM
    again, pages, data = build(height)
    if pages != 1 or abs(again - used) > 0.01:
        raise RuntimeError("roll layout: the content did not fit its measured height")
    return data


def _end_line() -> Flowable:
    return Paragraph("— Isoloir —", _style("end", _ROLL.small, alignment=1, textColor=_GREY))


def _render_a4(sheet: Sheet, symbols: _Symbols) -> bytes:
    def page(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setStrokeColor(_RULE)
        canvas.setLineWidth(0.5)
        canvas.line(pdf.MARGIN, 40, pdf.PAGE_WIDTH - pdf.MARGIN, 40)
        canvas.setFillColor(_GREY)
        canvas.setFont(SANS, 8)
        canvas.drawString(pdf.MARGIN, 28, pdf.french(f"Isoloir · {sheet.title}"))
        canvas.drawRightString(pdf.PAGE_WIDTH - pdf.MARGIN, 28, pdf.french(sheet.kicker))
        canvas.restoreState()

    _, data = pdf.render(
        _story(sheet, _A4, symbols),
        [PageTemplate(id="a4", frames=[pdf.text_frame(bottom=50, top=46)], onPage=page)],
        **_metadata(sheet),
    )
    return data
