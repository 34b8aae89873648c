"""The lists and the blank vote of one scrutin; choosing is off until "JE VEUX VOTER".

Each list shows its logo, its name (the choice) and its two documents; the blank vote has only
its name. While ``Gallery.document`` is set the page shows that PDF in the ``DocumentViewer`` in
place of the lists; "Fermer le document" asks the core to close it.

The logos and PDFs come from an injected ``ListAssets`` (``kiosk.voting.assets.PackageAssets``
in the kiosk), read off the GUI thread through the window's ``CoreWorker``: one job per build of
the rows reads, checks, decodes and scales every logo of the scrutin (the source caches the
bytes), and one job per opening reads and checks a document ("Chargement…" in the viewer
meanwhile). A result for rows or a document the page no longer shows (another scrutin, the
document closed or another one opened, the page cleared) is dropped. Without a worker (tests,
the bench's viewer figures) the same reads run at once on the GUI thread. An asset that fails
its check is never shown: the viewer says the document cannot be displayed, the logo stays
blank beside the list's name.
"""

from __future__ import annotations

import functools
import itertools
import logging
from collections.abc import Sequence
from typing import Final, Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from kiosk.election.model import ListId, ScrutinId
from kiosk.voting.flow import Gallery
from kiosk.voting.model import DocumentKind, DocumentRef, ScrutinEntry
from ui.ballot_names import BallotNames
from ui.pages.base import TOUCH_HEIGHT, Page, describe
from ui.pdf_viewer import DocumentViewer
from ui.worker import CoreWorker

_LOGGER: Final = logging.getLogger("ui.gallery")
LOGO_SIZE: Final = TOUCH_HEIGHT  # a logo is as tall as its row's buttons


class ListAssets(Protocol):
    """Where the gallery reads a list's logo (PNG) and documents (PDF); each call raises
    (``kiosk.voting.assets.AssetError``) rather than return bytes that fail their check."""

    def logo(self, scrutin_id: ScrutinId, list_id: ListId) -> bytes: ...

    def document(self, scrutin_id: ScrutinId, list_id: ListId, kind: DocumentKind) -> bytes: ...


Logos = tuple[tuple[ListId, QImage | None], ...]  # None: not shown (the failure is logged)


def read_logos(
    assets: ListAssets, scrutin_id: ScrutinId, list_ids: Sequence[ListId], side: int
) -> Logos:
    """Each list's logo read, checked, decoded and scaled to fit ``side`` pixels. A worker's job:
    images only, no widget (``QImage`` may be made on any thread, ``QPixmap`` may not)."""
    return tuple((list_id, _read_logo(assets, scrutin_id, list_id, side)) for list_id in list_ids)


def _read_logo(
    assets: ListAssets, scrutin_id: ScrutinId, list_id: ListId, side: int
) -> QImage | None:
    try:
        png = assets.logo(scrutin_id, list_id)
    except Exception as exc:  # never an unchecked logo; the list's name still shows
        # Privacy: the kind of failure only (the path names the list).
        _LOGGER.error("a list logo could not be read: %s", type(exc).__name__)
        return None
    image = QImage()
    if not image.loadFromData(png, "PNG"):
        _LOGGER.error("a list logo is not a PNG that Qt can read")
        return None
    return image.scaled(
        side,
        side,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )


class GalleryPage(Page):
    armRequested = Signal()
    optionChosen = Signal(str)  # the option (a list id, or the blank vote)
    documentRequested = Signal(str, object)  # list id, DocumentKind
    documentClosed = Signal()
    backRequested = Signal()

    def __init__(
        self,
        names: BallotNames,
        assets: ListAssets | None = None,
        worker: CoreWorker | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._names = names
        self._assets = assets
        self._worker = worker
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
        self._builds = 0  # rows built so far: logos read for older rows are dropped
        self._shown: tuple[ScrutinId, DocumentRef] | None = None  # the document in the viewer
        self._openings = 0  # documents opened or closed so far: a late document is dropped
        self._logos: dict[ListId, QLabel] = {}
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

    @property
    def option_count(self) -> int:
        """The rows built: one per list and the blank vote of the scrutin shown, else none."""
        return len(self._options)

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
        """Also the scrutin's title and rows, and the document: what a voter opened and read
        stays with that voter. The next state builds the page again."""
        super().clear()
        self._close_document()
        self._viewer.close_document()
        self._rebuild(None)
        self._title.clear()
        self._arm.setEnabled(True)
        self._arm.setHidden(False)
        self._back.setHidden(False)
        self._body.setCurrentWidget(self._rows)

    def show_state(self, state: Gallery) -> None:
        if state.scrutin != self._scrutin:
            self._rebuild(state.scrutin)
        self._title.setText(state.scrutin.title)
        sealing = state.selected is not None
        for _, button in self._options:
            button.setEnabled(state.armed and not sealing)
        for _, _, button in self._documents:
            button.setEnabled(not sealing)
        # After the options: a keyboard on "JE VEUX VOTER" moves on to the first of them.
        self._arm.setEnabled(not state.armed)
        document = state.document
        reading = document is not None
        self._arm.setVisible(not reading)  # the viewer's own "Fermer le document" leads back
        self._back.setVisible(not reading)
        if document is None:
            self._close_document()
            self._body.setCurrentWidget(self._rows)
            return
        self._body.setCurrentWidget(self._viewer)
        shown = (state.scrutin.scrutin_id, document)
        if shown != self._shown:  # a tick re-renders the page: open each document once
            self._shown = shown
            self._open(*shown)

    # ---- documents ---------------------------------------------------------------------------

    def _open(self, scrutin_id: ScrutinId, document: DocumentRef) -> None:
        self._openings += 1
        opening = self._openings
        assets = self._assets
        if assets is None:  # nothing to read the PDF from: the title alone
            self._viewer.close_document()
            self._viewer.set_title(self._document_title(scrutin_id, document))
            return

        def read() -> bytes:
            return assets.document(scrutin_id, document.list_id, document.kind)

        if self._worker is None:
            try:
                pdf = read()
            except Exception as exc:  # an altered or missing asset, a store failure: a message
                self._document_failed(opening, exc)
                return
            self._document_read(opening, pdf)
            return
        self._viewer.show_loading(self._document_title(scrutin_id, document))
        self._worker.run(
            read,
            on_success=functools.partial(self._document_read, opening),
            on_failure=functools.partial(self._document_failed, opening),
        )

    def _document_read(self, opening: int, pdf: bytes) -> None:
        if opening != self._openings or self._shown is None:
            return  # closed, or another one opened, meanwhile: never shown
        if not self._viewer.show_document(pdf, self._document_title(*self._shown)):
            _LOGGER.error("a list document is not a PDF that QtPdf can read")

    def _document_failed(self, opening: int, error: BaseException) -> None:
        # Privacy: the kind of failure only; the path would say what this voter reads.
        _LOGGER.error("a list document could not be read: %s", type(error).__name__)
        if opening == self._openings and self._shown is not None:
            self._viewer.show_error(self._document_title(*self._shown))

    def _close_document(self) -> None:
        """Forget the document shown or on its way (a late one is dropped)."""
        self._openings += 1
        if self._shown is not None:
            self._viewer.close_document()
            self._shown = None

    # ---- rows --------------------------------------------------------------------------------

    def _rebuild(self, scrutin: ScrutinEntry | None) -> None:
        """The rows of ``scrutin`` (None: no rows), the logos on their way."""
        old: list[QWidget] = [*self._logos.values()]
        old += [button for _, button in self._options]
        old += [button for _, _, button in self._documents]
        for widget in old:
            self._grid.removeWidget(widget)
            widget.hide()
            widget.deleteLater()
        self._builds += 1
        self._scrutin = scrutin
        self._logos, self._options, self._documents = {}, [], []
        if scrutin is None:
            return
        shown = self._rows.isVisibleTo(self)
        self._rows.hide()  # built hidden, shown once: not one layout pass per new widget
        keyboard_order: list[QWidget] = [self._arm]
        lists = scrutin.options[:-1]  # ballot order: the lists, then the blank vote
        for row, option in enumerate(scrutin.options):
            choose = self._row_button(row, 1)
            choose.clicked.connect(lambda _=False, o=option: self.optionChosen.emit(o))
            self._options.append((option, choose))
            keyboard_order.append(choose)
            if option not in lists:
                continue  # the blank vote: no logo, no documents
            if self._assets is not None:
                self._logos[option] = self._logo_label(row)
            for column, kind in enumerate(DocumentKind, start=2):
                open_button = self._row_button(row, column)
                open_button.clicked.connect(
                    lambda _=False, o=option, k=kind: self.documentRequested.emit(o, k)
                )
                self._documents.append((option, kind, open_button))
                keyboard_order.append(open_button)
        keyboard_order.append(self._back)
        for first, second in itertools.pairwise(keyboard_order):  # Tab goes down the rows
            QWidget.setTabOrder(first, second)
        self._grid.setColumnStretch(1, 1)
        self._label_options()
        self._rows.setVisible(shown)
        if self._logos:
            self._fetch_logos(scrutin.scrutin_id, tuple(self._logos))

    def _row_button(self, row: int, column: int) -> QPushButton:
        button = self.button(add=False)
        self._grid.addWidget(button, row, column)  # now a child of the rows
        return button

    def _logo_label(self, row: int) -> QLabel:
        label = QLabel(self._rows)
        label.setFixedSize(LOGO_SIZE, LOGO_SIZE)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._grid.addWidget(label, row, 0)
        return label

    def _fetch_logos(self, scrutin_id: ScrutinId, list_ids: tuple[ListId, ...]) -> None:
        assets = self._assets
        assert assets is not None
        ratio = self.devicePixelRatioF()
        side = round(LOGO_SIZE * ratio)
        show = functools.partial(self._set_logos, self._builds, ratio)
        if self._worker is None:
            show(read_logos(assets, scrutin_id, list_ids, side))
            return
        self._worker.run(
            lambda: read_logos(assets, scrutin_id, list_ids, side),
            on_success=show,
            on_failure=self._logos_failed,
        )

    def _set_logos(self, build: int, ratio: float, logos: Logos) -> None:
        if build != self._builds:
            return  # the page shows other rows now (another scrutin, or none)
        for list_id, image in logos:
            label = self._logos.get(list_id)
            if label is None or image is None:
                continue
            pixmap = QPixmap.fromImage(image)
            pixmap.setDevicePixelRatio(ratio)
            label.setPixmap(pixmap)

    def _logos_failed(self, error: BaseException) -> None:
        # A list the manifest does not name: a broken invariant, logged; the names still show.
        _LOGGER.error("the list logos could not be read: %s", type(error).__name__)

    # ---- texts -------------------------------------------------------------------------------

    def _label_options(self) -> None:
        if self._shown is not None:
            self._viewer.set_title(self._document_title(*self._shown))
        if self._scrutin is None:
            return
        sid = self._scrutin.scrutin_id
        for option, label in self._logos.items():
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
