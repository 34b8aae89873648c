"""The window renders every state class of the flow, and every control is accessible."""

from __future__ import annotations

import random
import typing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from kiosk.crypto.receipt import Receipt as SignedReceipt
from kiosk.crypto.tracking import TrackingCode
from kiosk.election.model import KioskId, VoterId
from kiosk.receipts import Emargement
from kiosk.voting import flow
from kiosk.voting.captcha import render_png
from kiosk.voting.model import (
    Booth,
    CaptchaImage,
    Channel,
    ChannelOption,
    Display,
    DocumentKind,
    DocumentRef,
    LockedCredential,
    Notice,
    RegenerationGrant,
    ScrutinEntry,
    TokenDelivery,
    VoterRef,
)
from tests.ui.conftest import close_window, control, open_window, wait_for
from tests.unit.test_voting_world import Kiosk, sealed_election
from ui.kiosk_window import KioskWindow

_LEFT = Qt.MouseButton.LeftButton
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
SHOWN = Display(language="fr", large_text=True, high_contrast=True)


def _samples() -> dict[type, flow.State]:
    """One representative instance of every state class (InactivityWarning added below)."""
    manifest = sealed_election()[0].manifest
    voter = VoterRef(
        VoterId("v0001"),
        "Camille Martin",
        "Votre ville natale ?",
        (
            ChannelOption(Channel.EMAIL, "ca•••@courriel.example"),
            ChannelOption(Channel.SMS, "06•••12"),
        ),
    )
    entries = tuple(
        ScrutinEntry(s.id, s.title, s.options, voted=(i == 1))
        for i, s in enumerate(manifest.scrutins)
    )
    booth = Booth(voter, entries, manifest.window.closes_at)
    scrutin = entries[0]
    first = scrutin.options[0]
    code = TrackingCode("ABCD-EFGH-JKMN-PQRS")
    receipt = SignedReceipt(
        "FING-ERPR-INTA-BCDE", scrutin.scrutin_id, code, KioskId("kiosk-01"), b"s"
    )
    emargement = Emargement(
        "FING-ERPR-INTA-BCDE", scrutin.scrutin_id, KioskId("kiosk-01"), NOW, "Camille", b"s"
    )
    papers = flow.PrintReceipt(manifest.title, scrutin.title, NOW, receipt, emargement)
    image = CaptchaImage("c1", render_png("23456", random.Random(0)), NOW + timedelta(minutes=5))
    grant = RegenerationGrant("g1", voter.voter_id, "token-email", NOW + timedelta(minutes=10))
    sent = TokenDelivery(Channel.EMAIL, "ca•••@courriel.example", NOW + timedelta(minutes=15))
    later = NOW + timedelta(seconds=30)
    return {
        flow.Welcome: flow.Welcome(SHOWN),
        flow.Credentials: flow.Credentials(SHOWN, NOW, Notice.WAIT, later),
        flow.VoteCode: flow.VoteCode(SHOWN, NOW, voter, image, Notice.WRONG_CAPTCHA),
        flow.ReassortChoice: flow.ReassortChoice(SHOWN, NOW, voter, True, True),
        flow.AssesseurAuth: flow.AssesseurAuth(SHOWN, NOW, voter, Notice.WRONG_ASSESSEUR),
        flow.ReassortQuestion: flow.ReassortQuestion(SHOWN, NOW, voter, supervised=False),
        flow.ReassortTokenSent: flow.ReassortTokenSent(SHOWN, NOW, voter, sent),
        flow.RegenerateWarning: flow.RegenerateWarning(SHOWN, NOW, voter, grant),
        flow.NewCodeShown: flow.NewCodeShown(
            SHOWN, voter, "ABCD-EFGH-JKMN", NOW, NOW + timedelta(seconds=120)
        ),
        flow.ScrutinList: flow.ScrutinList(SHOWN, NOW, booth, Notice.ALREADY_VOTED),
        flow.Gallery: flow.Gallery(
            SHOWN, NOW, booth, scrutin, armed=True, document=DocumentRef(first, DocumentKind.BALLOT)
        ),
        flow.Confirm: flow.Confirm(SHOWN, NOW, booth, scrutin, first, code),
        flow.ChallengeShown: flow.ChallengeShown(SHOWN, NOW, booth, scrutin, code),
        flow.Receipt: flow.Receipt(SHOWN, NOW, booth, scrutin, papers),
        flow.Refused: flow.Refused(SHOWN, NOW, booth, Notice.NOT_ELIGIBLE),
        flow.Locked: flow.Locked(SHOWN, NOW, LockedCredential.REASSORT),
        flow.Finished: flow.Finished(SHOWN, NOW),
    }


SAMPLES = _samples()


def _warning(active_class: type) -> flow.InactivityWarning:
    """The warning over the sample of an active state, 20 s before the reset."""
    return flow.InactivityWarning(
        typing.cast(flow.Active, SAMPLES[active_class]), NOW + timedelta(seconds=20)
    )


STATE_CLASSES = typing.get_args(flow.State)
ACTIVE_CLASSES = typing.get_args(flow.Active)


def test_every_state_class_of_the_flow_has_a_sample() -> None:
    # A new state class in kiosk/voting/flow.py fails here until the window and this test show it.
    declared = {
        obj
        for obj in vars(flow).values()
        if isinstance(obj, type) and obj.__module__ == flow.__name__ and obj in STATE_CLASSES
    }
    assert declared == set(STATE_CLASSES)
    assert set(SAMPLES) | {flow.InactivityWarning} == set(STATE_CLASSES)


@pytest.mark.parametrize("state_class", STATE_CLASSES, ids=lambda c: c.__name__)
def test_the_window_renders_every_state_class(
    qtbot: QtBot, window: KioskWindow, state_class: type
) -> None:
    if state_class is flow.InactivityWarning:
        states: list[flow.State] = [_warning(active) for active in ACTIVE_CLASSES]
    else:
        states = [SAMPLES[state_class]]
    for state in states:
        window.render_state(state)
        assert window.state is state
        page = window.current_page
        assert page is not None
        assert page.isVisible()
        assert window.inactivity.isVisible() is isinstance(state, flow.InactivityWarning)


def test_the_inactivity_warning_shows_over_the_interrupted_page(
    qtbot: QtBot, window: KioskWindow
) -> None:
    window.render_state(_warning(flow.Gallery))
    assert window.current_page is window.gallery
    assert "20" in window.inactivity.countdown_text


def test_every_interactive_control_has_an_accessible_name_and_description(
    qtbot: QtBot, window: KioskWindow
) -> None:
    for state in SAMPLES.values():  # builds every dynamic button (scrutins, lists, documents)
        window.render_state(state)
    dialog = window.ask_admin_pin()
    interactive = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QAbstractSlider)
    controls = [w for w in window.findChildren(QWidget) if isinstance(w, interactive)]
    assert len(controls) > 40
    unnamed = [
        f"{type(w).__name__} {w.objectName()!r} {getattr(w, 'text', lambda: '')()!r}"
        for w in controls
        if not w.accessibleName().strip() or not w.accessibleDescription().strip()
    ]
    assert unnamed == []
    dialog.reject()


def test_pages_switch_and_leave_nothing_typed_behind(qtbot: QtBot, window: KioskWindow) -> None:
    window.render_state(SAMPLES[flow.Credentials])
    field = control(window, "Identifiant")
    assert isinstance(field, QLineEdit)
    qtbot.keyClicks(field, "agent1@ac-exemple.fr")
    window.render_state(SAMPLES[flow.Welcome])
    window.render_state(SAMPLES[flow.Credentials])
    assert field.text() == ""


def test_the_window_is_full_screen_and_closes_only_with_the_admin_pin(
    qtbot: QtBot, window: KioskWindow
) -> None:
    assert window.isFullScreen()
    screen = window.screen()
    assert screen is not None
    assert window.geometry() == screen.geometry()
    assert window.close() is False
    assert window.isVisible()
    dialog = window.pin_dialog
    assert dialog is not None
    assert dialog.isVisible()
    qtbot.keyClicks(dialog.pin_field, "0000")
    qtbot.keyClick(dialog.pin_field, "\r")
    assert window.isVisible()
    assert dialog.isVisible()
    assert dialog.pin_field.text() == ""
    close_window(qtbot, window)
    assert not window.isVisible()


def test_the_timer_only_ticks_and_the_core_warns_then_resumes(
    qtbot: QtBot, kiosk: Kiosk, tmp_path: Path
) -> None:
    ticking = open_window(qtbot, kiosk, tmp_path / "prints", tick_ms=20)
    try:
        qtbot.mouseClick(control(ticking, "Commencer"), _LEFT)
        wait_for(qtbot, ticking, flow.Credentials)
        kiosk.clock.advance(timedelta(seconds=61))
        qtbot.waitUntil(lambda: ticking.inactivity.isVisible(), timeout=5_000)
        assert isinstance(ticking.state, flow.InactivityWarning)
        assert "29" in ticking.inactivity.countdown_text
        assert ticking.current_page is ticking.credentials
        qtbot.mouseClick(control(ticking, "Je suis toujours là"), _LEFT)
        qtbot.waitUntil(lambda: not ticking.inactivity.isVisible(), timeout=5_000)
        assert isinstance(ticking.state, flow.Credentials)
        kiosk.clock.advance(timedelta(seconds=91))
        wait_for(qtbot, ticking, flow.Welcome)
    finally:
        close_window(qtbot, ticking)
        ticking.deleteLater()


def test_a_voter_can_change_the_display_on_the_welcome_page(
    qtbot: QtBot, window: KioskWindow
) -> None:
    qtbot.mouseClick(control(window, "Contraste élevé"), _LEFT)
    qtbot.waitUntil(lambda: not window.worker.busy and window.state.display.high_contrast)
    qtbot.mouseClick(control(window, "English"), _LEFT)
    qtbot.waitUntil(lambda: not window.worker.busy and window.state.display.language == "en")
    assert "#ffff00" in window.styleSheet()


def test_the_display_can_be_changed_on_every_page_after_the_welcome(
    qtbot: QtBot, window: KioskWindow
) -> None:
    assert not window.display_bar.isVisible()  # the welcome page shows its own, larger ones
    qtbot.mouseClick(control(window, "Commencer"), _LEFT)
    wait_for(qtbot, window, flow.Credentials)
    assert window.display_bar.isVisible()

    qtbot.mouseClick(control(window, "Texte agrandi"), _LEFT)
    qtbot.waitUntil(lambda: not window.worker.busy and window.state.display.large_text)
    assert isinstance(window.state, flow.Credentials)  # the voter stays where they were
    assert "font-size: 24pt" in window.styleSheet()

    qtbot.mouseClick(control(window, "English"), _LEFT)
    qtbot.waitUntil(lambda: not window.worker.busy and window.state.display.language == "en")
    assert isinstance(window.state, flow.Credentials)
    control(window, "Identifier")  # the page is in English now
    qtbot.mouseClick(control(window, "Français"), _LEFT)  # the bar offers the way back
    qtbot.waitUntil(lambda: not window.worker.busy and window.state.display.language == "fr")
    control(window, "Identifiant")
