"""Inactivity for the operator's windows (the login dialog, the console): untouched for a while,
they close by themselves, so that an operator who walked away leaves nothing open over the
voters' window. Time is the injected clock's; the timer only ticks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

from kiosk.clock import Clock

ACTIVITY_EVENTS: Final = frozenset(
    {
        QEvent.Type.MouseButtonPress,
        QEvent.Type.KeyPress,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)


def owned_by(owner: QWidget, widget: QWidget) -> bool:
    """``widget`` is ``owner`` or one of its descendants, windows included (a file dialog, a
    combo box's list): ``QWidget.isAncestorOf`` stops at a window's edge."""
    current: QWidget | None = widget
    while current is not None:
        if current is owner:
            return True
        current = current.parentWidget()
    return False


class IdleWatch(QObject):
    """Calls ``expired`` once nobody touched ``watched`` (or a window it owns) for ``idle``.
    While ``busy()`` says work of the operator's runs, the time does not count: an operator
    watching a sync's progress touches nothing."""

    def __init__(
        self,
        watched: QWidget,
        clock: Clock,
        idle: timedelta,
        tick_ms: int,
        expired: Callable[[], None],
        busy: Callable[[], bool] = lambda: False,
    ) -> None:
        super().__init__(watched)
        self._watched = watched
        self._clock = clock
        self._idle = idle
        self._expired = expired
        self._busy = busy
        self.touched_at: datetime = clock.now()
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self.tick)
        self._timer.start()
        app = QCoreApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() in ACTIVITY_EVENTS
            and isinstance(watched, QWidget)
            and owned_by(self._watched, watched)
        ):
            self.touched_at = self._clock.now()
        return False  # only watched: the widget gets its event as ever

    def tick(self) -> None:
        """The timer's slot: ``expired()`` once the clock says ``idle`` has passed."""
        now = self._clock.now()
        if self._busy():
            self.touched_at = now
            return
        if now - self.touched_at >= self._idle:
            self.stop()
            self._expired()

    def stop(self) -> None:
        self._timer.stop()
        app = QCoreApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
