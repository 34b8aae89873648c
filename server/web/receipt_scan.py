"""The receipts in an uploaded photo, scan or PDF of a proof of deposit (docs/receipts.md).

Blocking work, run off the event loop by the caller. Anything can be uploaded, so the size of
what would be decoded is checked from the file's header before a pixel is: an image's
dimensions (Pillow reads the header only), a PDF's page sizes at the rendering resolution
(``pdfinfo``). Only then does ``kiosk.receipts.qr`` decode it, as ``isoloir verify receipt``
does (pyzbar; ``pdftoppm`` for a PDF). The caps stay below Pillow's own ``MAX_IMAGE_PIXELS``,
which is left as it is because it is one setting for the whole process. Every failure is a
``Refusal`` with a reason a person can act on; nothing here logs or keeps the file.
"""

from __future__ import annotations

import io
import math
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Final

from PIL import Image

from kiosk.crypto.receipt import RECEIPT_HEADER, Receipt, ReceiptFormatError, decode_receipt
from kiosk.receipts.qr import MAX_PAGES, RENDER_DPI, QrReadError, ScanKind, qr_payloads, scan_kind
from server.errors import ErrorCode, Refusal

MAX_IMAGE_PIXELS: Final = 50_000_000  # a 48-megapixel phone photo passes
MAX_PDF_PIXELS: Final = 60_000_000  # the rendered pages together: about 15 A4 pages at 200 dpi
MAX_RECEIPTS: Final = 10  # distinct receipts read from one file
_PDFINFO_TIMEOUT_SECONDS: Final = 10
_NUMBER: Final = rb"([-+0-9.eE]+|[-+]?inf|nan)"
_PAGE_BOX = re.compile(
    rb"^Page\s+(\d+)\s+(?:size:\s+%s x %s pts|\w+Box:\s+%s\s+%s\s+%s\s+%s)" % ((_NUMBER,) * 6),
    re.MULTILINE,
)


def read_receipts(data: bytes) -> list[Receipt] | Refusal:
    """The distinct receipts whose QR codes the file holds, in reading order (at most
    ``MAX_RECEIPTS``); a ``Refusal`` when the file is not one we read or holds none."""
    kind = scan_kind(data)
    if kind is None:
        return _refuse(
            415, ErrorCode.UNSUPPORTED_FILE, "the file is not a PNG or JPEG image or a PDF"
        )
    checked = _check_image(data) if kind is ScanKind.IMAGE else _check_pdf(data)
    if checked is not None:
        return checked
    try:
        payloads = qr_payloads(data)
    except QrReadError as exc:
        return _refuse(422, ErrorCode.UNREADABLE_FILE, f"the file cannot be read: {exc}")
    header = RECEIPT_HEADER.encode("ascii")
    candidates = list(dict.fromkeys(p.strip() for p in payloads if p.startswith(header)))
    receipts: list[Receipt] = []
    for payload in candidates[:MAX_RECEIPTS]:
        try:
            receipt = decode_receipt(payload)
        except ReceiptFormatError:
            continue
        if receipt not in receipts:
            receipts.append(receipt)
    if receipts:
        return receipts
    if candidates:
        detail = "a QR code starts like a receipt but is not a valid one (damaged or altered)"
    else:
        detail = (
            f"no receipt QR code found ({len(payloads)} other QR code(s)): photograph the "
            "proof of deposit flat, sharp and whole"
        )
    return _refuse(422, ErrorCode.NO_RECEIPT, detail)


def _check_image(data: bytes) -> Refusal | None:
    """The image's declared size, read from its header, before anything is decoded."""
    too_large = (
        f"the image is too large (over {MAX_IMAGE_PIXELS // 1_000_000} megapixels): "
        "send a smaller photo"
    )
    try:
        with Image.open(io.BytesIO(data), formats=["PNG", "JPEG"]) as image:
            width, height = image.size
    # Pillow refuses (or, with warnings as errors, warns about) a bomb as it opens the header.
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return _refuse(422, ErrorCode.UNREADABLE_FILE, too_large)
    except (OSError, SyntaxError, ValueError):
        return _refuse(422, ErrorCode.UNREADABLE_FILE, "not a readable PNG or JPEG image")
    if width * height > MAX_IMAGE_PIXELS:
        return _refuse(422, ErrorCode.UNREADABLE_FILE, f"{too_large} ({width} x {height} pixels)")
    return None


def _check_pdf(data: bytes) -> Refusal | None:
    """The pixels ``pdftoppm`` would make of the pages it renders, from ``pdfinfo``."""
    with tempfile.TemporaryDirectory(prefix="isoloir-upload-") as folder:
        source = Path(folder) / "upload.pdf"
        source.write_bytes(data)
        command = ["pdfinfo", "-f", "1", "-l", str(MAX_PAGES), "-box", str(source)]
        try:
            result = subprocess.run(
                command, capture_output=True, check=False, timeout=_PDFINFO_TIMEOUT_SECONDS
            )
        except FileNotFoundError:
            return _refuse(422, ErrorCode.UNREADABLE_FILE, "PDF files cannot be read here")
        except subprocess.TimeoutExpired:
            return _refuse(422, ErrorCode.UNREADABLE_FILE, "the PDF took too long to open")
    if result.returncode != 0:
        return _refuse(422, ErrorCode.UNREADABLE_FILE, "not a readable PDF")
    try:
        pixels = rendered_pixels(result.stdout)
    except ValueError:
        pixels = None
    if pixels is None:
        return _refuse(422, ErrorCode.UNREADABLE_FILE, "a PDF without a readable page")
    if pixels > MAX_PDF_PIXELS:
        return _refuse(
            422,
            ErrorCode.UNREADABLE_FILE,
            f"the PDF's pages are too large to render (over {MAX_PDF_PIXELS // 1_000_000} "
            "megapixels together): send the page with the receipt only",
        )
    return None


def rendered_pixels(pdfinfo_output: bytes) -> int | None:
    """Pixels at ``RENDER_DPI`` of each listed page's largest box, added up; None if no page
    is listed, ``ValueError`` for a size that is not a finite number."""
    largest: dict[int, tuple[float, float]] = {}
    for match in _PAGE_BOX.finditer(pdfinfo_output):
        page = int(match.group(1))
        if match.group(2) is not None:
            width, height = _points(match.group(2)), _points(match.group(3))
        else:
            x0, y0, x1, y1 = (_points(match.group(i)) for i in range(4, 8))
            width, height = abs(x1 - x0), abs(y1 - y0)
        seen = largest.get(page, (0.0, 0.0))
        largest[page] = (max(seen[0], width), max(seen[1], height))
    if not largest:
        return None
    scale = RENDER_DPI / 72  # PDF points are 1/72 inch
    return sum(int(w * scale + 1) * int(h * scale + 1) for w, h in largest.values())


def _points(text: bytes) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("not a finite page size")
    return value


def _refuse(status: int, code: ErrorCode, detail: str) -> Refusal:
    return Refusal(status, code, detail)
