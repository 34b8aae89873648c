"""``python -m ui`` takes its server from the signed package (docs/election-package.md,
"Central server"): a ``--server``, ``--server-pin`` or configured ``server_url`` that contradicts
it, or any server for an offline election, stops the kiosk before a window or a connection."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from kiosk.clock import ManualClock
from kiosk.election import package
from kiosk.election.model import CentralServer, KioskId
from kiosk.store import KioskStore, create_key_file
from kiosk.sync.tls import format_fingerprint
from tests.server.ballots import SealedElection, sealed_fixture  # noqa: F401 - a fixture
from tests.server.conftest import START
from ui.__main__ import main

SERVER = CentralServer("https://urne.example.org:8443", hashlib.sha256(b"cert").digest())


def _store(tmp_path: Path, sealed: SealedElection, server: CentralServer | None) -> list[str]:
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
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    server: CentralServer | None,
    options: list[str],
    message: str,
) -> None:
    monkeypatch.setenv("ISOLOIR_ADMIN_PIN", "9753")
    assert main([*_store(tmp_path, sealed, server), *options]) == 2
    assert message in capsys.readouterr().err


def test_a_configured_server_url_is_held_to_the_package_too(
    tmp_path: Path,
    sealed: SealedElection,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ISOLOIR_ADMIN_PIN", "9753")
    monkeypatch.setenv("ISOLOIR_SERVER_URL", "https://autre.example.org")
    assert main(_store(tmp_path, sealed, SERVER)) == 2
    assert "is not the server the election package names" in capsys.readouterr().err
