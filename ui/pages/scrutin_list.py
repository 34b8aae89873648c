"""Each scrutin, voted or not, and "Fermeture du vote dans J H M"."""

from __future__ import annotations

import itertools
from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

from kiosk.voting.flow import ScrutinList, closing_countdown
from kiosk.voting.model import ScrutinEntry
from ui.notices import notice_text
from ui.pages.base import Page, describe


class ScrutinListPage(Page):
    chosen = Signal(str)  # the scrutin id
    quitRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = self.title()
        self._closing = self.text(from_state=True)
        self._rows = QVBoxLayout()
        self.column.addLayout(self._rows)
        self._notice = self.notice()
        self.column.addStretch()
        self._quit = self.button()
        self._quit.clicked.connect(self.quitRequested)
        self._entries: tuple[ScrutinEntry, ...] = ()
        self._buttons: list[QPushButton] = []
        self.retranslate()

    def retranslate(self) -> None:
        self._title.setText(self.tr("Vos scrutins"))
        self._quit.setText(self.tr("Terminer"))
        describe(self._quit, self.tr("Terminer"), self.tr("Terminer la séance de vote"))
        self._label_rows()

    def clear(self) -> None:
        """Also the rows: which scrutins this voter may vote in, and voted in."""
        super().clear()
        self._rebuild(())

    def show_state(self, state: ScrutinList, now: datetime) -> None:
        if state.booth.scrutins != self._entries:
            self._rebuild(state.booth.scrutins)
        days, hours, minutes = closing_countdown(state.booth.closes_at, now)
        self._closing.setText(
            self.tr("Fermeture du vote dans %1 j %2 h %3 min")
            .replace("%1", str(days))
            .replace("%2", str(hours))
            .replace("%3", str(minutes))
        )
        self._notice.setText(notice_text(state.notice) if state.notice is not None else "")

    def _rebuild(self, entries: tuple[ScrutinEntry, ...]) -> None:
        for button in self._buttons:
            self._rows.removeWidget(button)
            button.hide()
            button.deleteLater()
        self._entries = entries
        self._buttons = []
        for entry in entries:
            button = self.button(add=False)
            button.setEnabled(not entry.voted)
            button.clicked.connect(lambda _=False, sid=entry.scrutin_id: self.chosen.emit(sid))
            self._rows.addWidget(button)
            button.show()  # now, not at the layout's next pass: the list is complete once built
            self._buttons.append(button)
        for first, second in itertools.pairwise([*self._buttons, self._quit]):
            QWidget.setTabOrder(first, second)  # Tab goes down the scrutins, then "Terminer"
        self._label_rows()

    def _label_rows(self) -> None:
        for entry, button in zip(self._entries, self._buttons, strict=True):
            status = self.tr("a voté") if entry.voted else self.tr("à voter")
            button.setText(f"{entry.title} — {status}")
            describe(
                button,
                entry.title,
                self.tr("Vous avez déjà voté pour ce scrutin")
                if entry.voted
                else self.tr("Voter pour ce scrutin"),
            )
