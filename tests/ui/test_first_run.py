"""The first-run dialog (ui/admin/setup.py) on a real SQLCipher file, offscreen: it makes the
store, the administrator can sign in, and a refusal leaves nothing behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kiosk.admin.console import AdminConsole
from kiosk.admin.operators import Operator, Operators
from kiosk.admin.setup import first_run
from kiosk.clock import ManualClock
from kiosk.encoding import b64encode
from kiosk.store import KioskStore, StoreKey
from tests.ui.conftest import WAIT_MS
from ui.__main__ import main
from ui.admin.login import DeferredAdmin
from ui.admin.setup import FirstRunDialog, PackageConsole
from ui.worker import CoreWorker

PIN = "864209"


@pytest.fixture
def worker(qtbot: QtBot) -> Iterator[CoreWorker]:
    made = CoreWorker()
    yield made
    made.shutdown()


def dialog_for(qtbot: QtBot, tmp_path: Path, worker: CoreWorker) -> FirstRunDialog:
    dialog = FirstRunDialog(tmp_path / "kiosk.db", tmp_path / "store.key", ManualClock(), worker)
    qtbot.addWidget(dialog)
    dialog.kiosk_id.setText("bureau-1")
    dialog.admin_name.setText("admin")
    dialog.pin.setText(PIN)
    dialog.pin_again.setText(PIN)
    return dialog


def test_the_dialog_makes_a_store_the_administrator_signs_in_to(
    qtbot: QtBot, tmp_path: Path, worker: CoreWorker
) -> None:
    dialog = dialog_for(qtbot, tmp_path, worker)
    assert dialog.key_file.text() == str(tmp_path / "store.key")  # the configuration's
    with qtbot.waitSignal(dialog.created, timeout=WAIT_MS):
        dialog.create_button.click()
    assert dialog.pin.text() == ""
    assert dialog.pin_again.text() == ""
    made = dialog.first_run
    assert made is not None
    assert b64encode(made.public_key) in dialog.public_key.text()
    assert dialog.open_button.isVisible() or not dialog.isVisible()
    clock = ManualClock()
    key = StoreKey.from_key_file(tmp_path / "store.key")
    with KioskStore.open(tmp_path / "kiosk.db", key, clock) as store:
        identity = store.kiosk_identity()
        assert identity is not None
        assert identity.kiosk_id == "bureau-1"
        assert isinstance(Operators(store, clock).authenticate("admin", PIN), Operator)
        # No package yet: the console alone, where the administrator signs in to load it.
        admin = DeferredAdmin(
            lambda: AdminConsole(
                store, clock, reports_dir=tmp_path / "reports", staging_dir=tmp_path / "staging"
            )
        )
        window = PackageConsole(admin, clock)
        qtbot.addWidget(window)
        window.show()
        login = window.request_admin()
        assert login is not None
        qtbot.keyClicks(login.name_field, "admin")
        qtbot.keyClicks(login.pin_field, PIN)
        qtbot.keyClick(login.pin_field, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: window.console is not None, timeout=WAIT_MS)
        assert window.console is not None
        window.console.log_out()
        window.shutdown()


def test_a_passphrase_store(qtbot: QtBot, tmp_path: Path, worker: CoreWorker) -> None:
    dialog = dialog_for(qtbot, tmp_path, worker)
    dialog.use_passphrase.setChecked(True)
    dialog.passphrase.setText("une longue phrase de passe")
    dialog.passphrase_again.setText("une longue phrase de passe")
    with qtbot.waitSignal(dialog.created, timeout=WAIT_MS):
        dialog.create_button.click()
    assert dialog.passphrase.text() == ""
    assert not (tmp_path / "store.key").exists()
    key = StoreKey.from_passphrase("une longue phrase de passe")
    with KioskStore.open(tmp_path / "kiosk.db", key, ManualClock()) as store:
        assert store.kiosk_identity() is not None


def test_a_passphrase_store_reopens_only_with_its_passphrase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """At later starts the window reads the passphrase as the command line does; without a key
    file or the variable it says which to give, and a wrong passphrase opens nothing."""
    monkeypatch.delenv("ISOLOIR_STORE_PASSPHRASE", raising=False)
    monkeypatch.delenv("ISOLOIR_KEY_FILE", raising=False)
    store = tmp_path / "kiosk.db"
    assert main(["--store", str(store)]) == 2
    assert "ISOLOIR_STORE_PASSPHRASE" in capsys.readouterr().err
    first_run(
        store,
        StoreKey.from_passphrase("une longue phrase de passe"),
        "kiosk-01",
        "admin",
        "135790",
        ManualClock(),
    )
    monkeypatch.setenv("ISOLOIR_STORE_PASSPHRASE", "une autre phrase")
    assert main(["--store", str(store)]) == 1
    assert "une autre phrase" not in capsys.readouterr().err


def test_mismatched_pins_are_refused_and_nothing_is_made(
    qtbot: QtBot, tmp_path: Path, worker: CoreWorker
) -> None:
    dialog = dialog_for(qtbot, tmp_path, worker)
    dialog.pin_again.setText("864208")
    dialog.create_button.click()
    assert "PIN diffèrent" in dialog.notice.text()
    assert dialog.pin.text() == ""
    assert dialog.pin_again.text() == ""
    assert not worker.busy
    assert list(tmp_path.iterdir()) == []


def test_mismatched_passphrases_are_refused(
    qtbot: QtBot, tmp_path: Path, worker: CoreWorker
) -> None:
    dialog = dialog_for(qtbot, tmp_path, worker)
    dialog.use_passphrase.setChecked(True)
    dialog.passphrase.setText("une longue phrase de passe")
    dialog.passphrase_again.setText("une autre phrase de passe")
    dialog.create_button.click()
    assert "phrases de passe diffèrent" in dialog.notice.text()
    assert list(tmp_path.iterdir()) == []


def test_a_bad_pin_is_refused_by_the_core_and_the_key_file_removed(
    qtbot: QtBot, tmp_path: Path, worker: CoreWorker
) -> None:
    dialog = dialog_for(qtbot, tmp_path, worker)
    dialog.pin.setText("123")
    dialog.pin_again.setText("123")
    with qtbot.waitSignal(worker.idle, timeout=WAIT_MS):
        dialog.create_button.click()
    assert "6 to 12 digits" in dialog.notice.text()
    assert "123" not in dialog.notice.text()
    assert dialog.first_run is None
    assert dialog.create_button.isEnabled()
    assert list(tmp_path.iterdir()) == []


def test_an_existing_store_is_refused_by_the_dialog(
    qtbot: QtBot, tmp_path: Path, worker: CoreWorker
) -> None:
    (tmp_path / "kiosk.db").write_bytes(b"a store already")
    dialog = dialog_for(qtbot, tmp_path, worker)
    with qtbot.waitSignal(worker.idle, timeout=WAIT_MS):
        dialog.create_button.click()
    assert "exists already" in dialog.notice.text()
    assert (tmp_path / "kiosk.db").read_bytes() == b"a store already"
    assert not (tmp_path / "store.key").exists()


def test_first_run_refuses_an_existing_store_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "kiosk.db").write_bytes(b"a store already")
    assert main(["--store", str(tmp_path / "kiosk.db"), "--first-run"]) == 2
    assert "exists already" in capsys.readouterr().err
    assert (tmp_path / "kiosk.db").read_bytes() == b"a store already"


def test_a_missing_store_without_first_run_creates_nothing(tmp_path: Path) -> None:
    key_file = tmp_path / "store.key"
    key_file.write_bytes(bytes(32))
    assert main(["--store", str(tmp_path / "typo.db"), "--key-file", str(key_file)]) == 1
    assert not (tmp_path / "typo.db").exists()


def test_first_run_needs_the_store_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--first-run"]) == 2
    assert "--first-run needs --store" in capsys.readouterr().err
