"""The one helper that runs core work off the GUI thread (STYLE.md principle 8).

    worker = CoreWorker()
    worker.run(lambda: session.handle(event), on_success=window.apply, on_failure=window.failed)

Calls run one at a time, in the order they were submitted, on a private one-thread pool: the
voter's events and the timer's ticks reach the core in the order they happened. Slow work that
must not hold them up (printing, decoding camera frames) gets a worker of its own. Each callback
runs on the GUI thread (a queued signal back to this object, which lives there). Nothing in a job
touches a widget: a job is a plain callable of the core.

Every call reports, whatever it raised: a call that never reported would leave ``busy`` set, and
its caller waiting for good (the window's ticks stop behind an unanswered one). An ``Exception`` is
a failure, for the failure callback. Anything else (``KeyboardInterrupt``, ``SystemExit``,
``asyncio.CancelledError``...) is no failure of the call but a request to stop: it is reported the
same way, then raised again on the GUI thread, where Python delivers such requests and where they
mean what they mean: PySide ends the program on a ``SystemExit`` there, and reports a
``KeyboardInterrupt`` as any other raised in a slot. Left on the pool's thread, a ``SystemExit``
would finalize Python under the GUI thread's feet (and hang for good when that thread waits for
the pool, as ``shutdown`` does), and nothing would report the call.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

T = TypeVar("T")


@dataclass(frozen=True)
class _Callbacks(Generic[T]):
    on_success: Callable[[T], None] | None
    on_failure: Callable[[BaseException], None] | None


class _Job(QRunnable):
    """Runs ``call`` on the pool's thread and reports through ``relay`` (no widget here)."""

    def __init__(self, job_id: int, call: Callable[[], object], relay: CoreWorker) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._job_id = job_id
        self._call = call
        self._relay = relay

    def run(self) -> None:
        try:
            value = self._call()
        except BaseException as exc:  # every outcome reports; the GUI thread re-raises a stop
            self._relay._failed.emit(self._job_id, exc)
        else:
            self._relay._succeeded.emit(self._job_id, value)


class CoreWorker(QObject):
    """Runs core calls in order on one background thread; callbacks come back on the GUI thread.

    A failure with no ``on_failure`` goes to ``failed`` (a signal), so none is ever lost.
    """

    failed = Signal(object)  # the exception of a job that had no failure callback
    idle = Signal()  # the last pending job has reported

    _succeeded = Signal(int, object)
    _failed = Signal(int, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # one at a time, in submission order
        self._ids = itertools.count(1)
        self._pending: dict[int, _Callbacks[Any]] = {}
        self._succeeded.connect(self._on_succeeded)
        self._failed.connect(self._on_failed)

    @property
    def busy(self) -> bool:
        """True while a submitted call has not reported back to the GUI thread."""
        return bool(self._pending)

    def run(
        self,
        call: Callable[[], T],
        *,
        on_success: Callable[[T], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Queue ``call``; its result (or exception) goes to the callback on the GUI thread."""
        job_id = next(self._ids)
        self._pending[job_id] = _Callbacks(on_success, on_failure)
        self._pool.start(_Job(job_id, call, self))

    def shutdown(self, timeout_ms: int = 10_000, *, finish_queued: bool = False) -> bool:
        """Drop the calls not started yet (unless ``finish_queued``: papers still to print) and
        wait for the running one; True when all finished in time. Callbacks still queued for the
        GUI thread are forgotten."""
        if not finish_queued:
            self._pool.clear()
        done = self._pool.waitForDone(timeout_ms)
        self._pending.clear()
        return done

    @Slot(int, object)
    def _on_succeeded(self, job_id: int, value: object) -> None:
        callbacks = self._pending.pop(job_id, None)
        try:
            if callbacks is not None and callbacks.on_success is not None:
                callbacks.on_success(value)
        finally:
            self._maybe_idle()

    @Slot(int, object)
    def _on_failed(self, job_id: int, error: BaseException) -> None:
        callbacks = self._pending.pop(job_id, None)
        try:
            if callbacks is not None and callbacks.on_failure is not None:
                callbacks.on_failure(error)
            elif callbacks is not None:
                self.failed.emit(error)
        finally:
            self._maybe_idle()
        if not isinstance(error, Exception):
            raise error  # a stop request, not a failure: raised where it belongs (see above)

    def _maybe_idle(self) -> None:
        if not self._pending:
            self.idle.emit()
