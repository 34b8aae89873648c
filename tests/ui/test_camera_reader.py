"""The camera reading the réassort token's QR code (ui/camera.py) and the token page using it.

This machine has no camera: frames are built from QImages of a photographed token QR code and
fed through the reader's real ``QVideoSink``, as the camera would feed them.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import QCameraDevice, QMediaDevices, QVideoSink
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from kiosk.voting.token_qr import token_from_frame, token_qr_png
from tests.ui.conftest import WAIT_MS, control
from tests.unit.test_token_qr import photo_of, png_image
from ui.camera import QrCameraReader, SystemCamera, grayscale
from ui.pages.reassort import ReassortTokenPage
from ui.worker import CoreWorker

_LEFT = Qt.MouseButton.LeftButton
SECOND_US = 1_000_000
NO_CAMERA = "Pas de caméra : saisissez le jeton"


class FedFrames:
    """A frame source with no camera behind it: the test feeds the frames."""

    def __init__(self) -> None:
        self.running = False
        self.starts = 0
        self.fail: Callable[[], None] | None = None

    def start(self, sink: QVideoSink, on_failure: Callable[[], None]) -> bool:
        self.running = True
        self.starts += 1
        self.fail = on_failure
        return True

    def stop(self) -> None:
        self.running = False


class Decodes:
    """The real decoder, counted; it can be held until the test lets it go."""

    def __init__(self) -> None:
        self.calls = 0
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, width: int, height: int, pixels: bytes) -> str | None:
        self.calls += 1
        assert self.gate.wait(WAIT_MS / 1000), "the test never let the decode go"
        return token_from_frame(width, height, pixels)


def to_qimage(image: Image.Image) -> QImage:
    out = io.BytesIO()
    image.save(out, format="PNG")
    qimage = QImage.fromData(out.getvalue())
    assert not qimage.isNull()
    return qimage.convertToFormat(QImage.Format.Format_RGB32)  # what a camera frame gives


def photographed(token: str, seed: int = 3) -> QImage:
    return to_qimage(photo_of(png_image(token_qr_png(token)), seed=seed))


@pytest.fixture(scope="module")
def token_photo() -> QImage:
    return photographed("ABCDEFGH")


@pytest.fixture
def worker() -> Iterator[CoreWorker]:
    made = CoreWorker()
    yield made
    made.shutdown()


@pytest.fixture
def source() -> FedFrames:
    return FedFrames()


@pytest.fixture
def decodes() -> Iterator[Decodes]:
    made = Decodes()
    yield made
    made.gate.set()  # never leave the worker's thread waiting


@pytest.fixture
def reader(
    qtbot: QtBot, source: FedFrames, worker: CoreWorker, decodes: Decodes
) -> Iterator[QrCameraReader]:
    made = QrCameraReader(source=source, worker=worker, frames_per_second=5, decode=decodes)
    yield made
    made.stop()


def no_camera() -> QCameraDevice:
    return QCameraDevice()  # a null device: what QMediaDevices gives on a machine without one


def settle(qtbot: QtBot, reader: QrCameraReader) -> None:
    qtbot.waitUntil(lambda: not reader.decoding, timeout=WAIT_MS)


# ---- the reader ------------------------------------------------------------------------------


def test_without_a_camera_the_reader_says_unavailable(qtbot: QtBot, worker: CoreWorker) -> None:
    reader = QrCameraReader(source=SystemCamera(device=no_camera), worker=worker)
    with qtbot.waitSignal(reader.unavailable, timeout=WAIT_MS):
        assert reader.start() is False
    assert not reader.reading


def test_frames_are_grayscale_and_at_most_640_a_side(token_photo: QImage) -> None:
    assert (token_photo.width(), token_photo.height()) == (800, 600)
    gray = grayscale(token_photo)
    assert gray is not None
    width, height, pixels = gray
    assert (width, height) == (640, 480)
    assert len(pixels) == width * height
    assert token_from_frame(width, height, pixels) == "ABCD-EFGH"


def test_grayscale_rows_lose_their_padding() -> None:
    image = QImage(5, 3, QImage.Format.Format_Grayscale8)  # rows padded to 8 bytes
    assert image.bytesPerLine() == 8
    for y in range(3):
        for x in range(5):
            image.setPixel(x, y, 0xFF000000 | (0x010101 * (10 * y + x)))
    assert grayscale(image) == (5, 3, bytes(10 * y + x for y in range(3) for x in range(5)))
    assert grayscale(QImage()) is None


def test_a_token_seen_in_many_frames_is_read_once(
    qtbot: QtBot, reader: QrCameraReader, decodes: Decodes, token_photo: QImage
) -> None:
    read: list[str] = []
    reader.tokenRead.connect(read.append)
    assert reader.start()
    with qtbot.waitSignal(reader.tokenRead, timeout=WAIT_MS) as first:
        reader.feed_image(token_photo, 0)
    assert first.args == ["ABCD-EFGH"]
    for second in range(1, 6):
        reader.feed_image(token_photo, second * SECOND_US)
        settle(qtbot, reader)
    assert decodes.calls == 6
    assert read == ["ABCD-EFGH"]
    # Another token is another reading.
    with qtbot.waitSignal(reader.tokenRead, timeout=WAIT_MS) as other:
        reader.feed_image(photographed("JKMNPQRS"), 6 * SECOND_US)
    assert other.args == ["JKMN-PQRS"]
    assert read == ["ABCD-EFGH", "JKMN-PQRS"]


def test_frames_arriving_while_a_decode_is_busy_are_dropped(
    qtbot: QtBot, reader: QrCameraReader, decodes: Decodes, token_photo: QImage
) -> None:
    assert reader.start()
    decodes.gate.clear()
    reader.feed_image(token_photo, 0)
    assert reader.decoding
    for second in range(1, 6):
        reader.feed_image(token_photo, second * SECOND_US)
    with qtbot.waitSignal(reader.tokenRead, timeout=WAIT_MS):
        decodes.gate.set()
    assert decodes.calls == 1
    reader.feed_image(token_photo, 6 * SECOND_US)
    settle(qtbot, reader)
    assert decodes.calls == 2


def test_at_most_n_frames_a_second_by_their_timestamps(
    qtbot: QtBot, reader: QrCameraReader, decodes: Decodes, token_photo: QImage
) -> None:
    assert reader.start()
    for n in range(25):  # one second of a 25 fps camera; 5 frames a second are read
        reader.feed_image(token_photo, n * 40_000)
        settle(qtbot, reader)
    assert decodes.calls == 5
    for _ in range(12):  # frames without timestamps: one in six (30 fps assumed)
        reader.feed_image(token_photo)
        settle(qtbot, reader)
    assert decodes.calls == 7


def test_a_decode_that_ends_after_stop_reads_nothing(
    qtbot: QtBot, reader: QrCameraReader, decodes: Decodes, source: FedFrames, token_photo: QImage
) -> None:
    read: list[str] = []
    reader.tokenRead.connect(read.append)
    assert reader.start()
    decodes.gate.clear()
    reader.feed_image(token_photo, 0)
    reader.stop()
    assert not source.running
    decodes.gate.set()
    settle(qtbot, reader)
    assert read == []
    reader.feed_image(token_photo, SECOND_US)  # stopped: not even looked at
    assert decodes.calls == 1


def test_a_camera_failure_stops_and_says_unavailable(
    qtbot: QtBot, reader: QrCameraReader, source: FedFrames
) -> None:
    assert reader.start()
    assert source.fail is not None
    with qtbot.waitSignal(reader.unavailable, timeout=WAIT_MS):
        source.fail()
    assert not reader.reading
    assert not source.running


def test_a_decoder_that_fails_makes_the_camera_unavailable(
    qtbot: QtBot, source: FedFrames, worker: CoreWorker, token_photo: QImage
) -> None:
    def missing_zbar(width: int, height: int, pixels: bytes) -> str | None:
        raise ImportError("Unable to find zbar shared library")

    reader = QrCameraReader(source=source, worker=worker, decode=missing_zbar)
    assert reader.start()
    with qtbot.waitSignal(reader.unavailable, timeout=WAIT_MS):
        reader.feed_image(token_photo, 0)
    assert not source.running


# ---- the token page --------------------------------------------------------------------------


def open_page(qtbot: QtBot, reader: QrCameraReader | None) -> ReassortTokenPage:
    page = ReassortTokenPage(reader)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    return page


def token_field(page: ReassortTokenPage) -> QLineEdit:
    field = control(page, "Jeton")
    assert isinstance(field, QLineEdit)
    return field


def camera_line(page: ReassortTokenPage) -> list[str]:
    return [label.text() for label in page.findChildren(QLabel) if label.isVisible()]


def test_without_a_camera_the_page_says_so_and_keeps_the_field(
    qtbot: QtBot, worker: CoreWorker
) -> None:
    page = open_page(qtbot, QrCameraReader(source=SystemCamera(device=no_camera), worker=worker))
    scan = control(page, "Scanner le QR code")
    qtbot.mouseClick(scan, _LEFT)
    qtbot.waitUntil(lambda: NO_CAMERA in camera_line(page), timeout=WAIT_MS)
    assert not scan.isEnabled()
    viewfinder = page.findChild(QVideoWidget)
    assert viewfinder is None or not viewfinder.isVisible()
    field = token_field(page)
    assert field.isEnabled()
    field.setText("abcd-efgh")
    with qtbot.waitSignal(page.submitted, timeout=WAIT_MS) as sent:
        qtbot.mouseClick(control(page, "Valider"), _LEFT)
    assert sent.args == ["abcd-efgh"]
    page.clear()  # a new voter: the camera may have been plugged in since
    assert scan.isEnabled()
    assert NO_CAMERA not in camera_line(page)


@pytest.mark.skipif(bool(QMediaDevices.videoInputs()), reason="this machine has a camera")
def test_the_default_page_finds_no_camera_on_this_machine(qtbot: QtBot) -> None:
    page = open_page(qtbot, None)
    assert page.camera is None  # made when first asked for
    qtbot.mouseClick(control(page, "Scanner le QR code"), _LEFT)
    qtbot.waitUntil(lambda: NO_CAMERA in camera_line(page), timeout=WAIT_MS)
    assert page.camera is not None
    assert not page.camera.reading
    assert token_field(page).isEnabled()


def test_the_page_submits_the_token_the_camera_reads(
    qtbot: QtBot, reader: QrCameraReader, source: FedFrames, token_photo: QImage
) -> None:
    page = open_page(qtbot, reader)
    qtbot.mouseClick(control(page, "Scanner le QR code"), _LEFT)
    assert source.running
    viewfinder = control(page, "Caméra")
    assert isinstance(viewfinder, QVideoWidget)
    assert "Présentez le QR code du message à la caméra." in camera_line(page)
    with qtbot.waitSignal(page.submitted, timeout=WAIT_MS) as sent:
        reader.feed_image(token_photo, 0)
    assert sent.args == ["ABCD-EFGH"]
    assert token_field(page).text() == ""
    assert viewfinder.videoSink().videoFrame().isValid()  # the voter sees what the camera sees
    # The same phone still in front of the camera submits nothing more (a wrong one counts).
    submitted: list[str] = []
    page.submitted.connect(submitted.append)
    reader.feed_image(token_photo, SECOND_US)
    settle(qtbot, reader)
    assert submitted == []


def test_the_scan_button_stops_the_camera_too(
    qtbot: QtBot, reader: QrCameraReader, source: FedFrames
) -> None:
    page = open_page(qtbot, reader)
    qtbot.mouseClick(control(page, "Scanner le QR code"), _LEFT)
    assert source.running
    qtbot.mouseClick(control(page, "Arrêter la caméra"), _LEFT)
    assert not source.running
    assert not reader.reading
    control(page, "Scanner le QR code")


@pytest.mark.parametrize("leave", ["clear", "hide"])
def test_leaving_the_page_stops_the_camera_and_keeps_no_frame(
    qtbot: QtBot,
    reader: QrCameraReader,
    source: FedFrames,
    decodes: Decodes,
    token_photo: QImage,
    leave: str,
) -> None:
    page = open_page(qtbot, reader)
    qtbot.mouseClick(control(page, "Scanner le QR code"), _LEFT)
    viewfinder = control(page, "Caméra")
    assert isinstance(viewfinder, QVideoWidget)
    with qtbot.waitSignal(reader.tokenRead, timeout=WAIT_MS):
        reader.feed_image(token_photo, 0)
    if leave == "clear":
        page.clear()  # what the window does to the page it leaves
    else:
        page.hide()
    assert not source.running
    assert not reader.reading
    assert not viewfinder.isVisible()
    assert not viewfinder.videoSink().videoFrame().isValid()
    reader.feed_image(token_photo, SECOND_US)
    assert decodes.calls == 1
    page.show()
    control(page, "Scanner le QR code")  # a new start, not a running camera


def test_every_control_is_named_and_described(qtbot: QtBot, reader: QrCameraReader) -> None:
    page = open_page(qtbot, reader)
    qtbot.mouseClick(control(page, "Scanner le QR code"), _LEFT)
    controls: list[QWidget] = [
        *page.findChildren(QPushButton),
        *page.findChildren(QLineEdit),
        *page.findChildren(QVideoWidget),
    ]
    assert len(controls) == 5
    for widget in controls:
        assert widget.accessibleName(), type(widget).__name__
        assert widget.accessibleDescription(), widget.accessibleName()
