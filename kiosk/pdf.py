"""What every PDF Isoloir prints shares: the A4 page and its margins, French spacing, and
byte-reproducible rendering (reportlab ``invariant=1``: no timestamp, no random document id).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Final

import reportlab
from reportlab.lib.pagesizes import A4
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN: Final = 50.0
TEXT_WIDTH: Final = PAGE_WIDTH - 2 * MARGIN
NBSP: Final = "\u00a0"
FONTS: Final = Path(reportlab.__file__).parent / "fonts"
"""Bitstream Vera and the Type 1 faces that ship with reportlab, a pinned dependency: the same
glyphs, hence the same pixels, on every machine."""


def french(text: str, *, no_break_before: str = ":;!?", no_break_after: str = "") -> str:
    """Curly apostrophes, and a no-break space for the space before each mark of
    ``no_break_before`` and after each mark of ``no_break_after``, as French spacing wants."""
    text = text.replace("'", "\u2019")
    for mark in no_break_after:
        text = text.replace(mark + " ", mark + NBSP)
    for mark in no_break_before:
        text = text.replace(" " + mark, NBSP + mark)
    return text


def text_frame(*, bottom: float, top: float) -> Frame:
    """The text area between the side margins, ``bottom`` and ``top`` points from the edges."""
    return Frame(MARGIN, bottom, TEXT_WIDTH, PAGE_HEIGHT - top - bottom, 0, 0, 0, 0)


def render(story: list[Any], pages: list[PageTemplate], **metadata: str) -> tuple[int, bytes]:
    """``story`` laid out on A4 ``pages``: the page count and the PDF, whose bytes depend on
    the content alone. ``metadata`` is the document's title, author, subject and creator."""
    out = io.BytesIO()
    document = BaseDocTemplate(out, pagesize=A4, invariant=1, **metadata)
    document.addPageTemplates(pages)
    document.build(story)
    return int(document.page), out.getvalue()
