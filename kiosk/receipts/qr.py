"""Reading back the QR codes of a printed receipt: from a PDF, or a PNG or JPEG photo or scan.

A PDF's pages are rendered by ``pdftoppm`` (poppler-utils) at 200 dpi in a temporary folder,
then every page goes to zbar (pyzbar) on white. Payloads come back page by page, each page's
top to bottom then left to right: the order a person reads them in.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from enum import Enum
from pathlib import Path
from typing import Final

from PIL import Image

RENDER_DPI: Final = 200
MAX_PAGES: Final = 20
_RENDER_TIMEOUT_SECONDS: Final = 60
_PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC: Final = b"\xff\xd8\xff"
_PDF_MAGIC: Final = b"%PDF-"


class QrReadError(ValueError):
    """A file whose QR codes cannot be read: not a PDF or image, or a broken one."""


class ScanKind(Enum):
    PDF = "pdf"
    IMAGE = "image"


def scan_kind(data: bytes) -> ScanKind | None:
    """What ``data`` is by its first bytes: a PDF, a PNG or JPEG image, or neither (None)."""
    if data.startswith(_PDF_MAGIC):
        return ScanKind.PDF
    if data.startswith((_PNG_MAGIC, _JPEG_MAGIC)):
        return ScanKind.IMAGE
    return None


def read_qr_payloads(path: Path) -> list[bytes]:
    """Every QR code's payload in the PDF, PNG or JPEG at ``path``; else ``QrReadError``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise QrReadError(f"{path}: cannot read ({exc.strerror})") from None
    return qr_payloads(data)


def qr_payloads(data: bytes) -> list[bytes]:
    """Every QR code's payload in a PDF, PNG or JPEG given as bytes; else ``QrReadError``."""
    match scan_kind(data):
        case ScanKind.PDF:
            pages = _render_pdf(data)
        case ScanKind.IMAGE:
            pages = [_open_image(data)]
        case None:
            raise QrReadError("neither a PDF nor a PNG or JPEG image")
    return [payload for page in pages for payload in _decode(page)]


def _open_image(data: bytes) -> Image.Image:
    try:
        with Image.open(io.BytesIO(data), formats=["PNG", "JPEG"]) as image:
            image.load()
            return _on_white(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise QrReadError("not a readable PNG or JPEG image") from None


def _on_white(image: Image.Image) -> Image.Image:
    """Greyscale, transparent pixels painted white: zbar reads a transparent black QR code on
    black otherwise."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("L")
    return image.convert("L")


def _render_pdf(data: bytes) -> list[Image.Image]:
    with tempfile.TemporaryDirectory(prefix="isoloir-qr-") as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(data)
        command = [
            "pdftoppm",
            "-r",
            str(RENDER_DPI),
            "-png",
            "-l",
            str(MAX_PAGES),
            str(source),
            str(Path(folder) / "page"),
        ]
        try:
            result = subprocess.run(
                command, capture_output=True, check=False, timeout=_RENDER_TIMEOUT_SECONDS
            )
        except FileNotFoundError:
            raise QrReadError("pdftoppm not found: install poppler-utils") from None
        except subprocess.TimeoutExpired:
            raise QrReadError("the PDF took too long to render") from None
        if result.returncode != 0:
            raise QrReadError("not a readable PDF")
        # pdftoppm pads page numbers to one width, so the names sort in page order.
        return [_open_image(page.read_bytes()) for page in sorted(Path(folder).glob("page-*.png"))]


def _decode(image: Image.Image) -> list[bytes]:
    # Imported here: pyzbar loads libzbar when imported, and only reading a QR code needs it.
    try:
        from pyzbar.pyzbar import ZBarSymbol, decode
    except ImportError:
        raise QrReadError("zbar not found: install libzbar0") from None

    found = decode(image, symbols=[ZBarSymbol.QRCODE])
    ordered = sorted(found, key=lambda symbol: (symbol.rect.top, symbol.rect.left))
    return [bytes(symbol.data) for symbol in ordered]
