"""The lists and the blank vote of one scrutin; choosing is off until "JE VEUX VOTER"."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QPushButton, QWidget

from kiosk.election.model import ListId
from kiosk.voting.flow import Gallery
from kiosk.voting.model import DocumentKind, ScrutinEntry
from ui.ballot_names import BallotNames
from ui.pages.base import Page, describe


class GalleryPage(Page):
    armRequested = Signal()
    optionChosen = Signal(str)  # the option (a list id, or the blank vote)
    documentRequested = Signal(str, object)  # list id, DocumentKind
    documentClosed = Signal()
    backRequested = Signal()

    def __init__(self, names: BallotNames, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names = names
        self._title = self.title()
        self._arm = self.button()
        self._grid = QGridLayout()
        self.column.addLayout(self._grid)
        self._document = self.text()
        self._close_document = self.button()
        self.column.addStretch()
        self._back = self.button()
        self._scrutin: ScrutinEntry | None = None
        self._options: list[tuple[ListId, QPushButton]] = []
        self._documents: list[tuple[ListId, DocumentKind, QPushButton]] = []
        self._arm.clicked.connect(self.armRequested)
        self._close_document.clicked.connect(self.documentClosed)
        self._back.clicked.connect(self.backRequested)
        self.retranslate()

    def retranslate(self) -> None:
        self._arm.setText(self.tr("JE VEUX VOTER, J'ACTIVE LA SÉLECTION DE MON CHOIX DE VOTE"))
        describe(
            self._arm,
            self.tr("Je veux voter"),
            self.tr("Activer la sélection de votre choix de vote"),
        )
        self._close_document.setText(self.tr("Fermer le document"))
        describe(self._close_document, self.tr("Fermer le document"), self.tr("Revenir aux listes"))
        self._back.setText(self.tr("Retour"))
        describe(self._back, self.tr("Retour"), self.tr("Revenir à la liste des scrutins"))
        self._label_options()

    def show_state(self, state: Gallery) -> None:
        if state.scrutin != self._scrutin:
            self._rebuild(state.scrutin)
        self._title.setText(state.scrutin.title)
        sealing = state.selected is not None
        self._arm.setEnabled(not state.armed)
        for _, button in self._options:
            button.setEnabled(state.armed and not sealing)
        for _, _, button in self._documents:
            button.setEnabled(not sealing)
        document = state.document
        self._document.setVisible(document is not None)
        self._close_document.setVisible(document is not None)
        if document is not None:  # the QtPdf viewer comes with issue 4
            name = self._names.option(state.scrutin.scrutin_id, document.list_id)
            self._document.setText(f"{self._kind_name(document.kind)} — {name}")

    def _rebuild(self, scrutin: ScrutinEntry) -> None:
        for _, button in self._options:
            button.deleteLater()
        for _, _, button in self._documents:
            button.deleteLater()
        self._scrutin = scrutin
        self._options, self._documents = [], []
        lists = scrutin.options[:-1]  # ballot order: the lists, then the blank vote
        for row, option in enumerate(scrutin.options):
            choose = self.button(add=False)
            choose.clicked.connect(lambda _=False, o=option: self.optionChosen.emit(o))
            self._grid.addWidget(choose, row, 0)
            self._options.append((option, choose))
            if option not in lists:
                continue
            for column, kind in enumerate(DocumentKind, start=1):
                open_button = self.button(add=False)
                open_button.clicked.connect(
                    lambda _=False, o=option, k=kind: self.documentRequested.emit(o, k)
                )
                self._grid.addWidget(open_button, row, column)
                self._documents.append((option, kind, open_button))
        self._label_options()

    def _label_options(self) -> None:
        if self._scrutin is None:
            return
        sid = self._scrutin.scrutin_id
        for option, button in self._options:
            name = self._names.option(sid, option)
            button.setText(name)
            describe(button, name, self.tr("Choisir ce vote (après « Je veux voter »)"))
        for option, kind, button in self._documents:
            kind_name = self._kind_name(kind)
            button.setText(kind_name)
            describe(
                button,
                f"{kind_name} — {self._names.option(sid, option)}",
                self.tr("Ouvrir ce document"),
            )

    def _kind_name(self, kind: DocumentKind) -> str:
        if kind is DocumentKind.BALLOT:
            return self.tr("Bulletin")
        return self.tr("Profession de foi")
