"""The admin console's sections: one page each, shown beside the console's navigation.

A section shows what the core answers and asks it what the operator wants: every call goes
through ``Tasks`` (the console's own ``CoreWorker``, papers on the window's print worker: both
in ``ConsoleWork``, which the window owns), and widgets are touched only in the callbacks.
Whether an action is allowed is the core's answer (``AdminSession.can``): a control for an
action the operator's role may not do is hidden.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final, Literal, TypeVar

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.admin.console import AdminError, AdminSession, NotAllowed, SyncSummary
from kiosk.admin.dashboard import Dashboard
from kiosk.admin.diagnostics import CheckStatus, DiagnosticsReport
from kiosk.admin.journal import JournalLine
from kiosk.admin.operators import OperatorAccount
from kiosk.admin.packages import PackagePreview
from kiosk.admin.reports import ReportKind, SavedReport
from kiosk.admin.roles import Action, Role
from kiosk.store import PollsState
from ui.admin.login import paris_time
from ui.pages.base import TouchButton, describe, forget
from ui.printing import PaperPrinter, PrintedPaper, PrintOutcome
from ui.worker import CoreWorker

_LOGGER: Final = logging.getLogger("ui.admin")
T = TypeVar("T")


class ProgressRelay(QObject):
    """Carries a long core call's ``progress(done, total)`` from the worker's thread to the GUI
    thread. It belongs to ``ConsoleWork``, not to a console: a console that closes meanwhile
    only stops listening, and the call never meets a deleted signal source."""

    progressed = Signal(int, int)  # queued to whoever listens on the GUI thread

    def report(self, done: int, total: int) -> None:
        """The callback the core calls; it never raises into the core's work."""
        try:
            self.progressed.emit(done, total)
        except RuntimeError as exc:  # the window itself is gone: the work goes on unseen
            _LOGGER.warning("progress not shown: %s", type(exc).__name__)


class ConsoleWork(QObject):
    """What the consoles' work needs and what outlives each console (the window owns it): the
    console's own ``CoreWorker`` (never the voter's: a sync or a diagnostics waiting on the
    network must not hold up voters), the print worker and printer, and the printing of the
    polls reports, which goes on (and is journaled, ``AdminSession.report_printed``) even when
    the console closes before the report is saved or printed."""

    def __init__(
        self,
        worker: CoreWorker,
        print_worker: CoreWorker,
        printer: PaperPrinter | None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.worker = worker
        self._print_worker = print_worker
        self._printer = printer
        self.progress = ProgressRelay(self)

    @property
    def busy(self) -> bool:
        return self.worker.busy or self._print_worker.busy

    def print_pdf(
        self, kind: str, pdf: Callable[[], bytes], done: Callable[[PrintOutcome], None]
    ) -> None:
        """Print ``pdf()`` (read on the print worker) as a paper of ``kind``; ``done(outcome)``."""
        printer = self._printer
        if printer is None:
            _LOGGER.warning("no printer configured: %s not printed", kind)
            done(PrintOutcome.FAILED)
            return

        def failed(error: BaseException) -> None:
            _LOGGER.error("printing %s failed: %s", kind, type(error).__name__)
            done(PrintOutcome.FAILED)

        self._print_worker.run(
            lambda: printer.print_paper(PrintedPaper(kind, pdf())),
            on_success=done,
            on_failure=failed,
        )

    def print_report(
        self, session: AdminSession, saved: SavedReport, done: Callable[[PrintOutcome], None]
    ) -> None:
        """Print a saved polls report; once a paper (or its PDF copy) came out, journal it."""

        def printed(outcome: PrintOutcome) -> None:
            if outcome in (PrintOutcome.PRINTED, PrintOutcome.FALLBACK):
                self.worker.run(
                    lambda: session.report_printed(saved),
                    on_success=lambda _none: None,
                    on_failure=lambda error: _LOGGER.error(
                        "journaling a printed report failed: %s", type(error).__name__
                    ),
                )
            done(outcome)

        self.print_pdf("rapport", saved.path.read_bytes, printed)

    def save_report(
        self,
        session: AdminSession,
        call: Callable[[], SavedReport],
        on_saved: Callable[[SavedReport], None],
        on_printed: Callable[[PrintOutcome], None],
        on_failure: Callable[[BaseException], None],
    ) -> None:
        """Run ``call`` (open, close, reopen: the core saves the signed report), then print the
        report whatever became of the console meanwhile."""

        def saved(report: SavedReport) -> None:
            on_saved(report)
            self.print_report(session, report, on_printed)

        self.worker.run(call, on_success=saved, on_failure=on_failure)


class Tasks(QObject):
    """One console's view of ``ConsoleWork``: each answer comes back on the GUI thread, and
    once the console has closed (``close``), the answers still on their way are dropped (their
    widgets are gone with it; a dropped failure is logged, by its kind only). The work itself
    is not: a report still prints, a sync still ends. Nothing here touches a widget."""

    def __init__(self, work: ConsoleWork, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.work = work
        self._open = True

    def close(self) -> None:
        self._open = False

    @property
    def progress(self) -> ProgressRelay:
        return self.work.progress

    def _while_open(self, callback: Callable[[T], None]) -> Callable[[T], None]:
        def guarded(value: T) -> None:
            if self._open:
                callback(value)

        return guarded

    def _failure_while_open(
        self, callback: Callable[[BaseException], None]
    ) -> Callable[[BaseException], None]:
        def guarded(error: BaseException) -> None:
            if self._open:
                callback(error)
            else:  # nobody left to tell: the log (privacy: the kind only)
                _LOGGER.error(
                    "admin action failed after the console closed: %s", type(error).__name__
                )

        return guarded

    @property
    def busy(self) -> bool:
        return self.work.busy

    def run(
        self,
        call: Callable[[], T],
        on_success: Callable[[T], None],
        on_failure: Callable[[BaseException], None],
    ) -> None:
        self.work.worker.run(
            call,
            on_success=self._while_open(on_success),
            on_failure=self._failure_while_open(on_failure),
        )

    def print_pdf(
        self, kind: str, pdf: Callable[[], bytes], done: Callable[[PrintOutcome], None]
    ) -> None:
        self.work.print_pdf(kind, pdf, self._while_open(done))

    def print_report(
        self, session: AdminSession, saved: SavedReport, done: Callable[[PrintOutcome], None]
    ) -> None:
        self.work.print_report(session, saved, self._while_open(done))

    def save_report(
        self,
        session: AdminSession,
        call: Callable[[], SavedReport],
        on_saved: Callable[[SavedReport], None],
        on_printed: Callable[[PrintOutcome], None],
        on_failure: Callable[[BaseException], None],
    ) -> None:
        self.work.save_report(
            session,
            call,
            self._while_open(on_saved),
            self._while_open(on_printed),
            self._failure_while_open(on_failure),
        )


class Section(QWidget):
    """One page of the console: a title, its controls, a status line for the last answer."""

    offers: frozenset[Action] = frozenset()
    """The actions this section offers: shown when the session may do any of them."""

    def __init__(self, session: AdminSession, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.tasks = tasks
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(32, 24, 32, 24)
        self.column.setSpacing(12)
        self._title = QLabel(self)
        self._title.setObjectName("title")
        self.column.addWidget(self._title)
        self.status = QLabel(self)
        self.status.setObjectName("notice")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def finish(self) -> None:
        """Put the status line last and set the texts (subclasses call it after their widgets)."""
        self.column.addWidget(self.status)
        self.column.addStretch()
        self.retranslate()

    @classmethod
    def shown_for(cls, session: AdminSession) -> bool:
        return any(session.can(action) for action in cls.offers)

    def title_text(self) -> str:
        """The section's name (each section's own ``self.tr``: the context is its class)."""
        raise NotImplementedError

    def retranslate(self) -> None:
        self._title.setText(self.title_text())

    def refresh(self) -> None:
        """Ask the core for what the section displays."""

    def shown(self) -> None:
        """Called each time the navigation shows the section: ``refresh`` unless the section
        says otherwise (a diagnostics runs only on request)."""
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # ---- helpers ------------------------------------------------------------------------------

    def button(
        self, action: Action | None = None, *, layout: QHBoxLayout | None = None
    ) -> QPushButton:
        """A button, hidden when ``action`` is one the session may not do."""
        button = TouchButton(self)
        button.setAutoDefault(False)
        (layout if layout is not None else self.column).addWidget(button)
        if action is not None and not self.session.can(action):
            button.hide()
            button.setEnabled(False)
        return button

    def field(self, *, secret: bool = False) -> QLineEdit:
        field = QLineEdit(self)
        if secret:
            field.setEchoMode(QLineEdit.EchoMode.Password)
        return field

    def call(self, call: Callable[[], T], on_success: Callable[[T], None]) -> None:
        """Run ``call`` on the worker; a failure says so on the status line."""
        self.status.setText(QCoreApplication.translate("Section", "En cours…"))
        self.tasks.run(call, on_success, self.failed)

    def failed(self, error: BaseException) -> None:
        if isinstance(error, NotAllowed):
            self.status.setText(
                QCoreApplication.translate("Section", "Votre rôle ne permet pas cette action.")
            )
            return
        if isinstance(error, AdminError | ValueError):  # the core's message for the operator
            self.status.setText(str(error))
            return
        # Privacy: the kind of failure only in the log; a message could name a voter.
        _LOGGER.error("admin action failed: %s", type(error).__name__)
        self.status.setText(
            QCoreApplication.translate(
                "Section", "L'opération a échoué (%1). Consultez le diagnostic."
            ).replace("%1", type(error).__name__)
        )

    def printed_text(self, outcome: PrintOutcome) -> str:
        match outcome:
            case PrintOutcome.PRINTED:
                return QCoreApplication.translate("Section", "Imprimé.")
            case PrintOutcome.FALLBACK:
                return QCoreApplication.translate(
                    "Section",
                    "Pas d'imprimante : une copie PDF est dans le dossier des impressions.",
                )
            case PrintOutcome.FAILED:
                return QCoreApplication.translate("Section", "Non imprimé.")


FILE_DIALOG_OPTIONS: Final = QFileDialog.Option.DontUseNativeDialog | QFileDialog.Option.ReadOnly
"""Qt's own dialog (inside the kiosk session, whatever the desktop), and read-only: nobody
renames, deletes or makes a folder from a kiosk's console."""


class FolderField(QWidget):
    """A path typed or chosen with "Parcourir…" (a file dialog): keyboard users type it."""

    def __init__(
        self, mode: Literal["folder", "open", "save"], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._mode = mode
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit(self)
        self.browse = TouchButton(self)
        self.browse.setAutoDefault(False)
        row.addWidget(self.edit, 1)
        row.addWidget(self.browse)
        self.browse.clicked.connect(self._browse)

    def describe(self, name: str, description: str) -> None:
        describe(self.edit, name, description)
        self.browse.setText(self.tr("Parcourir…"))
        describe(self.browse, self.tr("Parcourir : %1").replace("%1", name), description)

    def path(self) -> Path | None:
        text = self.edit.text().strip()
        return Path(text) if text else None

    def _browse(self) -> None:
        options = FILE_DIALOG_OPTIONS
        match self._mode:
            case "folder":
                chosen = QFileDialog.getExistingDirectory(
                    self, self.tr("Choisir un dossier"), "", options
                )
            case "open":
                chosen, _ = QFileDialog.getOpenFileName(
                    self, self.tr("Choisir un fichier"), "", "", "", options
                )
            case "save":
                chosen, _ = QFileDialog.getSaveFileName(
                    self, self.tr("Enregistrer sous"), "", "", "", options
                )
        if chosen:
            self.edit.setText(chosen)


class ConfirmBar(QWidget):
    """An in-page question ("Confirmer" / "Annuler"): no modal box that stops the worker's
    answers or the inactivity logout."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.question = QLabel(self)
        self.question.setWordWrap(True)
        self.yes = TouchButton(self)
        self.no = TouchButton(self)
        for button in (self.yes, self.no):
            button.setAutoDefault(False)
        row.addWidget(self.question, 1)
        row.addWidget(self.yes)
        row.addWidget(self.no)
        self._then: Callable[[], None] | None = None
        self.yes.clicked.connect(self._confirmed)
        self.no.clicked.connect(self.dismiss)
        self.retranslate()
        self.hide()

    def retranslate(self) -> None:
        self.yes.setText(self.tr("Confirmer"))
        describe(self.yes, self.tr("Confirmer"), self.tr("Faire l'action demandée"))
        self.no.setText(self.tr("Annuler"))
        describe(self.no, self.tr("Annuler"), self.tr("Ne rien faire"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def ask(self, question: str, then: Callable[[], None]) -> None:
        self.question.setText(question)
        self._then = then
        self.show()
        self.no.setFocus()  # the safe answer first

    def dismiss(self) -> None:
        self._then = None
        self.hide()

    def _confirmed(self) -> None:
        then = self._then
        self.dismiss()
        if then is not None:
            then()


def polls_text(state: PollsState) -> str:
    match state:
        case PollsState.NOT_OPENED:
            return QCoreApplication.translate("Polls", "pas encore ouvert")
        case PollsState.OPEN:
            return QCoreApplication.translate("Polls", "ouvert")
        case PollsState.PAUSED:
            return QCoreApplication.translate("Polls", "en pause")
        case PollsState.CLOSED:
            return QCoreApplication.translate("Polls", "fermé")


def check_name_text(name: str) -> str:
    """A diagnostics check's name (``kiosk.admin.diagnostics``) in the console's language; a
    check this console does not know keeps the core's name."""
    names = {
        "store": QCoreApplication.translate("Diagnostics", "stockage"),
        "audit journal": QCoreApplication.translate("Diagnostics", "journal d'audit"),
        "disk": QCoreApplication.translate("Diagnostics", "disque"),
        "printer": QCoreApplication.translate("Diagnostics", "imprimante"),
        "server": QCoreApplication.translate("Diagnostics", "serveur central"),
        "clock": QCoreApplication.translate("Diagnostics", "horloge"),
    }
    return names.get(name, name)


def check_status_text(status: CheckStatus) -> str:
    match status:
        case CheckStatus.PASS:
            return QCoreApplication.translate("Diagnostics", "OK")
        case CheckStatus.WARN:
            return QCoreApplication.translate("Diagnostics", "ATTENTION")
        case CheckStatus.FAIL:
            return QCoreApplication.translate("Diagnostics", "ÉCHEC")


def _table(parent: QWidget, columns: int) -> QTableWidget:
    table = QTableWidget(0, columns, parent)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().setVisible(False)
    return table


def _fill(table: QTableWidget, rows: Iterable[Iterable[str]]) -> None:
    table.setRowCount(0)
    for values in rows:
        row = table.rowCount()
        table.insertRow(row)
        for column, value in enumerate(values):
            table.setItem(row, column, QTableWidgetItem(value))


def _cell(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    return "" if item is None else item.text()


# ---- the sections -------------------------------------------------------------------------------


class DashboardSection(Section):
    offers = frozenset({Action.VIEW_DASHBOARD})

    def __init__(self, session: AdminSession, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(session, tasks, parent)
        form = QFormLayout()
        self._labels: dict[str, QLabel] = {}
        self._captions: dict[str, QLabel] = {}
        for key in (
            "polls",
            "cast",
            "queued",
            "synced",
            "held",
            "last_sync",
            "disk",
            "printer",
            "online",
        ):
            caption, value = QLabel(self), QLabel(self)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(caption, value)
            self._labels[key], self._captions[key] = value, caption
        self.column.addLayout(form)
        self.refresh_button = self.button(Action.VIEW_DASHBOARD)
        self.refresh_button.clicked.connect(self.refresh)
        self.dashboard: Dashboard | None = None
        self.finish()

    def title_text(self) -> str:
        return self.tr("Tableau de bord")

    def retranslate(self) -> None:
        super().retranslate()
        captions = {
            "polls": self.tr("Bureau de vote"),
            "cast": self.tr("Bulletins déposés"),
            "queued": self.tr("En attente d'envoi"),
            "synced": self.tr("Reçus par le serveur"),
            "held": self.tr("Retenus par le serveur"),
            "last_sync": self.tr("Dernière synchronisation"),
            "disk": self.tr("Espace disque libre"),
            "printer": self.tr("Imprimante"),
            "online": self.tr("Mode du poste"),
        }
        for key, text in captions.items():
            self._captions[key].setText(text)
            self._labels[key].setAccessibleName(text)
        self.refresh_button.setText(self.tr("Actualiser"))
        describe(self.refresh_button, self.tr("Actualiser"), self.tr("Relire l'état du poste"))
        if self.dashboard is not None:
            self._show(self.dashboard)

    def value(self, key: str) -> str:
        return self._labels[key].text()

    def refresh(self) -> None:
        session = self.session
        self.call(session.dashboard, self._shown)

    def _shown(self, dashboard: Dashboard) -> None:
        self.status.clear()
        self.dashboard = dashboard
        self._show(dashboard)

    def _show(self, dashboard: Dashboard) -> None:
        labels = self._labels
        labels["polls"].setText(polls_text(dashboard.polls))
        per_scrutin = ", ".join(f"{sid} : {n}" for sid, n in dashboard.cast_per_scrutin.items())
        labels["cast"].setText(
            f"{dashboard.cast_total} ({per_scrutin})" if per_scrutin else str(dashboard.cast_total)
        )
        labels["queued"].setText(str(dashboard.queued))
        labels["synced"].setText(str(dashboard.synced))
        labels["held"].setText(str(dashboard.held))
        labels["last_sync"].setText(
            paris_time(dashboard.last_sync) if dashboard.last_sync else self.tr("jamais")
        )
        labels["disk"].setText(
            self.tr("%1 Go").replace("%1", f"{dashboard.free_disk_bytes / 1e9:.1f}")
        )
        printer = dashboard.printer
        labels["printer"].setText(
            (self.tr("prête") if printer.ok else self.tr("en défaut"))
            + f" — {printer.detail}"  # the probe's (ui/printing.py), in the kiosk's language
        )
        # ``online`` says the kiosk has a server (an online election), not that it answers:
        # the diagnostics says whether it does.
        labels["online"].setText(
            self.tr("poste en ligne (avec serveur central)")
            if dashboard.online
            else self.tr("poste hors ligne (sans serveur central)")
        )


class PollsSection(Section):
    offers = frozenset(
        {
            Action.OPEN_POLLS,
            Action.PAUSE_POLLS,
            Action.RESUME_POLLS,
            Action.CLOSE_POLLS,
            Action.REOPEN_POLLS,
            Action.PRINT_REPORT,
        }
    )
    pollsChanged = Signal(object)  # the PollsState now

    def __init__(self, session: AdminSession, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(session, tasks, parent)
        self.state_label = QLabel(self)
        self.column.addWidget(self.state_label)
        row = QHBoxLayout()
        self.open_button = self.button(Action.OPEN_POLLS, layout=row)
        self.pause_button = self.button(Action.PAUSE_POLLS, layout=row)
        self.resume_button = self.button(Action.RESUME_POLLS, layout=row)
        self.close_button = self.button(Action.CLOSE_POLLS, layout=row)
        self.reopen_button = self.button(Action.REOPEN_POLLS, layout=row)
        self.column.addLayout(row)
        self.confirm = ConfirmBar(self)
        self.column.addWidget(self.confirm)
        self.report_label = QLabel(self)
        self.report_label.setWordWrap(True)
        self.report_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.column.addWidget(self.report_label)
        reprint = QHBoxLayout()
        self.reprint_opening = self.button(Action.PRINT_REPORT, layout=reprint)
        self.reprint_closing = self.button(Action.PRINT_REPORT, layout=reprint)
        self.column.addLayout(reprint)
        self.polls: PollsState | None = None
        self.saved: SavedReport | None = None
        self.outcome: PrintOutcome | None = None

        self.open_button.clicked.connect(
            lambda: self.confirm.ask(
                self.tr("Ouvrir le bureau de vote ? Le rapport d'ouverture sera imprimé."),
                lambda: self._report_call(session.open_polls),
            )
        )
        self.close_button.clicked.connect(
            lambda: self.confirm.ask(
                self.tr("Clôturer le bureau de vote ? Plus aucun vote ne sera possible."),
                lambda: self._report_call(session.close_polls),
            )
        )
        self.reopen_button.clicked.connect(
            lambda: self.confirm.ask(
                self.tr(
                    "Rouvrir le bureau de vote clôturé ? Un rapport de réouverture sera imprimé."
                ),
                lambda: self._report_call(session.reopen_polls),
            )
        )
        self.pause_button.clicked.connect(lambda: self.call(session.pause_polls, self._changed))
        self.resume_button.clicked.connect(lambda: self.call(session.resume_polls, self._changed))
        self.reprint_opening.clicked.connect(lambda: self._reprint(ReportKind.OPENING))
        self.reprint_closing.clicked.connect(lambda: self._reprint(ReportKind.CLOSING))
        self.finish()

    def title_text(self) -> str:
        return self.tr("Bureau de vote")

    def retranslate(self) -> None:
        super().retranslate()
        for button, text, description in (
            (
                self.open_button,
                self.tr("Ouvrir"),
                self.tr("Ouvrir le bureau de vote et imprimer le rapport d'ouverture"),
            ),
            (self.pause_button, self.tr("Suspendre"), self.tr("Suspendre le vote un moment")),
            (self.resume_button, self.tr("Reprendre"), self.tr("Reprendre le vote suspendu")),
            (
                self.close_button,
                self.tr("Clôturer"),
                self.tr("Clôturer le bureau de vote et imprimer le rapport de clôture"),
            ),
            (
                self.reopen_button,
                self.tr("Rouvrir"),
                self.tr("Rouvrir le bureau de vote clôturé (administrateur)"),
            ),
            (
                self.reprint_opening,
                self.tr("Réimprimer le rapport d'ouverture"),
                self.tr("Imprimer encore le dernier rapport d'ouverture"),
            ),
            (
                self.reprint_closing,
                self.tr("Réimprimer le rapport de clôture"),
                self.tr("Imprimer encore le dernier rapport de clôture"),
            ),
        ):
            button.setText(text)
            describe(button, text, description)
        self.confirm.retranslate()
        self._show_polls()
        self._show_report()

    def refresh(self) -> None:
        self.call(self.session.polls_state, self._polls_read)

    def _polls_read(self, state: PollsState) -> None:
        self.status.clear()
        self.polls = state
        self._show_polls()
        self.pollsChanged.emit(state)

    def _show_polls(self) -> None:
        state = self.polls
        self.state_label.setText(
            self.tr("État : %1").replace("%1", polls_text(state)) if state is not None else ""
        )
        # Which change each state allows is the core's rule; the buttons only follow it.
        possible = self.session.polls_actions(state) if state is not None else frozenset()
        for button, action in (
            (self.open_button, Action.OPEN_POLLS),
            (self.pause_button, Action.PAUSE_POLLS),
            (self.resume_button, Action.RESUME_POLLS),
            (self.close_button, Action.CLOSE_POLLS),
            (self.reopen_button, Action.REOPEN_POLLS),
        ):
            button.setEnabled(action in possible)

    def _changed(self, _none: object = None) -> None:
        self.refresh()

    def _report_call(self, call: Callable[[], SavedReport]) -> None:
        # The window's ConsoleWork prints the report even if this console closes meanwhile.
        self.status.setText(QCoreApplication.translate("Section", "En cours…"))
        self.tasks.save_report(self.session, call, self._report_saved, self._printed, self.failed)

    def _report_saved(self, saved: SavedReport) -> None:
        self.saved, self.outcome = saved, None
        self._show_report()
        self.refresh()

    def _reprint(self, kind: ReportKind) -> None:
        session = self.session

        def found(saved: SavedReport | None) -> None:
            if saved is None:
                self.status.setText(self.tr("Aucun rapport de ce type n'a encore été produit."))
                return
            self.status.clear()
            self.saved, self.outcome = saved, None
            self._show_report()
            self.tasks.print_report(session, saved, self._printed)

        # The last report of that kind, or a new one if it was lost (the core decides).
        self.call(lambda: session.report(kind), found)

    def _printed(self, outcome: PrintOutcome) -> None:
        self.outcome = outcome
        self._show_report()

    def _show_report(self) -> None:
        saved = self.saved
        if saved is None:
            self.report_label.clear()
            return
        if saved.report.kind is ReportKind.CLOSING:
            kind = self.tr("Rapport de clôture")
        elif saved.report.reopening:
            kind = self.tr("Rapport de réouverture")
        else:
            kind = self.tr("Rapport d'ouverture")
        text = (
            self.tr("%1 signé, enregistré dans %2")
            .replace("%1", kind)
            .replace("%2", str(saved.path))
        )
        if self.outcome is None:
            text += " — " + self.tr("impression en cours…")
        else:
            text += " — " + self.printed_text(self.outcome)
        self.report_label.setText(text)


class SyncSection(Section):
    offers = frozenset({Action.SYNC_NOW, Action.EXPORT_MEDIA})

    def __init__(self, session: AdminSession, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(session, tasks, parent)
        self.sync_button = self.button(Action.SYNC_NOW)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.column.addWidget(self.progress)
        self.result_label = QLabel(self)
        self.result_label.setWordWrap(True)
        self.column.addWidget(self.result_label)
        self.export_caption = QLabel(self)
        self.column.addWidget(self.export_caption)
        self.folder = FolderField("folder", self)
        self.column.addWidget(self.folder)
        self.export_button = self.button(Action.EXPORT_MEDIA)
        if not session.can(Action.EXPORT_MEDIA):
            self.folder.hide()
            self.export_caption.hide()
        if not session.can(Action.SYNC_NOW):
            self.progress.hide()
        # The relay outlives this console: logging out during a sync never aborts it.
        tasks.progress.progressed.connect(self._show_progress)
        self.sync_button.clicked.connect(self._sync)
        self.export_button.clicked.connect(self._export)
        self.finish()

    def title_text(self) -> str:
        return self.tr("Synchronisation")

    def retranslate(self) -> None:
        super().retranslate()
        self.sync_button.setText(self.tr("Synchroniser maintenant"))
        describe(
            self.sync_button,
            self.tr("Synchroniser maintenant"),
            self.tr("Envoyer au serveur central les bulletins en attente"),
        )
        self.progress.setAccessibleName(self.tr("Progression de l'envoi"))
        self.export_caption.setText(self.tr("Support amovible (dossier) :"))
        self.folder.describe(
            self.tr("Dossier du support amovible"), self.tr("Où écrire le lot signé des bulletins")
        )
        self.export_button.setText(self.tr("Exporter"))
        describe(
            self.export_button,
            self.tr("Exporter"),
            self.tr("Écrire les bulletins non reçus dans un lot signé sur le support"),
        )

    def _sync(self) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.result_label.clear()
        session, report = self.session, self.tasks.progress.report
        self.call(lambda: session.sync_now(progress=report), self._synced)

    def _show_progress(self, done: int, total: int) -> None:
        if total == 0:  # nothing to send: done
            self.progress.setRange(0, 1)
            self.progress.setValue(1)
            return
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _synced(self, summary: SyncSummary) -> None:
        if summary.failure is None:
            self.status.clear()
        else:  # the server's or the network's words: for the operator, as the CLI shows them
            self.status.setText(
                self.tr("Synchronisation interrompue : %1").replace(
                    "%1", f"{summary.failure.kind.value}: {summary.failure.detail}"
                )
            )
        self.result_label.setText(
            self.tr(
                "Reçus : %1 (dont %2 déjà reçus) ; refusés : %3 ; retenus : %4 ; restant à envoyer : %5"  # noqa: E501 - one literal for lupdate
            )
            .replace("%1", str(summary.accepted + summary.duplicates))
            .replace("%2", str(summary.duplicates))
            .replace("%3", str(summary.rejected))
            .replace("%4", str(summary.held))
            .replace("%5", str(summary.pending))
        )

    def _export(self) -> None:
        folder = self.folder.path()
        if folder is None:
            self.status.setText(self.tr("Choisissez d'abord le dossier du support."))
            return
        session = self.session
        self.call(
            lambda: session.export_media(folder),
            lambda path: self.status.setText(self.tr("Lot écrit : %1").replace("%1", str(path))),
        )


class JournalSection(Section):
    offers = frozenset({Action.VIEW_JOURNAL, Action.EXPORT_JOURNAL})

    def __init__(self, session: AdminSession, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(session, tasks, parent)
        self.table = _table(self, 4)
        self.column.addWidget(self.table, 1)
        self.reload_button = self.button(Action.VIEW_JOURNAL)
        self.out = FolderField("save", self)
        self.column.addWidget(self.out)
        self.export_button = self.button(Action.EXPORT_JOURNAL)
        if not session.can(Action.EXPORT_JOURNAL):
            self.out.hide()
        self._loaded = False
        self.reload_button.clicked.connect(self.refresh)
        self.export_button.clicked.connect(self._export)
        self.finish()

    def title_text(self) -> str:
        return self.tr("Journal")

    def retranslate(self) -> None:
        super().retranslate()
        self.table.setHorizontalHeaderLabels(
            [self.tr("Heure"), self.tr("Événement"), self.tr("Description"), self.tr("Détails")]
        )
        describe(
            self.table,
            self.tr("Journal d'audit"),
            self.tr("Les événements du poste, du plus ancien au plus récent"),
        )
        self.reload_button.setText(self.tr("Actualiser"))
        describe(
            self.reload_button,
            self.tr("Actualiser le journal"),
            self.tr("Relire le journal d'audit"),
        )
        self.out.describe(
            self.tr("Fichier d'export du journal"), self.tr("Où écrire le journal exporté")
        )
        self.export_button.setText(self.tr("Exporter le journal"))
        describe(
            self.export_button,
            self.tr("Exporter le journal"),
            self.tr("Écrire le journal et la vérification de sa chaîne dans ce fichier"),
        )

    def shown(self) -> None:
        # The whole journal is read (and decrypted) at the first showing only; "Actualiser"
        # reads it again.
        if not self._loaded:
            self.refresh()

    def refresh(self) -> None:
        if self.session.can(Action.VIEW_JOURNAL):
            self._loaded = True
            self.call(self.session.journal, self._shown)

    def events(self) -> list[str]:
        return [_cell(self.table, row, 1) for row in range(self.table.rowCount())]

    def _shown(self, lines: list[JournalLine]) -> None:
        self.status.clear()
        _fill(
            self.table,
            (
                (
                    paris_time(line.at, seconds=True),
                    line.code,
                    line.description,
                    ", ".join(f"{key}={value}" for key, value in line.fields.items()),
                )
                for line in lines
            ),
        )
        self.table.scrollToBottom()

    def _export(self) -> None:
        out = self.out.path()
        if out is None:
            self.status.setText(self.tr("Choisissez d'abord le fichier."))
            return
        session = self.session
        self.call(
            lambda: session.export_journal(out),
            lambda path: self.status.setText(
                self.tr("Journal exporté : %1").replace("%1", str(path))
            ),
        )


class VotersSection(Section):
    offers = frozenset({Action.UNLOCK_VOTER})

    def __init__(self, session: AdminSession, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(session, tasks, parent)
        self.caption = QLabel(self)
        self.column.addWidget(self.caption)
        self.identifier = self.field()
        self.column.addWidget(self.identifier)
        self.unlock_button = self.button(Action.UNLOCK_VOTER)
        self.unlock_button.clicked.connect(self._unlock)
        self.identifier.returnPressed.connect(self._unlock)
        self.finish()

    def title_text(self) -> str:
        return self.tr("Électeurs")

    def retranslate(self) -> None:
        super().retranslate()
        self.caption.setText(self.tr("Identifiant de l'électeur bloqué :"))
        describe(
            self.identifier,
            self.tr("Identifiant de l'électeur"),
            self.tr("L'identifiant que l'électeur saisit pour voter"),
        )
        self.unlock_button.setText(self.tr("Débloquer"))
        describe(
            self.unlock_button,
            self.tr("Débloquer l'électeur"),
            self.tr("Effacer les échecs de cet électeur sur ce poste"),
        )

    def _unlock(self) -> None:
        identifier = self.identifier.text().strip()
        if not identifier:
            self.status.setText(self.tr("Saisissez l'identifiant."))
            return
        session = self.session

        def done(unlocked: bool) -> None:
            forget(self.identifier)
            self.status.setText(
                self.tr("Électeur débloqué.")
                if unlocked
                else self.tr("Aucun blocage pour cet identifiant.")
            )

        self.call(lambda: session.unlock_voter(identifier), done)


class PrinterSection(Section):
    offers = frozenset({Action.PRINTER_TEST})

    def __init__(self, session: AdminSession, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(session, tasks, parent)
        self.test_button = self.button(Action.PRINTER_TEST)
        self.test_button.clicked.connect(self._test)
        self.finish()

    def title_text(self) -> str:
        return self.tr("Imprimante")

    def retranslate(self) -> None:
        super().retranslate()
        self.test_button.setText(self.tr("Imprimer une page de test"))
        describe(
            self.test_button,
            self.tr("Imprimer une page de test"),
            self.tr("Vérifier que l'imprimante imprime"),
        )

    def _test(self) -> None:
        self.call(self.session.printer_test_page, self._print)

    def _print(self, pdf: bytes) -> None:
        self.status.setText(self.tr("Impression en cours…"))
        self.tasks.print_pdf(
            "test", lambda: pdf, lambda outcome: self.status.setText(self.printed_text(outcome))
        )


class DiagnosticsSection(Section):
    offers = frozenset({Action.DIAGNOSTICS})

    def __init__(self, session: AdminSession, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(session, tasks, parent)
        self.run_button = self.button(Action.DIAGNOSTICS)
        self.table = _table(self, 3)
        self.column.addWidget(self.table, 1)
        self.run_button.clicked.connect(self.refresh)
        self.finish()

    def shown(self) -> None:
        """Nothing: a diagnostics (network timeouts, a journal entry) runs only on request."""

    def title_text(self) -> str:
        return self.tr("Diagnostic")

    def retranslate(self) -> None:
        super().retranslate()
        self.run_button.setText(self.tr("Lancer le diagnostic"))
        describe(
            self.run_button,
            self.tr("Lancer le diagnostic"),
            self.tr("Vérifier le stockage, le disque, l'imprimante, le serveur et l'horloge"),
        )
        self.table.setHorizontalHeaderLabels(
            [self.tr("Vérification"), self.tr("Résultat"), self.tr("Détail")]
        )
        describe(
            self.table,
            self.tr("Résultats du diagnostic"),
            self.tr("Une ligne par vérification : OK, ATTENTION ou ÉCHEC"),
        )

    def refresh(self) -> None:
        self.call(self.session.diagnostics, self._shown)

    def rows(self) -> list[tuple[str, str]]:
        return [
            (_cell(self.table, row, 0), _cell(self.table, row, 1))
            for row in range(self.table.rowCount())
        ]

    def _shown(self, report: DiagnosticsReport) -> None:
        self.status.clear()
        _fill(
            self.table,
            (
                (check_name_text(check.name), check_status_text(check.status), check.detail)
                for check in report.checks
            ),
        )


class PackageSection(Section):
    offers = frozenset({Action.LOAD_PACKAGE, Action.ENROLL})
    packageLoaded = Signal()  # a new package is in the store: the window restarts on it

    def __init__(self, session: AdminSession, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(session, tasks, parent)
        self.file_caption = QLabel(self)
        self.column.addWidget(self.file_caption)
        self.file = FolderField("open", self)
        self.column.addWidget(self.file)
        self.from_file = self.button(Action.LOAD_PACKAGE)
        self.media_caption = QLabel(self)
        self.column.addWidget(self.media_caption)
        self.media = FolderField("folder", self)
        self.column.addWidget(self.media)
        self.from_media = self.button(Action.LOAD_PACKAGE)
        self.from_server = self.button(Action.LOAD_PACKAGE)
        self.fingerprint = QLabel(self)
        self.fingerprint.setObjectName("fingerprint")
        font = QFont(self.fingerprint.font())
        font.setPointSize(max(font.pointSize(), 10) * 2)
        font.setFamily("monospace")
        self.fingerprint.setFont(font)
        self.fingerprint.setWordWrap(True)
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.column.addWidget(self.fingerprint)
        self.preview_label = QLabel(self)
        self.preview_label.setWordWrap(True)
        self.column.addWidget(self.preview_label)
        self.confirm = ConfirmBar(self)
        self.column.addWidget(self.confirm)
        self.load_button = self.button(Action.LOAD_PACKAGE)
        self.load_button.setEnabled(False)
        self.token_caption = QLabel(self)
        self.column.addWidget(self.token_caption)
        self.token = self.field(secret=True)
        self.column.addWidget(self.token)
        self.enroll_button = self.button(Action.ENROLL)
        if not session.can(Action.LOAD_PACKAGE):
            for widget in (
                self.file_caption,
                self.file,
                self.media_caption,
                self.media,
                self.fingerprint,
                self.preview_label,
            ):
                widget.hide()
        if not session.can(Action.ENROLL):
            self.token_caption.hide()
            self.token.hide()
        self._preview: PackagePreview | None = None
        self.from_file.clicked.connect(lambda: self._preview_field(self.file))
        self.from_media.clicked.connect(lambda: self._preview_field(self.media))
        self.from_server.clicked.connect(lambda: self._preview_from("server"))
        self.load_button.clicked.connect(self._ask_load)
        self.enroll_button.clicked.connect(self._enroll)
        self.finish()

    def title_text(self) -> str:
        return self.tr("Scrutin")

    def retranslate(self) -> None:
        super().retranslate()
        self.file_caption.setText(
            self.tr("Paquet du scrutin (fichier .zip ou dossier du paquet) :")
        )
        self.file.describe(
            self.tr("Fichier du paquet"), self.tr("Le fichier ou le dossier du paquet à examiner")
        )
        self.media_caption.setText(self.tr("Ou un support amovible (dossier) :"))
        self.media.describe(
            self.tr("Dossier du support amovible"),
            self.tr("Le premier paquet trouvé dans ce dossier est examiné"),
        )
        for button, text, description in (
            (
                self.from_file,
                self.tr("Examiner ce paquet"),
                self.tr("Vérifier le paquet et afficher son empreinte"),
            ),
            (
                self.from_media,
                self.tr("Examiner le support"),
                self.tr("Vérifier le paquet du support amovible et afficher son empreinte"),
            ),
            (
                self.from_server,
                self.tr("Examiner le paquet du serveur"),
                self.tr("Télécharger le paquet du serveur central et afficher son empreinte"),
            ),
            (
                self.load_button,
                self.tr("Charger ce scrutin"),
                self.tr("Charger le paquet examiné dans le poste"),
            ),
            (
                self.enroll_button,
                self.tr("Inscrire le poste"),
                self.tr("Inscrire ce poste auprès du serveur central avec le jeton"),
            ),
        ):
            button.setText(text)
            describe(button, text, description)
        self.token_caption.setText(self.tr("Jeton d'inscription :"))
        describe(
            self.token,
            self.tr("Jeton d'inscription"),
            self.tr("Le jeton à usage unique donné par le serveur central"),
        )
        self.confirm.retranslate()

    def _preview_field(self, field: FolderField) -> None:
        path = field.path()
        if path is None:
            self.status.setText(self.tr("Choisissez d'abord le fichier ou le dossier du paquet."))
            return
        self._preview_from(path)

    def _preview_from(self, source: Path | Literal["server"]) -> None:
        self._preview = None
        self.load_button.setEnabled(False)
        self.fingerprint.clear()
        self.preview_label.clear()
        session = self.session
        # A kiosk not enrolled yet shows its enrollment token to get the server's package.
        token = (self.token.text().strip() or None) if source == "server" else None
        self.call(lambda: session.preview_package(source, enrollment_token=token), self._previewed)

    def _previewed(self, preview: PackagePreview) -> None:
        self.status.setText(
            self.tr("Comparez cette empreinte avec l'empreinte officielle avant de charger.")
        )
        self._preview = preview
        self.fingerprint.setText(preview.fingerprint)
        self.fingerprint.setAccessibleName(self.tr("Empreinte du paquet"))
        self.preview_label.setText(
            self.tr("%1 (%2) : %3 scrutins, %4 électeurs ; vote du %5 au %6 ; source : %7")
            .replace("%1", preview.title)
            .replace("%2", preview.election_id)
            .replace("%3", str(preview.scrutins))
            .replace("%4", str(preview.voters))
            .replace("%5", paris_time(preview.opens_at))
            .replace("%6", paris_time(preview.closes_at))
            .replace("%7", preview.location)
        )
        self.load_button.setEnabled(True)

    def _ask_load(self) -> None:
        preview = self._preview
        if preview is None:
            return
        self.confirm.ask(
            self.tr(
                "L'empreinte affichée est-elle identique à l'empreinte officielle ? Charger ce scrutin ?"  # noqa: E501 - one literal for lupdate
            ),
            lambda: self._load(preview),
        )

    def _load(self, preview: PackagePreview) -> None:
        session = self.session

        def loaded(fresh: bool) -> None:
            self.load_button.setEnabled(False)
            self._preview = None
            if not fresh:
                self.status.setText(self.tr("Ce scrutin était déjà chargé."))
                return
            # The window, its voting session and its names were built for the old package.
            self.status.setText(self.tr("Scrutin chargé : le poste redémarre sur ce scrutin."))
            self.packageLoaded.emit()

        self.call(lambda: session.load_package(preview), loaded)

    def _enroll(self) -> None:
        token = self.token.text().strip()
        forget(self.token)
        if not token:
            self.status.setText(self.tr("Saisissez le jeton d'inscription."))
            return
        session = self.session
        self.call(
            lambda: session.enroll(token),
            lambda _none: self.status.setText(self.tr("Poste inscrit.")),
        )


class OperatorsSection(Section):
    offers = frozenset({Action.MANAGE_OPERATORS, Action.UNLOCK_OPERATOR})
    ownAccountRemoved = Signal()  # the operator removed their own account: the console closes

    def __init__(self, session: AdminSession, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(session, tasks, parent)
        self.table = _table(self, 3)
        self.column.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.remove_button = self.button(Action.MANAGE_OPERATORS, layout=row)
        self.unlock_button = self.button(Action.UNLOCK_OPERATOR, layout=row)
        self.column.addLayout(row)
        self.confirm = ConfirmBar(self)
        self.column.addWidget(self.confirm)
        form = QFormLayout()
        self.name = self.field()
        self.role = QComboBox(self)
        self.pin = self.field(secret=True)
        self._name_caption, self._role_caption, self._pin_caption = (
            QLabel(self),
            QLabel(self),
            QLabel(self),
        )
        form.addRow(self._name_caption, self.name)
        form.addRow(self._role_caption, self.role)
        form.addRow(self._pin_caption, self.pin)
        self.column.addLayout(form)
        self.add_button = self.button(Action.MANAGE_OPERATORS)
        self.remove_button.clicked.connect(self._ask_remove)
        self.unlock_button.clicked.connect(self._unlock)
        self.add_button.clicked.connect(self._add)
        self.finish()

    def title_text(self) -> str:
        return self.tr("Opérateurs")

    def retranslate(self) -> None:
        super().retranslate()
        self.table.setHorizontalHeaderLabels(
            [self.tr("Identifiant"), self.tr("Rôle"), self.tr("État")]
        )
        describe(
            self.table,
            self.tr("Opérateurs du poste"),
            self.tr("Choisissez une ligne pour la retirer ou la débloquer"),
        )
        self._name_caption.setText(self.tr("Identifiant"))
        self._role_caption.setText(self.tr("Rôle"))
        self._pin_caption.setText(self.tr("Code (6 à 12 chiffres)"))
        describe(
            self.name,
            self.tr("Identifiant du nouvel opérateur"),
            self.tr("Lettres, chiffres, points ou tirets"),
        )
        describe(
            self.role, self.tr("Rôle du nouvel opérateur"), self.tr("Assesseur ou administrateur")
        )
        describe(
            self.pin,
            self.tr("Code du nouvel opérateur"),
            self.tr("De 6 à 12 chiffres, jamais affiché"),
        )
        current = self.role.currentIndex()
        self.role.clear()
        self.role.addItem(self.tr("Assesseur"), Role.ASSESSEUR)
        self.role.addItem(self.tr("Administrateur"), Role.ADMINISTRATOR)
        self.role.setCurrentIndex(max(current, 0))
        for button, text, description in (
            (
                self.add_button,
                self.tr("Ajouter l'opérateur"),
                self.tr("Créer ce compte d'opérateur"),
            ),
            (self.remove_button, self.tr("Retirer"), self.tr("Retirer l'opérateur choisi")),
            (
                self.unlock_button,
                self.tr("Débloquer"),
                self.tr("Débloquer l'opérateur choisi après trop d'essais"),
            ),
        ):
            button.setText(text)
            describe(button, text, description)
        self.confirm.retranslate()

    def _role_text(self, role: Role) -> str:
        return self.tr("Administrateur") if role is Role.ADMINISTRATOR else self.tr("Assesseur")

    def refresh(self) -> None:
        self.call(self.session.operators, self._shown)

    def names(self) -> list[str]:
        return [_cell(self.table, row, 0) for row in range(self.table.rowCount())]

    def _shown(self, accounts: list[OperatorAccount]) -> None:
        _fill(
            self.table,
            (
                (account.name, self._role_text(account.role), self._state_text(account))
                for account in accounts
            ),
        )

    def _state_text(self, account: OperatorAccount) -> str:
        if account.locked:
            return self.tr("bloqué")
        if account.retry_at is not None:
            return self.tr("en attente jusqu'au %1").replace(
                "%1", paris_time(account.retry_at, seconds=True)
            )
        return self.tr("actif")

    def _selected(self) -> str | None:
        row = self.table.currentRow()
        item = self.table.item(row, 0) if row >= 0 else None
        if item is None:
            self.status.setText(self.tr("Choisissez d'abord un opérateur dans la liste."))
            return None
        return item.text()

    def select(self, name: str) -> None:
        for row in range(self.table.rowCount()):
            if _cell(self.table, row, 0) == name:
                self.table.setCurrentCell(row, 0)

    def _ask_remove(self) -> None:
        name = self._selected()
        if name is None:
            return
        session = self.session
        removed = self._done(self.tr("Opérateur retiré."))

        def done(value: object) -> None:
            if name == session.operator.name:  # no rights left: no console either
                self.ownAccountRemoved.emit()
                return
            removed(value)

        self.confirm.ask(
            self.tr("Retirer l'opérateur %1 ?").replace("%1", name),
            lambda: self.call(lambda: session.remove_operator(name), done),
        )

    def _unlock(self) -> None:
        name = self._selected()
        if name is not None:
            session = self.session
            self.call(
                lambda: session.unlock_operator(name), self._done(self.tr("Opérateur débloqué."))
            )

    def _add(self) -> None:
        name, pin = self.name.text().strip(), self.pin.text()
        forget(self.pin)
        role = self.role.currentData()
        session = self.session

        def added(_operator: object) -> None:
            forget(self.name)
            self.refresh()
            self.status.setText(self.tr("Opérateur ajouté."))

        self.call(lambda: session.add_operator(name, role, pin), added)

    def _done(self, message: str) -> Callable[[object], None]:
        def done(_value: object) -> None:
            self.refresh()
            self.status.setText(message)

        return done
