""" "Êtes-vous toujours là ?" over the interrupted page, with the time left before the reset."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QWidget

from kiosk.voting.flow import InactivityWarning
from ui.notices import seconds_left
from ui.pages.base import Page, describe


class InactivityOverlay(Page):
    """Covers the page below; any touch or key on it means "still here"."""

    stillHere = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.column.addStretch()
        self._title = self.title()
        self._countdown = self.text(from_state=True)
        self._here = self.button()
        self.column.addStretch()
        self._here.clicked.connect(self.stillHere)
        self.retranslate()

    def retranslate(self) -> None:
        self._title.setText(self.tr("Êtes-vous toujours là ?"))
        self._here.setText(self.tr("Je suis toujours là"))
        describe(
            self._here,
            self.tr("Je suis toujours là"),
            self.tr("Reprendre là où vous en étiez"),
        )

    def hideEvent(self, event: QHideEvent) -> None:
        # The window hides the overlay when the voter comes back or at the reset (it is not one
        # of the pages a reset clears): the countdown goes with it.
        if not event.spontaneous():
            self.clear()
        super().hideEvent(event)

    def show_state(self, state: InactivityWarning, now: datetime) -> None:
        left = seconds_left(state.reset_at, now)
        self._countdown.setText(self.tr("Votre séance sera fermée dans %n seconde(s).", "", left))

    @property
    def countdown_text(self) -> str:
        return self._countdown.text()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.stillHere.emit()
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        self.stillHere.emit()
        event.accept()
