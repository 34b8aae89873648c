"""The in-kiosk PDF viewer: a list's profession de foi or ballot, one page at a time, with page
buttons, zoom and nothing that leaves the kiosk.

    viewer = DocumentViewer()
    viewer.closeRequested.connect(...)       # "Fermer le document"
    viewer.show_document(pdf_bytes, title)   # False (and a message) for a PDF QtPdf cannot read
    viewer.show_loading(title)               # "Chargement…" while the gallery reads the PDF
    viewer.show_error(title)                 # the message only (an asset that failed its check)
    viewer.close_document()                  # forget the document and its rendered pages

QtPdf's ``QPdfView`` in single-page mode draws the pages; the document is read from memory
(``QBuffer``), never from a file. Links are inert: QPdfView (Qt 6.11) follows a click on a link
only to a page of the same document and never calls ``QDesktopServices``, and ``_InertPdfView``
drops even that, so a click on a link does nothing at all (tests/ui/test_gallery_viewer.py).
A finger drag pans a zoomed page.
"""

from __future__ import annotations

from enum import Enum
from typing import Final, assert_never

from PySide6.QtCore import QBuffer, QByteArray, QEvent, QIODevice, QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QGuiApplication, QMouseEvent, QPaintEvent
from PySide6.QtPdf import QPdfDocument, QPdfPageRenderer
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ui.pages.base import TOUCH_HEIGHT, TouchButton, describe

ZOOM_STEP: Final = 1.25
MIN_ZOOM: Final = 0.25  # of the page's printed size, as QPdfView counts its zoom factor
MAX_ZOOM: Final = 4.0
_ZoomMode = QPdfView.ZoomMode


class _Message(Enum):
    """What the viewer says in place of the pages, if anything."""

    NONE = "none"
    LOADING = "loading"
    CANNOT_SHOW = "cannot-show"


class _InertPdfView(QPdfView):
    """A QPdfView whose links do nothing, which a drag pans, and which says when a rendered page
    (not only its white placeholder) has been painted."""

    pagePainted = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._drag_from: QPoint | None = None
        self._rendered = False
        self._reported = True
        renderer = self.findChild(QPdfPageRenderer)  # QPdfView's own, rendering off this thread
        if renderer is not None:
            renderer.pageRendered.connect(self._page_rendered)

    def expect_first_paint(self) -> None:
        """Emit ``pagePainted`` once, at the first paint after a page of the new document has
        been rendered."""
        self._rendered = False
        self._reported = False

    def _page_rendered(self, *_args: object) -> None:
        self._rendered = True  # QPdfView cached the image (its slot runs first) and will repaint

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._rendered and not self._reported:
            self._reported = True
            self.pagePainted.emit()

    # Mouse (and touch, which reaches widgets as mouse events): pan, never follow a link.

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._drag_from = event.position().toPoint()
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag_from is not None:
            at = event.position().toPoint()
            delta = at - self._drag_from
            self._drag_from = at
            horizontal, vertical = self.horizontalScrollBar(), self.verticalScrollBar()
            horizontal.setValue(horizontal.value() - delta.x())
            vertical.setValue(vertical.value() - delta.y())
        event.accept()  # QPdfView's own would show a pointing hand over links: nothing to follow

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag_from = None
        event.accept()  # QPdfView's own would jump to a link's destination


class DocumentViewer(QWidget):
    """See the module docstring. Page numbers are 0-based in the API, 1-based on screen."""

    closeRequested = Signal()
    firstPagePainted = Signal()  # the first page of the document just shown is on screen

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._said = _Message.NONE
        self._buffer: QBuffer | None = None
        self._document = QPdfDocument(self)

        self._title = QLabel(self)
        self._title.setObjectName("documentTitle")
        self._title.setWordWrap(True)
        self._close = self._button()
        self._previous = self._button()
        self._page_label = QLabel(self)
        self._page_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._next = self._button()
        self._zoom_out = self._button()
        self._zoom_in = self._button()
        self._fit_width = self._button()

        self._view = _InertPdfView(self)
        self._view.setPageMode(QPdfView.PageMode.SinglePage)
        self._view.setZoomMode(_ZoomMode.FitInView)
        self._view.setDocument(self._document)
        self._message = QLabel(self)
        self._message.setObjectName("notice")
        self._message.setWordWrap(True)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._pages = QStackedWidget(self)
        self._pages.addWidget(self._view)
        self._pages.addWidget(self._message)

        top = QHBoxLayout()
        top.addWidget(self._title, 1)
        top.addWidget(self._close)
        controls = QHBoxLayout()
        for widget in (self._previous, self._page_label, self._next):
            controls.addWidget(widget)
        controls.addStretch()
        for widget in (self._zoom_out, self._zoom_in, self._fit_width):
            controls.addWidget(widget)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(top)
        column.addWidget(self._pages, 1)
        column.addLayout(controls)

        self._close.clicked.connect(self.closeRequested)
        self._previous.clicked.connect(self.previous_page)
        self._next.clicked.connect(self.next_page)
        self._zoom_in.clicked.connect(self.zoom_in)
        self._zoom_out.clicked.connect(self.zoom_out)
        self._fit_width.clicked.connect(self.fit_to_width)
        self._view.pageNavigator().currentPageChanged.connect(self._update_controls)
        self._view.zoomFactorChanged.connect(self._update_controls)
        self._view.zoomModeChanged.connect(self._update_controls)
        self._view.pagePainted.connect(self.firstPagePainted)
        self.retranslate()

    # ---- what the gallery calls --------------------------------------------------------------

    def show_document(self, pdf: bytes, title: str) -> bool:
        """Show page 1 of ``pdf``, the whole page in view; False (and the message) when QtPdf
        cannot read it."""
        self.close_document()
        self.set_title(title)
        buffer = QBuffer(self)
        buffer.setData(QByteArray(pdf))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self._buffer = buffer  # QPdfDocument reads pages from it as long as it is open
        self._view.expect_first_paint()
        self._document.load(buffer)  # synchronous from memory: Ready or Error on return
        if self._document.status() != QPdfDocument.Status.Ready or self.page_count == 0:
            self.show_error(title)
            return False
        self._pages.setCurrentWidget(self._view)
        self._update_controls()
        return True

    def show_loading(self, title: str) -> None:
        """The document is on its way: "Chargement…" in place of its pages."""
        self._say(_Message.LOADING, title)

    def show_error(self, title: str) -> None:
        """The document cannot be shown: say so in place of its pages."""
        self._say(_Message.CANNOT_SHOW, title)

    def close_document(self) -> None:
        """Forget the document, its rendered pages and the zoom: nothing of it stays on screen."""
        if self._document.status() == QPdfDocument.Status.Error:
            self._renew_document()  # ``close`` leaves a failed load as it is
        else:
            self._document.close()  # QPdfView drops its page cache on the status change
        if self._buffer is not None:
            self._buffer.close()
            self._buffer.deleteLater()
            self._buffer = None
        self._view.pageNavigator().clear()
        self._view.setZoomMode(_ZoomMode.FitInView)
        self._view.setZoomFactor(1.0)
        self._said = _Message.NONE
        self._retell()
        self.set_title("")
        self._pages.setCurrentWidget(self._view)
        self._update_controls()

    def set_title(self, title: str) -> None:
        """The document's name above its pages (the gallery sets it again in a new language)."""
        self._title.setText(title)
        self._title.setAccessibleName(title)

    # ---- the voter's controls ----------------------------------------------------------------

    def next_page(self) -> None:
        self._go_to(self.current_page + 1)

    def previous_page(self) -> None:
        self._go_to(self.current_page - 1)

    def zoom_in(self) -> None:
        self._zoom_to(self.zoom_factor * ZOOM_STEP)

    def zoom_out(self) -> None:
        self._zoom_to(self.zoom_factor / ZOOM_STEP)

    def fit_to_width(self) -> None:
        if self.page_count:
            self._view.setZoomMode(_ZoomMode.FitToWidth)

    # ---- what tests and the bench read -------------------------------------------------------

    @property
    def page_count(self) -> int:
        return self._document.pageCount() if self._is_ready() else 0

    @property
    def current_page(self) -> int:
        return self._view.pageNavigator().currentPage()

    @property
    def zoom_mode(self) -> QPdfView.ZoomMode:
        return self._view.zoomMode()

    @property
    def zoom_factor(self) -> float:
        """The zoom in effect, also when the page is fitted (QPdfView keeps its factor then)."""
        mode = self._view.zoomMode()
        if mode == _ZoomMode.Custom or not self.page_count:
            return self._view.zoomFactor()
        return self._fitted_zoom(width_only=mode == _ZoomMode.FitToWidth)

    @property
    def title_text(self) -> str:
        return self._title.text()

    @property
    def page_text(self) -> str:
        return self._page_label.text()

    @property
    def showing_error(self) -> bool:
        return self._said is _Message.CANNOT_SHOW

    @property
    def loading(self) -> bool:
        return self._said is _Message.LOADING

    @property
    def message_text(self) -> str:
        """What the viewer says in place of the pages ("" when it says nothing)."""
        return self._message.text()

    @property
    def view(self) -> QPdfView:
        return self._view

    # ---- inside ------------------------------------------------------------------------------

    def _button(self) -> QPushButton:
        button = TouchButton(self)  # Return presses it too
        button.setMinimumHeight(TOUCH_HEIGHT)
        button.setAutoDefault(False)
        return button

    def _renew_document(self) -> None:
        failed = self._document
        self._document = QPdfDocument(self)
        self._view.setDocument(self._document)
        failed.deleteLater()

    def _say(self, message: _Message, title: str) -> None:
        self.close_document()
        self.set_title(title)
        self._said = message
        self._retell()
        self._pages.setCurrentWidget(self._message)
        self._update_controls()

    def _retell(self) -> None:
        """The message's text in the language on screen."""
        match self._said:
            case _Message.NONE:
                text = ""
            case _Message.LOADING:
                text = self.tr("Chargement…")
            case _Message.CANNOT_SHOW:
                text = self.tr(
                    "Ce document ne peut pas être affiché. Adressez-vous à un assesseur."
                )
            case _:
                assert_never(self._said)
        self._message.setText(text)
        self._message.setAccessibleName(text)

    def _is_ready(self) -> bool:
        return self._said is _Message.NONE and self._document.status() == QPdfDocument.Status.Ready

    def _go_to(self, page: int) -> None:
        if 0 <= page < self.page_count and page != self.current_page:
            self._view.pageNavigator().jump(page, QPointF(0, 0), self._view.zoomFactor())

    def _zoom_to(self, factor: float) -> None:
        if not self.page_count:
            return
        self._view.setZoomFactor(min(MAX_ZOOM, max(MIN_ZOOM, factor)))
        self._view.setZoomMode(_ZoomMode.Custom)

    def _fitted_zoom(self, *, width_only: bool) -> float:
        """The factor QPdfView fits the current page with (its layout, in pixels per point)."""
        screen = QGuiApplication.primaryScreen()
        points_to_pixels = (screen.logicalDotsPerInch() if screen else 72.0) / 72.0
        page = self._document.pagePointSize(self.current_page) * points_to_pixels
        if page.width() <= 0 or page.height() <= 0:
            return self._view.zoomFactor()
        margins = self._view.documentMargins()
        viewport = self._view.viewport().size()
        across = (viewport.width() - margins.left() - margins.right()) / page.width()
        if width_only:
            return across
        down = (viewport.height() - self._view.pageSpacing()) / page.height()
        return min(across, down)

    def _update_controls(self, *_args: object) -> None:
        count, page = self.page_count, self.current_page
        if count:
            text = self.tr("Page %1 / %2").replace("%1", str(page + 1)).replace("%2", str(count))
        else:
            text = ""
        self._page_label.setText(text)
        self._page_label.setAccessibleName(text)
        self._previous.setEnabled(count > 0 and page > 0)
        self._next.setEnabled(page + 1 < count)
        zoom = self.zoom_factor if count else 1.0
        self._zoom_in.setEnabled(count > 0 and zoom < MAX_ZOOM * 0.999)
        self._zoom_out.setEnabled(count > 0 and zoom > MIN_ZOOM * 1.001)
        self._fit_width.setEnabled(count > 0 and self._view.zoomMode() != _ZoomMode.FitToWidth)

    def retranslate(self) -> None:
        self._close.setText(self.tr("Fermer le document"))
        describe(self._close, self.tr("Fermer le document"), self.tr("Revenir aux listes"))
        self._previous.setText(self.tr("Page précédente"))
        describe(self._previous, self.tr("Page précédente"), self.tr("Afficher la page d'avant"))
        self._next.setText(self.tr("Page suivante"))
        describe(self._next, self.tr("Page suivante"), self.tr("Afficher la page d'après"))
        self._zoom_in.setText(self.tr("Zoom avant"))
        describe(self._zoom_in, self.tr("Zoom avant"), self.tr("Agrandir la page"))
        self._zoom_out.setText(self.tr("Zoom arrière"))
        describe(self._zoom_out, self.tr("Zoom arrière"), self.tr("Réduire la page"))
        self._fit_width.setText(self.tr("Ajuster à la largeur"))
        describe(
            self._fit_width,
            self.tr("Ajuster à la largeur"),
            self.tr("Agrandir la page à la largeur de l'écran"),
        )
        describe(self._view, self.tr("Document"), self.tr("Les pages du document"))
        describe(
            self._view.verticalScrollBar(),
            self.tr("Défilement vertical"),
            self.tr("Faire défiler la page vers le haut ou vers le bas"),
        )
        describe(
            self._view.horizontalScrollBar(),
            self.tr("Défilement horizontal"),
            self.tr("Faire défiler la page vers la gauche ou vers la droite"),
        )
        self._retell()
        self._page_label.setAccessibleDescription(self.tr("Numéro de la page affichée"))
        self._update_controls()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
