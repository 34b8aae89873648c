"""Recorded: the tracking code, the time in the election's time zone, and whether the ballot is in
the ballot box or awaiting transmission; print; next; finish."""

from __future__ import annotations

from typing import assert_never

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from kiosk.receipts.documents import SyncState
from kiosk.voting.flow import Receipt
from ui.ballot_names import BallotNames
from ui.notices import notice_text
from ui.pages.base import Page, describe


class ReceiptPage(Page):
    printRequested = Signal()
    continueRequested = Signal()
    quitRequested = Signal()

    def __init__(self, names: BallotNames, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names = names
        self._title = self.title()
        self._scrutin = self.text(from_state=True)
        self._when = self.text(from_state=True)
        self._tracking_label = self.text()
        self._tracking = self.text("code", from_state=True)
        self._deposit = self.text("deposit", from_state=True)
        self._notice = self.notice()  # the papers could not be printed
        self.column.addStretch()
        self._print = self.button()
        self._next = self.button()
        self._quit = self.button()
        self._print.clicked.connect(self.printRequested)
        self._next.clicked.connect(self.continueRequested)
        self._quit.clicked.connect(self.quitRequested)
        self.retranslate()

    def retranslate(self) -> None:
        self._title.setText(self.tr("Votre vote est enregistré"))
        self._tracking_label.setText(self.tr("Code de suivi"))
        self._print.setText(self.tr("Imprimer"))
        describe(self._print, self.tr("Imprimer"), self.tr("Imprimer à nouveau le récépissé"))
        self._next.setText(self.tr("Scrutin suivant"))
        describe(self._next, self.tr("Scrutin suivant"), self.tr("Revenir à la liste des scrutins"))
        self._quit.setText(self.tr("Terminer"))
        describe(self._quit, self.tr("Terminer"), self.tr("Terminer la séance de vote"))

    def show_state(self, state: Receipt) -> None:
        local = self._names.local_time(state.cast_at)
        self._scrutin.setText(state.scrutin.title)
        self._when.setText(
            self.tr("Le %1 à %2 (%3)")
            .replace("%1", local.strftime("%d/%m/%Y"))
            .replace("%2", local.strftime("%H:%M:%S"))
            .replace("%3", local.tzname() or "")
        )
        self._tracking.setText(str(state.tracking_code))
        self._deposit.setText(self._deposit_text(state.deposit))
        self._notice.setText(notice_text(state.notice) if state.notice is not None else "")

    def _deposit_text(self, deposit: SyncState) -> str:
        match deposit:
            case SyncState.DEPOSITED:
                return self.tr("Déposé dans l'urne")
            case SyncState.PENDING:
                return self.tr("En attente de transmission")
            case _:
                assert_never(deposit)

    @property
    def deposit_text(self) -> str:
        return self._deposit.text()

    @property
    def tracking_text(self) -> str:
        return self._tracking.text()

    @property
    def time_text(self) -> str:
        return self._when.text()
