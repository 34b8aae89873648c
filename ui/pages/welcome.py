"""The welcome screen: language, larger text, high contrast, "Commencer".

When the polls are not open (the window reads their state from the core), the page says so and
offers no "Commencer": the core would refuse the login anyway, better said before anyone types.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QWidget

from kiosk.config import Language
from kiosk.store import PollsState
from kiosk.voting.flow import Welcome
from kiosk.voting.model import Display
from ui.pages.base import Page, describe


class WelcomePage(Page):
    startRequested = Signal()
    displayRequested = Signal(object)  # the Display the voter asked for

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._display = Display()
        self._polls: PollsState | None = None  # None: not known (yet), nothing to say
        self._title = self.title()
        self._intro = self.text()
        languages = QHBoxLayout()
        self._french = self.button(add=False)
        self._english = self.button(add=False)
        for button in (self._french, self._english):
            button.setCheckable(True)
            languages.addWidget(button)
        self.column.addLayout(languages)
        self._large = self.button()
        self._large.setCheckable(True)
        self._contrast = self.button()
        self._contrast.setCheckable(True)
        self.column.addStretch()
        self._polls_notice = self.text("notice")
        self._polls_notice.hide()
        self._start = self.button()
        self._start.setDefault(True)

        self._french.clicked.connect(lambda: self._ask(language="fr"))
        self._english.clicked.connect(lambda: self._ask(language="en"))
        self._large.clicked.connect(lambda: self._ask(large_text=not self._display.large_text))
        self._contrast.clicked.connect(
            lambda: self._ask(high_contrast=not self._display.high_contrast)
        )
        self._start.clicked.connect(self.startRequested)
        self.retranslate()

    def retranslate(self) -> None:
        self._title.setText(self.tr("Bienvenue"))
        self._intro.setText(self.tr("Élections professionnelles : votez sur ce poste."))
        self._french.setText("Français")  # each language in its own words
        self._english.setText("English")
        describe(self._french, "Français", self.tr("Afficher les pages en français"))
        describe(self._english, "English", self.tr("Afficher les pages en anglais"))
        self._large.setText(self.tr("Texte agrandi"))
        describe(self._large, self.tr("Texte agrandi"), self.tr("Agrandir ou réduire le texte"))
        self._contrast.setText(self.tr("Contraste élevé"))
        describe(
            self._contrast,
            self.tr("Contraste élevé"),
            self.tr("Activer ou désactiver le contraste élevé"),
        )
        self._start.setText(self.tr("Commencer"))
        describe(self._start, self.tr("Commencer"), self.tr("Commencer à voter"))
        self._show_polls()

    @property
    def polls_notice(self) -> str:
        return self._polls_notice.text() if self._polls_notice.isVisibleTo(self) else ""

    def show_polls(self, polls: PollsState) -> None:
        """The polls' state as the core reads it: open, or why nobody may start."""
        self._polls = polls
        self._show_polls()

    def _show_polls(self) -> None:
        match self._polls:
            case None | PollsState.OPEN:
                message = ""
            case PollsState.NOT_OPENED:
                message = self.tr("Le bureau de vote n'est pas encore ouvert.")
            case PollsState.PAUSED:
                message = self.tr("Le bureau de vote est en pause : le vote reprendra bientôt.")
            case PollsState.CLOSED:
                message = self.tr("Le bureau de vote est fermé.")
        self._polls_notice.setText(message)
        self._polls_notice.setVisible(bool(message))
        self._start.setEnabled(not message)

    def show_state(self, state: Welcome) -> None:
        self._display = state.display
        self._french.setChecked(state.language == "fr")
        self._english.setChecked(state.language == "en")
        self._large.setChecked(state.large_text)
        self._contrast.setChecked(state.high_contrast)

    def _ask(
        self,
        *,
        language: Language | None = None,
        large_text: bool | None = None,
        high_contrast: bool | None = None,
    ) -> None:
        wanted = replace(
            self._display,
            language=language if language is not None else self._display.language,
            large_text=large_text if large_text is not None else self._display.large_text,
            high_contrast=(
                high_contrast if high_contrast is not None else self._display.high_contrast
            ),
        )
        self.show_state(Welcome(self._display))  # the core's answer decides what is checked
        self.displayRequested.emit(wanted)
