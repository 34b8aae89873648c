"""The receipt page says where the ballot is: in the ballot box, or awaiting transmission; and the
window sends the outbox on a worker of its own, never in the queue of the voter's events."""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kiosk.receipts import SyncState
from kiosk.voting import flow
from tests.ui.conftest import WAIT_MS, admin_console, close_window, open_window
from tests.ui.test_kiosk_window import SAMPLES
from tests.unit.test_voting_world import Kiosk, sealed_election
from ui.ballot_names import BallotNames
from ui.kiosk_window import KioskWindow
from ui.pages.receipt import ReceiptPage
from ui.printing import PdfFolderPrinter


def receipt_with(deposit: SyncState) -> flow.Receipt:
    sample = SAMPLES[flow.Receipt]
    assert isinstance(sample, flow.Receipt)
    return dataclasses.replace(sample, papers=dataclasses.replace(sample.papers, sync=deposit))


@pytest.mark.parametrize(
    ("deposit", "text"),
    [
        (SyncState.DEPOSITED, "Déposé dans l'urne"),
        (SyncState.PENDING, "En attente de transmission"),
    ],
)
def test_the_receipt_page_shows_the_deposit_status(
    qtbot: QtBot, deposit: SyncState, text: str
) -> None:
    page = ReceiptPage(BallotNames(sealed_election()[0].manifest))
    qtbot.addWidget(page)
    page.show_state(receipt_with(deposit))
    assert page.deposit_text == text
    page.clear()
    assert page.deposit_text == ""


def test_the_window_shows_the_receipt_of_an_online_cast(qtbot: QtBot, window: KioskWindow) -> None:
    window.render_state(receipt_with(SyncState.DEPOSITED))
    assert window.current_page is window.receipt
    assert window.receipt.deposit_text == "Déposé dans l'urne"


class RecordingSync:
    def __init__(self) -> None:
        self.threads: list[int] = []
        self.times: list[datetime] = []

    def run_due(self, now: datetime) -> None:
        self.threads.append(threading.get_ident())
        self.times.append(now)


def test_the_outbox_is_sent_on_a_worker_of_its_own(
    qtbot: QtBot, kiosk: Kiosk, tmp_path: Path
) -> None:
    sync = RecordingSync()
    names = BallotNames(sealed_election()[0].manifest)
    window = KioskWindow(
        kiosk.session,
        kiosk.clock,
        names,
        admin=admin_console(kiosk, tmp_path / "reports"),
        printer=PdfFolderPrinter(tmp_path / "prints"),
        background_sync=sync,
        sync_ms=3_600_000,
        tick_ms=3_600_000,
    )
    window.sync_outbox()
    qtbot.waitUntil(lambda: not window.sync_worker.busy, timeout=WAIT_MS)
    voting_threads: list[int] = []
    window.worker.run(lambda: voting_threads.append(threading.get_ident()))
    qtbot.waitUntil(lambda: not window.worker.busy, timeout=WAIT_MS)
    assert sync.times == [kiosk.clock.now()]
    assert sync.threads[0] not in (threading.get_ident(), voting_threads[0])
    window.shutdown()
    window.deleteLater()


def test_a_window_without_a_server_sends_nothing(
    qtbot: QtBot, kiosk: Kiosk, print_dir: Path
) -> None:
    window = open_window(qtbot, kiosk, print_dir, tick_ms=3_600_000)
    window.sync_outbox()  # no background sync wired: nothing to do
    assert not window.sync_worker.busy
    close_window(qtbot, window)
