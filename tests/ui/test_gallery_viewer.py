"""The gallery shows each list's logo and opens its PDFs in the in-kiosk viewer, offscreen.

The demo election carries real logos and multi-page PDFs: it is built once (voters=1, the
test KDF) and loaded into a real kiosk store per test. The pages are driven the way a voter or
a screen reader finds controls: by accessible name.
"""

from __future__ import annotations

import functools
import io
import re
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
    QLabel,
    QPushButton,
    QWidget,
)
from pytestqt.qtbot import QtBot
from reportlab.pdfgen import canvas

from kiosk.clock import ManualClock
from kiosk.election.demo import build_demo
from kiosk.election.kdf import KdfProfile
from kiosk.election.model import BLANK_OPTION, ElectionPackage, ListId, Scrutin, VoterId
from kiosk.store import KioskStore, create_key_file
from kiosk.voting import flow
from kiosk.voting.assets import PackageAssets
from kiosk.voting.model import Booth, Display, DocumentKind, DocumentRef, ScrutinEntry, VoterRef
from tests.ui.conftest import control
from tests.unit.test_voting_world import Kiosk, sealed_election
from ui.ballot_names import BallotNames
from ui.pages.gallery import LOGO_SIZE, GalleryPage, ListAssets
from ui.pdf_viewer import MAX_ZOOM, DocumentViewer

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
    """The real store behind a wrapper that counts reads and may alter one asset's bytes."""

    def __init__(self, store: KioskStore, altered: str | None = None) -> None:
        self.store = store
        self.altered = altered
        self.reads: list[str] = []

    def package_asset(self, path: str) -> bytes | None:
        self.reads.append(path)
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


def open_page(qtbot: QtBot, assets: ListAssets | None, package: ElectionPackage) -> GalleryPage:
    page = GalleryPage(BallotNames(package.manifest), assets)
    qtbot.addWidget(page)
    page.resize(1280, 1024)
    page.show()
    qtbot.waitExposed(page)
    return page


@pytest.fixture
def page(qtbot: QtBot, demo_store: KioskStore) -> GalleryPage:
    package = demo_package()
    return open_page(qtbot, PackageAssets(demo_store, package.manifest), package)


def open_document(
    qtbot: QtBot, page: GalleryPage, scrutin: Scrutin, document: DocumentRef
) -> DocumentViewer:
    with qtbot.waitSignal(page.viewer.firstPagePainted, timeout=PAINT_MS):
        page.show_state(gallery_state(scrutin, document))
    return page.viewer


def page_count(pdf: bytes) -> int:
    return len(_PAGE_OBJECT.findall(pdf))


def click(qtbot: QtBot, root: QWidget, name: str) -> None:
    qtbot.mouseClick(control(root, name), LEFT)


def enabled(root: QWidget, name: str) -> bool:
    return control(root, name).isEnabled()


# ---- the rows --------------------------------------------------------------------------------


def test_every_list_of_a_demo_scrutin_shows_its_logo_and_the_blank_vote_none(
    page: GalleryPage,
) -> None:
    package = demo_package()
    scrutin = biggest_scrutin(package)
    page.show_state(gallery_state(scrutin))
    names = BallotNames(package.manifest)
    logos = [w for w in page.findChildren(QLabel) if w.accessibleName().endswith(" — logo")]
    assert len(logos) == len(scrutin.lists) >= 10
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
    assert not [w for w in logos if w.accessibleName().startswith(blank)]
    assert not page.showing_document


def test_logos_are_read_once_per_scrutin_and_ticks_reopen_nothing(
    qtbot: QtBot, demo_store: KioskStore
) -> None:
    package = demo_package()
    scrutin = biggest_scrutin(package)
    store = CountingStore(demo_store)
    page = open_page(qtbot, PackageAssets(store, package.manifest), package)
    page.show_state(gallery_state(scrutin))
    assert sorted(store.reads) == sorted(c.logo for c in scrutin.lists)
    store.reads.clear()
    page.show_state(gallery_state(scrutin))  # the one-second tick renders the page again
    document = DocumentRef(scrutin.lists[0].id, DocumentKind.PROFESSION_DE_FOI)
    open_document(qtbot, page, scrutin, document)
    page.show_state(gallery_state(scrutin, document))
    assert store.reads == [scrutin.lists[0].profession_de_foi]


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
            qtbot.wait(50)
            assert viewer.current_page == 0
        assert recorder.opened == []
        assert viewer.page_text == "Page 1 / 3"
    finally:
        for scheme in schemes:
            QDesktopServices.unsetUrlHandler(scheme)
        document.close()
        buffer.close()


# ---- failures --------------------------------------------------------------------------------


def test_an_altered_pdf_in_the_store_shows_a_clear_message_not_its_pages(
    qtbot: QtBot, demo_store: KioskStore, caplog: pytest.LogCaptureFixture
) -> None:
    package = demo_package()
    scrutin = biggest_scrutin(package)
    candidate = scrutin.lists[0]
    store = CountingStore(demo_store, altered=candidate.profession_de_foi)
    page = open_page(qtbot, PackageAssets(store, package.manifest), package)
    page.show_state(gallery_state(scrutin, DocumentRef(candidate.id, DocumentKind.BALLOT)))
    page.show_state(
        gallery_state(scrutin, DocumentRef(candidate.id, DocumentKind.PROFESSION_DE_FOI))
    )
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
