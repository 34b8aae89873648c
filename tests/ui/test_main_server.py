"""``python -m ui`` takes its server from the signed package (docs/election-package.md,
"Central server"): a ``--server``, ``--server-pin`` or configured ``server_url`` that contradicts
it, or any server for an offline election, stops the kiosk before a window or a connection. A
store without an administrator account stops it too: nobody could ever close its window."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from kiosk.admin.operators import Operators
from kiosk.admin.roles import Role
from kiosk.clock import ManualClock
from kiosk.election import package
from kiosk.election.model import CentralServer, KioskId
from kiosk.store import KioskStore, create_key_file
from kiosk.sync.tls import format_fingerprint
from tests.server.ballots import SealedElection, sealed_fixture  # noqa: F401 - a fixture
from tests.server.conftest import START
from tests.ui.conftest import TEST_PIN_KDF
from ui.__main__ import main

SERVER = CentralServer("https://urne.example.org:8443", hashlib.sha256(b"cert").digest())


def _store(
    tmp_path: Path,
    sealed: SealedElection,
    server: CentralServer | None,
    *,
    administrator: bool = True,
) -> list[str]:
    signed = sealed.package
    if server is not None:
        manifest = replace(signed.manifest, server=server)
        signed = package.resign(signed, manifest, sealed.organizer_key)
    key_path = tmp_path / "k"
    key_file = create_key_file(key_path)
    with KioskStore.create(tmp_path / "kiosk.db", key_file, ManualClock(START)) as store:
        store.load_package(signed)
        seed = sealed.kiosk_keys["kiosk-01"].private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        store.set_kiosk_key(KioskId("kiosk-01"), seed)
        operators = Operators(store, ManualClock(START), pin_kdf=TEST_PIN_KDF)
        operators.add("assesseur", Role.ASSESSEUR, "246813")
        if administrator:
            operators.add("admin", Role.ADMINISTRATOR, "975310")
    return ["--store", str(tmp_path / "kiosk.db"), "--key-file", str(key_path)]


@pytest.mark.parametrize(
    ("server", "options", "message"),
    [
        (SERVER, ["--server", "https://autre.example.org"], "is not the server the election"),
        (
            SERVER,
            ["--server-pin", format_fingerprint(hashlib.sha256(b"other").digest())],
            "is not the one the election package signs",
        ),
        (None, ["--server", SERVER.url], "offline election"),
        (None, ["--server-pin", format_fingerprint(hashlib.sha256(b"x").digest())], "offline"),
    ],
)
def test_a_server_option_contradicting_the_package_stops_the_kiosk(
    tmp_path: Path,
    sealed: SealedElection,
    capsys: pytest.CaptureFixture[str],
    server: CentralServer | None,
    options: list[str],
    message: str,
) -> None:
    assert main([*_store(tmp_path, sealed, server), *options]) == 2
    assert message in capsys.readouterr().err


def test_a_configured_server_url_is_held_to_the_package_too(
    tmp_path: Path,
    sealed: SealedElection,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ISOLOIR_SERVER_URL", "https://autre.example.org")
    assert main(_store(tmp_path, sealed, SERVER)) == 2
    assert "is not the server the election package names" in capsys.readouterr().err


def test_a_store_without_an_administrator_account_stops_the_kiosk(
    tmp_path: Path, sealed: SealedElection, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_store(tmp_path, sealed, None, administrator=False)) == 2
    err = capsys.readouterr().err
    assert "no administrator account" in err
    assert "isoloir admin operator recover NAME" in err
    assert "operator add" not in err  # it needs an administrator's sign-in: none exists


def test_the_kiosk_starts_on_a_store_with_an_administrator(
    tmp_path: Path, sealed: SealedElection
) -> None:
    """``--exit-when-ready`` (bench/kiosk.py's cold start): the welcome page painted, then exit."""
    argv = [
        *_store(tmp_path, sealed, None),
        *("--pdf-only", "--print-dir", str(tmp_path / "prints"), "--exit-when-ready"),
    ]
    environ = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-m", "ui", *argv],
        cwd=Path(__file__).resolve().parents[2],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ready ")
