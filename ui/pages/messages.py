"""Message pages with one way forward: refused, locked, finished."""

from __future__ import annotations

from typing import assert_never

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from kiosk.voting.flow import Finished, Locked, Refused
from kiosk.voting.model import LockedCredential, Notice
from ui.notices import notice_text
from ui.pages.base import Page, describe


class _MessagePage(Page):
    continueRequested = Signal()

    def __init__(self, parent: QWidget | None = None, *, message_from_state: bool = True) -> None:
        super().__init__(parent)
        self._title = self.title()
        self._message = self.text(from_state=message_from_state)
        self.column.addStretch()
        self._continue = self.button()
        self._continue.clicked.connect(self.continueRequested)


class RefusedPage(_MessagePage):
    """Why nothing was recorded; after a technical incident, only that there was one (the page
    cannot know whether the last action reached the store)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._incident = False
        self.retranslate()

    def retranslate(self) -> None:
        self._retitle()
        self._continue.setText(self.tr("Continuer"))
        describe(self._continue, self.tr("Continuer"), self.tr("Quitter ce message"))

    def _retitle(self) -> None:
        if self._incident:
            self._title.setText(self.tr("Incident technique"))
        else:
            self._title.setText(self.tr("Aucun vote n'a été enregistré"))

    def clear(self) -> None:
        super().clear()
        self._incident = False
        self._retitle()

    def show_state(self, state: Refused) -> None:
        self._incident = state.notice is Notice.INCIDENT
        self._retitle()
        self._message.setText(notice_text(state.notice))


class LockedPage(_MessagePage):
    """Never says whether the identifier exists; only which help to ask for."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.retranslate()

    def retranslate(self) -> None:
        self._title.setText(self.tr("Trop de tentatives"))
        self._continue.setText(self.tr("Continuer"))
        describe(self._continue, self.tr("Continuer"), self.tr("Revenir à l'accueil"))

    def show_state(self, state: Locked) -> None:
        match state.credential:
            case LockedCredential.LOGIN | LockedCredential.VOTE_CODE:
                text = self.tr("Trop de tentatives : adressez-vous à un assesseur.")
            case LockedCredential.REASSORT:
                text = self.tr("Trop de tentatives de réassort : adressez-vous à un assesseur.")
            case _:
                assert_never(state.credential)
        self._message.setText(text)


class FinishedPage(_MessagePage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, message_from_state=False)
        self.retranslate()

    def retranslate(self) -> None:
        self._title.setText(self.tr("Merci"))
        self._message.setText(self.tr("Votre séance de vote est terminée."))
        self._continue.setText(self.tr("Retour à l'accueil"))
        describe(self._continue, self.tr("Retour à l'accueil"), self.tr("Laisser la place"))

    def show_state(self, state: Finished) -> None:
        pass  # the same thanks for everyone
