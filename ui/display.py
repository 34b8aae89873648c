"""How a ``Display`` (text size, contrast) looks: one style sheet for the whole window."""

from __future__ import annotations

from kiosk.voting.model import Display

NORMAL_POINTS = 16
LARGE_POINTS = 24

_HIGH_CONTRAST = """
QWidget { background: #000000; color: #ffffff; }
QPushButton, QLineEdit, QComboBox, QRadioButton {
    background: #000000; color: #ffff00; border: 3px solid #ffff00;
}
QPushButton:disabled { color: #808080; border-color: #808080; }
QLabel#notice { color: #ffff00; }
"""

_STANDARD = """
QWidget { background: #f5f6fa; color: #1a1a2e; }
QPushButton { background: #000091; color: #ffffff; border-radius: 6px; padding: 10px 18px; }
QPushButton:disabled { background: #b8b8c8; color: #4a4a5a; }
QLineEdit { background: #ffffff; border: 2px solid #000091; padding: 6px; }
QLabel#notice { color: #b00020; }
"""


def style_sheet(display: Display) -> str:
    points = LARGE_POINTS if display.large_text else NORMAL_POINTS
    sizes = (
        f"* {{ font-size: {points}pt; }}\n"
        f"QLabel#title {{ font-size: {points * 3 // 2}pt; font-weight: bold; }}\n"
        f"QLabel#code {{ font-size: {points * 2}pt; font-family: monospace; }}\n"
    )
    return sizes + (_HIGH_CONTRAST if display.high_contrast else _STANDARD)
