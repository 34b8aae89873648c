"""The one helper that runs core calls off the GUI thread."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

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


def test_a_stop_request_reports_then_is_raised_again_on_the_gui_thread(
    qtbot: QtBot, worker: CoreWorker
) -> None:
    # Not an Exception: before, the job never reported, `busy` stayed set and nothing else ran.
    gui = threading.get_ident()
    reported: list[tuple[int, type]] = []

    def interrupted() -> None:
        raise KeyboardInterrupt

    with qtbot.captureExceptions() as raised:
        worker.run(
            interrupted,
            on_success=lambda _: pytest.fail("no success"),
            on_failure=lambda exc: reported.append((threading.get_ident(), type(exc))),
        )
        qtbot.waitUntil(lambda: not worker.busy, timeout=5_000)
    assert reported == [(gui, KeyboardInterrupt)]
    assert [kind for kind, _value, _traceback in raised] == [KeyboardInterrupt]

    results: list[int] = []
    worker.run(functools.partial(int, 7), on_success=results.append)
    qtbot.waitUntil(lambda: not worker.busy)
    assert results == [7]  # the worker goes on


def test_a_system_exit_in_a_call_is_reported_then_ends_the_program_from_the_gui_thread() -> None:
    # In a child process: the SystemExit, raised again on the GUI thread, ends the program.
    program = (
        "import sys, threading\n"
        "from PySide6.QtCore import QCoreApplication, QTimer\n"
        "from ui.worker import CoreWorker\n"
        "app = QCoreApplication([])\n"
        "gui = threading.get_ident()\n"
        "worker = CoreWorker()\n"
        "def leave() -> None:\n"
        "    raise SystemExit(7)\n"
        "def reported(error: BaseException) -> None:\n"
        "    on_gui = threading.get_ident() == gui\n"
        "    print('reported', type(error).__name__, on_gui, flush=True)\n"
        "worker.run(leave, on_failure=reported)\n"
        "QTimer.singleShot(20_000, lambda: app.exit(1))\n"
        "app.exec()\n"
        "print('still running', flush=True)\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", program],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.stdout.splitlines() == ["reported SystemExit True"], ran.stderr
    assert ran.returncode == 7, ran.stderr


def test_a_shutdown_may_finish_the_queued_calls(qtbot: QtBot) -> None:
    worker = CoreWorker()
    done: list[int] = []
    for n in range(5):
        worker.run(functools.partial(done.append, n))
    assert worker.shutdown(finish_queued=True)
    assert done == list(range(5))
    assert not worker.busy
