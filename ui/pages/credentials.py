"""Identifier + election password."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from kiosk.voting.flow import Credentials
from ui.notices import notice_line
from ui.pages.base import Page, describe, forget


class CredentialsPage(Page):
    submitted = Signal(str, str)  # identifier, password
    backRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = self.title()
        self._identifier_label = self.text()
        self._identifier = self.field()
        self._password_label = self.text()
        self._password = self.field(secret=True)
        self._notice = self.notice()
        self.column.addStretch()
        self._submit = self.button()
        self._back = self.button()
        self._submit.clicked.connect(self._send)
        self._identifier.returnPressed.connect(self._password.setFocus)
        self._password.returnPressed.connect(self._send)
        self._back.clicked.connect(self.backRequested)
        self.retranslate()

    def retranslate(self) -> None:
        self._title.setText(self.tr("Identification"))
        self._identifier_label.setText(
            self.tr("Identifiant (adresse électronique professionnelle)")
        )
        describe(
            self._identifier,
            self.tr("Identifiant"),
            self.tr("Votre adresse électronique professionnelle"),
        )
        self._password_label.setText(self.tr("Mot de passe électeur"))
        describe(
            self._password,
            self.tr("Mot de passe électeur"),
            self.tr("Le mot de passe de l'élection que vous avez reçu"),
        )
        self._submit.setText(self.tr("Valider"))
        describe(
            self._submit, self.tr("Valider"), self.tr("Vérifier l'identifiant et le mot de passe")
        )
        self._back.setText(self.tr("Retour"))
        describe(self._back, self.tr("Retour"), self.tr("Revenir à l'accueil"))

    def show_state(self, state: Credentials, now: datetime) -> None:
        self._notice.setText(notice_line(state.notice, state.retry_at, now))

    def _send(self) -> None:
        identifier, password = self._identifier.text(), self._password.text()
        forget(self._password)  # a secret lives in the event, never in a widget
        self.submitted.emit(identifier, password)
