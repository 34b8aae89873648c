"""The kiosk tour: one demo voter through every page of the real kiosk window, a PNG of each.

    python -m ui.tour --store DIR/kiosk.db --key-file DIR/kiosk-store.key --out FOLDER \\
        [--languages fr,en] [--high-contrast-once]

on a folder made by ``isoloir demo setup DIR`` (the voters' secrets are read from
``DIR/secrets/demo-credentials.csv``, réassort messages go to ``DIR/mailbox``, papers to
``DIR/prints``; each has its option). ``isoloir demo kiosk`` runs it when there is no display,
and ``make screenshots`` on a fresh setup.

A tool, not the kiosk: it builds the session and the window as ``python -m ui`` does, with three
differences of its own, each stated here:

- a ``ManualClock`` it moves itself, so inactivity, the lockout's delays and the end of the
  voting window come at once instead of in minutes or days;
- the demo's operator accounts, ``admin`` (PIN 000000) and ``assesseur`` (111111), created in
  the store if it lacks them: the assesseur signs in to the admin console first (login,
  dashboard, the polls with their opening report — opening them if they are not, else reprinting
  the last opening report —, the journal, the diagnostics), and the tour closes the window as an
  administrator does, from the console;
- a seeded CAPTCHA source, so that it reads the image's digits the way a voter reads the image:
  ``captcha_text`` on a copy of the source taken just before the image was drawn (each image
  draws its text first, kiosk/voting/captcha.py). No test hook, no switched-off CAPTCHA.

It drives the voter's pages only by the intents a voter's clicks send
(``window.send(flow.X(...))``), reads only what the screen shows (the new vote code) or what the
voter receives (the réassort e-mail in the mailbox), and never sleeps: it runs the event loop until
the worker is idle and the expected state shows, within a bound. It casts real ballots, with a demo
voter the guides do not name (not electeur-0001 or -0002) who has not voted yet: two ballots, one
per scrutin, plus one challenged ballot (never cast). The page files are ``NN-page-LANG.png`` and,
with ``--high-contrast-once``, ``NN-page-LANG-high-contrast.png`` in the first language.

The clock: the tour starts at the real time and moves about an hour ahead (the lockout's delays)
before its last step, the end of the voting window, which writes nothing to the store.
"""

from __future__ import annotations

import argparse
import csv
import email
import email.policy
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final, TypeVar, get_args

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

from kiosk.admin.console import AdminConsole
from kiosk.admin.operators import Operators
from kiosk.admin.roles import Role
from kiosk.clock import Clock, ManualClock, SystemClock
from kiosk.config import KioskConfig, Language
from kiosk.election.model import ListId, ScrutinId, VoterId
from kiosk.store import KioskStore, PollsState, StoreError, StoreKey
from kiosk.voting import flow
from kiosk.voting.assets import PackageAssets
from kiosk.voting.captcha import captcha_text
from kiosk.voting.model import Channel, Display, DocumentKind, ReassortMode
from kiosk.voting.reassort import TOKEN_QR_PREFIX, FileMailbox
from kiosk.voting.session import KioskElection, VotingSession
from ui.admin.console import ConsoleDialog
from ui.admin.login import LoginDialog
from ui.admin.sections import DashboardSection, DiagnosticsSection, JournalSection, PollsSection
from ui.ballot_names import BallotNames
from ui.kiosk_window import TRANSLATIONS, KioskWindow
from ui.printing import FolderProbe, PdfFolderPrinter

PAGES: Final = (
    "admin-login",
    "admin-dashboard",
    "admin-polls",
    "admin-journal",
    "admin-diagnostics",
    "welcome",
    "credentials",
    "vote-code",
    "reassort-choice",
    "assesseur",
    "reassort-question",
    "reassort-token",
    "regenerate-warning",
    "new-code",
    "scrutins",
    "inactivity",
    "gallery",
    "gallery-document",
    "confirm",
    "challenge",
    "receipt",
    "finished",
    "locked",
    "refused",
)
"""Every page the tour saves, in the order it reaches them (the files' NN)."""

GUIDE_VOTERS: Final = frozenset({"electeur-0001", "electeur-0002"})  # README names them for people
UNKNOWN_IDENTIFIER: Final = "visiteur.inconnu@ac-demo.fr"  # on no roll: locked on purpose
TOUR_TICK_MS: Final = 20  # ticks only matter when the tour moves the clock
WAIT_SECONDS: Final = 60.0  # the bound of any one wait (a core call, a tick, a window showing)
_POLL_MS: Final = 5
_MAX_LOGIN_ATTEMPTS: Final = 20  # the default lockout locks at the 10th


_S = TypeVar("_S", bound=flow.State)


class TourError(RuntimeError):
    """The kiosk did not show what the tour expected; the message names states, never secrets."""


@dataclass(frozen=True)
class DemoVoter:
    """One row of demo-credentials.csv: what this voter types."""

    voter_id: VoterId
    identifier: str = field(repr=False)
    password: str = field(repr=False)
    secret_answer: str = field(repr=False)
    numen: str = field(repr=False)
    invalidated: bool  # the demo starts this voter without a vote code: réassort first


def read_demo_voters(path: Path) -> tuple[DemoVoter, ...]:
    """The demo voters of ``path`` (the demo's credentials CSV), in roll order."""
    try:
        with path.open(encoding="utf-8", newline="") as source:
            rows = list(csv.DictReader(source))
    except OSError as exc:
        raise TourError(f"{path}: cannot read the demo credentials ({exc.strerror})") from None
    try:
        return tuple(
            DemoVoter(
                voter_id=VoterId(row["voter_id"]),
                identifier=row["identifier"],
                password=row["password"],
                secret_answer=row["secret_answer"],
                numen=row["numen"],
                invalidated=row["vote_code_state"] == "invalidated",
            )
            for row in rows
        )
    except KeyError as exc:
        raise TourError(f"{path}: no column {exc.args[0]!r}: not a demo credentials file") from None


def shot_name(page: str, display: Display) -> str:
    """``NN-page-LANG.png``, with ``-high-contrast`` before the extension in high contrast."""
    contrast = "-high-contrast" if display.high_contrast else ""
    return f"{PAGES.index(page) + 1:02d}-{page}-{display.language}{contrast}.png"


def tour_displays(
    languages: Sequence[Language], *, high_contrast_once: bool
) -> tuple[Display, ...]:
    """Each language as it comes, then (once) the first language in high contrast."""
    displays = [Display(language=language) for language in languages]
    if high_contrast_once:
        displays.append(Display(language=languages[0], high_contrast=True))
    return tuple(displays)


@dataclass(frozen=True)
class TourReport:
    voter_id: VoterId
    cast: tuple[ScrutinId, ...]  # the ballots the tour cast, one per scrutin
    shots: tuple[Path, ...]


class Tour:
    """Drives one window through every page; ``run`` returns what it cast and saved."""

    def __init__(
        self,
        window: KioskWindow,
        rules: flow.FlowRules,
        clock: ManualClock,
        captcha_rng: random.Random,
        mailbox: FileMailbox,
        closes_at: datetime,
        out: Path,
        displays: Sequence[Display],
        *,
        choices: random.Random | None = None,
        timeout: float = WAIT_SECONDS,
    ) -> None:
        if not displays:
            raise ValueError("the tour needs at least one display")
        self._window = window
        self._rules = rules
        self._clock = clock
        self._captcha_rng = captcha_rng
        self._mailbox = mailbox
        self._closes_at = closes_at
        self._out = out
        self._displays = tuple(displays)
        self._choices = choices if choices is not None else random.Random(0)
        self._timeout = timeout
        self._shots: list[Path] = []

    def run(self, voter: DemoVoter) -> TourReport:
        self._out.mkdir(parents=True, exist_ok=True)
        self._wait_for_state(flow.Welcome)
        self._console()
        self._wait_for_state(flow.Welcome)
        self._shoot("welcome")
        self._do(flow.Start(), flow.Credentials)
        self._shoot("credentials")
        self._login(voter)
        self._shoot("vote-code")
        self._reassort(voter)
        self._shoot("scrutins")
        self._inactivity()
        cast = self._vote()
        self._lock_unknown_identifier()
        self._voting_closed(voter)
        return TourReport(voter.voter_id, cast, tuple(self._shots))

    # ---- the admin console --------------------------------------------------------------------

    def _console(self) -> None:
        """The assesseur signs in; the dashboard, the polls (opened with their report, or the
        last opening report printed again), the journal, the diagnostics; back to the vote."""
        dialog = self._window.request_admin()
        if dialog is None:
            raise TourError(f"the admin console was refused: the kiosk shows {self._shown()}")
        dialog.name_field.setText(ASSESSEUR_ACCOUNT[0])
        dialog.pin_field.setText(ASSESSEUR_ACCOUNT[2])
        for display in self._displays:
            self._show(display)
            self._save_picture("admin-login", display, _over(self._window, dialog))
        console = _sign_in(self._window, dialog, self._wait)
        self._console_page(console, DashboardSection, "admin-dashboard")
        polls = console.show_section(PollsSection)
        self._wait(lambda: not console.busy, "the polls state")
        assert isinstance(polls, PollsSection)
        if polls.polls is PollsState.NOT_OPENED:
            polls.open_button.click()
            polls.confirm.yes.click()
        else:
            polls.reprint_opening.click()
        self._wait(lambda: not console.busy, "the opening report")
        self._shoot_console(console, "admin-polls")
        self._console_page(console, JournalSection, "admin-journal")
        self._console_page(console, DiagnosticsSection, "admin-diagnostics")
        console.back_button.click()
        self._wait(lambda: self._window.console is None, "the console to close")

    def _console_page(self, console: ConsoleDialog, section: type, page: str) -> None:
        shown = console.show_section(section)
        if isinstance(shown, DiagnosticsSection):  # it runs on request only
            shown.run_button.click()
        self._wait(lambda: not console.busy, page)
        self._shoot_console(console, page)

    def _shoot_console(self, console: ConsoleDialog, page: str) -> None:
        for display in self._displays:
            self._show(display)
            self._save_picture(page, display, console.grab())

    # ---- the journey ------------------------------------------------------------------------

    def _login(self, voter: DemoVoter) -> str:
        """Identifier and password; the vote-code page with its CAPTCHA; the image's digits."""
        return self._with_captcha(flow.SubmitCredentials(voter.identifier, voter.password))

    def _reassort(self, voter: DemoVoter) -> None:
        """Every réassort page: the supervised way's first step, then by token: question,
        e-mail, token, new code; then the vote code with the new code."""
        self._do(flow.RequestReassort(), flow.ReassortChoice)
        self._shoot("reassort-choice")
        self._do(flow.ChooseReassort(ReassortMode.SUPERVISED), flow.AssesseurAuth)
        self._shoot("assesseur")
        self._do(flow.Back(), flow.ReassortChoice)
        self._do(flow.ChooseReassort(ReassortMode.QUESTION), flow.ReassortQuestion)
        self._shoot("reassort-question")
        question = self._state(flow.ReassortQuestion)
        offered = [option.channel for option in question.voter.channels]
        if not offered:
            raise TourError(f"{voter.voter_id} has no e-mail or phone for a réassort token")
        channel = Channel.EMAIL if Channel.EMAIL in offered else offered[0]
        before = set(self._mailbox.messages())
        answers = flow.SubmitReassortAnswers(voter.secret_answer, voter.numen, channel)
        self._do(answers, flow.ReassortTokenSent)
        self._shoot("reassort-token")
        self._do(flow.SubmitToken(self._token_from_mailbox(before)), flow.RegenerateWarning)
        self._shoot("regenerate-warning")
        self._do(flow.Regenerate(), flow.NewCodeShown)
        self._shoot("new-code")
        new_code = self._state(flow.NewCodeShown).code  # what the voter copies off the screen
        answer = self._with_captcha(flow.Continue())
        self._do(flow.SubmitVoteCode(new_code, answer), flow.ScrutinList)

    def _inactivity(self) -> None:
        """ "Êtes-vous toujours là ?" over the scrutin list, then "still here"."""
        for display in self._displays:
            self._show(display)
            self._advance(self._rules.inactivity_warning)
            if not isinstance(self._window.state, flow.InactivityWarning):
                raise TourError(f"no inactivity warning: the kiosk shows {self._shown()}")
            self._save("inactivity", display)
            self._do(flow.StillHere(), flow.ScrutinList)

    def _vote(self) -> tuple[ScrutinId, ...]:
        """A ballot in each scrutin; in the first, a document opened and a ballot challenged."""
        entries = [
            entry for entry in self._state(flow.ScrutinList).booth.scrutins if not entry.voted
        ]
        if not entries:
            raise TourError("the tour's voter has no scrutin left to vote in")
        cast: list[ScrutinId] = []
        for number, entry in enumerate(entries):
            first = number == 0
            self._do(flow.ChooseScrutin(entry.scrutin_id), flow.Gallery)
            lists = entry.options[:-1] or entry.options  # the last option is the blank vote
            if first:
                self._shoot("gallery")
                self._open_document(lists[0])
                self._shoot("gallery-document")
                self._do(flow.CloseDocument(), flow.Gallery, lambda s: s.document is None)
            choice = self._choices.choice(lists if first else entry.options)
            self._select(choice)
            if first:
                self._shoot("confirm")
                self._do(flow.ChallengeVote(), flow.ChallengeShown)  # its slip prints
                self._shoot("challenge")
                self._do(flow.Continue(), flow.Gallery)
                self._select(choice)  # a new ballot, under a new nonce
            self._do(flow.CastVote(), flow.Receipt)  # the receipt prints
            cast.append(entry.scrutin_id)
            if first:
                self._shoot("receipt")
            if number < len(entries) - 1:
                self._do(flow.Continue(), flow.ScrutinList)
        self._do(flow.Quit(), flow.Finished)
        self._shoot("finished")
        self._do(flow.Continue(), flow.Welcome)
        return tuple(cast)

    def _open_document(self, list_id: ListId) -> None:
        """A list's profession de foi, once its first page is on screen (QtPdf renders pages
        off the GUI thread: the worker being idle does not say it is there)."""
        viewer = self._window.gallery.viewer
        painted: list[bool] = []

        def on_painted() -> None:
            painted.append(True)

        viewer.firstPagePainted.connect(on_painted)
        try:
            document = flow.OpenDocument(list_id, DocumentKind.PROFESSION_DE_FOI)
            self._do(document, flow.Gallery, lambda s: s.document is not None)
            if viewer.page_count > 0:  # a document the viewer could open
                self._wait(lambda: bool(painted), "the document's first page on screen")
        finally:
            viewer.firstPagePainted.disconnect(on_painted)

    def _select(self, choice: ListId) -> None:
        self._do(flow.ArmSelection(), flow.Gallery, lambda s: s.armed)
        self._do(flow.Select(choice), flow.Confirm)

    def _lock_unknown_identifier(self) -> None:
        """Wrong passwords for an identifier on no roll, each delay waited out, until the lock
        (the default policy: the tenth failure). Counted like any identifier's, never a voter's."""
        self._do(flow.Start(), flow.Credentials)
        for _ in range(_MAX_LOGIN_ATTEMPTS):
            attempt = flow.SubmitCredentials(UNKNOWN_IDENTIFIER, "pas-le-bon-mot-de-passe")
            state = self._answer(attempt)
            if isinstance(state, flow.Locked):
                break
            if not isinstance(state, flow.Credentials):
                raise TourError(f"a wrong password led to {self._shown()}")
            if state.retry_at is not None:
                self._advance(state.retry_at - self._clock.now())
                self._back_to_credentials()
        else:
            raise TourError(f"no lock after {_MAX_LOGIN_ATTEMPTS} wrong passwords")
        self._shoot("locked")
        self._do(flow.Continue(), flow.Welcome)

    def _back_to_credentials(self) -> None:
        """After a wait: the page, the inactivity warning over it, or the welcome page again."""
        state = self._window.state
        if isinstance(state, flow.InactivityWarning):
            self._do(flow.StillHere(), flow.Credentials)
        elif isinstance(state, flow.Welcome):
            self._do(flow.Start(), flow.Credentials)

    def _voting_closed(self, voter: DemoVoter) -> None:
        """After the voting window: the login is refused before anything is checked."""
        self._advance(self._closes_at - self._clock.now())
        self._do(flow.Start(), flow.Credentials)
        self._do(flow.SubmitCredentials(voter.identifier, voter.password), flow.Refused)
        self._shoot("refused")
        self._do(flow.Continue(), flow.Welcome)

    # ---- what the voter reads ---------------------------------------------------------------

    def _with_captcha(self, event: flow.UserEvent) -> str:
        """Send ``event``, which leads to the vote-code page with a new image; its digits."""
        before = self._captcha_rng.getstate()
        self._do(event, flow.VoteCode, lambda s: s.captcha is not None)
        reader = random.Random()
        reader.setstate(before)
        return captcha_text(reader)

    def _token_from_mailbox(self, before: set[Path]) -> str:
        """The QR payload of the one new message: what the kiosk's camera would read."""
        new = [path for path in self._mailbox.messages() if path not in before]
        if len(new) != 1:
            raise TourError(f"expected one new message in {self._mailbox.folder}, found {len(new)}")
        message = email.message_from_bytes(new[0].read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if isinstance(body, email.message.EmailMessage) else ""
        found = re.search(re.escape(TOKEN_QR_PREFIX) + r"[A-Z0-9-]+", text)
        if found is None:
            raise TourError(f"{new[0].name}: no réassort token in the message")
        return found.group(0)

    # ---- driving and waiting ----------------------------------------------------------------

    def _answer(self, event: flow.UserEvent) -> flow.State:
        """Send ``event`` as a click would; the state once the core has answered."""
        self._window.send(event)
        self._wait(lambda: not self._window.worker.busy, f"the answer to {type(event).__name__}")
        return self._window.state

    def _do(
        self,
        event: flow.UserEvent,
        expected: type[_S],
        check: Callable[[_S], bool] | None = None,
    ) -> _S:
        """Send ``event``; the state it leads to must be ``expected`` (and pass ``check``)."""
        state = self._answer(event)
        if not isinstance(state, expected) or (check is not None and not check(state)):
            raise TourError(f"after {type(event).__name__}: the kiosk shows {self._shown()}")
        return state

    def _wait_for_state(self, expected: type[flow.State]) -> None:
        self._wait(
            lambda: not self._window.worker.busy and isinstance(self._window.state, expected),
            expected.__name__,
        )

    def _advance(self, delta: timedelta) -> None:
        """Move the clock, then wait for what the ticks make of it (the flow says what)."""
        if delta > timedelta(0):
            self._clock.advance(delta)
        predicted, _ = flow.transition(
            self._window.state, flow.Tick(), self._clock.now(), self._rules
        )
        self._wait_for_state(type(predicted))

    def _show(self, display: Display) -> None:
        """Language and contrast, as the display buttons set them (every screen takes it)."""
        if self._window.state.display != display:
            self._answer(flow.SetDisplay(display))
            if self._window.state.display != display:
                raise TourError(f"the display did not change: the kiosk shows {self._shown()}")

    def _state(self, expected: type[_S]) -> _S:
        state = self._window.state
        if not isinstance(state, expected):
            raise TourError(f"expected {expected.__name__}: the kiosk shows {self._shown()}")
        return state

    def _shown(self) -> str:
        state = self._window.state
        notice = getattr(state, "notice", None)
        return type(state).__name__ + (f" (notice {notice.value})" if notice is not None else "")

    def wait(self, done: Callable[[], bool], what: str) -> None:
        """``_wait``, for the closing of the window."""
        self._wait(done, what)

    def _wait(self, done: Callable[[], bool], what: str) -> None:
        """Run the event loop until ``done()``, at most ``timeout`` seconds: never a sleep."""
        deadline = time.monotonic() + self._timeout
        while not done():
            if time.monotonic() > deadline:
                raise TourError(
                    f"waited {self._timeout:.0f} s for {what}: it shows {self._shown()}"
                )
            loop = QEventLoop()
            QTimer.singleShot(_POLL_MS, loop.quit)
            loop.exec()

    # ---- pictures ---------------------------------------------------------------------------

    def _shoot(self, page: str) -> None:
        for display in self._displays:
            self._show(display)
            self._save(page, display)

    def _save(self, page: str, display: Display) -> None:
        QCoreApplication.processEvents()  # language change, style sheet, layout: all applied
        self._save_picture(page, display, self._window.grab())

    def _save_picture(self, page: str, display: Display, picture: QPixmap) -> None:
        QCoreApplication.processEvents()
        path = self._out / shot_name(page, display)
        if not picture.save(str(path), "PNG"):
            raise TourError(f"{path}: cannot write the screenshot")
        self._shots.append(path)


def _over(window: QWidget, dialog: QWidget) -> QPixmap:
    """The window with ``dialog`` in its middle, as the screen shows them (a dialog is a window
    of its own: the window's picture does not hold it)."""
    QCoreApplication.processEvents()
    picture = window.grab()
    above = dialog.grab()
    painter = QPainter(picture)
    painter.drawPixmap(
        (window.width() - dialog.width()) // 2, (window.height() - dialog.height()) // 2, above
    )
    painter.end()
    return picture


def _sign_in(
    window: KioskWindow, dialog: LoginDialog, wait: Callable[[Callable[[], bool], str], None]
) -> ConsoleDialog:
    """Submit the login dialog's name and PIN; the console that opens."""
    dialog.submit()
    wait(lambda: not dialog.pending, "the operator's login")
    console = window.console
    if console is None:
        raise TourError(f"the operator's login was refused: {dialog.notice_text}")
    return console


# ---- one tour, from the store's files to the closed window ------------------------------------

ADMIN_ACCOUNT: Final = ("admin", Role.ADMINISTRATOR, "000000")
ASSESSEUR_ACCOUNT: Final = ("assesseur", Role.ASSESSEUR, "111111")
"""The demo's operator accounts (``isoloir demo setup`` makes them; the tour adds those missing)."""


@dataclass(frozen=True)
class TourOptions:
    store: Path
    key_file: Path
    out: Path
    credentials: Path
    mail_dir: Path
    print_dir: Path
    reports_dir: Path | None = None  # default: the demo's, DIR/reports/KIOSK_ID
    displays: tuple[Display, ...] = (Display(),)
    seed: int = 0  # the CAPTCHA images and the tour's choices; never the ballots' nonces


def run_tour(options: TourOptions) -> TourReport:
    """Open the store and the window, run the tour, close both. Needs a ``QApplication``."""
    if QApplication.instance() is None:
        raise TourError("the tour needs a QApplication")
    missing = {d.language for d in options.displays if d.language != "fr"} - _translated()
    if missing:
        raise TourError(
            f"no {', '.join(sorted(missing))} translation in {TRANSLATIONS}: run make translations"
        )
    voters = read_demo_voters(options.credentials)
    clock = ManualClock(SystemClock().now())
    with KioskStore.open(options.store, StoreKey.from_key_file(options.key_file), clock) as store:
        voter = _tour_voter(voters, store)
        supervisor = _demo_operators(store, clock).supervisor_check()
        election = KioskElection.from_store(store)
        mailbox = FileMailbox(options.mail_dir)
        captcha_rng = random.Random(options.seed)
        session = VotingSession(
            store,
            clock,
            election,
            config=KioskConfig(),
            notifier=mailbox,
            assesseur_check=supervisor,
            captcha_rng=captcha_rng,
        )
        window = KioskWindow(
            session,
            clock,
            BallotNames(election.manifest),
            admin=AdminConsole(
                store,
                clock,
                reports_dir=options.reports_dir
                or options.store.parent / "reports" / election.kiosk.kiosk_id,
                printer_probe=FolderProbe(options.print_dir),
            ),
            printer=PdfFolderPrinter(options.print_dir),
            polls_state=store.polls_state,
            assets=PackageAssets(store, election.manifest),
            tick_ms=TOUR_TICK_MS,
        )
        tour = Tour(
            window,
            session.rules,
            clock,
            captcha_rng,
            mailbox,
            election.manifest.window.closes_at,
            options.out,
            options.displays,
            choices=random.Random(options.seed + 1),
        )
        try:
            window.show_kiosk()
            return tour.run(voter)
        finally:
            _close(window, tour)


def _tour_voter(voters: Sequence[DemoVoter], store: KioskStore) -> DemoVoter:
    """The first demo voter the guides do not name who has not voted, one whose code the demo
    invalidated if any (the réassort, which the tour shows, is their way in)."""
    others = [voter for voter in voters if voter.voter_id not in GUIDE_VOTERS]
    invalidated_first = sorted(others, key=lambda voter: not voter.invalidated)  # stable
    free = (voter for voter in invalidated_first if not store.voted_scrutins(voter.voter_id))
    chosen = next(free, None)
    if chosen is None:
        raise TourError("every demo voter the tour may use has voted: make a new demo setup")
    return chosen


def _demo_operators(store: KioskStore, clock: Clock) -> Operators:
    """The store's operators, with the demo's two accounts added if missing."""
    operators = Operators(store, clock)
    existing = {operator.name for operator in operators.list()}
    for name, role, pin in (ADMIN_ACCOUNT, ASSESSEUR_ACCOUNT):
        if name not in existing:
            operators.add(name, role, pin)
    return operators


def _close(window: KioskWindow, tour: Tour) -> None:
    """As an administrator closes the kiosk: sign in, "Quitter le poste", confirm. The worker
    stops with it. After a failure the window may not be at the welcome page: it is left to
    ``deleteLater`` then."""
    console = window.console
    if console is not None:
        console.log_out()
    dialog = window.request_admin() if window.isVisible() else None
    if dialog is not None:
        dialog.name_field.setText(ADMIN_ACCOUNT[0])
        dialog.pin_field.setText(ADMIN_ACCOUNT[2])
        console = _sign_in(window, dialog, tour.wait)
        console.quit_button.click()
        console.quit_confirm.yes.click()
    window.worker.shutdown()  # closed already, or a window that never showed: nothing runs on
    window.deleteLater()


def _translated() -> set[str]:
    return {path.stem.rsplit("_", 1)[-1] for path in TRANSLATIONS.glob("isoloir_*.qm")}


# ---- the command --------------------------------------------------------------------------------


def _languages(text: str) -> tuple[Language, ...]:
    known: tuple[Language, ...] = get_args(Language)
    chosen: list[Language] = []
    for part in text.split(","):
        language = next((k for k in known if k == part.strip()), None)
        if language is None:
            raise argparse.ArgumentTypeError(f"languages among {', '.join(known)}, comma-separated")
        if language not in chosen:
            chosen.append(language)
    return tuple(chosen)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ui.tour",
        description="One demo voter through every page of the kiosk window; a PNG of each.",
    )
    parser.add_argument("--store", type=Path, required=True, help="the demo kiosk store")
    parser.add_argument("--key-file", type=Path, required=True, help="its key file")
    parser.add_argument("--out", type=Path, required=True, help="the folder for the PNGs")
    parser.add_argument(
        "--credentials", type=Path, help="demo-credentials.csv (default: beside the store)"
    )
    parser.add_argument("--mail-dir", type=Path, help="réassort messages (default: beside)")
    parser.add_argument("--print-dir", type=Path, help="printed papers (default: beside)")
    parser.add_argument(
        "--reports-dir", type=Path, help="polls reports (default: beside, reports/KIOSK_ID)"
    )
    parser.add_argument(
        "--languages", type=_languages, default=("fr",), help="fr, en or fr,en (default: fr)"
    )
    parser.add_argument(
        "--high-contrast-once",
        action="store_true",
        help="also every page in high contrast, in the first language",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    beside = args.store.parent
    options = TourOptions(
        store=args.store,
        key_file=args.key_file,
        out=args.out,
        credentials=args.credentials or beside / "secrets" / "demo-credentials.csv",
        mail_dir=args.mail_dir or beside / "mailbox",
        print_dir=args.print_dir or beside / "prints",
        reports_dir=args.reports_dir,
        displays=tour_displays(args.languages, high_contrast_once=args.high_contrast_once),
    )
    app = QApplication.instance() or QApplication(sys.argv[:1])
    started = time.perf_counter()
    try:
        report = run_tour(options)
    except (TourError, StoreError, OSError) as exc:
        print(f"tour: {exc}", file=sys.stderr)
        return 1
    app.processEvents()  # the window's deferred deletion
    print(
        f"Tour: {report.voter_id} got a new vote code by réassort and cast "
        f"{len(report.cast)} ballots ({', '.join(report.cast)}) into {options.store}; "
        f"{time.perf_counter() - started:.1f} s"
    )
    print(f"{len(report.shots)} screenshots in {options.out}:")
    for shot in report.shots:
        print(f"  {shot.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
