"""The window renders every state class of the flow, and every control is accessible."""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
import typing
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from kiosk.config import Language
from kiosk.crypto.receipt import Receipt as SignedReceipt
from kiosk.crypto.tracking import TrackingCode
from kiosk.election.model import KioskId, ListId, ScrutinId, VoterId
from kiosk.receipts import Emargement
from kiosk.voting import flow
from kiosk.voting.assets import PackageAssets
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
from kiosk.voting.session import SessionStep
from tests.ui.conftest import (
    ADMIN,
    ADMIN_PIN,
    WAIT_MS,
    admin_console,
    close_window,
    control,
    open_window,
    wait_for,
)
from tests.unit.test_voting_world import Kiosk, VoterSecrets, sealed_election
from ui.ballot_names import BallotNames
from ui.kiosk_window import KioskSession, KioskWindow
from ui.printing import PrintedPaper, PrintOutcome

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
        flow.ChallengeShown: flow.ChallengeShown(
            SHOWN, NOW, booth, scrutin, code, Notice.NOT_PRINTED
        ),
        flow.Receipt: flow.Receipt(SHOWN, NOW, booth, scrutin, papers, Notice.NOT_PRINTED),
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
    window.render_state(SAMPLES[flow.Welcome])
    dialog = window.request_admin()
    assert dialog is not None
    interactive = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QAbstractSlider)
    controls = [w for w in window.findChildren(QWidget) if isinstance(w, interactive)]
    assert len(controls) > 40
    assert dialog.name_field in controls
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


def test_the_window_is_full_screen_and_closes_only_from_the_admin_console(
    qtbot: QtBot, window: KioskWindow
) -> None:
    assert window.isFullScreen()
    screen = window.screen()
    assert screen is not None
    assert window.geometry() == screen.geometry()
    assert window.close() is False
    assert window.isVisible()
    dialog = window.login_dialog
    assert dialog is not None
    assert dialog.isVisible()
    qtbot.keyClicks(dialog.name_field, ADMIN)
    qtbot.keyClicks(dialog.pin_field, "000000")
    qtbot.keyClick(dialog.pin_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.pending, timeout=WAIT_MS)
    assert window.isVisible()
    assert dialog.isVisible()
    assert window.console is None
    assert dialog.pin_field.text() == ""
    assert dialog.notice_text == "Identifiant ou code incorrect."
    dialog.pin_field.setText(ADMIN_PIN)
    dialog.submit()
    qtbot.waitUntil(lambda: window.console is not None, timeout=WAIT_MS)
    assert window.isVisible()  # signed in: the console, not yet the end of the kiosk
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
    qtbot.waitUntil(lambda: not window.busy and window.state.display.high_contrast)
    qtbot.mouseClick(control(window, "English"), _LEFT)
    qtbot.waitUntil(lambda: not window.busy and window.state.display.language == "en")
    assert "#ffff00" in window.styleSheet()


def test_the_display_can_be_changed_on_every_page_after_the_welcome(
    qtbot: QtBot, window: KioskWindow
) -> None:
    assert not window.display_bar.isVisible()  # the welcome page shows its own, larger ones
    qtbot.mouseClick(control(window, "Commencer"), _LEFT)
    wait_for(qtbot, window, flow.Credentials)
    assert window.display_bar.isVisible()

    qtbot.mouseClick(control(window, "Texte agrandi"), _LEFT)
    qtbot.waitUntil(lambda: not window.busy and window.state.display.large_text)
    assert isinstance(window.state, flow.Credentials)  # the voter stays where they were
    assert "font-size: 24pt" in window.styleSheet()

    qtbot.mouseClick(control(window, "English"), _LEFT)
    qtbot.waitUntil(lambda: not window.busy and window.state.display.language == "en")
    assert isinstance(window.state, flow.Credentials)
    qtbot.waitUntil(lambda: _shows(window, "Identifier"))  # Qt's language change is an event
    qtbot.mouseClick(control(window, "Français"), _LEFT)  # the bar offers the way back
    qtbot.waitUntil(lambda: not window.busy and window.state.display.language == "fr")
    qtbot.waitUntil(lambda: _shows(window, "Identifiant"))


def _shows(window: KioskWindow, name: str) -> bool:
    return any(w.accessibleName() == name and w.isVisible() for w in window.findChildren(QWidget))


def test_the_reassort_link_shows_only_when_a_way_to_a_new_code_is_offered(
    window: KioskWindow,
) -> None:
    offered = SAMPLES[flow.VoteCode]
    assert isinstance(offered, flow.VoteCode)
    window.render_state(offered)
    assert _shows(window, "Réassort du code de vote")
    window.render_state(dataclasses.replace(offered, reassort_offered=False))
    assert not _shows(window, "Réassort du code de vote")


def test_the_inactivity_warning_takes_the_focus_once_not_at_every_tick(
    qtbot: QtBot, window: KioskWindow
) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.render_state(_warning(flow.Credentials))
    assert window.inactivity.hasFocus()  # entering the warning: a key answers it
    here = control(window, "Je suis toujours là")
    here.setFocus()  # a keyboard or screen-reader user moved on to the button
    assert here.hasFocus()
    for seconds in (19, 18, 17):  # the countdown's ticks
        window.render_state(
            flow.InactivityWarning(
                typing.cast(flow.Active, SAMPLES[flow.Credentials]),
                NOW + timedelta(seconds=seconds),
            )
        )
        assert here.hasFocus()


# ---- what the window reports to the core -----------------------------------------------------

VOTER = VoterSecrets(0)
CAPN = ScrutinId("capn")


class RecordingSession:
    """The real session, with a count of what reached it and, optionally, a call that raises."""

    def __init__(self, session: KioskSession, fail_on: type[flow.UserEvent] | None = None) -> None:
        self._session = session
        self._fail_on = fail_on
        self.events: list[str] = []
        self.ticks = 0

    @property
    def state(self) -> flow.State:
        return self._session.state

    @property
    def rules(self) -> flow.FlowRules:
        return self._session.rules

    def handle(self, event: flow.UserEvent | flow.ShellEvent | flow.Tick) -> SessionStep:
        self.events.append(type(event).__name__)
        if self._fail_on is not None and isinstance(event, self._fail_on):
            raise RuntimeError("disk full at /var/lib/isoloir for Agent 0")
        return self._session.handle(event)

    def tick(self) -> SessionStep:
        step = self._session.tick()
        self.ticks += 1
        return step


class StubPrinter:
    """A printer that says how it went, raises, or waits for ``gate`` (a hung CUPS)."""

    def __init__(
        self,
        outcome: PrintOutcome = PrintOutcome.PRINTED,
        *,
        error: Exception | None = None,
        gate: threading.Event | None = None,
    ) -> None:
        self.outcome = outcome
        self.error = error
        self.gate = gate
        self.printed: list[tuple[str, Language, int]] = []

    def _print(self, kind: str, language: Language) -> PrintOutcome:
        if self.gate is not None:
            self.gate.wait(WAIT_MS / 1000)
        self.printed.append((kind, language, threading.get_ident()))
        if self.error is not None:
            raise self.error
        return self.outcome

    def print_receipt(self, order: flow.PrintReceipt, language: Language) -> PrintOutcome:
        return self._print("receipt", language)

    def print_challenge_slip(
        self, order: flow.PrintChallengeSlip, language: Language
    ) -> PrintOutcome:
        return self._print("slip", language)

    def print_paper(self, printed: PrintedPaper) -> PrintOutcome:
        return self._print(printed.kind, "fr")


MakeWindow = Callable[..., KioskWindow]


def kiosk_reports(kiosk: Kiosk) -> Path:
    return kiosk.store.path.parent / "reports"


@pytest.fixture
def make_window(qtbot: QtBot, kiosk: Kiosk) -> Iterator[MakeWindow]:
    made: list[KioskWindow] = []

    def make(
        session: KioskSession | None = None,
        printer: StubPrinter | None = None,
        tick_ms: int = 3_600_000,
    ) -> KioskWindow:
        manifest = sealed_election()[0].manifest
        window = KioskWindow(
            session if session is not None else kiosk.session,
            kiosk.clock,
            BallotNames(manifest),
            admin=admin_console(kiosk, kiosk_reports(kiosk)),
            printer=printer if printer is not None else StubPrinter(),
            assets=PackageAssets(kiosk.store, manifest),
            tick_ms=tick_ms,
        )
        window.show_kiosk()
        qtbot.waitExposed(window)
        made.append(window)
        return window

    yield make
    for window in made:
        close_window(qtbot, window)
        window.deleteLater()


def wait_for_ticks(qtbot: QtBot, session: RecordingSession) -> None:
    """Until a tick has run that started after this call (the clock's latest time)."""
    seen = session.ticks
    qtbot.waitUntil(lambda: session.ticks >= seen + 2, timeout=WAIT_MS)


def touched_now(window: KioskWindow, kiosk: Kiosk) -> bool:
    state = window.state
    return (
        not window.busy
        and not isinstance(state, flow.InactivityWarning)
        and getattr(state, "last_input", None) == kiosk.clock.now()
    )


def wheel(widget: QWidget) -> None:
    at = QPointF(widget.rect().center())
    event = QWheelEvent(
        at,
        QPointF(widget.mapToGlobal(at)),
        QPoint(0, -40),
        QPoint(0, -120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_reading_a_document_keeps_the_session_past_90_seconds(
    qtbot: QtBot, kiosk: Kiosk, make_window: MakeWindow
) -> None:
    kiosk.to_scrutins(VOTER)
    kiosk.send(flow.ChooseScrutin(CAPN))
    kiosk.send(flow.OpenDocument(ListId("l1"), DocumentKind.PROFESSION_DE_FOI))
    opened = kiosk.clock.now()
    session = RecordingSession(kiosk.session)
    window = make_window(session, tick_ms=20)
    viewer = window.gallery.viewer
    assert viewer.isVisible()
    # Turning pages, zooming, scrolling: no page intent, but the voter is there.
    for act in (
        lambda: qtbot.mouseClick(viewer, _LEFT),
        lambda: wheel(viewer),
        lambda: qtbot.mouseClick(viewer, _LEFT),
    ):
        kiosk.clock.advance(timedelta(seconds=50))
        act()
        qtbot.waitUntil(lambda: touched_now(window, kiosk), timeout=WAIT_MS)
    wait_for_ticks(qtbot, session)
    assert kiosk.clock.now() - opened == timedelta(seconds=150)
    state = window.state
    assert isinstance(state, flow.Gallery)
    assert state.document == DocumentRef(ListId("l1"), DocumentKind.PROFESSION_DE_FOI)
    assert session.events.count("Activity") == 3


def test_typing_in_a_field_keeps_the_session_past_90_seconds(
    qtbot: QtBot, kiosk: Kiosk, make_window: MakeWindow
) -> None:
    kiosk.send(flow.Start())
    started = kiosk.clock.now()
    session = RecordingSession(kiosk.session)
    window = make_window(session, tick_ms=20)
    field = control(window, "Identifiant")
    assert isinstance(field, QLineEdit)
    for letter in "abc":
        kiosk.clock.advance(timedelta(seconds=50))
        qtbot.keyClicks(field, letter)
        qtbot.waitUntil(lambda: touched_now(window, kiosk), timeout=WAIT_MS)
    wait_for_ticks(qtbot, session)
    assert kiosk.clock.now() - started == timedelta(seconds=150)
    assert isinstance(window.state, flow.Credentials)
    assert field.text() == "abc"  # nothing typed is lost to the report


def test_activity_reaches_the_core_at_most_once_per_interval_of_the_clock(
    qtbot: QtBot, kiosk: Kiosk, make_window: MakeWindow
) -> None:
    kiosk.send(flow.Start())
    session = RecordingSession(kiosk.session)
    window = make_window(session)
    field = control(window, "Identifiant")

    def activities_after(text: str, seconds: float) -> int:
        kiosk.clock.advance(timedelta(seconds=seconds))
        qtbot.keyClicks(field, text)
        qtbot.waitUntil(lambda: not window.busy, timeout=WAIT_MS)
        return session.events.count("Activity")

    assert activities_after("agent", 0) == 1  # five keys, one report
    assert activities_after("1", 4) == 1
    assert activities_after("@", 1) == 2  # 5 s after the first
    assert activities_after("ac-exemple.fr", 0) == 2
    qtbot.mouseClick(window.display_bar, _LEFT)  # a click on any widget of the window counts
    kiosk.clock.advance(timedelta(seconds=5))
    qtbot.mouseClick(window.display_bar, _LEFT)
    qtbot.waitUntil(lambda: not window.busy, timeout=WAIT_MS)
    assert session.events.count("Activity") == 3


def to_confirm(kiosk: Kiosk) -> None:
    kiosk.to_scrutins(VOTER)
    kiosk.send(flow.ChooseScrutin(CAPN))
    kiosk.send(flow.ArmSelection())
    kiosk.send(flow.Select(ListId("l1")))
    assert isinstance(kiosk.state, flow.Confirm)


@pytest.mark.parametrize(
    "printer",
    [
        StubPrinter(PrintOutcome.FALLBACK),
        StubPrinter(PrintOutcome.FAILED),
        StubPrinter(error=ValueError("cannot render Agent 0")),
    ],
    ids=["fallback", "failed", "raised"],
)
def test_a_receipt_that_did_not_print_says_to_ask_an_assesseur(
    qtbot: QtBot,
    kiosk: Kiosk,
    make_window: MakeWindow,
    printer: StubPrinter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    to_confirm(kiosk)
    window = make_window(printer=printer)
    failures: list[object] = []
    window.coreFailed.connect(failures.append)
    window.send(flow.CastVote())
    qtbot.waitUntil(
        lambda: (
            not window.busy
            and isinstance(window.state, flow.Receipt)
            and window.state.notice is Notice.NOT_PRINTED
        ),
        timeout=WAIT_MS,
    )
    assert window.current_page is window.receipt  # the tracking code stays on screen
    assert failures == []  # the vote is recorded: no incident
    assert [kind for kind, _language, _thread in printer.printed] == ["receipt"]
    assert all("Agent 0" not in record.getMessage() for record in caplog.records)

    # "Imprimer" again: the notice goes, and comes back if it fails again.
    window.send(flow.PrintAgain())
    qtbot.waitUntil(lambda: len(printer.printed) == 2 and not window.busy, timeout=WAIT_MS)
    state = window.state
    assert isinstance(state, flow.Receipt)
    assert state.notice is Notice.NOT_PRINTED


def test_a_printed_receipt_shows_no_notice(
    qtbot: QtBot, kiosk: Kiosk, make_window: MakeWindow
) -> None:
    to_confirm(kiosk)
    printer = StubPrinter(PrintOutcome.PRINTED)
    session = RecordingSession(kiosk.session)
    window = make_window(session, printer)
    window.send(flow.CastVote())
    qtbot.waitUntil(lambda: bool(printer.printed) and not window.busy, timeout=WAIT_MS)
    state = window.state
    assert isinstance(state, flow.Receipt)
    assert state.notice is None
    assert "PapersNotPrinted" not in session.events


def test_a_challenge_slip_that_did_not_print_says_so(
    qtbot: QtBot, kiosk: Kiosk, make_window: MakeWindow
) -> None:
    to_confirm(kiosk)
    window = make_window(printer=StubPrinter(PrintOutcome.FALLBACK))
    window.send(flow.ChallengeVote())
    qtbot.waitUntil(
        lambda: (
            not window.busy
            and isinstance(window.state, flow.ChallengeShown)
            and window.state.notice is Notice.NOT_PRINTED
        ),
        timeout=WAIT_MS,
    )


def test_a_hung_printer_holds_up_neither_the_voter_nor_the_inactivity_reset(
    qtbot: QtBot, kiosk: Kiosk, make_window: MakeWindow
) -> None:
    to_confirm(kiosk)
    gate = threading.Event()
    printer = StubPrinter(gate=gate)
    session = RecordingSession(kiosk.session)
    window = make_window(session, printer, tick_ms=20)
    try:
        window.send(flow.CastVote())
        qtbot.waitUntil(lambda: window.print_worker.busy, timeout=WAIT_MS)
        wait_for(qtbot, window, flow.Receipt)
        window.send(flow.Continue())  # the voter goes on while the printer hangs
        wait_for(qtbot, window, flow.ScrutinList)
        kiosk.clock.advance(timedelta(seconds=91))
        wait_for(qtbot, window, flow.Welcome)  # and the ticks still reset the kiosk
        assert kiosk.session.holds_nothing
        assert window.print_worker.busy
        assert printer.printed == []
    finally:
        gate.set()
    qtbot.waitUntil(lambda: not window.busy, timeout=WAIT_MS)
    [(_kind, _language, thread)] = printer.printed
    assert thread != threading.get_ident()


def test_a_failing_core_call_ends_the_session_on_a_page_for_an_assesseur(
    qtbot: QtBot,
    kiosk: Kiosk,
    make_window: MakeWindow,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    to_confirm(kiosk)
    session = RecordingSession(kiosk.session, fail_on=flow.CastVote)
    window = make_window(session)
    failures: list[BaseException] = []
    window.coreFailed.connect(failures.append)
    window.send(flow.CastVote())
    qtbot.waitUntil(
        lambda: (
            not window.busy
            and isinstance(window.state, flow.Refused)
            and window.state.notice is Notice.INCIDENT
        ),
        timeout=WAIT_MS,
    )
    assert window.current_page is window.refused
    assert [type(error) for error in failures] == [RuntimeError]
    assert session.events[-2:] == ["CastVote", "CoreFailure"]
    assert kiosk.session.holds_nothing  # the sealed ballot and the voter are gone
    assert kiosk.store.voted_scrutins(VOTER.voter_id) == frozenset()
    messages = [record.getMessage() for record in caplog.records]
    assert "core call failed: RuntimeError" in messages
    assert not any("disk full" in m or "Agent 0" in m for m in messages)
    window.send(flow.Continue())
    wait_for(qtbot, window, flow.Welcome)
    assert window.state == flow.initial_state(kiosk.session.rules)
