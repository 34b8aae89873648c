"""The display controls above every page but the welcome one (which shows them large): language,
larger text, high contrast. A voter who finds the text too small on the gallery changes it
there, without going back; the choice lasts until the end of their session (the core resets it).
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from kiosk.config import Language
from kiosk.voting.model import Display
from ui.pages.base import TOUCH_HEIGHT, TouchButton, describe


class DisplayBar(QWidget):
    """Shows a ``Display``; emits the one the voter asks for (the core's answer decides)."""

    displayRequested = Signal(object)  # the Display the voter asked for

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("displayBar")
        self._display = Display()
        row = QHBoxLayout(self)
        row.setContentsMargins(48, 8, 48, 0)
        row.addStretch()
        self._language = self._button(row)
        self._large = self._button(row, checkable=True)
        self._contrast = self._button(row, checkable=True)
        self._language.clicked.connect(self._switch_language)
        self._large.clicked.connect(
            lambda: self._ask(replace(self._display, large_text=not self._display.large_text))
        )
        self._contrast.clicked.connect(
            lambda: self._ask(replace(self._display, high_contrast=not self._display.high_contrast))
        )
        self.retranslate()

    def _button(self, row: QHBoxLayout, *, checkable: bool = False) -> QPushButton:
        button = TouchButton(self)  # Return presses it too
        button.setMinimumHeight(TOUCH_HEIGHT)
        button.setAutoDefault(False)
        button.setCheckable(checkable)
        row.addWidget(button)
        return button

    def show_display(self, display: Display) -> None:
        self._display = display
        self._large.setChecked(display.large_text)
        self._contrast.setChecked(display.high_contrast)
        self._label_language()

    def retranslate(self) -> None:
        self._label_language()
        self._large.setText(self.tr("A+"))
        describe(self._large, self.tr("Texte agrandi"), self.tr("Agrandir ou réduire le texte"))
        self._contrast.setText(self.tr("Contraste"))
        describe(
            self._contrast,
            self.tr("Contraste élevé"),
            self.tr("Activer ou désactiver le contraste élevé"),
        )

    def _label_language(self) -> None:
        # The button names the other language in its own words: that is what a voter looks for.
        if self._display.language == "fr":
            self._language.setText("English")
            describe(self._language, "English", self.tr("Afficher les pages en anglais"))
        else:
            self._language.setText("Français")
            describe(self._language, "Français", self.tr("Afficher les pages en français"))

    def _switch_language(self) -> None:
        other: Language = "en" if self._display.language == "fr" else "fr"
        self._ask(replace(self._display, language=other))

    def _ask(self, wanted: Display) -> None:
        self.show_display(self._display)  # undo the toggle: the core's answer decides
        self.displayRequested.emit(wanted)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
