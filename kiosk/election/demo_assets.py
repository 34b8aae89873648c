"""Logos and PDFs of the demo election's candidate lists (see ``kiosk.election.demo``).

Rendering only: the words come from the caller. Output is byte-reproducible for the same input
(reportlab ``invariant=1``, no timestamps, fonts from the pinned reportlab).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont
from reportlab.lib import colors
from reportlab.lib.enums import TA_JUSTIFY
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    KeepTogether,
    ListFlowable,
    ListItem,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from kiosk import pdf

LOGO_PIXELS: Final = 256
_SUPERSAMPLE: Final = 4  # drawn large then reduced: Pillow does not antialias polygons
_GREY: Final = colors.HexColor("#555555")
_DEMO_NOTICE: Final = "Document de démonstration : organisation syndicale et candidats fictifs."


class Shape(Enum):
    CIRCLE = "circle"
    ROUNDED = "rounded"
    HEXAGON = "hexagon"
    DIAMOND = "diamond"
    SHIELD = "shield"


class Ornament(Enum):
    RING = "ring"
    BAND = "band"
    DOTS = "dots"


@dataclass(frozen=True)
class Branding:
    acronym: str
    caption: str  # a short word under the acronym, e.g. "SYNDICAT"
    colour: str  # "#rrggbb"
    accent: str  # "#rrggbb"
    shape: Shape
    ornament: Ornament


@dataclass(frozen=True)
class Candidate:
    civility: str  # "Mme" or "M."
    first_name: str
    last_name: str
    detail: str  # corps or discipline, and académie

    @property
    def label(self) -> str:
        return f"{self.civility} {self.last_name.upper()} {self.first_name}"


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...]
    bullets: tuple[str, ...]


@dataclass(frozen=True)
class Quote:
    text: str
    author: Candidate


@dataclass(frozen=True)
class ListDocuments:
    """What the profession de foi and the ballot of one candidate list say."""

    election_title: str
    scrutin_title: str
    seats: int
    list_name: str
    union_name: str
    slogan: str
    branding: Branding
    titulaires: tuple[Candidate, ...]
    suppleants: tuple[Candidate, ...]
    edito: tuple[str, ...]
    priorities: tuple[str, ...]
    record: tuple[str, ...]  # what the union achieved in the last term
    later_pages: tuple[tuple[Section, ...], ...]  # the pages after the first, in order
    quotes: tuple[Quote, ...]  # one at the foot of every page but the last
    closing: str
    how_to_vote: str

    @property
    def page_count(self) -> int:
        return 1 + len(self.later_pages)


# ---- logo ---------------------------------------------------------------------------------------


def logo_png(branding: Branding) -> bytes:
    """A square RGBA PNG: the coloured shape, its ornament, the acronym and the caption."""
    size = LOGO_PIXELS * _SUPERSAMPLE
    outline = _shape_points(branding.shape, size, inset=0.03)
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).polygon(outline, fill=255)

    art = Image.new("RGBA", (size, size), branding.colour)
    draw = ImageDraw.Draw(art)
    if branding.ornament is Ornament.RING:
        draw.polygon(_shape_points(branding.shape, size, inset=0.08), fill=branding.accent)
        draw.polygon(_shape_points(branding.shape, size, inset=0.115), fill=branding.colour)
    elif branding.ornament is Ornament.BAND:
        draw.rectangle((0, round(size * 0.76), size, round(size * 0.84)), fill=branding.accent)
    else:
        radius = size * 0.035
        for dx in (-1, 0, 1):
            cx, cy = size / 2 + dx * size * 0.11, size * 0.29
            draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=branding.accent)

    ink = _ink_for(branding.colour)
    text_width = size * (0.48 if branding.shape is Shape.DIAMOND else 0.64)
    font = _fitting_font(branding.acronym, text_width, start=round(size * 0.2))
    draw.text((size / 2, size * 0.49), branding.acronym, font=font, fill=ink, anchor="mm")
    caption_font = ImageFont.truetype(pdf.FONTS / "Vera.ttf", round(size * 0.055))
    draw.text((size / 2, size * 0.645), branding.caption, font=caption_font, fill=ink, anchor="mm")

    logo = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    logo.paste(art, (0, 0), mask)
    logo = logo.resize((LOGO_PIXELS, LOGO_PIXELS), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    logo.save(out, format="PNG")
    return out.getvalue()


def _shape_points(shape: Shape, size: int, *, inset: float) -> list[tuple[float, float]]:
    c = size / 2
    r = size * (0.5 - inset)
    if shape is Shape.CIRCLE:
        return _polygon(c, r, 180, 0.0)
    if shape is Shape.HEXAGON:
        return _polygon(c, r, 6, math.pi / 6)
    if shape is Shape.DIAMOND:
        return _polygon(c, r, 4, 0.0)
    if shape is Shape.ROUNDED:
        return _rounded_square(c, r * 0.92, r * 0.28)
    return _shield(c, r)


def _polygon(c: float, r: float, sides: int, phase: float) -> list[tuple[float, float]]:
    return [
        (
            c + r * math.sin(phase + 2 * math.pi * i / sides),
            c - r * math.cos(phase + 2 * math.pi * i / sides),
        )
        for i in range(sides)
    ]


def _rounded_square(c: float, half: float, radius: float) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    corners = ((1, -1), (1, 1), (-1, 1), (-1, -1))  # clockwise from top right, y downwards
    for quarter, (sx, sy) in enumerate(corners):
        cx, cy = c + sx * (half - radius), c + sy * (half - radius)
        for step in range(16):
            angle = -math.pi / 2 + (quarter + step / 15) * math.pi / 2
            points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def _shield(c: float, r: float) -> list[tuple[float, float]]:
    top, shoulder, tip = c - r, c + r * 0.1, c + r
    left, right = c - r * 0.86, c + r * 0.86
    points = [(left, top), (right, top), (right, shoulder)]
    for step in range(1, 24):  # quadratic curve from the right shoulder to the tip, and back up
        t = step / 24
        points.append(_quadratic((right, shoulder), (right, c + r * 0.7), (c, tip), t))
    points.append((c, tip))
    for step in range(1, 24):
        t = step / 24
        points.append(_quadratic((c, tip), (left, c + r * 0.7), (left, shoulder), t))
    points.append((left, shoulder))
    return points


def _quadratic(
    a: tuple[float, float], b: tuple[float, float], c: tuple[float, float], t: float
) -> tuple[float, float]:
    u = 1 - t
    return (
        u * u * a[0] + 2 * u * t * b[0] + t * t * c[0],
        u * u * a[1] + 2 * u * t * b[1] + t * t * c[1],
    )


def _ink_for(hex_colour: str) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return "#1b1b1b" if luminance > 0.6 else "#ffffff"


def _fitting_font(text: str, width: float, *, start: int) -> ImageFont.FreeTypeFont:
    size = start
    while True:
        font = ImageFont.truetype(pdf.FONTS / "VeraBd.ttf", size)
        left, _, right, _ = font.getbbox(text)
        if right - left <= width or size <= 12:
            return font
        size = round(size * 0.92)


# ---- PDFs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Styles:
    kicker: ParagraphStyle
    title: ParagraphStyle
    subtitle: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    bullet: ParagraphStyle
    callout: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle


def _styles(branding: Branding) -> _Styles:
    colour = colors.HexColor(branding.colour)
    body = ParagraphStyle(
        "body", fontName="Helvetica", fontSize=10.5, leading=15, alignment=TA_JUSTIFY, spaceAfter=7
    )
    return _Styles(
        kicker=ParagraphStyle(
            "kicker",
            fontName="Helvetica-Bold",
            fontSize=9,
            leading=12,
            textColor=_GREY,
            spaceAfter=10,
        ),
        title=ParagraphStyle(
            "title",
            fontName="Helvetica-Bold",
            fontSize=22,
            leading=27,
            textColor=colour,
            spaceAfter=6,
        ),
        subtitle=ParagraphStyle(
            "subtitle", fontName="Helvetica-Oblique", fontSize=11.5, leading=15, spaceAfter=16
        ),
        heading=ParagraphStyle(
            "heading",
            fontName="Helvetica-Bold",
            fontSize=13.5,
            leading=17,
            textColor=colour,
            spaceBefore=10,
            spaceAfter=6,
        ),
        body=body,
        bullet=ParagraphStyle("bullet", parent=body, alignment=0, spaceAfter=2),
        callout=ParagraphStyle(
            "callout",
            fontName="Helvetica-Bold",
            fontSize=13,
            leading=18,
            alignment=1,
            textColor=colors.HexColor(_ink_for(branding.colour)),
        ),
        small=ParagraphStyle(
            "small", fontName="Helvetica", fontSize=9.5, leading=13, textColor=_GREY
        ),
        cell=ParagraphStyle("cell", fontName="Helvetica", fontSize=9.5, leading=10.5),
    )


def _french(text: str) -> str:
    """French typography: curly apostrophes, no line break before ``: ; ! ?`` or inside « »."""
    return pdf.french(text, no_break_before=":;!?»", no_break_after="«")


def _typeset(text: str) -> str:
    """``text`` as reportlab paragraph markup."""
    return escape(_french(text))


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(_typeset(text), style)


def _tint(hex_colour: str, share: float) -> colors.Color:
    """``hex_colour`` mixed with white, keeping ``share`` of the colour."""
    red, green, blue = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return colors.Color(*(1 - share * (1 - channel) for channel in (red, green, blue)))


def _boxed(flowables: list[Any], background: colors.Color, *, padding: float = 12) -> Table:
    box = Table([[flowables]], colWidths=[pdf.TEXT_WIDTH])
    box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), background),
                ("LEFTPADDING", (0, 0), (-1, -1), padding),
                ("RIGHTPADDING", (0, 0), (-1, -1), padding),
                ("TOPPADDING", (0, 0), (-1, -1), padding),
                ("BOTTOMPADDING", (0, 0), (-1, -1), padding),
            ]
        )
    )
    return box


def _bullets(items: Sequence[str], styles: _Styles, colour: str) -> ListFlowable:
    return ListFlowable(
        [ListItem(_para(item, styles.bullet), leftIndent=14) for item in items],
        bulletType="bullet",
        start="\u25a0",
        bulletFontName="ZapfDingbats",
        bulletFontSize=5,
        bulletColor=colors.HexColor(colour),
        bulletOffsetY=-3,
        leftIndent=14,
        spaceAfter=6,
    )


def _section(section: Section, styles: _Styles, colour: str) -> KeepTogether:
    return KeepTogether(
        [
            _para(section.heading, styles.heading),
            *(_para(text, styles.body) for text in section.paragraphs),
            _bullets(section.bullets, styles, colour),
        ]
    )


_PageHook = Callable[[Any, Any], None]


def _render(
    story: list[Any], doc: ListDocuments, *, first: _PageHook, later: _PageHook, pages: int
) -> bytes:
    built, data = pdf.render(
        story,
        [
            PageTemplate(id="first", frames=[pdf.text_frame(bottom=62, top=160)], onPage=first),
            PageTemplate(id="later", frames=[pdf.text_frame(bottom=62, top=72)], onPage=later),
        ],
        title=f"{doc.list_name} — {doc.scrutin_title}",
        author=doc.union_name,
        subject=doc.election_title,
        creator="Isoloir (élection de démonstration)",
    )
    if built != pages:  # the generator's texts must fit the layout it announces
        raise RuntimeError(f"{doc.list_name!r}: {built} pages where {pages} were planned")
    return data


def _draw_header(canvas: Any, doc: ListDocuments, logo: ImageReader, kind: str) -> None:
    colour = colors.HexColor(doc.branding.colour)
    top = pdf.PAGE_HEIGHT - 36
    canvas.drawImage(logo, pdf.MARGIN, top - 92, width=92, height=92, mask="auto")
    canvas.setFillColor(colour)
    canvas.setFont("Helvetica-Bold", 26)
    canvas.drawString(pdf.MARGIN + 110, top - 30, doc.branding.acronym)
    name = Paragraph(
        _typeset(doc.union_name), ParagraphStyle("u", fontName="Helvetica", fontSize=10, leading=13)
    )
    _, height = name.wrap(pdf.TEXT_WIDTH - 110 - 120, 60)
    name.drawOn(canvas, pdf.MARGIN + 110, top - 40 - height)
    canvas.setFillColor(_GREY)
    canvas.setFont("Helvetica-Bold", 9)
    canvas.drawRightString(pdf.PAGE_WIDTH - pdf.MARGIN, top - 12, kind)
    canvas.setStrokeColor(colour)
    canvas.setLineWidth(3)
    canvas.line(pdf.MARGIN, top - 106, pdf.PAGE_WIDTH - pdf.MARGIN, top - 106)


def _draw_footer(canvas: Any, doc: ListDocuments, page: str) -> None:
    canvas.setStrokeColor(colors.HexColor("#bbbbbb"))
    canvas.setLineWidth(0.5)
    canvas.line(pdf.MARGIN, 48, pdf.PAGE_WIDTH - pdf.MARGIN, 48)
    canvas.setFillColor(_GREY)
    canvas.setFont("Helvetica", 8)
    canvas.drawString(pdf.MARGIN, 36, _french(f"{doc.election_title} · {doc.scrutin_title}"))
    if page:
        canvas.drawRightString(pdf.PAGE_WIDTH - pdf.MARGIN, 36, page)
    canvas.setFont("Helvetica-Oblique", 7.5)
    canvas.drawString(pdf.MARGIN, 25, _DEMO_NOTICE)


def profession_de_foi_pdf(doc: ListDocuments, logo_png_bytes: bytes) -> bytes:
    """An A4 profession de foi of exactly ``doc.page_count`` pages."""
    styles = _styles(doc.branding)
    colour = doc.branding.colour
    logo = ImageReader(io.BytesIO(logo_png_bytes))
    total = doc.page_count

    def first(canvas: Any, template: Any) -> None:
        _draw_header(canvas, doc, logo, "PROFESSION DE FOI")
        _draw_footer(canvas, doc, f"Page 1 / {total}")

    def later(canvas: Any, template: Any) -> None:
        canvas.setFillColor(colors.HexColor(colour))
        canvas.rect(0, pdf.PAGE_HEIGHT - 40, pdf.PAGE_WIDTH, 40, stroke=0, fill=1)
        canvas.setFillColor(colors.HexColor(_ink_for(colour)))
        canvas.setFont("Helvetica-Bold", 12)
        canvas.drawString(pdf.MARGIN, pdf.PAGE_HEIGHT - 25, doc.branding.acronym)
        canvas.setFont("Helvetica", 9)
        canvas.drawRightString(
            pdf.PAGE_WIDTH - pdf.MARGIN, pdf.PAGE_HEIGHT - 25, _french(doc.slogan)
        )
        _draw_footer(canvas, doc, f"Page {template.page} / {total}")

    record_heading = ParagraphStyle("rh", parent=styles.heading, spaceBefore=0)
    story: list[Any] = [
        NextPageTemplate("later"),
        _para(f"{doc.election_title} · {doc.scrutin_title}".upper(), styles.kicker),
        _para(doc.slogan, styles.title),
        _para(f"Liste {doc.branding.acronym} — {doc.union_name}", styles.subtitle),
        *(_para(text, styles.body) for text in doc.edito),
        _para("Nos priorités", styles.heading),
        _bullets(doc.priorities, styles, colour),
        Spacer(1, 8),
        _boxed(
            [
                _para("Notre bilan du mandat écoulé", record_heading),
                _bullets(doc.record, styles, colour),
            ],
            _tint(colour, 0.12),
        ),
    ]
    for quote, sections in zip(doc.quotes, doc.later_pages, strict=True):
        story += [Spacer(1, 14), _quote(quote, styles, colour), PageBreak()]
        story += [_section(section, styles, colour) for section in sections]
    heads = ", ".join(candidate.label for candidate in doc.titulaires[:3])
    closing = _boxed([_para(doc.closing, styles.callout)], colors.HexColor(colour), padding=14)
    story += [
        Spacer(1, 14),
        KeepTogether(
            [
                closing,
                Spacer(1, 12),
                _para(doc.how_to_vote, styles.body),
                _para(f"Vos têtes de liste : {heads}.", styles.small),
            ]
        ),
    ]
    return _render(story, doc, first=first, later=later, pages=total)


def _quote(quote: Quote, styles: _Styles, colour: str) -> Table:
    text = ParagraphStyle(
        "quote",
        parent=styles.body,
        fontName="Helvetica-Oblique",
        fontSize=12.5,
        leading=17,
        alignment=0,
    )
    author = ParagraphStyle("author", parent=styles.small, alignment=2)
    who = quote.author
    box = Table(
        [[[_para(f"« {quote.text} »", text), _para(f"{who.label}, {who.detail}", author)]]],
        colWidths=[pdf.TEXT_WIDTH - 40],
    )
    box.setStyle(
        TableStyle(
            [
                ("LINEBEFORE", (0, 0), (0, -1), 3, colors.HexColor(colour)),
                ("LEFTPADDING", (0, 0), (-1, -1), 14),
            ]
        )
    )
    return box


def ballot_pdf(doc: ListDocuments, logo_png_bytes: bytes) -> bytes:
    """A one-page A4 bulletin de vote: the list, its union, titulaires and suppléants."""
    styles = _styles(doc.branding)
    logo = ImageReader(io.BytesIO(logo_png_bytes))

    def page(canvas: Any, template: Any) -> None:
        _draw_header(canvas, doc, logo, "BULLETIN DE VOTE")
        _draw_footer(canvas, doc, "")

    def cell(index: int, candidate: Candidate) -> Paragraph:
        return Paragraph(
            f"<b>{index}.</b> {_typeset(candidate.civility)} "
            f"<b>{_typeset(candidate.last_name.upper())}</b> {_typeset(candidate.first_name)}<br/>"
            f'<font size="7.5" color="#666666">{_typeset(candidate.detail)}</font>',
            styles.cell,
        )

    header = ParagraphStyle("th", parent=styles.cell, fontName="Helvetica-Bold", fontSize=10.5)
    rows: list[list[Any]] = [[Paragraph("Titulaires", header), Paragraph("Suppléants", header)]]
    rows += [
        [cell(i, titulaire), cell(i, suppleant)]
        for i, (titulaire, suppleant) in enumerate(
            zip(doc.titulaires, doc.suppleants, strict=True), 1
        )
    ]
    half = pdf.TEXT_WIDTH / 2
    table = Table(rows, colWidths=[half, half], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 1.2, colors.HexColor(doc.branding.colour)),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f3f3f3")]),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ]
        )
    )
    title = ParagraphStyle("bt", parent=styles.title, fontSize=17, leading=21, spaceAfter=2)
    union = ParagraphStyle("bu", parent=styles.subtitle, spaceAfter=10)
    story: list[Any] = [
        _para(doc.election_title.upper(), styles.kicker),
        _para(doc.scrutin_title, styles.heading),
        _para(f"Nombre de sièges à pourvoir : {doc.seats}", styles.small),
        Spacer(1, 8),
        _para(doc.list_name, title),
        _para(f"Liste présentée par : {doc.union_name}", union),
        table,
    ]
    return _render(story, doc, first=page, later=page, pages=1)
