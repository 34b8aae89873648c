"""pytest-qt fixtures for the kiosk window: a real voting session on a real store, offscreen.

Widgets are found the way a screen reader or an automation tool finds them: by their
accessible name (``control``). The window closes only through the admin PIN, so the fixture
closes it that way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QWidget
from pytestqt.qtbot import QtBot

from kiosk.voting import flow
from kiosk.voting.assets import PackageAssets
from tests.unit.test_voting_world import Kiosk, sealed_election
from ui.ballot_names import BallotNames
from ui.kiosk_window import KioskWindow
from ui.printing import PdfFolderPrinter

# Headless by default (QApplication reads it when pytest-qt creates it, after these imports).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ADMIN_PIN = "9753"
WAIT_MS = 10_000  # an upper bound for a core call (KDF, sealing); tests never sleep
TICK_MS = 20  # the ticking window's timer: the clock stays still until a test advances it


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Kiosk]:
    world = Kiosk(tmp_path)
    yield world
    world.store.close()


@pytest.fixture
def print_dir(tmp_path: Path) -> Path:
    return tmp_path / "prints"


def open_window(qtbot: QtBot, kiosk: Kiosk, print_dir: Path, *, tick_ms: int) -> KioskWindow:
    names = BallotNames(sealed_election()[0].manifest)
    window = KioskWindow(
        kiosk.session,
        kiosk.clock,
        names,
        admin_check=lambda pin: pin == ADMIN_PIN,
        printer=PdfFolderPrinter(print_dir),
        assets=PackageAssets(kiosk.store, sealed_election()[0].manifest),
        tick_ms=tick_ms,
    )
    window.show_kiosk()
    qtbot.waitExposed(window)
    return window


def close_window(qtbot: QtBot, window: KioskWindow) -> None:
    if not window.isVisible():
        return
    dialog = window.ask_admin_pin()
    dialog.pin_field.setText(ADMIN_PIN)
    box = dialog.findChild(QDialogButtonBox)
    assert box is not None
    ok = box.button(QDialogButtonBox.StandardButton.Ok)
    ok.click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)


@pytest.fixture
def window(qtbot: QtBot, kiosk: Kiosk, print_dir: Path) -> Iterator[KioskWindow]:
    # The timer ticks rarely here: a test that needs ticks opens its own window.
    shown = open_window(qtbot, kiosk, print_dir, tick_ms=3_600_000)
    yield shown
    close_window(qtbot, shown)
    shown.deleteLater()


@pytest.fixture
def ticking_window(qtbot: QtBot, kiosk: Kiosk, print_dir: Path) -> Iterator[KioskWindow]:
    """A window whose timer ticks often: what the injected clock says shows within a few ms."""
    shown = open_window(qtbot, kiosk, print_dir, tick_ms=TICK_MS)
    yield shown
    close_window(qtbot, shown)
    shown.deleteLater()


def control(root: QWidget, name: str) -> QWidget:
    """The one visible widget under ``root`` whose accessible name is ``name``."""
    found = [w for w in root.findChildren(QWidget) if w.accessibleName() == name and w.isVisible()]
    assert len(found) == 1, f"{len(found)} visible controls named {name!r}"
    return found[0]


def wait_for(qtbot: QtBot, window: KioskWindow, state_type: type[flow.State]) -> None:
    """Wait until the core answered and the window shows a state of ``state_type``."""
    qtbot.waitUntil(
        lambda: not window.worker.busy and isinstance(window.state, state_type), timeout=WAIT_MS
    )
