"""The kiosk camera reading the réassort token's QR code off the voter's phone.

    reader = QrCameraReader()
    reader.tokenRead.connect(page.fill_and_submit)   # once per distinct token
    reader.unavailable.connect(page.say_no_camera)   # no camera, or it failed
    reader.start(); ...; reader.stop()               # stop when the page is left

Frames come from a ``FrameSource`` (``SystemCamera``: QtMultimedia's default video input) into
one ``QVideoSink``. At most ``frames_per_second`` of them (by the frames' own timestamps, or one
in ``_UNTIMED_STRIDE`` when a frame has none) become 8-bit grayscale of at most 640 px a side,
decoded off the GUI thread by ``CoreWorker`` with ``kiosk.voting.token_qr.token_from_frame``;
one decode at a time, the frames that arrive meanwhile are dropped. Nothing keeps a frame: the
pixels live in the one job, and ``stop`` empties the sinks. The token is never logged.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
from collections.abc import Callable, Iterator
from typing import Final, Protocol

from PySide6.QtCore import (
    QMessageLogContext,
    QObject,
    Qt,
    QtMsgType,
    Signal,
    Slot,
    qFormatLogMessage,
    qInstallMessageHandler,
)
from PySide6.QtGui import QImage

from kiosk.voting.token_qr import token_from_frame
from ui.worker import CoreWorker

MessageHandler = Callable[[QtMsgType, QMessageLogContext, str], None]
_PROBES: Final = "qt.multimedia.symbolsresolver"  # "Couldn't load pipewire-0.3 library"...
_BANNER: Final = "qt.multimedia.ffmpeg"  # "Using Qt multimedia with FFmpeg version 7.1"


def _load_note(kind: QtMsgType, category: str | None) -> bool:
    """What QtMultimedia says as it loads: which optional libraries (pipewire, VA-API) it did
    not find, which FFmpeg it uses. The kiosk needs neither library."""
    chatter = kind in (QtMsgType.QtDebugMsg, QtMsgType.QtInfoMsg)
    return category == _PROBES or (category == _BANNER and chatter)


@contextlib.contextmanager
def _load_notes_dropped() -> Iterator[None]:
    """Drop QtMultimedia's load notes while it loads, and only then. Every other message goes
    to the handler in place (or to stderr as Qt's own would write it); the logging rules
    (QT_LOGGING_RULES, ``QLoggingCategory.setFilterRules``) are left as they are."""
    previous: MessageHandler | None = None

    def handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if _load_note(kind, context.category):
            return
        if previous is not None:
            previous(kind, context, message)
        else:
            print(qFormatLogMessage(kind, context, message), file=sys.stderr)

    previous = qInstallMessageHandler(handler)
    try:
        yield
    finally:
        qInstallMessageHandler(previous)


with _load_notes_dropped():  # the module's probes (pipewire)
    from PySide6.QtMultimedia import (
        QCamera,
        QCameraDevice,
        QMediaCaptureSession,
        QMediaDevices,
        QVideoFrame,
        QVideoSink,
    )

_LOGGER: Final = logging.getLogger("ui.camera")
MAX_SIDE: Final = 640  # pixels a side handed to zbar: a phone's QR code still has 5+ px a module
FRAMES_PER_SECOND: Final = 5
_UNTIMED_STRIDE_BASE: Final = 30  # frames without timestamps: assume a 30 fps camera
_MICROSECONDS: Final = 1_000_000

Decode = Callable[[int, int, bytes], str | None]


class FrameSource(Protocol):
    """Where frames come from: the system camera, or a test that feeds them itself."""

    def start(self, sink: QVideoSink, on_failure: Callable[[], None]) -> bool:
        """Send frames into ``sink``; False when there is no camera. ``on_failure`` is called
        if the camera fails later (unplugged, refused)."""
        ...

    def stop(self) -> None: ...


class SystemCamera(QObject):
    """QtMultimedia's default video input (``device`` is injectable for tests)."""

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        device: Callable[[], QCameraDevice] = QMediaDevices.defaultVideoInput,
    ) -> None:
        super().__init__(parent)
        self._device = device
        self._camera: QCamera | None = None
        self._session: QMediaCaptureSession | None = None

    def start(self, sink: QVideoSink, on_failure: Callable[[], None]) -> bool:
        self.stop()
        device = self._device()
        if device.isNull():
            return False
        camera = QCamera(device, self)
        session = QMediaCaptureSession(self)
        session.setCamera(camera)
        session.setVideoSink(sink)
        # Privacy: the error's text may name a device; only the fact is passed on.
        camera.errorOccurred.connect(lambda _error, _text: on_failure())
        self._camera, self._session = camera, session
        camera.start()
        return True

    def stop(self) -> None:
        camera, session = self._camera, self._session
        self._camera = self._session = None
        if camera is not None:
            camera.stop()
            camera.deleteLater()
        if session is not None:
            session.deleteLater()


class QrCameraReader(QObject):
    """Reads réassort tokens from camera frames; see the module docstring."""

    tokenRead = Signal(str)  # the token, printed (ABCD-EFGH): once per distinct token
    unavailable = Signal()  # no camera, or it failed: the voter types the token

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        source: FrameSource | None = None,
        worker: CoreWorker | None = None,
        frames_per_second: int = FRAMES_PER_SECOND,
        decode: Decode = token_from_frame,
    ) -> None:
        super().__init__(parent)
        if frames_per_second < 1:
            raise ValueError("frames_per_second must be at least 1")
        self._source: FrameSource = source if source is not None else SystemCamera(self)
        # Its own worker: a decode never delays the voter's events on the window's.
        self._worker = worker if worker is not None else CoreWorker(self)
        self._interval_us = _MICROSECONDS // frames_per_second
        self._untimed_stride = max(1, round(_UNTIMED_STRIDE_BASE / frames_per_second))
        self._decode = decode
        with _load_notes_dropped():  # the first sink loads the backend (VA-API probes, FFmpeg)
            self._sink = QVideoSink(self)
        self._sink.videoFrameChanged.connect(self._on_frame)
        self._preview: QVideoSink | None = None
        self._reading = False
        self._decoding = False
        self._generation = 0  # a decode started before the last start/stop is stale
        self._last_taken_us: int | None = None
        self._untimed_seen = 0
        self._last_token: str | None = None

    def __repr__(self) -> str:
        return f"QrCameraReader(reading={self._reading})"

    @property
    def reading(self) -> bool:
        return self._reading

    @property
    def decoding(self) -> bool:
        """True while a frame is being decoded (frames arriving meanwhile are dropped)."""
        return self._decoding

    def set_preview(self, sink: QVideoSink | None) -> None:
        """Where to show the frames too (a ``QVideoWidget``'s sink: the voter aims the phone).
        Forgotten if that sink is destroyed first."""
        if self._preview is not None:
            self._preview.destroyed.disconnect(self._preview_destroyed)
        self._preview = sink
        if sink is not None:
            sink.destroyed.connect(self._preview_destroyed)

    def start(self) -> bool:
        """Start reading; False (and ``unavailable``) when there is no camera."""
        if self._reading:
            return True
        self._forget()
        self._reading = True
        if not self._source.start(self._sink, self._source_failed):
            self._reading = False
            self.unavailable.emit()
            return False
        return True

    def stop(self) -> None:
        """Stop the camera and forget the last frame and token; a decode in flight is ignored."""
        was_reading = self._reading
        self._reading = False
        self._forget()
        if was_reading:
            self._source.stop()
        self._sink.setVideoFrame(QVideoFrame())  # the sink would keep the last frame
        if self._preview is not None:
            self._preview.setVideoFrame(QVideoFrame())

    def feed_frame(self, frame: QVideoFrame) -> None:
        """Hand ``frame`` to the sink, as the camera does (tests, another frame source)."""
        self._sink.setVideoFrame(frame)

    def feed_image(self, image: QImage, start_us: int | None = None) -> None:
        """``feed_frame`` of ``image``, stamped ``start_us`` microseconds (or untimed)."""
        frame = QVideoFrame(image)
        if start_us is not None:
            frame.setStartTime(start_us)
        self.feed_frame(frame)

    @Slot()
    def _preview_destroyed(self) -> None:
        self._preview = None

    # ---- frames -----------------------------------------------------------------------------

    @Slot(QVideoFrame)
    def _on_frame(self, frame: QVideoFrame) -> None:
        # A slot of this object: frames emitted on the camera's thread are queued to this one.
        if not self._reading or not frame.isValid():
            return
        if self._preview is not None:
            self._preview.setVideoFrame(frame)
        if self._decoding or not self._due(frame.startTime()):
            return  # dropped: one decode at a time, at most frames_per_second
        gray = grayscale(frame.toImage())
        if gray is None:
            return
        width, height, pixels = gray
        decode = self._decode
        self._decoding = True
        self._worker.run(
            lambda: decode(width, height, pixels),
            on_success=functools.partial(self._decoded, self._generation),
            on_failure=functools.partial(self._decode_failed, self._generation),
        )

    def _due(self, start_us: int) -> bool:
        if start_us < 0:  # no timestamp: one frame in every stride
            self._untimed_seen += 1
            return (self._untimed_seen - 1) % self._untimed_stride == 0
        last = self._last_taken_us
        if last is not None and 0 <= start_us - last < self._interval_us:
            return False
        self._last_taken_us = start_us  # (a clock that went back restarts the count)
        return True

    def _decoded(self, generation: int, token: str | None) -> None:
        self._decoding = False
        if generation != self._generation or not self._reading or token is None:
            return
        if token == self._last_token:
            return  # the same phone seen again: once is enough (a wrong token counts)
        self._last_token = token
        self.tokenRead.emit(token)

    def _decode_failed(self, generation: int, error: BaseException) -> None:
        self._decoding = False
        # Privacy: the kind of failure only. Decoding never fails on content: zbar is missing.
        _LOGGER.error("QR decoding failed: %s", type(error).__name__)
        if generation == self._generation and self._reading:
            self._source_failed()

    def _source_failed(self) -> None:
        if self._reading:
            self.stop()
            self.unavailable.emit()

    def _forget(self) -> None:
        self._generation += 1
        self._last_taken_us = None
        self._untimed_seen = 0
        self._last_token = None


def grayscale(image: QImage, max_side: int = MAX_SIDE) -> tuple[int, int, bytes] | None:
    """``image`` as (width, height, 8-bit gray rows without padding), shrunk to fit
    ``max_side`` × ``max_side``; None for a null image."""
    if image.isNull():
        return None
    if image.width() > max_side or image.height() > max_side:
        image = image.scaled(
            max_side,
            max_side,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    width, height, stride = gray.width(), gray.height(), gray.bytesPerLine()
    data = bytes(gray.constBits())[: stride * height]
    if stride != width:  # rows are padded to 4 bytes
        data = b"".join(data[row * stride : row * stride + width] for row in range(height))
    return width, height, data
