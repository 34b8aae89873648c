"""The gallery shows each list's logo and opens its PDFs in the in-kiosk viewer, offscreen.

The demo election carries real logos and multi-page PDFs: it is built once (voters=1, the
test KDF) and loaded into a real kiosk store per test. The pages are driven the way a voter or
a screen reader finds controls: by accessible name. The page reads its assets either at once
(no worker) or through a real ``CoreWorker`` off the GUI thread, as in the kiosk window: the
tests that read assets run in both modes.
"""

from __future__ import annotations

import functools
import io
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QModelIndex,
    QObject,
    QPoint,
    QPointF,
    Qt,
    QUrl,
    Slot,
)
from PySide6.QtGui import QDesktopServices
from PySide6.QtPdf import QPdfDocument, QPdfLinkModel
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QApplication,
    QLabel,
    QPushButton,
    QWidget,
)
from pytestqt.qtbot import QtBot
from reportlab.pdfgen import canvas

from kiosk.clock import ManualClock
from kiosk.election.demo import build_demo
from kiosk.election.kdf import KdfProfile
from kiosk.election.model import (
    BLANK_OPTION,
    ElectionPackage,
    ListId,
    Scrutin,
    ScrutinId,
    VoterId,
)
from kiosk.store import KioskStore, create_key_file
from kiosk.voting import flow
from kiosk.voting.assets import AssetError, PackageAssets
from kiosk.voting.model import Booth, Display, DocumentKind, DocumentRef, ScrutinEntry, VoterRef
from tests.ui.conftest import WAIT_MS, control
from tests.unit.test_voting_world import Kiosk, sealed_election
from ui.ballot_names import BallotNames
from ui.display_bar import DisplayBar
from ui.pages.gallery import LOGO_SIZE, GalleryPage, ListAssets
from ui.pdf_viewer import MAX_ZOOM, DocumentViewer
from ui.worker import CoreWorker

LEFT = Qt.MouseButton.LeftButton
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
PAINT_MS = 5_000
_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


@functools.cache
def demo_package() -> ElectionPackage:
    return build_demo(now=NOW, voters=1, kdf=KdfProfile.TEST.value).package


def biggest_scrutin(package: ElectionPackage) -> Scrutin:
    return max(package.manifest.scrutins, key=lambda s: len(s.lists))


def gallery_state(
    scrutin: Scrutin, document: DocumentRef | None = None, *, armed: bool = False
) -> flow.Gallery:
    entry = ScrutinEntry(scrutin.id, scrutin.title, scrutin.options, voted=False)
    voter = VoterRef(VoterId("v0001"), "Camille Martin", "Votre ville natale ?", ())
    booth = Booth(voter, (entry,), NOW)
    return flow.Gallery(Display(), NOW, booth, entry, armed=armed, document=document)


class CountingStore:
    """The real store behind a wrapper that counts reads (and notes whether the GUI thread made
    any) and may alter one asset's bytes."""

    def __init__(self, store: KioskStore, altered: str | None = None) -> None:
        self.store = store
        self.altered = altered
        self.reads: list[str] = []
        self.read_on_gui_thread = False

    def package_asset(self, path: str) -> bytes | None:
        self.reads.append(path)
        self.read_on_gui_thread |= threading.current_thread() is threading.main_thread()
        data = self.store.package_asset(path)
        if data is not None and path == self.altered:
            return data[:-64] + b"%% altered after the package was verified\n" + data[-64:]
        return data


class UrlRecorder(QObject):
    """Installed as the handler of http, https, mailto and file URLs: records what would open."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString())


@pytest.fixture
def demo_store(tmp_path: Path) -> Iterator[KioskStore]:
    store = KioskStore.create(
        tmp_path / "kiosk.db", create_key_file(tmp_path / "store.key"), ManualClock()
    )
    store.load_package(demo_package())
    yield store
    store.close()


@pytest.fixture(params=["at once", "worker"])
def worker(request: pytest.FixtureRequest) -> Iterator[CoreWorker | None]:
    """None: the page reads on the GUI thread; else the worker it reads through."""
    if request.param == "at once":
        yield None
        return
    core = CoreWorker()
    yield core
    core.shutdown()


def open_page(
    qtbot: QtBot,
    assets: ListAssets | None,
    package: ElectionPackage,
    worker: CoreWorker | None = None,
) -> GalleryPage:
    page = GalleryPage(BallotNames(package.manifest), assets, worker)
    qtbot.addWidget(page)
    page.resize(1280, 1024)
    page.show()
    qtbot.waitExposed(page)
    return page


@pytest.fixture
def page(qtbot: QtBot, demo_store: KioskStore, worker: CoreWorker | None) -> GalleryPage:
    package = demo_package()
    return open_page(qtbot, PackageAssets(demo_store, package.manifest), package, worker)


def settle(qtbot: QtBot, worker: CoreWorker | None) -> None:
    """Wait until the page's reads are back (nothing to wait for without a worker)."""
    if worker is not None:
        qtbot.waitUntil(lambda: not worker.busy, timeout=WAIT_MS)


def open_document(
    qtbot: QtBot, page: GalleryPage, scrutin: Scrutin, document: DocumentRef
) -> DocumentViewer:
    with qtbot.waitSignal(page.viewer.firstPagePainted, timeout=PAINT_MS):
        page.show_state(gallery_state(scrutin, document))
    return page.viewer


def logos(page: QWidget) -> list[QLabel]:
    return [
        w
        for w in page.findChildren(QLabel)
        if w.accessibleName().endswith(" — logo") and not w.isHidden()
    ]


def page_count(pdf: bytes) -> int:
    return len(_PAGE_OBJECT.findall(pdf))


def click(qtbot: QtBot, root: QWidget, name: str) -> None:
    qtbot.mouseClick(control(root, name), LEFT)


def enabled(root: QWidget, name: str) -> bool:
    return control(root, name).isEnabled()


# ---- the rows --------------------------------------------------------------------------------


def test_every_list_of_a_demo_scrutin_shows_its_logo_and_the_blank_vote_none(
    qtbot: QtBot, page: GalleryPage, worker: CoreWorker | None
) -> None:
    package = demo_package()
    scrutin = biggest_scrutin(package)
    page.show_state(gallery_state(scrutin))
    settle(qtbot, worker)
    names = BallotNames(package.manifest)
    labels = logos(page)
    assert len(labels) == len(scrutin.lists) >= 10
    for candidate in scrutin.lists:
        logo = control(page, f"{candidate.name} — logo")
        assert isinstance(logo, QLabel)
        assert logo.accessibleDescription()
        pixmap = logo.pixmap()
        assert not pixmap.isNull()
        shown = pixmap.deviceIndependentSize()
        assert max(shown.width(), shown.height()) == LOGO_SIZE
        assert isinstance(control(page, candidate.name), QPushButton)
    blank = names.option(scrutin.id, BLANK_OPTION)
    assert isinstance(control(page, blank), QPushButton)
    assert not [w for w in labels if w.accessibleName().startswith(blank)]
    assert not page.showing_document


def test_logos_are_read_once_per_scrutin_and_ticks_reopen_nothing(
    qtbot: QtBot, demo_store: KioskStore, worker: CoreWorker | None
) -> None:
    package = demo_package()
    scrutin = biggest_scrutin(package)
    store = CountingStore(demo_store)
    page = open_page(qtbot, PackageAssets(store, package.manifest), package, worker)
    page.show_state(gallery_state(scrutin))
    settle(qtbot, worker)
    assert sorted(store.reads) == sorted(c.logo for c in scrutin.lists)
    store.reads.clear()
    page.show_state(gallery_state(scrutin))  # the one-second tick renders the page again
    document = DocumentRef(scrutin.lists[0].id, DocumentKind.PROFESSION_DE_FOI)
    open_document(qtbot, page, scrutin, document)
    page.show_state(gallery_state(scrutin, document))
    settle(qtbot, worker)
    assert store.reads == [scrutin.lists[0].profession_de_foi]
    assert store.read_on_gui_thread is (worker is None)


# ---- through the worker ----------------------------------------------------------------------


def test_with_a_worker_the_rows_show_at_once_and_the_logos_when_read(
    qtbot: QtBot, demo_store: KioskStore
) -> None:
    package = demo_package()
    scrutin = biggest_scrutin(package)
    store = CountingStore(demo_store)
    worker = CoreWorker()
    try:
        page = open_page(qtbot, PackageAssets(store, package.manifest), package, worker)
        page.show_state(gallery_state(scrutin))
        # The rows are complete before any read comes back (callbacks need the event loop).
        assert page.option_count == len(scrutin.options)
        assert len(logos(page)) == len(scrutin.lists)
        assert all(logo.pixmap().isNull() for logo in logos(page))
        assert control(page, scrutin.lists[0].name).isVisible()
        qtbot.waitUntil(lambda: not any(logo.pixmap().isNull() for logo in logos(page)))
        assert not store.read_on_gui_thread
    finally:
        worker.shutdown()


class FailingScrutin:
    """Real assets, except every logo of one scrutin, which fails its check."""

    def __init__(self, assets: PackageAssets, failing: str) -> None:
        self.assets = assets
        self.failing = failing

    def logo(self, scrutin_id: ScrutinId, list_id: ListId) -> bytes:
        if scrutin_id == self.failing:
            raise AssetError(f"assets/{scrutin_id}/{list_id}/logo.png", "altered")
        return self.assets.logo(scrutin_id, list_id)

    def document(self, scrutin_id: ScrutinId, list_id: ListId, kind: DocumentKind) -> bytes:
        return self.assets.document(scrutin_id, list_id, kind)


@pytest.mark.parametrize("cleared", [False, True], ids=["another scrutin", "cleared"])
def test_logos_read_for_rows_no_longer_shown_are_dropped(
    qtbot: QtBot, demo_store: KioskStore, cleared: bool
) -> None:
    package = demo_package()
    first, second = (
        s for s in package.manifest.scrutins if s.id in {"capn-agreges", "csa-ministeriel"}
    )
    shared = {c.id for c in first.lists} & {c.id for c in second.lists}
    assert shared  # lists of the same ids: a late logo of the first would land on the second
    assets = FailingScrutin(PackageAssets(demo_store, package.manifest), second.id)
    worker = CoreWorker()
    try:
        page = open_page(qtbot, assets, package, worker)
        page.show_state(gallery_state(first))
        if cleared:
            page.clear()  # the window left the page, or a reset
        page.show_state(gallery_state(second))  # before the first scrutin's logos came back
        qtbot.waitUntil(lambda: not worker.busy, timeout=WAIT_MS)
        assert len(logos(page)) == len(second.lists)
        assert all(logo.pixmap().isNull() for logo in logos(page))  # its own failed: blank
    finally:
        worker.shutdown()


def test_with_a_worker_a_document_says_loading_then_shows_its_pages(
    qtbot: QtBot, demo_store: KioskStore
) -> None:
    package = demo_package()
    scrutin = biggest_scrutin(package)
    candidate = scrutin.lists[1]
    store = CountingStore(demo_store)
    worker = CoreWorker()
    try:
        page = open_page(qtbot, PackageAssets(store, package.manifest), package, worker)
        document = DocumentRef(candidate.id, DocumentKind.PROFESSION_DE_FOI)
        with qtbot.waitSignal(page.viewer.firstPagePainted, timeout=PAINT_MS):
            page.show_state(gallery_state(scrutin, document))
            viewer = page.viewer
            assert page.showing_document
            assert viewer.loading
            assert viewer.message_text == "Chargement…"
            assert control(page, "Chargement…").isVisible()
            assert viewer.title_text == f"Profession de foi — {candidate.name}"
            assert viewer.page_count == 0
            for name in ("Page suivante", "Zoom avant"):
                assert not enabled(page, name)
        assert not viewer.loading
        assert viewer.message_text == ""
        assert viewer.page_count == page_count(package.assets[candidate.profession_de_foi])
        assert viewer.page_text == f"Page 1 / {viewer.page_count}"
        assert not store.read_on_gui_thread
    finally:
        worker.shutdown()


def test_with_a_worker_a_document_closed_or_replaced_before_it_arrives_is_never_shown(
    qtbot: QtBot, demo_store: KioskStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = demo_package()
    scrutin = biggest_scrutin(package)
    first, second = scrutin.lists[0], scrutin.lists[1]
    worker = CoreWorker()
    try:
        page = open_page(qtbot, PackageAssets(demo_store, package.manifest), package, worker)
        viewer = page.viewer
        shown: list[str] = []
        show_document = viewer.show_document

        def record(pdf: bytes, title: str) -> bool:
            shown.append(title)
            return show_document(pdf, title)

        monkeypatch.setattr(viewer, "show_document", record)
        one = DocumentRef(first.id, DocumentKind.PROFESSION_DE_FOI)
        other = DocumentRef(second.id, DocumentKind.BALLOT)

        page.show_state(gallery_state(scrutin, one))
        page.show_state(gallery_state(scrutin))  # closed before it came back
        qtbot.waitUntil(lambda: not worker.busy, timeout=WAIT_MS)
        assert shown == []
        assert not page.showing_document
        assert viewer.page_count == 0
        assert viewer.title_text == ""

        page.show_state(gallery_state(scrutin, one))
        page.show_state(gallery_state(scrutin, other))  # another one asked for meanwhile
        qtbot.waitUntil(lambda: not worker.busy, timeout=WAIT_MS)
        assert shown == [f"Bulletin — {second.name}"]
        assert viewer.title_text == f"Bulletin — {second.name}"
        assert viewer.page_count == page_count(package.assets[second.ballot])

        page.show_state(gallery_state(scrutin, one))
        page.clear()  # the voter left, or a reset
        qtbot.waitUntil(lambda: not worker.busy, timeout=WAIT_MS)
        assert shown == [f"Bulletin — {second.name}"]
        assert viewer.page_count == 0
        assert not page.showing_document
    finally:
        worker.shutdown()


# ---- the keyboard ----------------------------------------------------------------------------


def test_tab_reaches_a_list_after_arming_and_return_chooses_it(
    qtbot: QtBot, page: GalleryPage
) -> None:
    scrutin = biggest_scrutin(demo_package())
    page.show_state(gallery_state(scrutin))
    arm = control(page, "Je veux voter")
    arm.setFocus()
    with qtbot.waitSignal(page.armRequested, timeout=1_000):
        qtbot.keyClick(arm, Qt.Key.Key_Return)
    page.show_state(gallery_state(scrutin, armed=True))  # the core's answer
    wanted = control(page, scrutin.lists[1].name)
    for _ in range(len(scrutin.options) * 3):  # down the rows: a list, its two documents...
        if page.focusWidget() is wanted:
            break
        qtbot.keyClick(page.focusWidget(), Qt.Key.Key_Tab)
    assert page.focusWidget() is wanted
    with qtbot.waitSignal(page.optionChosen, timeout=1_000) as chosen:
        qtbot.keyClick(wanted, Qt.Key.Key_Return)
    assert chosen.args == [scrutin.lists[1].id]


def test_return_on_page_suivante_turns_the_page(qtbot: QtBot, page: GalleryPage) -> None:
    scrutin = biggest_scrutin(demo_package())
    viewer = open_document(
        qtbot, page, scrutin, DocumentRef(scrutin.lists[0].id, DocumentKind.PROFESSION_DE_FOI)
    )
    following = control(page, "Page suivante")
    following.setFocus()
    qtbot.keyClick(following, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: viewer.current_page == 1, timeout=1_000)
    assert viewer.page_text == f"Page 2 / {viewer.page_count}"


def test_return_presses_the_display_bar_above_the_gallery(qtbot: QtBot) -> None:
    bar = DisplayBar()
    qtbot.addWidget(bar)
    bar.show()
    qtbot.waitExposed(bar)
    english = control(bar, "English")
    english.setFocus()
    with qtbot.waitSignal(bar.displayRequested, timeout=1_000) as asked:
        qtbot.keyClick(english, Qt.Key.Key_Return)
    assert asked.args == [Display(language="en")]


def test_every_control_of_the_gallery_and_the_viewer_is_accessible_and_touch_sized(
    qtbot: QtBot, page: GalleryPage
) -> None:
    scrutin = biggest_scrutin(demo_package())
    open_document(
        qtbot, page, scrutin, DocumentRef(scrutin.lists[0].id, DocumentKind.PROFESSION_DE_FOI)
    )
    controls = [w for w in page.findChildren(QWidget) if isinstance(w, QAbstractButton)]
    sliders = [w for w in page.findChildren(QWidget) if isinstance(w, QAbstractSlider)]
    assert len(sliders) >= 2  # the viewer's scroll bars
    unnamed = [
        f"{type(w).__name__} {getattr(w, 'text', lambda: '')()!r}"
        for w in controls + sliders
        if not w.accessibleName().strip() or not w.accessibleDescription().strip()
    ]
    assert unnamed == []
    assert all(w.minimumHeight() >= 64 for w in controls)


# ---- the viewer ------------------------------------------------------------------------------


def test_a_profession_de_foi_opens_on_page_one_in_place_of_the_rows(
    page: GalleryPage, qtbot: QtBot
) -> None:
    package = demo_package()
    scrutin = biggest_scrutin(package)
    candidate = scrutin.lists[2]
    pdf = package.assets[candidate.profession_de_foi]
    pages = page_count(pdf)
    assert pages > 1
    document = DocumentRef(candidate.id, DocumentKind.PROFESSION_DE_FOI)
    viewer = open_document(qtbot, page, scrutin, document)
    assert page.showing_document
    assert viewer.isVisible()
    assert viewer.page_count == pages
    assert viewer.current_page == 0
    assert viewer.page_text == f"Page 1 / {pages}"
    assert viewer.title_text == f"Profession de foi — {candidate.name}"
    assert viewer.view.pageMode() == QPdfView.PageMode.SinglePage
    assert not viewer.showing_error
    # The rows, the arm and back buttons are out of the way while reading.
    assert not control(page, "Fermer le document").isHidden()
    assert [w for w in page.findChildren(QPushButton) if w.isVisible()] == [
        w for w in viewer.findChildren(QPushButton)
    ]


def test_next_and_previous_change_the_page_and_stop_at_the_ends(
    page: GalleryPage, qtbot: QtBot
) -> None:
    scrutin = biggest_scrutin(demo_package())
    viewer = open_document(
        qtbot, page, scrutin, DocumentRef(scrutin.lists[0].id, DocumentKind.PROFESSION_DE_FOI)
    )
    last = viewer.page_count
    assert not enabled(page, "Page précédente")
    for number in range(2, last + 1):
        click(qtbot, page, "Page suivante")
        assert viewer.current_page == number - 1
        assert viewer.page_text == f"Page {number} / {last}"
    assert not enabled(page, "Page suivante")
    viewer.next_page()  # past the end: nothing
    assert viewer.page_text == f"Page {last} / {last}"
    click(qtbot, page, "Page précédente")
    assert viewer.page_text == f"Page {last - 1} / {last}"
    while enabled(page, "Page précédente"):
        click(qtbot, page, "Page précédente")
    assert viewer.current_page == 0
    viewer.previous_page()  # before the start: nothing
    assert viewer.page_text == f"Page 1 / {last}"


def test_zoom_in_and_out_change_the_zoom_and_fit_to_width_fills_the_width(
    page: GalleryPage, qtbot: QtBot
) -> None:
    scrutin = biggest_scrutin(demo_package())
    viewer = open_document(
        qtbot, page, scrutin, DocumentRef(scrutin.lists[1].id, DocumentKind.BALLOT)
    )
    assert viewer.zoom_mode == QPdfView.ZoomMode.FitInView
    whole_page = viewer.zoom_factor
    assert whole_page > 0
    click(qtbot, page, "Zoom avant")
    assert viewer.zoom_mode == QPdfView.ZoomMode.Custom
    assert viewer.zoom_factor == pytest.approx(whole_page * 1.25)
    click(qtbot, page, "Zoom arrière")
    click(qtbot, page, "Zoom arrière")
    assert viewer.zoom_factor == pytest.approx(whole_page / 1.25)
    click(qtbot, page, "Ajuster à la largeur")
    assert viewer.zoom_mode == QPdfView.ZoomMode.FitToWidth
    assert not enabled(page, "Ajuster à la largeur")
    fitted = viewer.zoom_factor
    pixels_per_point = viewer.logicalDpiX() / 72
    page_width = viewer.view.document().pagePointSize(0).width() * pixels_per_point * fitted
    assert page_width == pytest.approx(viewer.view.viewport().width() - 12, abs=2)
    click(qtbot, page, "Zoom avant")  # from the fitted zoom
    assert viewer.zoom_factor == pytest.approx(fitted * 1.25)
    while enabled(page, "Zoom avant"):
        click(qtbot, page, "Zoom avant")
    assert viewer.zoom_factor == pytest.approx(MAX_ZOOM)


def test_a_drag_pans_a_zoomed_page(page: GalleryPage, qtbot: QtBot) -> None:
    scrutin = biggest_scrutin(demo_package())
    viewer = open_document(
        qtbot, page, scrutin, DocumentRef(scrutin.lists[0].id, DocumentKind.PROFESSION_DE_FOI)
    )
    for _ in range(4):
        click(qtbot, page, "Zoom avant")
    vertical = viewer.view.verticalScrollBar()
    assert vertical.maximum() > 0
    before = vertical.value()
    viewport = viewer.view.viewport()
    middle = viewport.rect().center()
    qtbot.mousePress(viewport, LEFT, pos=middle)
    qtbot.mouseMove(viewport, middle - QPoint(0, 150))
    qtbot.mouseRelease(viewport, LEFT, pos=middle - QPoint(0, 150))
    assert vertical.value() == min(vertical.maximum(), before + 150)
    assert viewer.current_page == 0


def test_closing_asks_the_core_and_the_closed_state_shows_the_rows_again(
    page: GalleryPage, qtbot: QtBot
) -> None:
    scrutin = biggest_scrutin(demo_package())
    viewer = open_document(
        qtbot, page, scrutin, DocumentRef(scrutin.lists[0].id, DocumentKind.BALLOT)
    )
    with qtbot.waitSignal(page.documentClosed, timeout=1_000):
        click(qtbot, page, "Fermer le document")
    assert page.showing_document  # the page waits for the core's state: Qt decides nothing
    page.show_state(gallery_state(scrutin))
    assert not page.showing_document
    assert viewer.page_count == 0
    assert viewer.title_text == ""
    assert control(page, "Je veux voter").isVisible()
    assert control(page, scrutin.lists[0].name).isVisible()


def test_leaving_the_page_forgets_the_document(page: GalleryPage, qtbot: QtBot) -> None:
    scrutin = biggest_scrutin(demo_package())
    viewer = open_document(
        qtbot, page, scrutin, DocumentRef(scrutin.lists[0].id, DocumentKind.BALLOT)
    )
    page.clear()  # the window clears a page it leaves, and every page on a reset
    assert viewer.page_count == 0
    assert viewer.title_text == ""
    assert not page.showing_document


def test_a_link_in_a_pdf_opens_nothing_and_jumps_nowhere(qtbot: QtBot) -> None:
    # Page 1: a web link over its top half, a link to page 3 over its bottom half.
    out = io.BytesIO()
    pdf_canvas = canvas.Canvas(out, pagesize=(595, 842))
    pdf_canvas.drawString(72, 760, "Programme complet : https://example.org/programme")
    pdf_canvas.linkURL("https://example.org/programme", (0, 421, 595, 842), relative=0)
    pdf_canvas.linkAbsolute("page 3", "p3", (0, 0, 595, 421))
    for number in (2, 3):
        pdf_canvas.showPage()
        pdf_canvas.bookmarkPage(f"p{number}")
        pdf_canvas.drawString(72, 760, f"Page {number}")
    pdf_canvas.save()
    pdf = out.getvalue()

    # The PDF does hold both links where the clicks land (points from the top-left corner).
    buffer = QBuffer()
    buffer.setData(QByteArray(pdf))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    document.load(buffer)
    links = QPdfLinkModel()
    links.setDocument(document)
    links.setPage(0)
    assert links.rowCount(QModelIndex()) >= 2
    assert links.linkAt(QPointF(297, 210)).url() == QUrl("https://example.org/programme")
    assert links.linkAt(QPointF(297, 630)).page() == 2

    viewer = DocumentViewer()
    qtbot.addWidget(viewer)
    viewer.resize(900, 1000)
    viewer.show()
    qtbot.waitExposed(viewer)
    with qtbot.waitSignal(viewer.firstPagePainted, timeout=PAINT_MS):
        assert viewer.show_document(pdf, "Liens")
    recorder = UrlRecorder()
    schemes = ("http", "https", "mailto", "file")
    for scheme in schemes:
        QDesktopServices.setUrlHandler(scheme, recorder, "open")
    # Whatever a followed link does inside the view goes through its page navigator.
    navigator = viewer.view.pageNavigator()
    moves: list[str] = []
    navigator.currentPageChanged.connect(lambda page: moves.append(f"page {page}"))
    navigator.currentLocationChanged.connect(lambda at: moves.append(f"location {at}"))
    navigator.jumped.connect(lambda link: moves.append(f"jumped to {link.page()}"))
    try:
        assert QDesktopServices.openUrl(QUrl("https://example.org/check"))  # the trap works
        assert recorder.opened == ["https://example.org/check"]
        recorder.opened.clear()
        viewport = viewer.view.viewport()
        scale = viewer.zoom_factor * viewer.logicalDpiX() / 72
        left = (viewport.width() - 595 * scale) / 2
        for y_points in (210, 630):
            at = QPoint(round(left + 297 * scale), round(6 + y_points * scale))
            assert viewport.rect().contains(at)
            qtbot.mouseMove(viewport, at)
            qtbot.mouseClick(viewport, LEFT, pos=at)
            qtbot.mouseDClick(viewport, LEFT, pos=at)
        QApplication.processEvents()  # anything the clicks queued has run now
        assert moves == []
        assert recorder.opened == []
        assert viewer.current_page == 0
        assert viewer.page_text == "Page 1 / 3"
        viewer.next_page()  # the spy works: a move through the navigator is seen
        assert "page 1" in moves
    finally:
        for scheme in schemes:
            QDesktopServices.unsetUrlHandler(scheme)
        document.close()
        buffer.close()


# ---- failures --------------------------------------------------------------------------------


def test_an_altered_pdf_in_the_store_shows_a_clear_message_not_its_pages(
    qtbot: QtBot,
    demo_store: KioskStore,
    worker: CoreWorker | None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    package = demo_package()
    scrutin = biggest_scrutin(package)
    candidate = scrutin.lists[0]
    store = CountingStore(demo_store, altered=candidate.profession_de_foi)
    page = open_page(qtbot, PackageAssets(store, package.manifest), package, worker)
    page.show_state(gallery_state(scrutin, DocumentRef(candidate.id, DocumentKind.BALLOT)))
    page.show_state(
        gallery_state(scrutin, DocumentRef(candidate.id, DocumentKind.PROFESSION_DE_FOI))
    )
    settle(qtbot, worker)
    viewer = page.viewer
    assert page.showing_document
    assert viewer.showing_error
    assert viewer.page_count == 0
    assert "ne peut pas être affiché" in viewer.message_text
    assert control(page, viewer.message_text).isVisible()
    assert not viewer.view.isVisible()
    assert viewer.title_text == f"Profession de foi — {candidate.name}"
    for name in ("Page précédente", "Page suivante", "Zoom avant", "Zoom arrière"):
        assert not enabled(page, name)
    # Privacy: the log says what failed, not which document this voter opened.
    assert "AssetError" in caplog.text
    assert candidate.profession_de_foi not in caplog.text
    with qtbot.waitSignal(page.documentClosed, timeout=1_000):
        click(qtbot, page, "Fermer le document")
    # The next document opens normally.
    other = DocumentRef(scrutin.lists[1].id, DocumentKind.PROFESSION_DE_FOI)
    assert open_document(qtbot, page, scrutin, other).page_count > 1
    assert not viewer.showing_error


def test_bytes_that_are_not_a_pdf_or_a_png_show_a_message_and_no_logo(
    qtbot: QtBot, tmp_path: Path
) -> None:
    # The small test package's stand-in assets match their hashes but are not real files.
    world = Kiosk(tmp_path, captcha=False)
    try:
        sealed, _ = sealed_election()
        page = open_page(qtbot, PackageAssets(world.store, sealed.manifest), sealed)
        scrutin = sealed.manifest.scrutins[0]
        page.show_state(gallery_state(scrutin))
        logo = control(page, f"{scrutin.lists[0].name} — logo")
        assert isinstance(logo, QLabel)
        assert logo.pixmap().isNull()
        page.show_state(gallery_state(scrutin, DocumentRef(ListId("l0"), DocumentKind.BALLOT)))
        assert page.viewer.showing_error
        assert page.viewer.message_text
    finally:
        world.store.close()


def test_without_an_asset_source_the_page_still_works(qtbot: QtBot) -> None:
    package = demo_package()
    scrutin = biggest_scrutin(package)
    page = open_page(qtbot, None, package)
    page.show_state(gallery_state(scrutin, armed=True))
    assert not [w for w in page.findChildren(QLabel) if w.accessibleName().endswith(" — logo")]
    candidate = scrutin.lists[0]
    with qtbot.waitSignal(page.optionChosen, timeout=1_000) as chosen:
        click(qtbot, page, candidate.name)
    assert chosen.args == [candidate.id]
    page.show_state(gallery_state(scrutin, DocumentRef(candidate.id, DocumentKind.BALLOT)))
    assert page.showing_document
    assert page.viewer.title_text == f"Bulletin — {candidate.name}"
    assert page.viewer.page_count == 0
