"""The lists and the blank vote of one scrutin; choosing is off until "JE VEUX VOTER".

Each list shows its logo, its name (the choice) and its two documents; the blank vote has only
its name. While ``Gallery.document`` is set the page shows that PDF in the ``DocumentViewer`` in
place of the lists; "Fermer le document" asks the core to close it.

The logos and PDFs come from an injected ``ListAssets`` (``kiosk.voting.assets.PackageAssets``
in the kiosk), read on the GUI thread: every logo of a scrutin once, when the page is built for
that scrutin (the source caches them), and a document at each opening (one store read and one
SHA-256 of a few tens of kilobytes). bench/kiosk.py measures both against the page-switch and
viewer bounds. An asset that fails its check is never shown: the viewer says the document
cannot be displayed.
"""

from __future__ import annotations

import logging
from typing import Final, Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from kiosk.election.model import ListId, ScrutinId
from kiosk.voting.flow import Gallery
from kiosk.voting.model import DocumentKind, DocumentRef, ScrutinEntry
from ui.ballot_names import BallotNames
from ui.pages.base import TOUCH_HEIGHT, Page, describe
from ui.pdf_viewer import DocumentViewer

_LOGGER: Final = logging.getLogger("ui.gallery")
LOGO_SIZE: Final = TOUCH_HEIGHT  # a logo is as tall as its row's buttons


class ListAssets(Protocol):
    """Where the gallery reads a list's logo (PNG) and documents (PDF); each call raises
    (``kiosk.voting.assets.AssetError``) rather than return bytes that fail their check."""

    def logo(self, scrutin_id: ScrutinId, list_id: ListId) -> bytes: ...

    def document(self, scrutin_id: ScrutinId, list_id: ListId, kind: DocumentKind) -> bytes: ...


class GalleryPage(Page):
    armRequested = Signal()
    optionChosen = Signal(str)  # the option (a list id, or the blank vote)
    documentRequested = Signal(str, object)  # list id, DocumentKind
    documentClosed = Signal()
    backRequested = Signal()

    def __init__(
        self, names: BallotNames, assets: ListAssets | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._names = names
        self._assets = assets
        self._title = self.title()
        self._arm = self.button()
        self._rows = QWidget(self)
        self._grid = QGridLayout()
        rows_column = QVBoxLayout(self._rows)
        rows_column.setContentsMargins(0, 0, 0, 0)
        rows_column.addLayout(self._grid)
        rows_column.addStretch()
        self._viewer = DocumentViewer(self)
        self._body = QStackedWidget(self)
        self._body.addWidget(self._rows)
        self._body.addWidget(self._viewer)
        self.column.addWidget(self._body, 1)
        self._back = self.button()
        self._scrutin: ScrutinEntry | None = None
        self._shown: tuple[ScrutinId, DocumentRef] | None = None  # the document in the viewer
        self._logos: list[tuple[ListId, QLabel]] = []
        self._options: list[tuple[ListId, QPushButton]] = []
        self._documents: list[tuple[ListId, DocumentKind, QPushButton]] = []
        self._arm.clicked.connect(self.armRequested)
        self._viewer.closeRequested.connect(self.documentClosed)
        self._back.clicked.connect(self.backRequested)
        self.retranslate()

    @property
    def viewer(self) -> DocumentViewer:
        return self._viewer

    @property
    def showing_document(self) -> bool:
        return self._body.currentWidget() is self._viewer

    def retranslate(self) -> None:
        self._arm.setText(self.tr("JE VEUX VOTER, J'ACTIVE LA SÉLECTION DE MON CHOIX DE VOTE"))
        describe(
            self._arm,
            self.tr("Je veux voter"),
            self.tr("Activer la sélection de votre choix de vote"),
        )
        self._back.setText(self.tr("Retour"))
        describe(self._back, self.tr("Retour"), self.tr("Revenir à la liste des scrutins"))
        self._label_options()

    def clear(self) -> None:
        """Also close the document: what a voter read stays with that voter."""
        super().clear()
        self._viewer.close_document()
        self._shown = None
        self._body.setCurrentWidget(self._rows)

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
        reading = document is not None
        self._arm.setVisible(not reading)  # the viewer's own "Fermer le document" leads back
        self._back.setVisible(not reading)
        if document is None:
            if self._shown is not None:
                self._viewer.close_document()
                self._shown = None
            self._body.setCurrentWidget(self._rows)
            return
        self._body.setCurrentWidget(self._viewer)
        shown = (state.scrutin.scrutin_id, document)
        if shown != self._shown:  # a tick re-renders the page: open each document once
            self._shown = shown
            self._open(*shown)

    def _open(self, scrutin_id: ScrutinId, document: DocumentRef) -> None:
        title = self._document_title(scrutin_id, document)
        if self._assets is None:  # nothing to read the PDF from: the title alone
            self._viewer.close_document()
            self._viewer.set_title(title)
            return
        try:
            pdf = self._assets.document(scrutin_id, document.list_id, document.kind)
        except Exception as exc:  # an altered or missing asset, a store failure: a message
            # Privacy: the kind of failure only; the path would say what this voter reads.
            _LOGGER.error("a list document could not be read: %s", type(exc).__name__)
            self._viewer.show_error(title)
            return
        if not self._viewer.show_document(pdf, title):
            _LOGGER.error("a list document is not a PDF that QtPdf can read")

    def _rebuild(self, scrutin: ScrutinEntry) -> None:
        for _, label in self._logos:
            label.deleteLater()
        for _, button in self._options:
            button.deleteLater()
        for _, _, button in self._documents:
            button.deleteLater()
        self._scrutin = scrutin
        self._logos, self._options, self._documents = [], [], []
        lists = scrutin.options[:-1]  # ballot order: the lists, then the blank vote
        for row, option in enumerate(scrutin.options):
            choose = self._row_button()
            choose.clicked.connect(lambda _=False, o=option: self.optionChosen.emit(o))
            self._grid.addWidget(choose, row, 1)
            self._options.append((option, choose))
            if option not in lists:
                continue  # the blank vote: no logo, no documents
            if self._assets is not None:
                logo = self._logo(scrutin.scrutin_id, option)
                self._grid.addWidget(logo, row, 0)
                self._logos.append((option, logo))
            for column, kind in enumerate(DocumentKind, start=2):
                open_button = self._row_button()
                open_button.clicked.connect(
                    lambda _=False, o=option, k=kind: self.documentRequested.emit(o, k)
                )
                self._grid.addWidget(open_button, row, column)
                self._documents.append((option, kind, open_button))
        self._grid.setColumnStretch(1, 1)
        self._label_options()

    def _row_button(self) -> QPushButton:
        button = QPushButton(self._rows)
        button.setMinimumHeight(TOUCH_HEIGHT)
        button.setAutoDefault(False)
        button.show()  # now, not at the layout's next pass: the row is complete once built
        return button

    def _logo(self, scrutin_id: ScrutinId, list_id: ListId) -> QLabel:
        label = QLabel(self._rows)
        label.setFixedSize(LOGO_SIZE, LOGO_SIZE)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.show()
        assert self._assets is not None
        try:
            png = self._assets.logo(scrutin_id, list_id)
        except Exception as exc:  # never an unchecked logo; the list's name still shows
            _LOGGER.error("a list logo could not be read: %s", type(exc).__name__)
            return label
        pixmap = QPixmap()
        if not pixmap.loadFromData(png, "PNG"):
            _LOGGER.error("a list logo is not a PNG that Qt can read")
            return label
        ratio = self.devicePixelRatioF()
        scaled = pixmap.scaled(
            round(LOGO_SIZE * ratio),
            round(LOGO_SIZE * ratio),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        scaled.setDevicePixelRatio(ratio)
        label.setPixmap(scaled)
        return label

    def _label_options(self) -> None:
        if self._shown is not None:
            self._viewer.set_title(self._document_title(*self._shown))
        if self._scrutin is None:
            return
        sid = self._scrutin.scrutin_id
        for option, label in self._logos:
            describe(
                label,
                self.tr("%1 — logo").replace("%1", self._names.option(sid, option)),
                self.tr("Le logo de la liste"),
            )
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

    def _document_title(self, scrutin_id: ScrutinId, document: DocumentRef) -> str:
        name = self._names.option(scrutin_id, document.list_id)
        return f"{self._kind_name(document.kind)} — {name}"

    def _kind_name(self, kind: DocumentKind) -> str:
        if kind is DocumentKind.BALLOT:
            return self.tr("Bulletin")
        return self.tr("Profession de foi")
