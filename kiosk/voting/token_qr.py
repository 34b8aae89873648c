"""The réassort token as a QR code: drawn for the voter's e-mail, read back by the kiosk camera.

The QR code holds the token and nothing else, in one versioned form (docs/voter-flow.md,
"Réassort by QR code"):

    "isoloir-reassort/1" SP XXXX "-" XXXX        (X in ``TOKEN_ALPHABET``: 28 ASCII bytes)

Reading is strict: a symbol that is not exactly this (a receipt's QR code shown by mistake, a
URL, anything longer than ``MAX_PAYLOAD_BYTES``) reads as None, never as an exception, and a
frame whose two QR codes hold two different tokens reads as None too (which one was meant?).
"""

from __future__ import annotations

import io
import re
from typing import Final

from PIL import Image
from reportlab.graphics.barcode import qrencoder

from kiosk.voting.reassort import (
    TOKEN_ALPHABET,
    TOKEN_LENGTH,
    TOKEN_QR_PREFIX,
    format_token,
    token_qr_payload,
)

MAX_PAYLOAD_BYTES: Final = 64  # the payload is 28 bytes; anything longer is not ours
MAX_FRAME_SIDE: Final = 4096  # pixels; the camera hands frames of at most 640
MODULE_PIXELS: Final = 10  # a 29-module code is 370 px with its quiet zone: a phone shows it
_QUIET_ZONE: Final = 4  # modules, as the QR standard asks
_HALF: Final = TOKEN_LENGTH // 2
_PAYLOAD: Final = re.compile(
    re.escape(TOKEN_QR_PREFIX)
    + f"([{TOKEN_ALPHABET}]{{{_HALF}}})-([{TOKEN_ALPHABET}]{{{TOKEN_LENGTH - _HALF}}})"
)


def token_qr_png(token: str) -> bytes:
    """A PNG of the QR code holding ``token_qr_payload(token)`` (``token`` in compact form).

    Error correction Q (25 % restorable): a phone screen has glare and cracks.
    """
    if len(token) != TOKEN_LENGTH or any(c not in TOKEN_ALPHABET for c in token):
        raise ValueError("not a réassort token")  # never the value itself
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.Q)
    code.addData(qrencoder.QR8bitByte(token_qr_payload(token).encode("ascii")))
    code.make()
    span = len(code.modules) + 2 * _QUIET_ZONE
    image = Image.new("1", (span, span), 1)  # white, with the quiet zone
    for r, row in enumerate(code.modules):
        for c, dark in enumerate(row):
            if dark:
                image.putpixel((c + _QUIET_ZONE, r + _QUIET_ZONE), 0)
    side = span * MODULE_PIXELS
    scaled = image.resize((side, side), Image.Resampling.NEAREST)
    out = io.BytesIO()
    scaled.save(out, format="PNG", optimize=True)
    return out.getvalue()


def token_from_payload(payload: bytes) -> str | None:
    """The token a QR payload holds, printed (``ABCD-EFGH``); None for anything else."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return None
    try:
        text = payload.decode("ascii")
    except UnicodeDecodeError:
        return None
    found = _PAYLOAD.fullmatch(text)
    return None if found is None else format_token(found[1] + found[2])


def token_from_frame(width: int, height: int, gray_pixels: bytes) -> str | None:
    """The token in an 8-bit grayscale frame (rows of ``width`` bytes, no padding), if exactly
    one token is in it; None otherwise, and for a frame whose size does not add up.

    Raises ``ImportError`` only when zbar itself is missing (an installation fault: install
    libzbar0), never because of what the frame shows.
    """
    if not (0 < width <= MAX_FRAME_SIDE and 0 < height <= MAX_FRAME_SIDE):
        return None
    if len(gray_pixels) != width * height:
        return None
    # Imported here: pyzbar loads libzbar when imported, and only reading a QR code needs it.
    from pyzbar.pyzbar import ZBarSymbol, decode

    symbols = decode((bytes(gray_pixels), width, height), symbols=[ZBarSymbol.QRCODE])
    tokens = {token_from_payload(bytes(symbol.data)) for symbol in symbols}
    tokens.discard(None)
    return tokens.pop() if len(tokens) == 1 else None


def token_from_image(image: Image.Image) -> str | None:
    """``token_from_frame`` for a Pillow image (a photo, a scan, the PNG of ``token_qr_png``),
    made grayscale on white and shrunk to fit ``MAX_FRAME_SIDE``."""
    gray = _on_white(image)
    if max(gray.size) > MAX_FRAME_SIDE:
        gray.thumbnail((MAX_FRAME_SIDE, MAX_FRAME_SIDE))
    width, height = gray.size
    return token_from_frame(width, height, gray.tobytes())


def _on_white(image: Image.Image) -> Image.Image:
    """Grayscale, transparent pixels painted white (zbar reads black on black otherwise)."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("L")
    return image.convert("L")
