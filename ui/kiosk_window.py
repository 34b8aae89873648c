"""The kiosk window: shows the core's state, one page per state class, and sends the voter's
intents back as events (docs/voter-flow.md).

Qt decides nothing here: a page's signal becomes a ``flow`` event, the worker hands it to the
session off the GUI thread, and the ``SessionStep`` that comes back is rendered. The timer only
sends ``Tick``. Full screen; it closes only from the admin console ("Quitter le poste").

The admin console (ui/admin/, docs/admin-console.md): Ctrl+Alt+A, or a request to close the
window, opens the operator's login dialog — from the welcome page only, so that nothing of a
voter's session is ever behind it; an operator signed in gets the console over the window. While
the welcome page shows, the window asks the core for the polls state (at most every
``POLLS_INTERVAL`` of the injected clock, and when the console closes): the welcome page says
when the polls are not open and offers no "Commencer" (the core refuses the login anyway).

Besides the pages' intents, the window reports to the core what only it sees: any touch, key or
wheel on its widgets (``Activity``, at most one per ``activity_interval`` by the injected clock:
reading a document is no page intent, yet the voter is there), papers that did not print
(``PapersNotPrinted``: printing runs on a worker of its own, never ahead of the voter's events and
the ticks), and a core call that raised (``CoreFailure``: the core ends the session and the page
says to ask an assesseur; the log says the kind of error only).

An online kiosk also sends its outbox in the background (``background_sync``: the core's
``OutboxSync``, whose backoff decides when to try): on a worker of its own and its own timer, so
that a slow server never holds up the voter's events. The console's calls (login included) run
on a worker of their own too (``admin_worker``): a sync or a diagnostics waiting on the network
never delays a voter, nor the welcome page's polls state.

The window closes only from the console, and says why (``exit_reason``, a ``WindowExit``):
"Quitter le poste" (``QUIT``), or a new package loaded (``RELOAD``: the voting session, the
lists' names and assets were built for the old one, so ``python -m ui`` builds them all again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol, assert_never

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QLocale,
    QObject,
    Qt,
    QTimer,
    QTranslator,
    Signal,
)
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QGridLayout, QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from kiosk.clock import Clock
from kiosk.config import Language
from kiosk.election.model import ListId, ScrutinId
from kiosk.store import PollsState
from kiosk.voting import flow
from kiosk.voting.flow import Output, State
from kiosk.voting.model import Channel, Display, DocumentKind, PaperSet, ReassortMode
from kiosk.voting.session import SessionStep
from ui.admin import CONSOLE_IDLE
from ui.admin.login import AdminLogin, LoginDialog
from ui.ballot_names import BallotNames
from ui.display import style_sheet
from ui.display_bar import DisplayBar
from ui.pages.base import Page
from ui.pages.confirm import ChallengePage, ConfirmPage
from ui.pages.credentials import CredentialsPage
from ui.pages.gallery import GalleryPage, ListAssets
from ui.pages.inactivity import InactivityOverlay
from ui.pages.messages import FinishedPage, LockedPage, RefusedPage
from ui.pages.reassort import (
    AssesseurAuthPage,
    NewCodePage,
    ReassortChoicePage,
    ReassortQuestionPage,
    ReassortTokenPage,
    RegenerateWarningPage,
)
from ui.pages.receipt import ReceiptPage
from ui.pages.scrutin_list import ScrutinListPage
from ui.pages.vote_code import VoteCodePage
from ui.pages.welcome import WelcomePage
from ui.printing import PaperPrinter, Printer, PrintOutcome
from ui.worker import CoreWorker

if TYPE_CHECKING:
    from kiosk.admin.console import AdminSession
    from ui.admin.console import ConsoleDialog
    from ui.admin.sections import ConsoleWork

_LOGGER: Final = logging.getLogger("ui.kiosk")
TRANSLATIONS: Final = Path(__file__).parent / "i18n"
TICK_MS: Final = 1000
SYNC_MS: Final = 15_000
ACTIVITY_INTERVAL: Final = timedelta(seconds=5)
"""At most one ``Activity`` this often: the warning may come this much early, never late."""
POLLS_INTERVAL: Final = timedelta(seconds=5)
"""While the welcome page shows, the polls state is read again this often (the command line may
change it)."""
ADMIN_SHORTCUT: Final = "Ctrl+Alt+A"

_ACTIVITY_EVENTS: Final = frozenset(
    {
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.KeyPress,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
    }
)


class WindowExit(Enum):
    """Why the window closed (``python -m ui`` maps it to what happens next)."""

    QUIT = "quit"  # "Quitter le poste": the program ends
    RELOAD = "reload"  # a new package was loaded: everything is built again on it


class KioskSession(Protocol):
    """What the window needs of ``kiosk.voting.session.VotingSession``."""

    @property
    def state(self) -> State: ...

    @property
    def rules(self) -> flow.FlowRules: ...

    def handle(self, event: flow.UserEvent | flow.ShellEvent | flow.Tick) -> SessionStep: ...

    def tick(self) -> SessionStep: ...


class BackgroundSync(Protocol):
    """What the window needs of ``kiosk.sync.outbox.OutboxSync``: send what is due."""

    def run_due(self, now: datetime) -> object: ...


class _ActivityWatch(QObject):
    """An application event filter: a touch, key or wheel on one of ``window``'s widgets calls
    ``report``, at most once per ``interval`` of ``clock`` (never a wall-clock timer)."""

    def __init__(
        self, window: QWidget, clock: Clock, interval: timedelta, report: Callable[[], None]
    ) -> None:
        super().__init__(window)
        self._window = window
        self._clock = clock
        self._interval = interval
        self._report = report
        self._reported_at: datetime | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() in _ACTIVITY_EVENTS
            and isinstance(watched, QWidget)
            and (watched is self._window or self._window.isAncestorOf(watched))
        ):
            now = self._clock.now()
            if self._reported_at is None or now - self._reported_at >= self._interval:
                self._reported_at = now
                self._report()
        return False  # only watched: the widget gets its event as ever


class KioskWindow(QMainWindow):
    """See the module docstring. ``render_state(state)`` is the one place a state becomes a page."""

    coreFailed = Signal(object)  # a core call raised: a broken invariant or a store failure

    def __init__(
        self,
        session: KioskSession,
        clock: Clock,
        names: BallotNames,
        *,
        admin: AdminLogin,
        printer: PaperPrinter | None = None,
        polls_state: Callable[[], PollsState] | None = None,
        console_idle: timedelta = CONSOLE_IDLE,
        assets: ListAssets | None = None,
        worker: CoreWorker | None = None,
        print_worker: CoreWorker | None = None,
        background_sync: BackgroundSync | None = None,
        sync_worker: CoreWorker | None = None,
        admin_worker: CoreWorker | None = None,
        sync_ms: int = SYNC_MS,
        tick_ms: int = TICK_MS,
        activity_interval: timedelta = ACTIVITY_INTERVAL,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._clock = clock
        self._admin = admin
        self._printer = printer
        self._polls_state = polls_state
        self._polls_checked_at: datetime | None = None
        self._polls_pending = False
        self._console_idle = console_idle
        self._tick_ms = tick_ms
        self._worker = worker if worker is not None else CoreWorker(self)
        # Printing waits on CUPS: never in the queue of the voter's events and the ticks.
        self._print_worker = print_worker if print_worker is not None else CoreWorker(self)
        # Uploads wait on the server: never in the queue of the voter's events either.
        self._background_sync = background_sync
        self._sync_worker = sync_worker if sync_worker is not None else CoreWorker(self)
        self._sync_pending = False
        # The console's calls wait on the network too (sync, diagnostics): not the voters' queue.
        self._admin_worker = admin_worker if admin_worker is not None else CoreWorker(self)
        self._console_work: ConsoleWork | None = None  # outlives each console: reports print on
        self._may_close = False
        self.exit_reason: WindowExit | None = None
        self._login_dialog: LoginDialog | None = None
        self._console: ConsoleDialog | None = None
        self._tick_pending = False
        self._state: State = session.state
        self._shown_page: Page | None = None
        self._display: Display | None = None
        self._translator: QTranslator | None = None
        self._retitle()

        self.welcome = WelcomePage()
        self.credentials = CredentialsPage()
        self.vote_code = VoteCodePage(captcha=session.rules.captcha)
        self.reassort_choice = ReassortChoicePage()
        self.assesseur = AssesseurAuthPage()
        self.reassort_question = ReassortQuestionPage()
        self.reassort_token = ReassortTokenPage()
        self.regenerate = RegenerateWarningPage()
        self.new_code = NewCodePage()
        self.scrutins = ScrutinListPage()
        self.gallery = GalleryPage(names, assets, self._worker)
        self.confirm = ConfirmPage(names)
        self.challenge = ChallengePage()
        self.receipt = ReceiptPage(names)
        self.refused = RefusedPage()
        self.locked = LockedPage()
        self.finished = FinishedPage()
        self.inactivity = InactivityOverlay()
        self.display_bar = DisplayBar()

        self.stack = QStackedWidget()
        self.pages: tuple[Page, ...] = (
            self.welcome,
            self.credentials,
            self.vote_code,
            self.reassort_choice,
            self.assesseur,
            self.reassort_question,
            self.reassort_token,
            self.regenerate,
            self.new_code,
            self.scrutins,
            self.gallery,
            self.confirm,
            self.challenge,
            self.receipt,
            self.refused,
            self.locked,
            self.finished,
        )
        for page in self.pages:
            self.stack.addWidget(page)
        central = QWidget(self)
        layers = QGridLayout(central)  # the overlay shares the bar's and stack's cell, above them
        layers.setContentsMargins(0, 0, 0, 0)
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.display_bar)
        column.addWidget(self.stack, 1)
        layers.addLayout(column, 0, 0)
        layers.addWidget(self.inactivity, 0, 0)
        self.inactivity.hide()
        self.setCentralWidget(central)
        self._connect_intents()

        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self._sync_timer = QTimer(self)
        self._sync_timer.setInterval(sync_ms)
        self._sync_timer.timeout.connect(self.sync_outbox)
        if background_sync is not None:
            self._sync_timer.start()
        self._activity = _ActivityWatch(
            self, clock, activity_interval, lambda: self.send(flow.Activity())
        )
        app = QCoreApplication.instance()
        if app is not None:
            app.installEventFilter(self._activity)  # until shutdown (or deletion)
        self._admin_shortcut = QShortcut(QKeySequence(ADMIN_SHORTCUT), self)
        self._admin_shortcut.activated.connect(self.request_admin)
        self.render_state(self._state)
        self.refresh_polls()

    # ---- what the rest of the program sees --------------------------------------------------

    @property
    def state(self) -> State:
        """The state on screen."""
        return self._state

    @property
    def worker(self) -> CoreWorker:
        """The core's worker: the voter's events, the ticks."""
        return self._worker

    @property
    def print_worker(self) -> CoreWorker:
        return self._print_worker

    @property
    def sync_worker(self) -> CoreWorker:
        return self._sync_worker

    @property
    def admin_worker(self) -> CoreWorker:
        """The console's worker: the operator's login and the console's core calls."""
        return self._admin_worker

    @property
    def busy(self) -> bool:
        """True while a core call, a print job, an upload or a console call has not reported."""
        return (
            self._worker.busy
            or self._print_worker.busy
            or self._sync_worker.busy
            or self._admin_worker.busy
        )

    @property
    def current_page(self) -> QWidget | None:
        return self.stack.currentWidget()

    def show_kiosk(self) -> None:
        """Full screen on the primary screen (geometry first: without a window manager, full
        screen alone leaves the window at its default size)."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is not None:
            self.setGeometry(screen.geometry())
        self.showFullScreen()

    def render_state(self, state: State) -> None:
        """Show ``state``: the one exhaustive map from a state to its page."""
        self._state = state
        now = self._clock.now()
        self._apply_display(state.display)
        shown = state.interrupted if isinstance(state, flow.InactivityWarning) else state
        self.display_bar.setVisible(not isinstance(shown, flow.Welcome))  # it has its own
        match state:
            case flow.InactivityWarning():
                self._render_page(state.interrupted, now)
                self.inactivity.show_state(state, now)
                if self.inactivity.isHidden():  # entering: not at every tick of the countdown
                    self.inactivity.show()
                    self.inactivity.raise_()
                    self.inactivity.setFocus()
            case _:
                self.inactivity.hide()
                self._render_page(state, now)

    def _render_page(
        self, state: flow.Welcome | flow.NewCodeShown | flow.Finished | flow.Active, now: datetime
    ) -> None:
        match state:
            case flow.Welcome():
                self._enter(self.welcome)
                self.welcome.show_state(state)
            case flow.Credentials():
                self._enter(self.credentials)
                self.credentials.show_state(state, now)
            case flow.VoteCode():
                self._enter(self.vote_code)
                self.vote_code.show_state(state, now)
            case flow.ReassortChoice():
                self._enter(self.reassort_choice)
                self.reassort_choice.show_state(state)
            case flow.AssesseurAuth():
                self._enter(self.assesseur)
                self.assesseur.show_state(state, now)
            case flow.ReassortQuestion():
                self._enter(self.reassort_question)
                self.reassort_question.show_state(state, now)
            case flow.ReassortTokenSent():
                self._enter(self.reassort_token)
                self.reassort_token.show_state(state, now)
            case flow.RegenerateWarning():
                self._enter(self.regenerate)
                self.regenerate.show_state(state)
            case flow.NewCodeShown():
                self._enter(self.new_code)
                self.new_code.show_state(state, now)
            case flow.ScrutinList():
                self._enter(self.scrutins)
                self.scrutins.show_state(state, now)
            case flow.Gallery():
                self._enter(self.gallery)
                self.gallery.show_state(state)
            case flow.Confirm():
                self._enter(self.confirm)
                self.confirm.show_state(state)
            case flow.ChallengeShown():
                self._enter(self.challenge)
                self.challenge.show_state(state)
            case flow.Receipt():
                self._enter(self.receipt)
                self.receipt.show_state(state)
            case flow.Refused():
                self._enter(self.refused)
                self.refused.show_state(state)
            case flow.Locked():
                self._enter(self.locked)
                self.locked.show_state(state)
            case flow.Finished():
                self._enter(self.finished)
                self.finished.show_state(state)
            case _:
                assert_never(state)

    def _enter(self, page: Page) -> None:
        """A page entered starts empty; the page left forgets what was typed or shown on it."""
        if page is self._shown_page:
            return
        if self._shown_page is not None:
            self._shown_page.clear()
        page.clear()
        self._shown_page = page
        self.stack.setCurrentWidget(page)

    # ---- intents -> events ------------------------------------------------------------------

    def send(self, event: flow.UserEvent) -> None:
        """Hand a voter's event to the session off the GUI thread; render what comes back."""
        self._worker.run(
            lambda: self._session.handle(event), on_success=self._apply, on_failure=self._failed
        )

    def _report(self, event: flow.ShellEvent) -> None:
        """Tell the session what the shell saw (a print, a failure); render what comes back."""
        on_failure = self._incident_failed if isinstance(event, flow.CoreFailure) else self._failed
        self._worker.run(
            lambda: self._session.handle(event), on_success=self._apply, on_failure=on_failure
        )

    def _connect_intents(self) -> None:
        send = self.send
        self.welcome.startRequested.connect(lambda: send(flow.Start()))
        self.welcome.displayRequested.connect(lambda d: send(flow.SetDisplay(d)))
        self.display_bar.displayRequested.connect(lambda d: send(flow.SetDisplay(d)))
        self.credentials.submitted.connect(
            lambda identifier, password: send(flow.SubmitCredentials(identifier, password))
        )
        self.credentials.backRequested.connect(lambda: send(flow.Back()))
        self.vote_code.submitted.connect(
            lambda code, answer: send(flow.SubmitVoteCode(code, answer))
        )
        self.vote_code.refreshRequested.connect(lambda: send(flow.RefreshCaptcha()))
        self.vote_code.reassortRequested.connect(lambda: send(flow.RequestReassort()))
        self.vote_code.backRequested.connect(lambda: send(flow.Back()))
        self.reassort_choice.chosen.connect(lambda mode: send(flow.ChooseReassort(_mode(mode))))
        self.reassort_choice.backRequested.connect(lambda: send(flow.Back()))
        self.assesseur.submitted.connect(lambda credential: send(flow.SubmitAssesseur(credential)))
        self.assesseur.backRequested.connect(lambda: send(flow.Back()))
        self.reassort_question.submitted.connect(
            lambda answer, numen, channel: send(
                flow.SubmitReassortAnswers(answer, numen, _channel(channel))
            )
        )
        self.reassort_question.backRequested.connect(lambda: send(flow.Back()))
        self.reassort_token.submitted.connect(lambda text: send(flow.SubmitToken(text)))
        self.reassort_token.backRequested.connect(lambda: send(flow.Back()))
        self.regenerate.regenerateRequested.connect(lambda: send(flow.Regenerate()))
        self.regenerate.backRequested.connect(lambda: send(flow.Back()))
        self.new_code.continueRequested.connect(lambda: send(flow.Continue()))
        self.scrutins.chosen.connect(lambda sid: send(flow.ChooseScrutin(ScrutinId(sid))))
        self.scrutins.quitRequested.connect(lambda: send(flow.Quit()))
        self.gallery.armRequested.connect(lambda: send(flow.ArmSelection()))
        self.gallery.optionChosen.connect(lambda option: send(flow.Select(ListId(option))))
        self.gallery.documentRequested.connect(
            lambda option, kind: send(flow.OpenDocument(ListId(option), _kind(kind)))
        )
        self.gallery.documentClosed.connect(lambda: send(flow.CloseDocument()))
        self.gallery.backRequested.connect(lambda: send(flow.Back()))
        self.confirm.castRequested.connect(lambda: send(flow.CastVote()))
        self.confirm.backRequested.connect(lambda: send(flow.Back()))
        self.confirm.challengeRequested.connect(lambda: send(flow.ChallengeVote()))
        self.challenge.continueRequested.connect(lambda: send(flow.Continue()))
        self.receipt.printRequested.connect(lambda: send(flow.PrintAgain()))
        self.receipt.continueRequested.connect(lambda: send(flow.Continue()))
        self.receipt.quitRequested.connect(lambda: send(flow.Quit()))
        for page in (self.refused, self.locked, self.finished):
            page.continueRequested.connect(lambda: send(flow.Continue()))
        self.inactivity.stillHere.connect(lambda: send(flow.StillHere()))

    def _tick(self) -> None:
        if self._tick_pending:  # a slow core call: never pile ticks up behind it
            return
        self._tick_pending = True
        self._worker.run(self._session.tick, on_success=self._ticked, on_failure=self._tick_failed)

    def sync_outbox(self) -> None:
        """Send the outbox if its backoff says so (the sync timer's slot), one run at a time."""
        sync = self._background_sync
        if sync is None or self._sync_pending:
            return
        self._sync_pending = True
        self._sync_worker.run(
            lambda: sync.run_due(self._clock.now()),
            on_success=lambda _report: self._synced(),
            on_failure=self._sync_failed,
        )

    def _synced(self) -> None:
        self._sync_pending = False

    def _sync_failed(self, error: BaseException) -> None:
        # A broken invariant in the outbox: the voters are not concerned; an assesseur is, by
        # the log. The backoff (or the next timer) tries again. Privacy: the kind only.
        self._sync_pending = False
        _LOGGER.error("outbox sync failed: %s", type(error).__name__)

    def _ticked(self, step: SessionStep) -> None:
        self._tick_pending = False
        self._apply(step)
        checked = self._polls_checked_at
        if isinstance(self._state, flow.Welcome) and (
            checked is None or self._clock.now() - checked >= POLLS_INTERVAL
        ):
            self.refresh_polls()

    def refresh_polls(self) -> None:
        """Ask the core for the polls state; the welcome page shows it."""
        polls_state = self._polls_state
        if polls_state is None or self._polls_pending:
            return
        self._polls_pending = True
        self._polls_checked_at = self._clock.now()

        def read(state: PollsState) -> None:
            self._polls_pending = False
            self.welcome.show_polls(state)

        def failed(error: BaseException) -> None:
            self._polls_pending = False
            _LOGGER.error("reading the polls state failed: %s", type(error).__name__)

        self._worker.run(polls_state, on_success=read, on_failure=failed)

    # ---- what comes back --------------------------------------------------------------------

    def _apply(self, step: SessionStep) -> None:
        for output in step.outputs:
            self._output(output)
        self.render_state(step.state)

    def _output(self, output: Output) -> None:
        match output:
            case flow.ResetSession():
                for page in self.pages:
                    page.clear()
                self._shown_page = None
            case flow.PrintReceipt():
                self._print(
                    lambda printer, language: printer.print_receipt(output, language),
                    flow.PapersNotPrinted(output.receipt.scrutin_id, PaperSet.RECEIPT),
                )
            case flow.PrintChallengeSlip():
                self._print(
                    lambda printer, language: printer.print_challenge_slip(output, language),
                    flow.PapersNotPrinted(output.slip.scrutin_id, PaperSet.CHALLENGE_SLIP),
                )
            case _:
                assert_never(output)

    def _print(
        self,
        job: Callable[[Printer, Language], PrintOutcome],
        not_printed: flow.PapersNotPrinted,
    ) -> None:
        printer = self._printer
        if printer is None:
            _LOGGER.warning("no printer configured: nothing printed")
            self._report(not_printed)
            return
        language = self._state.display.language

        def printed(outcome: PrintOutcome) -> None:
            if outcome is not PrintOutcome.PRINTED:
                self._report(not_printed)

        def failed(error: BaseException) -> None:
            # A broken invariant in rendering: the vote is recorded all the same, so the voter
            # keeps the receipt page (and its tracking code), told to ask an assesseur.
            # Privacy: the kind of failure only; a message could name a file or a voter.
            _LOGGER.error("printing failed: %s", type(error).__name__)
            self._report(not_printed)

        self._print_worker.run(
            lambda: job(printer, language), on_success=printed, on_failure=failed
        )

    def _tick_failed(self, error: BaseException) -> None:
        self._tick_pending = False
        self._failed(error)

    def _failed(self, error: BaseException) -> None:
        # Privacy: the kind of failure only; a message could name a voter or hold a secret.
        _LOGGER.error("core call failed: %s", type(error).__name__)
        self.coreFailed.emit(error)
        self._report(flow.CoreFailure())

    def _incident_failed(self, error: BaseException) -> None:
        # Ending the session failed too: say so once, never loop on it.
        _LOGGER.critical("core call failed while ending the session: %s", type(error).__name__)
        self.coreFailed.emit(error)

    def _apply_display(self, display: Display) -> None:
        if display == self._display:
            return
        if self._display is None or display.language != self._display.language:
            self._load_language(display.language)
        self._display = display
        self.display_bar.show_display(display)
        self.setStyleSheet(style_sheet(display))

    def _load_language(self, language: Language) -> None:
        app = QCoreApplication.instance()
        if app is None:
            return
        self._remove_translator()
        translator = QTranslator(self)
        # French is the source language; its .qm holds only the plural forms ("%n seconde(s)").
        # `make translations` builds ui/i18n/isoloir_LANG.qm from resources/i18n/ (see
        # docs/translations.md).
        if translator.load(QLocale(language), "isoloir", "_", str(TRANSLATIONS)):
            QCoreApplication.installTranslator(translator)
            self._translator = translator
        else:
            _LOGGER.warning(
                "no %s translation in %s: run make translations", language, TRANSLATIONS
            )
            translator.deleteLater()

    def _remove_translator(self) -> None:
        if self._translator is not None:
            QCoreApplication.removeTranslator(self._translator)
            self._translator = None

    def _retitle(self) -> None:
        self.setWindowTitle(self.tr("Isoloir — vote électronique"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retitle()
        super().changeEvent(event)

    # ---- closing ----------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._may_close:
            event.ignore()
            self.request_admin()
            return
        self.shutdown()
        self._remove_translator()  # the translator is application-wide: leave French behind
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop ticking, drop the core calls not started, and print the papers still queued."""
        self._timer.stop()
        self._sync_timer.stop()
        app = QCoreApplication.instance()
        if app is not None:
            app.removeEventFilter(self._activity)
        self._worker.shutdown()
        self._sync_worker.shutdown()
        self._admin_worker.shutdown()
        self._print_worker.shutdown(finish_queued=True)

    # ---- the admin console ------------------------------------------------------------------

    def request_admin(self) -> LoginDialog | None:
        """Open the operator's login dialog (or bring back the open one); None, refused, while
        a voter's session is under way or the console is open already."""
        if self._console is not None:
            return None
        if self._login_dialog is not None:
            self._login_dialog.raise_()
            return self._login_dialog
        if not isinstance(self._state, flow.Welcome):
            _LOGGER.info("admin console refused: a voter's session is under way")
            return None
        dialog = LoginDialog(
            self._admin,
            self._admin_worker,
            self._clock,
            idle=self._console_idle,
            tick_ms=self._tick_ms,
            parent=self,
        )
        dialog.loggedIn.connect(self._open_console)
        dialog.finished.connect(lambda _result: self._forget_login_dialog())
        self._login_dialog = dialog
        dialog.open()
        return dialog

    @property
    def login_dialog(self) -> LoginDialog | None:
        return self._login_dialog

    @property
    def console(self) -> ConsoleDialog | None:
        return self._console

    def _forget_login_dialog(self) -> None:
        if self._login_dialog is not None:
            self._login_dialog.deleteLater()
            self._login_dialog = None

    def _open_console(self, session: AdminSession) -> None:
        if not isinstance(self._state, flow.Welcome):
            # A voter's event answered while the operator typed: the voter comes first.
            _LOGGER.info("admin console refused: a voter's session started meanwhile")
            return
        from ui.admin.console import ConsoleDialog  # with the core's admin modules: when needed
        from ui.admin.sections import ConsoleWork, Tasks

        if self._console_work is None:
            self._console_work = ConsoleWork(
                self._admin_worker, self._print_worker, self._printer, self
            )
        tasks = Tasks(self._console_work)
        console = ConsoleDialog(
            session,
            tasks,
            self._clock,
            idle=self._console_idle,
            tick_ms=self._tick_ms,
            parent=self,
        )
        tasks.setParent(console)
        console.loggedOut.connect(self._console_closed)
        console.quitRequested.connect(lambda: self._admin_closes(WindowExit.QUIT))
        console.restartRequested.connect(lambda: self._admin_closes(WindowExit.RELOAD))
        self._console = console
        # Geometry first: without a window manager, full screen alone keeps the default size.
        console.setGeometry(self.geometry())
        if self.isFullScreen():
            console.setWindowState(Qt.WindowState.WindowFullScreen)
        console.open()

    def _console_closed(self) -> None:
        console, self._console = self._console, None
        if console is not None:
            console.deleteLater()
        self.refresh_polls()  # the operator may have opened, paused or closed them

    def _admin_closes(self, reason: WindowExit) -> None:
        self._may_close = True
        self.exit_reason = reason
        console, self._console = self._console, None
        if console is not None:
            console.loggedOut.disconnect(self._console_closed)
            console.reject()
            console.deleteLater()
        self.close()


def _mode(value: object) -> ReassortMode:
    assert isinstance(value, ReassortMode)
    return value


def _channel(value: object) -> Channel | None:
    assert value is None or isinstance(value, Channel)
    return value


def _kind(value: object) -> DocumentKind:
    assert isinstance(value, DocumentKind)
    return value
