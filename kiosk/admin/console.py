"""The admin console's façade: what the Qt console (ui/admin/) and ``isoloir admin ...`` call.

    console = AdminConsole(store, clock, reports_dir=folder, client_factory=make_client)
    session = console.login("assesseur", pin)          # AdminSession | LoginRefused
    saved = session.open_polls()                        # the opening report, signed and saved

Every ``AdminSession`` method first checks the operator's role (``roles.PERMISSIONS``) and
raises ``NotAllowed`` otherwise: a view should not offer what ``can`` refuses, so reaching it is
a bug. Expected failures (a server that does not answer, a package that does not verify, a
polls change the current state forbids, nothing to export) are returned values where the
contract has a place for them (``SyncSummary.failure``, ``DiagnosticsReport``, ``bool``), and
``AdminError`` with a message for the operator otherwise; nothing is half done when it is raised.

The polls: ``not_opened -> open`` (opening report), ``open <-> paused``, ``open|paused ->
closed`` (closing report), and ``closed -> open`` for an administrator only (a new opening
report marked as a reopening). Voting needs ``open``: the store refuses a cast otherwise and
the voting session refuses a login (kiosk/voting/session.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Final, Literal, TypeAlias

from kiosk.admin.dashboard import Dashboard, PrinterProbe, build_dashboard
from kiosk.admin.diagnostics import DiagnosticsReport, run_diagnostics
from kiosk.admin.journal import JournalExportError, JournalLine, export_journal, journal_lines
from kiosk.admin.operators import (
    PIN_KDF,
    LoginRefused,
    Operator,
    OperatorAccount,
    Operators,
)
from kiosk.admin.packages import PackagePreview, PackageSource, preview_download, preview_path
from kiosk.admin.reports import (
    ReportError,
    ReportKind,
    SavedReport,
    build_report,
    last_report,
    render_report_pdf,
    save_report,
    sign_report,
)
from kiosk.admin.roles import Action, Role, allowed
from kiosk.audit import AuditEvent
from kiosk.bundle.export import ExportError, export_bundle
from kiosk.clock import Clock
from kiosk.election.codec import parse_manifest
from kiosk.election.kdf import KdfParams
from kiosk.election.model import VoterId
from kiosk.election.package import PackageError
from kiosk.encoding import strict_json_loads
from kiosk.store import KioskStore, PollsState, StoreError
from kiosk.sync.client import FailureKind, PublicServer, ServerClient, ServerFailure
from kiosk.sync.failures import describe_failure
from kiosk.sync.outbox import OutboxSync, SyncReport
from kiosk.voting.lockout import (
    CredentialGuard,
    login_subject,
    reassort_subject,
    vote_code_subject,
)
from kiosk.voting.model import Refusal
from kiosk.voting.reassort import NewVoteCode, ReassortDesk

SyncSummary: TypeAlias = SyncReport
"""What ``sync_now`` did: accepted, duplicates, rejected, held, left to send, and the failure
that stopped it (an offline kiosk: ``unreachable``, "offline kiosk, no server")."""

OFFLINE_DETAIL: Final = "offline kiosk, no server"

ClientFactory: TypeAlias = Callable[[], ServerClient | None]
PublicServerFactory: TypeAlias = Callable[[], PublicServer | None]


class NotAllowed(Exception):
    """The operator's role does not allow the action; the view should not have offered it."""

    def __init__(self, action: Action, role: Role) -> None:
        # Both role names start with a vowel: "an administrator", "an assesseur".
        super().__init__(f"an {role.value} may not {action.value.replace('_', ' ')}")
        self.action = action
        self.role = role


class AdminError(Exception):
    """An expected refusal, with a message for the operator; nothing was changed."""


def default_reports_dir(store_path: Path) -> Path:
    """Where a kiosk keeps its polls reports unless told otherwise: beside its store."""
    return store_path.parent / "reports"


class AdminConsole:
    """One kiosk's admin console, over its open store."""

    def __init__(
        self,
        store: KioskStore,
        clock: Clock,
        *,
        reports_dir: Path,
        client_factory: ClientFactory | None = None,
        printer_probe: PrinterProbe | None = None,
        public_server: PublicServerFactory | None = None,
        staging_dir: Path | None = None,
        pin_kdf: KdfParams = PIN_KDF,
    ) -> None:
        """``client_factory``: a new ``ServerClient`` per call (the console closes it), None
        when the kiosk has no server (offline election) or cannot make one yet (no package);
        None itself: an offline kiosk. ``public_server``: the server's public routes before any
        package is loaded (first-run setup: package download). ``printer_probe``: the printer's
        state (None: "unknown"). ``staging_dir``: where packages are unpacked to be verified.
        ``pin_kdf``: the cost of new PIN hashes."""
        self._store = store
        self._clock = clock
        self._reports_dir = reports_dir
        self._client_factory = client_factory
        self._public_server = public_server
        self._printer_probe = printer_probe
        self._staging_dir = staging_dir
        self._operators = Operators(store, clock, pin_kdf=pin_kdf)

    @property
    def store(self) -> KioskStore:
        return self._store

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def reports_dir(self) -> Path:
        return self._reports_dir

    @property
    def operators(self) -> Operators:
        """The accounts (the kiosk window's supervisor check: ``operators.supervisor_check()``)."""
        return self._operators

    @property
    def online(self) -> bool:
        """The kiosk has a server to talk to (an online election), reachable or not."""
        return self._client_factory is not None

    @property
    def printer_probe(self) -> PrinterProbe | None:
        return self._printer_probe

    @property
    def staging_dir(self) -> Path | None:
        return self._staging_dir

    def login(self, name: str, pin: str) -> AdminSession | LoginRefused:
        outcome = self._operators.authenticate(name, pin)
        if isinstance(outcome, LoginRefused):
            return outcome
        return AdminSession(self, outcome)

    def new_client(self) -> ServerClient | None:
        return None if self._client_factory is None else self._client_factory()

    def new_public_server(self) -> PublicServer | None:
        return None if self._public_server is None else self._public_server()


POLLS_ACTIONS: Final[dict[PollsState, frozenset[Action]]] = {
    PollsState.NOT_OPENED: frozenset({Action.OPEN_POLLS}),
    PollsState.OPEN: frozenset({Action.PAUSE_POLLS, Action.CLOSE_POLLS}),
    PollsState.PAUSED: frozenset({Action.RESUME_POLLS, Action.CLOSE_POLLS}),
    PollsState.CLOSED: frozenset({Action.REOPEN_POLLS}),
}
"""Which polls action each state allows (the store's transitions, named as actions)."""


class AdminSession:
    """What one signed-in operator does; each method checks the role first."""

    def __init__(self, console: AdminConsole, operator: Operator) -> None:
        self._console = console
        self._store = console.store
        self._clock = console.clock
        self.operator = operator

    def __repr__(self) -> str:
        return f"AdminSession({self.operator.name!r}, {self.operator.role.value})"

    @property
    def console(self) -> AdminConsole:
        return self._console

    def polls_actions(self, state: PollsState) -> frozenset[Action]:
        """The polls actions this operator may take from ``state``: what the console offers."""
        return frozenset(a for a in POLLS_ACTIONS[state] if self.can(a))

    def can(self, action: Action) -> bool:
        return allowed(self.operator.role, action)

    def require(self, action: Action) -> None:
        """``NotAllowed`` unless the role allows ``action`` (e.g. ``QUIT_KIOSK``, which the
        window performs itself)."""
        if not self.can(action):
            raise NotAllowed(action, self.operator.role)

    # ---- the polls -----------------------------------------------------------------------------

    def polls_state(self) -> PollsState:
        return self._store.polls_state()

    def open_polls(self) -> SavedReport:
        """``not_opened -> open``, then the opening report (zero ballots), signed and saved."""
        self.require(Action.OPEN_POLLS)
        self._ready_for_reports()
        self._move_polls(PollsState.NOT_OPENED, PollsState.OPEN, AuditEvent.POLLS_OPENED)
        return self._report(ReportKind.OPENING)

    def pause_polls(self) -> None:
        """``open -> paused``: no login and no cast until resumed."""
        self.require(Action.PAUSE_POLLS)
        self._move_polls(PollsState.OPEN, PollsState.PAUSED, AuditEvent.POLLS_PAUSED)

    def resume_polls(self) -> None:
        """``paused -> open``."""
        self.require(Action.RESUME_POLLS)
        self._move_polls(PollsState.PAUSED, PollsState.OPEN, AuditEvent.POLLS_RESUMED)

    def close_polls(self) -> SavedReport:
        """``open|paused -> closed``, then the closing report (counts, hash root, sync)."""
        self.require(Action.CLOSE_POLLS)
        self._ready_for_reports()
        current = self._store.polls_state()
        if current not in (PollsState.OPEN, PollsState.PAUSED):
            raise AdminError(_polls_refusal(current, "close"))
        self._move_polls(current, PollsState.CLOSED, AuditEvent.POLLS_CLOSED)
        return self._report(ReportKind.CLOSING)

    def reopen_polls(self) -> SavedReport:
        """``closed -> open``, an administrator's decision: a new opening report marked as a
        reopening, stating the ballots already held."""
        self.require(Action.REOPEN_POLLS)
        self._ready_for_reports()
        self._move_polls(PollsState.CLOSED, PollsState.OPEN, AuditEvent.POLLS_REOPENED)
        return self._report(ReportKind.OPENING, reopening=True)

    def report_printed(self, saved: SavedReport) -> None:
        """Journal that a report went to the printer (``report-printed``), once it did."""
        self.require(Action.PRINT_REPORT)
        self._store.append_audit(AuditEvent.REPORT_PRINTED, report=saved.report.kind.value)

    def last_report(self, kind: ReportKind) -> SavedReport | None:
        """The newest saved report of ``kind`` (to print again)."""
        self.require(Action.PRINT_REPORT)
        return last_report(self._console.reports_dir, kind)

    def report(self, kind: ReportKind) -> SavedReport:
        """The report of ``kind`` for the polls' last move of that kind: the saved one, or, when
        none was saved since that move (the disk was full, the kiosk lost power...), a new one
        of the store as it is now, signed and saved (``report-saved``), while the polls are
        still where that move put them (``closed`` for a closing report, ``open`` or ``paused``
        for an opening one). ``AdminError`` when there is neither."""
        self.require(Action.PRINT_REPORT)
        saved = last_report(self._console.reports_dir, kind)
        try:
            move, saved_after = self._report_marks(kind)
        except StoreError as exc:
            raise AdminError(str(exc)) from None
        if move is None or saved_after:
            if saved is None:
                raise AdminError(f"no {kind.value} report was saved on this kiosk yet")
            return saved
        state = self._store.polls_state()
        if state not in _REPORTED_STATES[kind]:
            if saved is not None:
                return saved
            raise AdminError(
                f"no {kind.value} report was saved on this kiosk, and the polls are "
                f"{state.value} now: it can no longer be made"
            )
        self._ready_for_reports()
        return self._report(kind, reopening=move is AuditEvent.POLLS_REOPENED)

    # ---- looking -------------------------------------------------------------------------------

    def dashboard(self) -> Dashboard:
        self.require(Action.VIEW_DASHBOARD)
        return build_dashboard(
            self._store, online=self._console.online, printer_probe=self._console.printer_probe
        )

    def journal(self) -> list[JournalLine]:
        self.require(Action.VIEW_JOURNAL)
        try:
            return journal_lines(self._store)
        except StoreError as exc:
            raise AdminError(str(exc)) from None

    def export_journal(self, out: Path) -> Path:
        """The journal as JSON lines with a last chain-check line, in a new file ``out``."""
        self.require(Action.EXPORT_JOURNAL)
        try:
            exported = export_journal(self._store, out)
        except (JournalExportError, StoreError) as exc:
            raise AdminError(str(exc)) from None
        self._journal(AuditEvent.JOURNAL_EXPORTED, entries=exported.entries)
        return exported.path

    def diagnostics(self) -> DiagnosticsReport:
        self.require(Action.DIAGNOSTICS)
        client = self._console.new_client()
        try:
            report = run_diagnostics(
                self._store,
                self._clock,
                server=client,
                printer_probe=self._console.printer_probe,
            )
        finally:
            if client is not None:
                client.close()
        self._journal(AuditEvent.DIAGNOSTICS_RUN, failed=report.failed, warned=report.warned)
        return report

    def printer_test_page(self) -> bytes:
        """The printer test page as PDF bytes (kiosk/admin/printer_test.py); the caller prints."""
        self.require(Action.PRINTER_TEST)
        from kiosk.admin.printer_test import printer_test_page

        identity = self._store.kiosk_identity()
        stored = self._store.stored_package()
        return printer_test_page(
            identity.kiosk_id if identity is not None else "kiosk",
            self._clock.now(),
            election_title=stored.title if stored is not None else None,
        )

    # ---- the server and removable media ----------------------------------------------------------

    def sync_now(self, progress: Callable[[int, int], None] | None = None) -> SyncSummary:
        """Send every ballot not yet accepted (``OutboxSync``); ``progress(done, total)``."""
        self.require(Action.SYNC_NOW)
        client = self._console.new_client()
        if client is None:
            left = self._store.status().outbox
            failure = ServerFailure(FailureKind.UNREACHABLE, OFFLINE_DETAIL)
            return SyncReport(0, 0, 0, left.pending + left.exported, failure)
        with client:
            try:
                return OutboxSync(self._store, client, self._clock).push(progress=progress)
            except StoreError as exc:
                raise AdminError(str(exc)) from None

    def export_media(self, folder: Path) -> Path:
        """A signed bundle of every ballot not yet accepted, as a new file in ``folder``."""
        self.require(Action.EXPORT_MEDIA)
        identity = self._store.kiosk_identity()
        kiosk = identity.kiosk_id if identity is not None else "kiosk"
        stamp = self._clock.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = folder / f"{kiosk}-{stamp}.isoloir-bundle"
        try:
            exported = export_bundle(self._store, out)
        except (ExportError, StoreError) as exc:
            raise AdminError(str(exc)) from None
        self._journal(AuditEvent.MEDIA_EXPORTED, count=len(exported.bundle.items))
        return exported.path

    def enroll(self, token: str) -> None:
        """Register this kiosk's key with the server, with the one-time ``token``."""
        self.require(Action.ENROLL)
        if not token.strip():
            raise AdminError("empty enrollment token")
        client = self._console.new_client()
        if client is None:
            raise AdminError(f"{OFFLINE_DETAIL}: nothing to enroll with")
        with client:
            answer = client.enroll(token.strip())
        if isinstance(answer, ServerFailure):
            raise AdminError(f"enrollment refused: {describe_failure(answer)}")
        self._store.append_audit(AuditEvent.KIOSK_ENROLLED, kiosk_id=answer.kiosk_id)

    # ---- the package ---------------------------------------------------------------------------

    def preview_package(
        self, source: Path | Literal["server"], *, enrollment_token: str | None = None
    ) -> PackagePreview:
        """A verified package from a file or folder, a removable-media folder, or the server;
        nothing is stored. ``AdminError`` says why it cannot be used.

        The server sends its package (it holds the roll) only to a kiosk of the election: this
        kiosk signs the request when it has a package naming the server and is enrolled;
        otherwise (first run, or not enrolled yet) ``enrollment_token``, the kiosk's token,
        shows it is one (the token is not spent: ``enroll`` spends it)."""
        self.require(Action.LOAD_PACKAGE)
        staging = self._console.staging_dir
        token = (enrollment_token or "").strip() or None
        try:
            if source == "server":
                return self._download(staging, token)
            return preview_path(Path(source), staging_dir=staging)
        except PackageError as exc:
            raise AdminError(f"package refused: {exc}") from None

    def load_package(self, preview: PackagePreview) -> bool:
        """Load the previewed package, once the operator confirmed its fingerprint; False when
        this very package was loaded already. ``AdminError`` once the polls have been opened
        (the store refuses: ballots are sealed for the loaded election until the end)."""
        self.require(Action.LOAD_PACKAGE)
        try:
            fresh = self._store.load_package(preview.package)
        except StoreError as exc:
            raise AdminError(str(exc)) from None
        self._journal(
            AuditEvent.PACKAGE_CONFIRMED,
            source=preview.source.value,
            fingerprint=preview.fingerprint,
        )
        return fresh

    # ---- voters and operators ------------------------------------------------------------------

    def unlock_voter(self, identifier: str) -> bool:
        """Clear a voter's failure counters (password, vote code, réassort) on this kiosk;
        False when none was set."""
        self.require(Action.UNLOCK_VOTER)
        identifier = identifier.strip()
        if not identifier:
            raise AdminError("give the voter's identifier")
        guard = CredentialGuard(self._store)
        voter = self._store.find_voter(identifier)
        # An identifier on no roll has a password counter too (a lock must not tell).
        subjects = [login_subject(identifier)]
        if voter is not None:
            subjects += [vote_code_subject(voter.id), reassort_subject(voter.id)]
        cleared = sum(guard.unlock(subject) for subject in subjects)
        if cleared:
            self._journal(AuditEvent.VOTER_UNLOCKED, cleared=cleared)
        return cleared > 0

    def supervised_reassort(
        self, identifier: str, answer: str, numen: str
    ) -> NewVoteCode | Refusal:
        """The offline réassort, supervised by this operator: the voter's secret answer and
        NUMEN buy a new vote code (shown once, then never again); a wrong pair counts against
        the voter's réassort lockout and gets a ``Refusal``."""
        self.require(Action.SUPERVISED_REASSORT)
        voter = self._store.find_voter(identifier.strip())
        stored = self._store.stored_package()
        if voter is None or stored is None:
            raise AdminError("no voter with this identifier on this kiosk's roll")
        manifest = parse_manifest(strict_json_loads(stored.manifest, "stored manifest"))
        desk = ReassortDesk(
            self._store,
            manifest.kdf,
            CredentialGuard(self._store),
            time_zone=manifest.time_zone,
        )
        outcome = desk.verify_answers(VoterId(voter.id), answer, numen, self._clock.now())
        if isinstance(outcome, Refusal):
            return outcome
        return desk.regenerate(outcome)

    def operators(self) -> list[OperatorAccount]:
        self.require(Action.MANAGE_OPERATORS)
        return self._console.operators.accounts()

    def add_operator(self, name: str, role: Role, pin: str) -> Operator:
        self.require(Action.MANAGE_OPERATORS)
        try:
            return self._console.operators.add(name, role, pin)
        except ValueError as exc:
            raise AdminError(str(exc)) from None

    def remove_operator(self, name: str) -> None:
        self.require(Action.MANAGE_OPERATORS)
        try:
            self._console.operators.remove(name)
        except ValueError as exc:
            raise AdminError(str(exc)) from None

    def change_pin(self, name: str, pin: str) -> None:
        """Another operator's PIN needs ``MANAGE_OPERATORS``; one's own, only the sign-in."""
        if name.strip() != self.operator.name:
            self.require(Action.MANAGE_OPERATORS)
        try:
            self._console.operators.change_pin(name, pin)
        except ValueError as exc:
            raise AdminError(str(exc)) from None

    def unlock_operator(self, name: str) -> None:
        self.require(Action.UNLOCK_OPERATOR)
        try:
            self._console.operators.unlock(name, by=self.operator.name)
        except ValueError as exc:
            raise AdminError(str(exc)) from None

    # ---- internals -----------------------------------------------------------------------------

    def _move_polls(self, expected: PollsState, target: PollsState, action: AuditEvent) -> None:
        current = self._store.polls_state()
        if current is not expected:
            raise AdminError(_polls_refusal(current, _VERBS[action]))
        try:
            self._store.set_polls_state(
                target, expected=expected, action=action, operator=self.operator.name
            )
        except StoreError as exc:
            raise AdminError(str(exc)) from None

    def _ready_for_reports(self) -> None:
        """A report needs the package and the kiosk key: checked before the polls move."""
        if self._store.stored_package() is None:
            raise AdminError("no election package is loaded; nothing changed")
        if self._store.kiosk_identity() is None:
            raise AdminError("this kiosk has no signing key yet; nothing changed")

    def _report(self, kind: ReportKind, *, reopening: bool = False) -> SavedReport:
        identity = self._store.kiosk_identity()
        if identity is None:
            raise AdminError("this kiosk has no signing key yet")
        try:
            report = build_report(
                self._store,
                kind,
                self.operator,
                self._clock.now(),
                reopening=reopening,
                reports_dir=self._console.reports_dir,
            )
            signed = sign_report(report, identity.signing_key())
            saved = save_report(signed, render_report_pdf(signed), self._console.reports_dir)
            self._journal(AuditEvent.REPORT_SAVED, report=kind.value, reopening=reopening)
        except OSError as exc:
            raise AdminError(
                _report_lost(kind, self._store.polls_state(), f"{exc.strerror or exc}")
            ) from None
        except (StoreError, ReportError) as exc:
            raise AdminError(_report_lost(kind, self._store.polls_state(), str(exc))) from None
        return saved

    def _report_marks(self, kind: ReportKind) -> tuple[AuditEvent | None, bool]:
        """The journal's last polls move that calls for a ``kind`` report (None: never), and
        whether a ``kind`` report was saved after it. The journal orders both exactly, where
        report times (to the second) could tie with the move's."""
        moves = _REPORTED_MOVES[kind]
        move: AuditEvent | None = None
        saved_after = False
        for entry in self._store.audit_entries():
            if entry.event in moves:
                move, saved_after = entry.event, False
            elif entry.event is AuditEvent.REPORT_SAVED and entry.fields["report"] == kind.value:
                saved_after = True
        return move, saved_after

    def _download(self, staging: Path | None, token: str | None) -> PackagePreview:
        client = self._console.new_client()
        if client is not None:
            with client:
                answer = client.download_package()
                if (
                    token is not None
                    and isinstance(answer, ServerFailure)
                    and answer.code == KIOSK_NOT_ENROLLED
                ):
                    answer = client.download_package(enrollment_token=token)
                return preview_download(answer, client.base_url, staging_dir=staging)
        public = self._console.new_public_server()
        if public is None:
            raise AdminError(f"{OFFLINE_DETAIL}: load the package from a file or removable media")
        if token is None:
            raise AdminError(
                "the server gives its package (which holds the voter roll) only to a kiosk of "
                "the election: give this kiosk's enrollment token"
            )
        with public:
            return preview_download(
                public.download_package(token), public.base_url, staging_dir=staging
            )

    def _journal(self, event: AuditEvent, **fields: str | int | bool | None) -> None:
        self._store.append_audit(event, operator=self.operator.name, **fields)


_VERBS: Final = {
    AuditEvent.POLLS_OPENED: "open",
    AuditEvent.POLLS_PAUSED: "pause",
    AuditEvent.POLLS_RESUMED: "resume",
    AuditEvent.POLLS_CLOSED: "close",
    AuditEvent.POLLS_REOPENED: "reopen",
}


def _polls_refusal(current: PollsState, verb: str) -> str:
    hints = {
        PollsState.NOT_OPENED: "they have not been opened yet",
        PollsState.OPEN: "they are open",
        PollsState.PAUSED: "they are paused (resume them first)",
        PollsState.CLOSED: "they are closed (only an administrator may reopen them)",
    }
    return f"cannot {verb} the polls: {hints[current]}; nothing changed"


_REPORTED_MOVES: Final = {
    ReportKind.OPENING: frozenset({AuditEvent.POLLS_OPENED, AuditEvent.POLLS_REOPENED}),
    ReportKind.CLOSING: frozenset({AuditEvent.POLLS_CLOSED}),
}
"""The polls moves that call for a report of each kind."""

_REPORTED_STATES: Final = {
    ReportKind.OPENING: frozenset({PollsState.OPEN, PollsState.PAUSED}),
    ReportKind.CLOSING: frozenset({PollsState.CLOSED}),
}
"""Where the polls must still be for a missing report of each kind to be made late."""

KIOSK_NOT_ENROLLED: Final = "kiosk_not_enrolled"  # the server's code (docs/server.md)


def _report_lost(kind: ReportKind, state: PollsState, reason: str) -> str:
    return (
        f"the polls are {state.value} now, but the {kind.value} report could not be made "
        f"({reason}); once that is fixed, make it with 'isoloir admin report {kind.value}'"
    )


__all__ = [
    "AdminConsole",
    "AdminError",
    "AdminSession",
    "NotAllowed",
    "PackageSource",
    "SyncSummary",
    "default_reports_dir",
]
