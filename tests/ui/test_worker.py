"""The one helper that runs core calls off the GUI thread."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from ui.worker import CoreWorker


@pytest.fixture
def worker(qtbot: QtBot) -> Iterator[CoreWorker]:
    made = CoreWorker()
    yield made
    made.shutdown()


def test_a_call_runs_off_the_gui_thread_and_reports_on_it(qtbot: QtBot, worker: CoreWorker) -> None:
    gui = threading.get_ident()
    ran_on: list[int] = []
    reported_on: list[tuple[int, int]] = []

    def call() -> int:
        ran_on.append(threading.get_ident())
        return 42

    worker.run(call, on_success=lambda value: reported_on.append((threading.get_ident(), value)))
    assert worker.busy
    qtbot.waitUntil(lambda: not worker.busy)
    assert ran_on
    assert ran_on[0] != gui
    assert reported_on == [(gui, 42)]


def test_calls_run_one_at_a_time_in_submission_order(qtbot: QtBot, worker: CoreWorker) -> None:
    results: list[int] = []
    for n in range(20):
        worker.run(functools.partial(int, n), on_success=results.append)
    qtbot.waitUntil(lambda: not worker.busy)
    assert results == list(range(20))


def test_a_failure_goes_to_its_callback_on_the_gui_thread(qtbot: QtBot, worker: CoreWorker) -> None:
    gui = threading.get_ident()
    failures: list[tuple[int, str]] = []

    def broken() -> None:
        raise LookupError("broken invariant")

    worker.run(
        broken,
        on_success=lambda _: pytest.fail("no success"),
        on_failure=lambda exc: failures.append((threading.get_ident(), type(exc).__name__)),
    )
    qtbot.waitUntil(lambda: not worker.busy)
    assert failures == [(gui, "LookupError")]


def test_a_failure_without_a_callback_is_signalled(qtbot: QtBot, worker: CoreWorker) -> None:
    def broken() -> None:
        raise RuntimeError("no callback")

    with qtbot.waitSignal(worker.failed) as blocker:
        worker.run(broken)
    assert isinstance(blocker.args[0], RuntimeError)
    qtbot.waitUntil(lambda: not worker.busy)
