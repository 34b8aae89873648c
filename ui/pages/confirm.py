"""The chosen list before the final "JE VOTE", and the page after a challenge."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from kiosk.voting.flow import ChallengeShown, Confirm
from ui.ballot_names import BallotNames
from ui.notices import notice_text
from ui.pages.base import Page, describe


class ConfirmPage(Page):
    castRequested = Signal()
    backRequested = Signal()
    challengeRequested = Signal()

    def __init__(self, names: BallotNames, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names = names
        self._title = self.title()
        self._choice = self.text("code", from_state=True)
        self._tracking = self.text(from_state=True)
        self._final = self.text()
        self.column.addStretch()
        self._cast = self.button()
        self._back = self.button()
        self._challenge = self.button()
        self._cast.clicked.connect(self.castRequested)
        self._back.clicked.connect(self.backRequested)
        self._challenge.clicked.connect(self.challengeRequested)
        self.retranslate()

    def retranslate(self) -> None:
        self._title.setText(self.tr("Confirmez votre vote"))
        self._final.setText(
            self.tr("Après « JE VOTE », votre vote sera définitif et non modifiable.")
        )
        self._cast.setText(self.tr("JE VOTE"))
        describe(
            self._cast, self.tr("Je vote"), self.tr("Déposer ce bulletin : ce choix est définitif")
        )
        self._back.setText(self.tr("RETOUR"))
        describe(self._back, self.tr("Retour"), self.tr("Revenir aux listes sans voter"))
        self._challenge.setText(self.tr("Vérifier le chiffrement"))
        describe(
            self._challenge,
            self.tr("Vérifier le chiffrement"),
            self.tr(
                "Imprimer la preuve du chiffrement ; ce bulletin sera annulé "
                "et vous choisirez à nouveau"
            ),
        )

    def show_state(self, state: Confirm) -> None:
        self._choice.setText(self._names.option(state.scrutin.scrutin_id, state.choice))
        self._tracking.setText(
            self.tr("Code de suivi : %1").replace("%1", str(state.tracking_code))
        )


class ChallengePage(Page):
    continueRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = self.title()
        self._message = self.text()
        self._tracking = self.text(from_state=True)
        self._notice = self.notice()  # the slip could not be printed
        self._printed = True
        self.column.addStretch()
        self._again = self.button()
        self._again.clicked.connect(self.continueRequested)
        self.retranslate()

    def retranslate(self) -> None:
        self._title.setText(self.tr("Chiffrement vérifiable"))
        self._retell()
        self._again.setText(self.tr("Choisir à nouveau"))
        describe(self._again, self.tr("Choisir à nouveau"), self.tr("Revenir aux listes"))

    def _retell(self) -> None:
        if self._printed:
            text = self.tr(
                "La preuve du chiffrement a été imprimée. Ce bulletin est annulé : "
                "choisissez à nouveau pour voter."
            )
        else:
            text = self.tr("Ce bulletin est annulé : choisissez à nouveau pour voter.")
        self._message.setText(text)

    def clear(self) -> None:
        super().clear()
        self._printed = True
        self._retell()

    def show_state(self, state: ChallengeShown) -> None:
        self._printed = state.notice is None
        self._retell()
        self._notice.setText(notice_text(state.notice) if state.notice is not None else "")
        self._tracking.setText(
            self.tr("Code de suivi du bulletin annulé : %1").replace("%1", str(state.tracking_code))
        )
