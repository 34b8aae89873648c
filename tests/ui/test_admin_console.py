"""The admin console, offscreen, on a real SQLCipher store with the injected clock.

The must-show of issue 6: an assesseur opens the polls (the opening report saved, signed and
printed), a voter votes through the window, the polls pause and no voter can start, they close
and the closing report counts that ballot. Then: what each role sees, the lockout after wrong
PINs, the journal, the diagnostics, "sync now" against a real server on a loopback port and the
export to removable media, operators, the inactivity logout, and that nobody reaches the
console while a voter's session is under way.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import shiboken6
from cryptography.hazmat.primitives import serialization
from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QFileDialog,
    QHeaderView,
    QLineEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from kiosk.admin.dashboard import PrinterState
from kiosk.admin.journal import journal_lines
from kiosk.admin.operators import Operator, Operators
from kiosk.admin.reports import ReportKind, verify_report_pdf
from kiosk.admin.roles import Role
from kiosk.clock import ManualClock
from kiosk.election import package as package_io
from kiosk.election.model import KioskId, ListId, ScrutinId
from kiosk.store import KioskStore, PollsState, StoreKey, create_key_file
from kiosk.voting import flow
from kiosk.voting.assets import PackageAssets
from kiosk.voting.model import Display, Notice
from server.app import create_app, server_state
from server.settings import ServerSettings
from tests.cups_server import PdfQueue
from tests.server.ballots import SealedElection, enroll_all, make_sealed_election
from tests.server.ballots import client as server_client
from tests.server.ballots import sealed_fixture as sealed_fixture  # the "sealed" fixture
from tests.server.harness import ServerThread
from tests.ui import test_printing_cups, test_translations
from tests.ui.conftest import (
    ADMIN,
    ADMIN_PIN,
    ASSESSEUR,
    ASSESSEUR_PIN,
    TEST_PIN_KDF,
    WAIT_MS,
    admin_console,
    close_window,
    control,
    sign_in,
    wait_for,
)
from tests.ui.test_main_server import _store as main_store
from tests.unit.test_voting_world import Kiosk, VoterSecrets, open_kiosk, sealed_election
from ui.__main__ import QUIT_EXIT_STATUS, main
from ui.admin import CONSOLE_IDLE
from ui.admin.console import ConsoleDialog
from ui.admin.sections import (
    FILE_DIALOG_OPTIONS,
    DashboardSection,
    DiagnosticsSection,
    JournalSection,
    OperatorsSection,
    PackageSection,
    PollsSection,
    PrinterSection,
    Section,
    SyncSection,
    VotersSection,
)
from ui.ballot_names import BallotNames
from ui.kiosk_window import KioskWindow, WindowExit
from ui.printing import FolderProbe, PdfFolderPrinter, PrintOutcome, QueueProbe, make_printer

LEFT = Qt.MouseButton.LeftButton
cups = test_printing_cups.cups  # the fixtures of a private cupsd with a cups-pdf queue
queue = test_printing_cups.queue
english_qm = test_translations.english_qm  # the compiled English, built if missing


@pytest.fixture
def closed_kiosk(tmp_path: Path) -> Iterator[Kiosk]:
    """A kiosk whose polls have not been opened yet."""
    clock = ManualClock()
    world = Kiosk(tmp_path, clock, store=open_kiosk(tmp_path / "store", clock, polls=False))
    yield world
    world.store.close()


def _window(qtbot: QtBot, kiosk: Kiosk, folder: Path, *, tick_ms: int = 3_600_000) -> KioskWindow:
    manifest = sealed_election()[0].manifest
    window = KioskWindow(
        kiosk.session,
        kiosk.clock,
        BallotNames(manifest),
        admin=admin_console(kiosk, folder / "reports"),
        printer=PdfFolderPrinter(folder / "prints"),
        polls_state=kiosk.store.polls_state,
        assets=PackageAssets(kiosk.store, manifest),
        tick_ms=tick_ms,
    )
    window.show_kiosk()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def admin_window(qtbot: QtBot, closed_kiosk: Kiosk, tmp_path: Path) -> Iterator[KioskWindow]:
    shown = _window(qtbot, closed_kiosk, tmp_path)
    qtbot.waitUntil(lambda: not shown.busy, timeout=WAIT_MS)
    yield shown
    close_window(qtbot, shown)
    shown.deleteLater()


def _idle(qtbot: QtBot, window: KioskWindow) -> None:
    qtbot.waitUntil(lambda: not window.busy, timeout=WAIT_MS)


def _section(console: ConsoleDialog, section_type: type[Section]) -> Section:
    return console.show_section(section_type)


def _polls(qtbot: QtBot, window: KioskWindow, console: ConsoleDialog) -> PollsSection:
    section = console.show_section(PollsSection)
    assert isinstance(section, PollsSection)
    _idle(qtbot, window)
    return section


def _confirm_report(qtbot: QtBot, window: KioskWindow, section: PollsSection, button: str) -> None:
    """Press a polls button that asks for confirmation, confirm, wait for the report to print."""
    qtbot.mouseClick(getattr(section, button), LEFT)
    assert section.confirm.isVisible()
    section.outcome = None
    qtbot.mouseClick(section.confirm.yes, LEFT)
    qtbot.waitUntil(lambda: section.outcome is not None, timeout=WAIT_MS)
    _idle(qtbot, window)


def _log_out(qtbot: QtBot, window: KioskWindow, console: ConsoleDialog) -> None:
    qtbot.mouseClick(console.back_button, LEFT)
    qtbot.waitUntil(lambda: window.console is None, timeout=WAIT_MS)
    _idle(qtbot, window)


def _vote(qtbot: QtBot, window: KioskWindow, kiosk: Kiosk, voter: VoterSecrets) -> None:
    """A voter's clicks, as the window sends them: one ballot in the first scrutin."""
    window.send(flow.Start())
    wait_for(qtbot, window, flow.Credentials)
    window.send(flow.SubmitCredentials(voter.identifier, voter.password))
    wait_for(qtbot, window, flow.VoteCode)
    window.send(flow.SubmitVoteCode(voter.code, kiosk.captcha_answer()))
    wait_for(qtbot, window, flow.ScrutinList)
    state = window.state
    assert isinstance(state, flow.ScrutinList)
    entry = state.booth.scrutins[0]
    window.send(flow.ChooseScrutin(entry.scrutin_id))
    wait_for(qtbot, window, flow.Gallery)
    window.send(flow.ArmSelection())
    qtbot.waitUntil(lambda: isinstance(window.state, flow.Gallery) and window.state.armed)
    window.send(flow.Select(entry.options[0]))
    wait_for(qtbot, window, flow.Confirm)
    window.send(flow.CastVote())
    wait_for(qtbot, window, flow.Receipt)
    window.send(flow.Quit())
    wait_for(qtbot, window, flow.Finished)
    window.send(flow.Continue())
    wait_for(qtbot, window, flow.Welcome)
    _idle(qtbot, window)


def test_open_vote_pause_close_with_signed_printed_reports(
    qtbot: QtBot, admin_window: KioskWindow, closed_kiosk: Kiosk, tmp_path: Path
) -> None:
    window, kiosk = admin_window, closed_kiosk
    package = sealed_election()[0]
    # Not opened: the welcome page says so, and nobody may start.
    assert window.welcome.polls_notice == "Le bureau de vote n'est pas encore ouvert."
    assert not control(window, "Commencer").isEnabled()

    console = sign_in(qtbot, window, ASSESSEUR, ASSESSEUR_PIN)
    polls = _polls(qtbot, window, console)
    assert polls.polls is PollsState.NOT_OPENED
    assert polls.open_button.isEnabled()
    assert not polls.close_button.isEnabled()
    _confirm_report(qtbot, window, polls, "open_button")
    assert polls.polls is PollsState.OPEN
    opening = polls.saved
    assert opening is not None
    assert opening.report.kind is ReportKind.OPENING
    assert polls.outcome is PrintOutcome.PRINTED
    assert str(opening.path) in polls.report_label.text()
    assert "Imprimé." in polls.report_label.text()
    signed = verify_report_pdf(opening.path.read_bytes(), package)  # the signature verifies
    assert signed.kind is ReportKind.OPENING
    assert signed.ballots_total == 0
    assert signed.operator.name == ASSESSEUR
    printed = list((tmp_path / "prints" / "rapport").glob("*.pdf"))
    assert [path.read_bytes() for path in printed] == [opening.path.read_bytes()]
    _log_out(qtbot, window, console)

    # Open: a voter votes through the window.
    assert window.welcome.polls_notice == ""
    assert control(window, "Commencer").isEnabled()
    _vote(qtbot, window, kiosk, VoterSecrets(1))
    assert kiosk.store.status().emargements == 1

    # Paused: the welcome page says so; a voter who starts anyway is refused by the core.
    console = sign_in(qtbot, window, ASSESSEUR, ASSESSEUR_PIN)
    polls = _polls(qtbot, window, console)
    qtbot.mouseClick(polls.pause_button, LEFT)
    qtbot.waitUntil(lambda: polls.polls is PollsState.PAUSED, timeout=WAIT_MS)
    assert polls.resume_button.isEnabled()
    assert not polls.pause_button.isEnabled()
    _log_out(qtbot, window, console)
    assert window.welcome.polls_notice.startswith("Le bureau de vote est en pause")
    assert not control(window, "Commencer").isEnabled()
    voter = VoterSecrets(2)
    window.send(flow.Start())
    wait_for(qtbot, window, flow.Credentials)
    window.send(flow.SubmitCredentials(voter.identifier, voter.password))
    wait_for(qtbot, window, flow.Refused)
    refused = window.state
    assert isinstance(refused, flow.Refused)
    assert refused.notice is Notice.POLLS_NOT_OPEN
    window.send(flow.Continue())
    wait_for(qtbot, window, flow.Welcome)
    assert kiosk.store.status().emargements == 1

    # Closed: the closing report counts the one ballot.
    console = sign_in(qtbot, window, ASSESSEUR, ASSESSEUR_PIN)
    polls = _polls(qtbot, window, console)
    _confirm_report(qtbot, window, polls, "close_button")
    closing = polls.saved
    assert closing is not None
    report = verify_report_pdf(closing.path.read_bytes(), package)
    assert report.kind is ReportKind.CLOSING
    assert report.ballots_total == 1
    assert sum(report.ballots_per_scrutin.values()) == 1
    assert polls.polls is PollsState.CLOSED
    assert not polls.reopen_button.isVisible()  # an assesseur never reopens
    # A report prints again on demand.
    before = len(list((tmp_path / "prints" / "rapport").glob("*.pdf")))
    polls.outcome = None
    qtbot.mouseClick(polls.reprint_opening, LEFT)
    qtbot.waitUntil(lambda: polls.outcome is PrintOutcome.PRINTED, timeout=WAIT_MS)
    assert polls.saved is not None
    assert polls.saved.path == opening.path
    assert len(list((tmp_path / "prints" / "rapport").glob("*.pdf"))) == before + 1
    _log_out(qtbot, window, console)
    assert window.welcome.polls_notice == "Le bureau de vote est fermé."

    # An administrator may reopen: a new opening report, marked as a reopening.
    console = sign_in(qtbot, window, ADMIN, ADMIN_PIN)
    polls = _polls(qtbot, window, console)
    assert polls.reopen_button.isVisible()
    assert polls.reopen_button.isEnabled()
    _confirm_report(qtbot, window, polls, "reopen_button")
    assert polls.saved is not None
    assert polls.saved.report.reopening
    assert "Rapport de réouverture" in polls.report_label.text()
    assert polls.polls is PollsState.OPEN


def test_each_role_sees_only_what_it_may_do(qtbot: QtBot, admin_window: KioskWindow) -> None:
    console = sign_in(qtbot, admin_window, ASSESSEUR, ASSESSEUR_PIN)
    shown = {type(section) for section in console.sections.values()}
    assert OperatorsSection not in shown
    assert PackageSection not in shown
    assert {DashboardSection, PollsSection, SyncSection, JournalSection, VotersSection} <= shown
    assert not console.quit_button.isVisible()
    sync = console.show_section(SyncSection)
    assert isinstance(sync, SyncSection)
    assert sync.sync_button.isVisible()
    assert not sync.export_button.isVisible()
    assert not sync.folder.isVisible()
    journal = console.show_section(JournalSection)
    assert isinstance(journal, JournalSection)
    assert not journal.export_button.isVisible()
    names = [console.navigation.item(row).text() for row in range(console.navigation.count())]
    assert "Opérateurs" not in names
    _log_out(qtbot, admin_window, console)

    console = sign_in(qtbot, admin_window, ADMIN, ADMIN_PIN)
    assert OperatorsSection in console.sections
    assert PackageSection in console.sections
    assert console.quit_button.isVisible()
    sync = console.show_section(SyncSection)
    assert isinstance(sync, SyncSection)
    assert sync.export_button.isVisible()
    _log_out(qtbot, admin_window, console)


def test_wrong_pins_lock_the_account_and_the_dialog_says_until_when(
    qtbot: QtBot, admin_window: KioskWindow, closed_kiosk: Kiosk
) -> None:
    dialog = admin_window.request_admin()
    assert dialog is not None
    assert dialog.pin_field.echoMode() is QLineEdit.EchoMode.Password

    def attempt(name: str, pin: str) -> str:
        dialog.name_field.setText(name)
        dialog.pin_field.setText(pin)
        dialog.submit()
        assert dialog.pin_field.text() == ""  # read, then gone
        qtbot.waitUntil(lambda: not dialog.pending, timeout=WAIT_MS)
        return dialog.notice_text

    # An unknown name and a wrong PIN get the same words.
    assert attempt("personne", "123456") == "Identifiant ou code incorrect."
    assert attempt(ASSESSEUR, "000000") == "Identifiant ou code incorrect."
    assert attempt(ASSESSEUR, "000002") == "Identifiant ou code incorrect."
    third = attempt(ASSESSEUR, "000001")
    assert third.startswith("Identifiant ou code incorrect. Prochain essai possible à ")
    # The right PIN now: refused until the delay is over, and the dialog says until when.
    locked = attempt(ASSESSEUR, ASSESSEUR_PIN)
    assert locked.startswith("Trop d'essais : compte bloqué jusqu'au 01/12/2026 09:00:")
    assert admin_window.console is None
    closed_kiosk.clock.advance(timedelta(minutes=5))
    dialog.pin_field.setText(ASSESSEUR_PIN)
    dialog.submit()
    qtbot.waitUntil(lambda: admin_window.console is not None, timeout=WAIT_MS)
    console = admin_window.console
    assert console is not None
    assert console.session.operator.name == ASSESSEUR
    _log_out(qtbot, admin_window, console)


def test_the_journal_diagnostics_and_dashboard_show_what_the_core_answers(
    qtbot: QtBot, admin_window: KioskWindow, tmp_path: Path
) -> None:
    console = sign_in(qtbot, admin_window, ADMIN, ADMIN_PIN)
    _confirm_report(qtbot, admin_window, _polls(qtbot, admin_window, console), "open_button")

    dashboard = console.show_section(DashboardSection)
    assert isinstance(dashboard, DashboardSection)
    _idle(qtbot, admin_window)
    assert dashboard.value("polls") == "ouvert"
    assert dashboard.value("cast") == "0 (capn : 0, cap : 0)"
    assert dashboard.value("last_sync") == "jamais"
    # What ``online`` means: the kiosk has a server, not that it answers.
    assert dashboard.value("online") == "poste hors ligne (sans serveur central)"

    journal = console.show_section(JournalSection)
    assert isinstance(journal, JournalSection)
    _idle(qtbot, admin_window)
    events = journal.events()
    assert "operator-login" in events
    assert "polls-opened" in events
    assert "report-saved" in events
    out = tmp_path / "journal.jsonl"
    journal.out.edit.setText(str(out))
    qtbot.mouseClick(journal.export_button, LEFT)
    _idle(qtbot, admin_window)
    assert str(out) in journal.status.text()
    assert out.read_text(encoding="utf-8").count("\n") >= len(events)

    diagnostics = console.show_section(DiagnosticsSection)
    assert isinstance(diagnostics, DiagnosticsSection)
    _idle(qtbot, admin_window)
    assert diagnostics.rows() == []  # showing the section runs nothing
    qtbot.mouseClick(diagnostics.run_button, LEFT)
    _idle(qtbot, admin_window)
    rows = diagnostics.rows()
    # The core's check names and verdicts, in the console's language.
    assert [name for name, _ in rows] == [
        "stockage",
        "journal d'audit",
        "disque",
        "imprimante",
        "serveur central",
        "horloge",
    ]
    assert {status for _, status in rows} <= {"OK", "ATTENTION", "ÉCHEC"}
    assert "OK" in {status for _, status in rows}
    _log_out(qtbot, admin_window, console)


def test_sync_without_a_server_says_so_and_the_administrator_exports_to_media(
    qtbot: QtBot, kiosk: Kiosk, tmp_path: Path
) -> None:
    window = _window(qtbot, kiosk, tmp_path)
    try:
        _vote(qtbot, window, kiosk, VoterSecrets(1))
        console = sign_in(qtbot, window, ADMIN, ADMIN_PIN)
        sync = console.show_section(SyncSection)
        assert isinstance(sync, SyncSection)
        qtbot.mouseClick(sync.sync_button, LEFT)
        _idle(qtbot, window)
        assert "offline kiosk" in sync.status.text()
        assert "restant à envoyer : 1" in sync.result_label.text()

        media = tmp_path / "usb"
        media.mkdir()
        qtbot.mouseClick(sync.export_button, LEFT)  # no folder yet: said, nothing written
        assert sync.status.text() == "Choisissez d'abord le dossier du support."
        sync.folder.edit.setText(str(media))
        qtbot.mouseClick(sync.export_button, LEFT)
        _idle(qtbot, window)
        [bundle] = list(media.iterdir())
        assert str(bundle) in sync.status.text()
        _log_out(qtbot, window, console)
    finally:
        close_window(qtbot, window)
        window.deleteLater()


def test_an_administrator_adds_and_unlocks_operators_and_an_assesseur_unlocks_a_voter(
    qtbot: QtBot, admin_window: KioskWindow, closed_kiosk: Kiosk
) -> None:
    console = sign_in(qtbot, admin_window, ADMIN, ADMIN_PIN)
    operators = console.show_section(OperatorsSection)
    assert isinstance(operators, OperatorsSection)
    _idle(qtbot, admin_window)
    assert sorted(operators.names()) == [ADMIN, ASSESSEUR]
    operators.name.setText("assesseur2")
    operators.pin.setText("12")
    qtbot.mouseClick(operators.add_button, LEFT)
    _idle(qtbot, admin_window)
    assert "6 to 12 digits" in operators.status.text()  # the core's words; nothing added
    assert operators.pin.text() == ""
    operators.pin.setText("13572468")
    qtbot.mouseClick(operators.add_button, LEFT)
    _idle(qtbot, admin_window)
    assert operators.status.text() == "Opérateur ajouté."
    assert "assesseur2" in operators.names()

    # Lock assesseur2 with wrong PINs (the core's own counter), then unlock it here.
    accounts = Operators(closed_kiosk.store, closed_kiosk.clock, pin_kdf=TEST_PIN_KDF)
    for _ in range(10):
        accounts.authenticate("assesseur2", "000000")
        closed_kiosk.clock.advance(timedelta(hours=1))
    operators.refresh()
    _idle(qtbot, admin_window)
    operators.select("assesseur2")
    qtbot.mouseClick(operators.unlock_button, LEFT)
    _idle(qtbot, admin_window)
    assert operators.status.text() == "Opérateur débloqué."
    assert isinstance(accounts.authenticate("assesseur2", "13572468"), Operator)

    operators.select("assesseur2")
    qtbot.mouseClick(operators.remove_button, LEFT)
    qtbot.mouseClick(operators.confirm.yes, LEFT)
    _idle(qtbot, admin_window)
    assert "assesseur2" not in operators.names()
    _log_out(qtbot, admin_window, console)

    console = sign_in(qtbot, admin_window, ASSESSEUR, ASSESSEUR_PIN)
    voters = console.show_section(VotersSection)
    assert isinstance(voters, VotersSection)
    voters.identifier.setText(VoterSecrets(1).identifier)
    qtbot.mouseClick(voters.unlock_button, LEFT)
    _idle(qtbot, admin_window)
    assert voters.status.text() == "Aucun blocage pour cet identifiant."
    _log_out(qtbot, admin_window, console)


def test_the_console_is_refused_while_a_voter_session_is_under_way(
    qtbot: QtBot, kiosk: Kiosk, tmp_path: Path
) -> None:
    window = _window(qtbot, kiosk, tmp_path)
    try:
        window.send(flow.Start())
        wait_for(qtbot, window, flow.Credentials)
        qtbot.keyClick(
            window,
            Qt.Key.Key_A,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier,
        )
        assert window.login_dialog is None
        assert window.request_admin() is None
        assert window.close() is False
        assert window.login_dialog is None
        assert window.isVisible()
        window.send(flow.Back())
        wait_for(qtbot, window, flow.Welcome)
        qtbot.keyClick(
            window,
            Qt.Key.Key_A,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier,
        )
        dialog = window.login_dialog
        assert dialog is not None
        assert dialog.isVisible()
        dialog.reject()
        qtbot.waitUntil(lambda: window.login_dialog is None, timeout=WAIT_MS)
    finally:
        close_window(qtbot, window)
        window.deleteLater()


def test_the_console_logs_out_after_inactivity(qtbot: QtBot, kiosk: Kiosk, tmp_path: Path) -> None:
    window = _window(qtbot, kiosk, tmp_path, tick_ms=20)
    try:
        console = sign_in(qtbot, window, ASSESSEUR, ASSESSEUR_PIN)
        # The console's own work (the first section's reads) holds the idle time: let it end.
        qtbot.waitUntil(lambda: not console.busy, timeout=WAIT_MS)
        kiosk.clock.advance(CONSOLE_IDLE - timedelta(seconds=1))
        console.tick()  # what the timer does: the clock says not yet
        assert window.console is console
        kiosk.clock.advance(timedelta(seconds=1))
        qtbot.waitUntil(lambda: window.console is None, timeout=WAIT_MS)  # the timer's tick
        assert isinstance(window.state, flow.Welcome)
    finally:
        close_window(qtbot, window)
        window.deleteLater()


def test_every_console_control_is_named_and_the_keyboard_reaches_every_section(
    qtbot: QtBot, admin_window: KioskWindow
) -> None:
    console = sign_in(qtbot, admin_window, ADMIN, ADMIN_PIN)
    for section_type in list(console.sections):  # builds every section's rows
        console.show_section(section_type)
        _idle(qtbot, admin_window)
    interactive = (QAbstractButton, QLineEdit, QComboBox, QAbstractItemView)
    controls = [
        w
        for w in console.findChildren(QWidget)
        if isinstance(w, interactive)
        and not isinstance(w, QHeaderView)  # a table's own parts: the table is named
        and w.focusPolicy() is not Qt.FocusPolicy.NoFocus
        and w.window() is console  # not a combo box's popup list
    ]
    unnamed = [
        f"{type(w).__name__} {w.objectName()} {getattr(w, 'text', lambda: '')()!r}"
        for w in controls
        if not w.accessibleName().strip() or not w.accessibleDescription().strip()
    ]
    assert unnamed == []

    console.navigation.setCurrentRow(0)
    console.navigation.setFocus()
    for row in range(1, console.navigation.count()):
        qtbot.keyClick(console.navigation, Qt.Key.Key_Down)
        assert console.stack.currentIndex() == row
    _idle(qtbot, admin_window)
    qtbot.keyClick(console, Qt.Key.Key_Escape)  # Escape logs out, as "Retour au vote" does
    qtbot.waitUntil(lambda: admin_window.console is None, timeout=WAIT_MS)


@contextmanager
def _served_window(qtbot: QtBot, tmp_path: Path) -> Iterator[tuple[KioskWindow, KioskStore]]:
    """A kiosk whose two ballots queued (no upload at cast), its window, and a server on a
    loopback port for the console's "sync now"."""
    sealed = make_sealed_election(tmp_path / "election")
    clock = ManualClock()
    app = create_app(
        ServerSettings(database_url=f"sqlite:///{tmp_path / 'server.db'}", package=sealed.folder),
        clock,
    )
    database = server_state(app).database
    try:
        with ServerThread(app) as server:
            enroll_all(database, sealed, clock, server.url)
            folder = tmp_path / "kiosk"
            folder.mkdir()
            store = KioskStore.create(
                folder / "kiosk.db", create_key_file(folder / "store.key"), clock
            )
            store.load_package(sealed.package)
            seed = sealed.kiosk_keys["kiosk-01"].private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
            store.set_kiosk_key(KioskId("kiosk-01"), seed)
            store.set_polls_state(PollsState.OPEN)
            kiosk = Kiosk(folder, clock, store=store)
            for voter in (VoterSecrets(0), VoterSecrets(1)):  # cast at the kiosk, queued
                assert isinstance(kiosk.to_scrutins(voter), flow.ScrutinList)
                kiosk.send(flow.ChooseScrutin(ScrutinId("capn")))
                kiosk.send(flow.ArmSelection())
                kiosk.send(flow.Select(ListId("l1")))
                assert isinstance(kiosk.send(flow.CastVote()), flow.Receipt)
                kiosk.send(flow.Quit())
                kiosk.send(flow.Continue())
            assert store.status().outbox.pending == 2

            window = KioskWindow(
                kiosk.session,
                clock,
                BallotNames(sealed.package.manifest),
                admin=admin_console(
                    kiosk,
                    tmp_path / "reports",
                    lambda: server_client(sealed, "kiosk-01", clock, server.url),
                ),
                printer=PdfFolderPrinter(tmp_path / "prints"),
                polls_state=store.polls_state,
                tick_ms=3_600_000,
            )
            window.show_kiosk()
            qtbot.waitExposed(window)
            try:
                yield window, store
            finally:
                close_window(qtbot, window)
                window.deleteLater()
                store.close()
    finally:
        database.close()


def test_sync_now_sends_the_queue_to_a_real_server_with_its_progress(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """ "sync now" sends the queued ballots, the progress bar counts them, the dashboard says
    they are received."""
    with _served_window(qtbot, tmp_path) as (window, _store):
        console = sign_in(qtbot, window, ASSESSEUR, ASSESSEUR_PIN)
        sync = console.show_section(SyncSection)
        assert isinstance(sync, SyncSection)
        shown: list[tuple[int, int]] = []
        sync.progress.valueChanged.connect(
            lambda value: shown.append((value, sync.progress.maximum()))
        )
        qtbot.mouseClick(sync.sync_button, LEFT)
        _idle(qtbot, window)
        assert shown[-1] == (2, 2)  # the bar counted the two ballots sent
        assert sync.status.text() == ""  # no failure to report
        assert sync.result_label.text().startswith("Reçus : 2 (dont 0 déjà reçus)")
        assert "restant à envoyer : 0" in sync.result_label.text()
        dashboard = console.show_section(DashboardSection)
        assert isinstance(dashboard, DashboardSection)
        _idle(qtbot, window)
        assert dashboard.value("synced") == "2"
        assert dashboard.value("queued") == "0"
        assert dashboard.value("online") == "poste en ligne (avec serveur central)"
        _log_out(qtbot, window, console)


@pytest.mark.usefixtures("qapp")
def test_the_dashboards_printer_probe_reads_the_cups_queue(queue: PdfQueue, tmp_path: Path) -> None:
    # The details are the console's (French here), not the core's English.
    ready = QueueProbe(make_printer(queue.name, tmp_path / "fallback"))()
    assert ready == PrinterState(ok=True, detail=f"{queue.name} : prête")
    missing = QueueProbe(make_printer("isoloir-no-such-queue", tmp_path / "fallback"))()
    assert not missing.ok
    assert (
        missing.detail
        == "pas d'imprimante (isoloir-no-such-queue) : les papiers sont écrits en PDF"
    )
    assert FolderProbe(tmp_path)() == PrinterState(ok=True, detail=f"PDF seulement : {tmp_path}")


def test_the_console_follows_the_kiosks_language(
    qtbot: QtBot, admin_window: KioskWindow, english_qm: Path
) -> None:
    console = sign_in(qtbot, admin_window, ASSESSEUR, ASSESSEUR_PIN)
    journal = console.show_section(JournalSection)
    assert isinstance(journal, JournalSection)
    _idle(qtbot, admin_window)
    admin_window.send(flow.SetDisplay(Display(language="en")))  # as the welcome page's button
    qtbot.waitUntil(lambda: console.back_button.text() == "Back to voting", timeout=WAIT_MS)
    header = journal.table.horizontalHeaderItem(0)
    assert header is not None
    assert header.text() == "Time"
    assert journal.reload_button.accessibleName() == "Refresh the journal"
    assert console.navigation.item(0).text() == "Dashboard"
    admin_window.send(flow.SetDisplay(Display(language="fr")))
    qtbot.waitUntil(lambda: console.back_button.text() == "Retour au vote", timeout=WAIT_MS)
    assert header.text() == "Heure"
    _log_out(qtbot, admin_window, console)


def test_the_administrator_examines_a_package_compares_its_fingerprint_and_prints_a_test_page(
    qtbot: QtBot, admin_window: KioskWindow, tmp_path: Path
) -> None:
    package = sealed_election()[0]
    media = tmp_path / "usb"
    package_io.write(package, media / "election")
    console = sign_in(qtbot, admin_window, ADMIN, ADMIN_PIN)
    section = console.show_section(PackageSection)
    assert isinstance(section, PackageSection)

    section.file.edit.setText(str(tmp_path / "nothing-here.zip"))
    qtbot.mouseClick(section.from_file, LEFT)
    _idle(qtbot, admin_window)
    assert section.status.text().startswith("package refused:")  # the core's reason
    assert not section.load_button.isEnabled()

    section.media.edit.setText(str(media))
    qtbot.mouseClick(section.from_media, LEFT)
    _idle(qtbot, admin_window)
    assert section.fingerprint.text() == package.fingerprint  # shown big, to compare
    assert section.load_button.isEnabled()
    qtbot.mouseClick(section.load_button, LEFT)
    assert section.confirm.isVisible()  # nothing loads before the operator confirms
    qtbot.mouseClick(section.confirm.yes, LEFT)
    _idle(qtbot, admin_window)
    assert section.status.text() == "Ce scrutin était déjà chargé."

    printer = console.show_section(PrinterSection)
    assert isinstance(printer, PrinterSection)
    qtbot.mouseClick(printer.test_button, LEFT)
    qtbot.waitUntil(lambda: printer.status.text() == "Imprimé.", timeout=WAIT_MS)
    [page] = list((tmp_path / "prints" / "test").glob("*.pdf"))
    assert page.read_bytes().startswith(b"%PDF")
    _log_out(qtbot, admin_window, console)


# ---- the console's work outlives it, and never waits in the voters' queue ----------------------


def _journal_codes(kiosk: Kiosk) -> list[str]:
    return [line.code for line in journal_lines(kiosk.store)]


def _gate(window: KioskWindow) -> threading.Event:
    """Hold the console's worker until the event is set (what a slow network does)."""
    gate = threading.Event()
    window.admin_worker.run(lambda: gate.wait(WAIT_MS / 1000))
    return gate


def _delete_later_now() -> None:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_a_report_prints_and_is_journaled_even_if_the_console_closes_first(
    qtbot: QtBot, admin_window: KioskWindow, closed_kiosk: Kiosk, tmp_path: Path
) -> None:
    window = admin_window
    console = sign_in(qtbot, window, ASSESSEUR, ASSESSEUR_PIN)
    polls = _polls(qtbot, window, console)
    gate = _gate(window)
    qtbot.mouseClick(polls.open_button, LEFT)
    qtbot.mouseClick(polls.confirm.yes, LEFT)  # open_polls waits behind the gate
    qtbot.mouseClick(console.back_button, LEFT)  # the assesseur leaves at once
    qtbot.waitUntil(lambda: window.console is None, timeout=WAIT_MS)
    _delete_later_now()
    assert not shiboken6.isValid(polls)
    gate.set()
    qtbot.waitUntil(lambda: "report-printed" in _journal_codes(closed_kiosk), timeout=WAIT_MS)
    _idle(qtbot, window)
    [printed] = list((tmp_path / "prints" / "rapport").glob("*.pdf"))
    [saved] = list((tmp_path / "reports").rglob("*.pdf"))
    assert printed.read_bytes() == saved.read_bytes()
    assert closed_kiosk.store.polls_state() is PollsState.OPEN


def test_the_consoles_calls_run_on_a_worker_of_their_own(
    qtbot: QtBot, admin_window: KioskWindow, closed_kiosk: Kiosk
) -> None:
    """A console call stuck on the network (held here) never holds up the voters' worker: the
    welcome page's polls state still comes back."""
    window = admin_window
    assert window.admin_worker is not window.worker
    console = sign_in(qtbot, window, ADMIN, ADMIN_PIN)
    diagnostics = console.show_section(DiagnosticsSection)
    assert isinstance(diagnostics, DiagnosticsSection)
    gate = _gate(window)
    qtbot.mouseClick(diagnostics.run_button, LEFT)
    closed_kiosk.store.set_polls_state(PollsState.OPEN)  # as `isoloir admin polls open` would
    window.refresh_polls()
    qtbot.waitUntil(lambda: window.welcome.polls_notice == "", timeout=WAIT_MS)
    assert window.admin_worker.busy  # the console's call still waits
    gate.set()
    qtbot.waitUntil(lambda: len(diagnostics.rows()) == 6, timeout=WAIT_MS)
    _log_out(qtbot, window, console)


def test_the_journal_is_read_once_and_the_diagnostics_runs_only_on_request(
    qtbot: QtBot, admin_window: KioskWindow, closed_kiosk: Kiosk
) -> None:
    window = admin_window
    console = sign_in(qtbot, window, ADMIN, ADMIN_PIN)
    for row in range(console.navigation.count()):  # through every section
        console.navigation.setCurrentRow(row)
        _idle(qtbot, window)
    assert "diagnostics-run" not in _journal_codes(closed_kiosk)
    journal = console.show_section(JournalSection)
    assert isinstance(journal, JournalSection)
    _idle(qtbot, window)
    shown = len(journal.events())
    _confirm_report(qtbot, window, _polls(qtbot, window, console), "open_button")
    console.show_section(JournalSection)  # shown again: not read again
    _idle(qtbot, window)
    assert len(journal.events()) == shown
    qtbot.mouseClick(journal.reload_button, LEFT)
    _idle(qtbot, window)
    events = journal.events()
    assert len(events) > shown
    assert events.count("report-printed") == 1  # the opening report, printed
    _log_out(qtbot, window, console)


def test_logging_out_during_a_sync_lets_it_finish(qtbot: QtBot, tmp_path: Path) -> None:
    with _served_window(qtbot, tmp_path) as (window, store):
        console = sign_in(qtbot, window, ASSESSEUR, ASSESSEUR_PIN)
        sync = console.show_section(SyncSection)
        assert isinstance(sync, SyncSection)
        gate = _gate(window)
        qtbot.mouseClick(sync.sync_button, LEFT)
        qtbot.mouseClick(console.back_button, LEFT)
        qtbot.waitUntil(lambda: window.console is None, timeout=WAIT_MS)
        _delete_later_now()
        assert not shiboken6.isValid(sync)  # the sync section and its widgets are gone
        gate.set()
        _idle(qtbot, window)
        assert store.status().outbox.pending == 0  # both ballots sent all the same


# ---- the login dialog, inactivity, the operator's own account ------------------------------------


def test_a_pin_typed_as_a_name_is_cleared_and_the_login_dialog_times_out(
    qtbot: QtBot, admin_window: KioskWindow, closed_kiosk: Kiosk
) -> None:
    dialog = admin_window.request_admin()
    assert dialog is not None

    def attempt(name: str, pin: str) -> None:
        dialog.name_field.setText(name)
        dialog.pin_field.setText(pin)
        dialog.submit()
        qtbot.waitUntil(lambda: not dialog.pending, timeout=WAIT_MS)
        assert dialog.notice_text == "Identifiant ou code incorrect."

    attempt(ASSESSEUR_PIN, ASSESSEUR_PIN)  # the PIN in both fields
    assert dialog.name_field.text() == ""
    dialog.name_field.undo()  # gone for good, not only from sight
    assert dialog.name_field.text() == ""
    attempt(ADMIN, "000001")  # a name: kept, for the next try
    assert dialog.name_field.text() == ADMIN

    closed_kiosk.clock.advance(CONSOLE_IDLE - timedelta(seconds=1))
    dialog.tick()
    assert admin_window.login_dialog is dialog
    closed_kiosk.clock.advance(timedelta(seconds=1))
    dialog.tick()  # untouched for CONSOLE_IDLE: it closes, the voters get the window back
    qtbot.waitUntil(lambda: admin_window.login_dialog is None, timeout=WAIT_MS)


def test_a_file_dialog_is_the_consoles_activity_and_work_holds_the_logout(
    qtbot: QtBot, admin_window: KioskWindow, closed_kiosk: Kiosk
) -> None:
    assert FILE_DIALOG_OPTIONS & QFileDialog.Option.ReadOnly
    window, clock = admin_window, closed_kiosk.clock
    console = sign_in(qtbot, window, ADMIN, ADMIN_PIN)
    sync = console.show_section(SyncSection)
    assert isinstance(sync, SyncSection)
    chooser = QDialog(sync.folder)  # a window of the console's, as "Parcourir…" opens
    chooser.show()
    qtbot.waitExposed(chooser)
    clock.advance(CONSOLE_IDLE - timedelta(seconds=1))
    qtbot.keyClick(chooser, Qt.Key.Key_Down)  # the operator browses folders there
    clock.advance(timedelta(seconds=2))
    console.tick()
    assert window.console is console
    chooser.close()

    gate = _gate(window)  # work of the console's: the time does not count
    clock.advance(CONSOLE_IDLE * 2)
    console.tick()
    assert window.console is console
    gate.set()
    _idle(qtbot, window)
    clock.advance(CONSOLE_IDLE)
    console.tick()
    qtbot.waitUntil(lambda: window.console is None, timeout=WAIT_MS)


def test_an_administrator_who_removes_their_own_account_is_logged_out(
    qtbot: QtBot, admin_window: KioskWindow
) -> None:
    window = admin_window
    console = sign_in(qtbot, window, ADMIN, ADMIN_PIN)
    operators = console.show_section(OperatorsSection)
    assert isinstance(operators, OperatorsSection)
    operators.name.setText("admin2")
    operators.role.setCurrentIndex(operators.role.findData(Role.ADMINISTRATOR))
    operators.pin.setText("24681357")
    qtbot.mouseClick(operators.add_button, LEFT)
    _idle(qtbot, window)
    _log_out(qtbot, window, console)

    console = sign_in(qtbot, window, "admin2", "24681357")
    operators = console.show_section(OperatorsSection)
    assert isinstance(operators, OperatorsSection)
    _idle(qtbot, window)
    operators.select("admin2")
    qtbot.mouseClick(operators.remove_button, LEFT)
    qtbot.mouseClick(operators.confirm.yes, LEFT)
    qtbot.waitUntil(lambda: window.console is None, timeout=WAIT_MS)  # no rights: no console


# ---- a new package: the window starts again on it; "Quitter le poste": status 64 ---------------


def test_loading_a_package_reopens_the_window_on_it_and_quitting_exits_64(
    qtbot: QtBot, tmp_path: Path, sealed: SealedElection
) -> None:
    """``python -m ui``'s main, in this process: the administrator loads another package from
    the console; the window closes and main opens a new one on it; "Quitter le poste" then ends
    main with QUIT_EXIT_STATUS."""
    store_args = main_store(tmp_path, sealed, None)
    other = package_io.resign(
        sealed.package,
        replace(sealed.package.manifest, title="Élections de remplacement"),
        sealed.organizer_key,
    )
    package_io.write(other, tmp_path / "other")
    windows: list[KioskWindow] = []
    steps: list[str] = []

    def drive() -> None:
        """One step of the administrator's, each time the timer fires."""
        top = [w for w in QApplication.topLevelWidgets() if isinstance(w, KioskWindow)]
        window = next((w for w in top if w.isVisible()), None)
        if window is None or window.busy:
            return
        if window not in windows:
            windows.append(window)
        console = window.console
        if console is None:
            dialog = window.login_dialog or window.request_admin()
            if dialog is not None and not dialog.pending:
                dialog.name_field.setText("admin")
                dialog.pin_field.setText("975310")
                dialog.submit()
            return
        if len(windows) == 2:
            steps.append("quit")
            console.quit_button.click()
            console.quit_confirm.yes.click()
            return
        section = console.show_section(PackageSection)
        assert isinstance(section, PackageSection)
        if not section.fingerprint.text():
            if "preview" not in steps:
                steps.append("preview")
                section.file.edit.setText(str(tmp_path / "other"))
                section.from_file.click()
            return
        if "load" not in steps:
            steps.append("load")
            section.load_button.click()
            section.confirm.yes.click()

    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(drive)
    timer.start()
    try:
        status = main([*store_args, "--pdf-only", "--print-dir", str(tmp_path / "prints")])
    finally:
        timer.stop()
    assert status == QUIT_EXIT_STATUS == 64
    assert steps == ["preview", "load", "quit"]
    assert len(windows) == 2  # the second built on the new package
    assert windows[0].exit_reason is WindowExit.RELOAD
    assert windows[1].exit_reason is WindowExit.QUIT
    with KioskStore.open(
        tmp_path / "kiosk.db", StoreKey.from_key_file(tmp_path / "k"), ManualClock()
    ) as store:
        stored = store.stored_package()
        assert stored is not None
        assert stored.fingerprint == other.fingerprint
