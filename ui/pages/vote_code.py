"""Vote code + CAPTCHA image (with refresh), and the link to the réassort."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from kiosk.voting.flow import VoteCode
from kiosk.voting.model import CaptchaImage
from ui.notices import notice_line
from ui.pages.base import Page, describe, forget


class VoteCodePage(Page):
    submitted = Signal(str, str)  # vote code, CAPTCHA answer
    refreshRequested = Signal()
    reassortRequested = Signal()
    backRequested = Signal()

    def __init__(self, *, captcha: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._captcha_on = captcha
        self._shown: CaptchaImage | None = None
        self._title = self.title()
        self._code_label = self.text()
        self._code = self.field(secret=True)
        self._captcha_label = self.text()
        row = QHBoxLayout()
        self._image = QLabel(self)
        self._image.setFixedSize(260, 90)
        self._image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._refresh = self.button(add=False)
        row.addWidget(self._image)
        row.addWidget(self._refresh)
        row.addStretch()
        self.column.addLayout(row)
        self._answer = self.field()
        self._notice = self.notice()
        self._reassort = self.button()
        self._reassort.setFlat(True)
        self.column.addStretch()
        self._submit = self.button()
        self._back = self.button()
        for widget in (self._captcha_label, self._image, self._refresh, self._answer):
            widget.setVisible(captcha)

        self._submit.clicked.connect(self._send)
        self._code.returnPressed.connect(self._next_field)
        self._answer.returnPressed.connect(self._send)
        self._refresh.clicked.connect(self.refreshRequested)
        self._reassort.clicked.connect(self.reassortRequested)
        self._back.clicked.connect(self.backRequested)
        self.retranslate()

    def retranslate(self) -> None:
        self._title.setText(self.tr("Code de vote"))
        self._code_label.setText(self.tr("Saisissez votre code de vote"))
        describe(self._code, self.tr("Code de vote"), self.tr("Le code de vote que vous avez reçu"))
        self._captcha_label.setText(self.tr("Recopiez les chiffres de l'image"))
        self._image.setAccessibleName(self.tr("Image de vérification"))
        self._refresh.setText(self.tr("Nouvelle image"))
        describe(
            self._refresh, self.tr("Nouvelle image"), self.tr("Afficher une autre image à recopier")
        )
        describe(
            self._answer,
            self.tr("Chiffres de l'image"),
            self.tr("Les chiffres lus dans l'image de vérification"),
        )
        self._reassort.setText(
            self.tr("Cliquez ici pour obtenir un réassort de votre code de vote")
        )
        describe(
            self._reassort,
            self.tr("Réassort du code de vote"),
            self.tr("Obtenir un nouveau code de vote si vous l'avez perdu"),
        )
        self._submit.setText(self.tr("Valider"))
        describe(self._submit, self.tr("Valider"), self.tr("Vérifier le code de vote"))
        self._back.setText(self.tr("Retour"))
        describe(self._back, self.tr("Retour"), self.tr("Revenir à l'identification"))

    def clear(self) -> None:
        super().clear()
        self._shown = None
        self._image.clear()
        self._submit.setEnabled(True)
        self._reassort.setHidden(False)

    def show_state(self, state: VoteCode, now: datetime) -> None:
        self._reassort.setVisible(state.reassort_offered)  # no way offered: no dead-end link
        self._notice.setText(notice_line(state.notice, state.retry_at, now))
        if state.captcha is not self._shown:
            self._shown = state.captcha
            forget(self._answer)  # a new image: the old answer is spent
            if state.captcha is None:
                self._image.clear()
                self._image.setText(self.tr("Chargement…"))
            else:
                pixmap = QPixmap()
                pixmap.loadFromData(state.captcha.png, "PNG")
                self._image.setPixmap(pixmap)
        self._submit.setEnabled(not self._captcha_on or state.captcha is not None)

    def _next_field(self) -> None:
        if self._captcha_on:
            self._answer.setFocus()
        else:
            self._send()

    def _send(self) -> None:
        code, answer = self._code.text(), self._answer.text()
        forget(self._code)
        forget(self._answer)
        self.submitted.emit(code, answer)
