"""The main journey, offscreen, on a real store: welcome to printed receipt, by clicks and keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from kiosk.cli import main as isoloir
from kiosk.crypto.receipt import decode_receipt, verify_receipt
from kiosk.election import package as package_io
from kiosk.receipts import (
    decode_emargement,
    join_slip_payloads,
    read_qr_payloads,
    verify_emargement,
)
from kiosk.verifier.ballots import check_slip, parse_slip
from kiosk.voting import flow
from tests.ui.conftest import control, wait_for
from tests.unit.test_voting_world import Kiosk, VoterSecrets, sealed_election
from ui.kiosk_window import KioskWindow

LEFT = Qt.MouseButton.LeftButton


def click(qtbot: QtBot, window: KioskWindow, name: str) -> None:
    widget = control(window, name)
    assert widget.isEnabled(), f"{name!r} is disabled"
    qtbot.mouseClick(widget, LEFT)


def type_into(qtbot: QtBot, window: KioskWindow, name: str, text: str) -> None:
    field = control(window, name)
    assert isinstance(field, QLineEdit)
    qtbot.keyClicks(field, text)


def test_a_voter_goes_from_welcome_to_a_printed_receipt(
    qtbot: QtBot, window: KioskWindow, kiosk: Kiosk, print_dir: Path
) -> None:
    voter = VoterSecrets(1)
    assert window.current_page is window.welcome
    click(qtbot, window, "Commencer")
    wait_for(qtbot, window, flow.Credentials)

    type_into(qtbot, window, "Identifiant", voter.identifier)
    type_into(qtbot, window, "Mot de passe électeur", voter.password)
    click(qtbot, window, "Valider")
    wait_for(qtbot, window, flow.VoteCode)
    assert isinstance(window.state, flow.VoteCode)
    assert window.state.captcha is not None

    click(qtbot, window, "Nouvelle image")  # a refresh: only the newest image counts
    qtbot.waitUntil(lambda: not window.busy)
    type_into(qtbot, window, "Code de vote", voter.code)
    type_into(qtbot, window, "Chiffres de l'image", kiosk.captcha_answer())
    click(qtbot, window, "Valider")
    wait_for(qtbot, window, flow.ScrutinList)
    assert "Fermeture du vote dans 7 j 8 h 0 min" in _texts(window.scrutins)

    click(qtbot, window, "Scrutin CAPN")
    wait_for(qtbot, window, flow.Gallery)
    assert not control(window, "Liste 1").isEnabled()  # until "JE VEUX VOTER"
    assert not control(window, "Vote blanc").isEnabled()
    click(qtbot, window, "Je veux voter")
    qtbot.waitUntil(lambda: isinstance(window.state, flow.Gallery) and window.state.armed)
    click(qtbot, window, "Liste 1")
    wait_for(qtbot, window, flow.Confirm)
    assert "Liste 1" in _texts(window.confirm)

    click(qtbot, window, "Je vote")
    wait_for(qtbot, window, flow.Receipt)
    state = window.state
    assert isinstance(state, flow.Receipt)
    assert window.receipt.tracking_text == state.tracking_code
    assert "01/12/2026 à 09:00:" in window.receipt.time_text  # 08:00 UTC in Europe/Paris
    assert "CET" in window.receipt.time_text
    qtbot.waitUntil(lambda: not window.busy)  # the printing job too
    printed = sorted(print_dir.glob("depot/*.pdf"))
    assert len(printed) == 1
    [payload] = read_qr_payloads(printed[0])
    receipt = decode_receipt(payload)
    assert receipt == state.receipt
    kiosk_key = sealed_election()[0].manifest.kiosks[0].public_key
    assert verify_receipt(receipt, kiosk_key)
    [certificate] = sorted(print_dir.glob("emargement/*.pdf"))  # signed in the core
    [payload] = read_qr_payloads(certificate)
    emargement = decode_emargement(payload)
    assert verify_emargement(emargement, kiosk_key)
    assert emargement.voter_name == "Agent 1"
    assert emargement.scrutin_id == "capn"
    assert emargement.voted_at == state.cast_at

    click(qtbot, window, "Scrutin suivant")
    wait_for(qtbot, window, flow.ScrutinList)
    assert not control(window, "Scrutin CAPN").isEnabled()  # voted
    click(qtbot, window, "Terminer")
    wait_for(qtbot, window, flow.Finished)
    click(qtbot, window, "Retour à l'accueil")
    wait_for(qtbot, window, flow.Welcome)
    assert kiosk.session.holds_nothing
    assert all(field.text() == "" for field in window.findChildren(QLineEdit))
    assert kiosk.store.voted_scrutins(voter.voter_id) == frozenset({"capn"})


def test_a_challenged_ballot_prints_a_slip_and_the_voter_casts_another_choice(
    qtbot: QtBot,
    window: KioskWindow,
    kiosk: Kiosk,
    print_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    voter = VoterSecrets(3)
    click(qtbot, window, "Commencer")
    wait_for(qtbot, window, flow.Credentials)
    type_into(qtbot, window, "Identifiant", voter.identifier)
    type_into(qtbot, window, "Mot de passe électeur", voter.password)
    click(qtbot, window, "Valider")
    wait_for(qtbot, window, flow.VoteCode)
    type_into(qtbot, window, "Code de vote", voter.code)
    type_into(qtbot, window, "Chiffres de l'image", kiosk.captcha_answer())
    click(qtbot, window, "Valider")
    wait_for(qtbot, window, flow.ScrutinList)
    click(qtbot, window, "Scrutin CAPN")
    wait_for(qtbot, window, flow.Gallery)
    click(qtbot, window, "Je veux voter")
    qtbot.waitUntil(lambda: isinstance(window.state, flow.Gallery) and window.state.armed)
    click(qtbot, window, "Liste 1")
    wait_for(qtbot, window, flow.Confirm)
    confirm = window.state
    assert isinstance(confirm, flow.Confirm)

    click(qtbot, window, "Vérifier le chiffrement")  # Benaloh: open this ballot, never cast it
    wait_for(qtbot, window, flow.ChallengeShown)
    qtbot.waitUntil(lambda: not window.busy)  # the printing job too
    [slip_pdf] = sorted(print_dir.glob("controle/*.pdf"))
    assert not list(print_dir.glob("depot/*.pdf"))
    printed = parse_slip(join_slip_payloads(read_qr_payloads(slip_pdf)))
    assert printed.slip.tracking_code == confirm.tracking_code
    assert printed.slip.choice == "l1"
    sealed = sealed_election()[0]
    report = check_slip(sealed, printed, None, slip_pdf)
    assert report.passed, report.failed
    package_dir = tmp_path / "package"
    package_io.write(sealed, package_dir)
    code = isoloir(["verify", "challenge", str(slip_pdf), "--package", str(package_dir)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "PASS  opening" in out

    click(qtbot, window, "Choisir à nouveau")
    wait_for(qtbot, window, flow.Gallery)
    click(qtbot, window, "Je veux voter")
    qtbot.waitUntil(lambda: isinstance(window.state, flow.Gallery) and window.state.armed)
    click(qtbot, window, "Liste 2")
    wait_for(qtbot, window, flow.Confirm)
    second = window.state
    assert isinstance(second, flow.Confirm)
    assert second.tracking_code != confirm.tracking_code  # a new ballot, a new nonce
    click(qtbot, window, "Je vote")
    wait_for(qtbot, window, flow.Receipt)
    qtbot.waitUntil(lambda: not window.busy)
    [proof] = sorted(print_dir.glob("depot/*.pdf"))
    receipt = decode_receipt(read_qr_payloads(proof)[0])
    assert receipt.tracking_code == second.tracking_code
    assert kiosk.store.voted_scrutins(voter.voter_id) == frozenset({"capn"})


def test_a_wrong_password_shows_the_notice_and_clears_the_password(
    qtbot: QtBot, window: KioskWindow
) -> None:
    voter = VoterSecrets(1)
    click(qtbot, window, "Commencer")
    wait_for(qtbot, window, flow.Credentials)
    type_into(qtbot, window, "Identifiant", voter.identifier)
    type_into(qtbot, window, "Mot de passe électeur", "not-the-password")
    qtbot.keyClick(control(window, "Mot de passe électeur"), Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: (
            not window.busy
            and isinstance(window.state, flow.Credentials)
            and window.state.notice is not None
        )
    )
    assert "Identifiant ou mot de passe incorrect." in _texts(window.credentials)
    password = control(window, "Mot de passe électeur")
    assert isinstance(password, QLineEdit)
    assert password.text() == ""


def _texts(page: QWidget) -> str:
    return "\n".join(label.text() for label in page.findChildren(QLabel))
