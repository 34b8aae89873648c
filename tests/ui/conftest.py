"""pytest-qt fixtures for the kiosk window: a real voting session on a real store, offscreen.

Widgets are found the way a screen reader or an automation tool finds them: by their
accessible name (``control``). The window closes only from the admin console, so the fixture
closes it that way: an administrator signs in and chooses "Quitter le poste".
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from kiosk.admin.console import AdminConsole, ClientFactory
from kiosk.admin.operators import Operators
from kiosk.admin.roles import Role
from kiosk.election.kdf import KdfParams
from kiosk.voting import flow
from kiosk.voting.assets import PackageAssets
from tests.unit.test_voting_world import Kiosk, sealed_election
from ui.admin.console import ConsoleDialog
from ui.ballot_names import BallotNames
from ui.kiosk_window import KioskWindow
from ui.printing import PdfFolderPrinter

# Headless by default (QApplication reads it when pytest-qt creates it, after these imports).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ADMIN = "admin"
ADMIN_PIN = "975310"
ASSESSEUR = "assesseur"
ASSESSEUR_PIN = "246813"
TEST_PIN_KDF = KdfParams(log2_n=4)  # a cheap hash: the tests sign in often
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


def admin_console(
    kiosk: Kiosk, reports_dir: Path, client_factory: ClientFactory | None = None
) -> AdminConsole:
    """The kiosk's admin console, with an administrator and an assesseur account."""
    operators = Operators(kiosk.store, kiosk.clock, pin_kdf=TEST_PIN_KDF)
    if not operators.has_administrator():
        operators.add(ADMIN, Role.ADMINISTRATOR, ADMIN_PIN)
        operators.add(ASSESSEUR, Role.ASSESSEUR, ASSESSEUR_PIN)
    return AdminConsole(
        kiosk.store,
        kiosk.clock,
        reports_dir=reports_dir,
        client_factory=client_factory,
        pin_kdf=TEST_PIN_KDF,
    )


def open_window(qtbot: QtBot, kiosk: Kiosk, print_dir: Path, *, tick_ms: int) -> KioskWindow:
    names = BallotNames(sealed_election()[0].manifest)
    window = KioskWindow(
        kiosk.session,
        kiosk.clock,
        names,
        admin=admin_console(kiosk, print_dir.parent / "reports"),
        printer=PdfFolderPrinter(print_dir),
        polls_state=kiosk.store.polls_state,
        assets=PackageAssets(kiosk.store, sealed_election()[0].manifest),
        tick_ms=tick_ms,
    )
    window.show_kiosk()
    qtbot.waitExposed(window)
    return window


def sign_in(qtbot: QtBot, window: KioskWindow, name: str, pin: str) -> ConsoleDialog:
    """Open the login dialog as Ctrl+Alt+A does, sign in; the console that opens."""
    dialog = window.request_admin()
    assert dialog is not None, "the admin console was refused"
    dialog.name_field.setText("")  # a dialog a test left open
    qtbot.keyClicks(dialog.name_field, name)
    qtbot.keyClicks(dialog.pin_field, pin)
    qtbot.keyClick(dialog.pin_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.console is not None, timeout=WAIT_MS)
    console = window.console
    assert console is not None
    return console


def close_window(qtbot: QtBot, window: KioskWindow) -> None:
    """As an administrator closes the kiosk: sign in, "Quitter le poste", confirm."""
    if not window.isVisible():
        return
    if window.console is not None:
        window.console.log_out()
    if not isinstance(window.state, flow.Welcome):
        # Whatever a test left on screen: the console opens only over the welcome page. The
        # window stops ticking first: a tick would bring the session's page back while the
        # login is checked (on the console's worker, beside the voters').
        window.shutdown()
        window.render_state(flow.Welcome())
    console = sign_in(qtbot, window, ADMIN, ADMIN_PIN)
    console.quit_button.click()
    console.quit_confirm.yes.click()
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
