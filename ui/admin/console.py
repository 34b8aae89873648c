"""The admin console: a full-screen dialog over the kiosk window, for one logged-in operator.

The navigation on the left lists the sections the operator's role may use (the core's
``AdminSession.can``); "Retour au vote" logs out, and so does inactivity: the console's timer only
ticks, the injected clock says how long nobody touched it (or a window of its own, such as a file
dialog), and the time does not count while the console's own work runs. "Quitter le poste"
(administrators) asks the window to close, which is the only way it closes; loading a new package
asks the window to restart on it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.admin.console import AdminSession
from kiosk.admin.roles import Action, Role
from kiosk.clock import Clock
from ui.admin import CONSOLE_IDLE
from ui.admin.idle import IdleWatch
from ui.admin.sections import (
    ConfirmBar,
    DashboardSection,
    DiagnosticsSection,
    JournalSection,
    OperatorsSection,
    PackageSection,
    PollsSection,
    PrinterSection,
    Section,
    SyncSection,
    Tasks,
    VotersSection,
)
from ui.pages.base import TouchButton, describe

TICK_MS: Final = 1000

SECTION_TYPES: Final[tuple[type[Section], ...]] = (
    DashboardSection,
    PollsSection,
    SyncSection,
    JournalSection,
    VotersSection,
    PrinterSection,
    DiagnosticsSection,
    PackageSection,
    OperatorsSection,
)


class ConsoleDialog(QDialog):
    """See the module docstring. ``loggedOut`` when it closes; for the window:
    ``quitRequested`` ("Quitter le poste") and ``restartRequested`` (a new package loaded)."""

    loggedOut = Signal()
    quitRequested = Signal()
    restartRequested = Signal()

    def __init__(
        self,
        session: AdminSession,
        tasks: Tasks,
        clock: Clock,
        *,
        idle: timedelta = CONSOLE_IDLE,
        tick_ms: int = TICK_MS,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self._tasks = tasks
        self.setObjectName("adminConsole")
        self.setWindowModality(Qt.WindowModality.WindowModal)

        self._who = QLabel(self)
        self.navigation = QListWidget(self)
        self.stack = QStackedWidget(self)
        self.sections: dict[type[Section], Section] = {}
        for section_type in SECTION_TYPES:
            if section_type.shown_for(session):
                section = section_type(session, tasks, self.stack)
                self.sections[section_type] = section
                self.stack.addWidget(section)
                self.navigation.addItem(QListWidgetItem())
        self.quit_button = TouchButton(self)
        self.quit_confirm = ConfirmBar(self)
        self.back_button = TouchButton(self)
        for button in (self.quit_button, self.back_button):
            button.setAutoDefault(False)
        if not session.can(Action.QUIT_KIOSK):
            self.quit_button.hide()

        side = QVBoxLayout()
        side.addWidget(self._who)
        side.addWidget(self.navigation, 1)
        side.addWidget(self.quit_button)
        side.addWidget(self.quit_confirm)
        side.addWidget(self.back_button)
        row = QHBoxLayout(self)
        row.addLayout(side)
        row.addWidget(self.stack, 1)

        self.navigation.currentRowChanged.connect(self._show_section)
        self.back_button.clicked.connect(self.log_out)
        self.quit_button.clicked.connect(
            lambda: self.quit_confirm.ask(
                self.tr("Fermer le poste de vote ?"), self.quitRequested.emit
            )
        )
        self.rejected.connect(self.loggedOut)  # Escape: the same as "Retour au vote"
        package = self.sections.get(PackageSection)
        if isinstance(package, PackageSection):
            package.packageLoaded.connect(self.restartRequested)
        operators = self.sections.get(OperatorsSection)
        if isinstance(operators, OperatorsSection):
            operators.ownAccountRemoved.connect(self.log_out)
        self._idle_watch = IdleWatch(
            self, clock, idle, tick_ms, self.log_out, busy=lambda: self._tasks.busy
        )
        self._retranslate()
        self.navigation.setCurrentRow(0)
        self.navigation.setFocus()

    # ---- what the window and the tests see ----------------------------------------------------

    def section(self, section_type: type[Section]) -> Section | None:
        return self.sections.get(section_type)

    def show_section(self, section_type: type[Section]) -> Section:
        """Go to a section, as choosing it in the navigation does."""
        section = self.sections[section_type]
        self.navigation.setCurrentRow(self.stack.indexOf(section))
        return section

    @property
    def busy(self) -> bool:
        return self._tasks.busy

    def log_out(self) -> None:
        """Close the console: the window shows the vote again."""
        self.reject()

    def done(self, result: int) -> None:
        self._idle_watch.stop()
        self._tasks.close()
        super().done(result)

    def tick(self) -> None:
        """What the inactivity timer does: log out once nobody touched the console (or a
        window of its own, such as a file dialog) for ``idle``, work of its own aside."""
        self._idle_watch.tick()

    # ---- texts --------------------------------------------------------------------------------

    def _show_section(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        section = self.stack.currentWidget()
        if isinstance(section, Section):
            section.shown()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Return in a field must not press a dialog default button: sections handle their own.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return
        super().keyPressEvent(event)

    def _retranslate(self) -> None:
        self.setWindowTitle(self.tr("Console d'administration"))
        operator = self.session.operator
        role = (
            self.tr("administrateur")
            if operator.role is Role.ADMINISTRATOR
            else self.tr("assesseur")
        )
        self._who.setText(f"{operator.name} ({role})")
        for row in range(self.stack.count()):
            section = self.stack.widget(row)
            item = self.navigation.item(row)
            if isinstance(section, Section) and item is not None:
                item.setText(section.title_text())
        describe(
            self.navigation,
            self.tr("Sections de la console"),
            self.tr("Choisir une section avec les flèches"),
        )
        self.quit_button.setText(self.tr("Quitter le poste"))
        describe(
            self.quit_button,
            self.tr("Quitter le poste"),
            self.tr("Fermer le poste de vote (administrateur)"),
        )
        self.back_button.setText(self.tr("Retour au vote"))
        describe(
            self.back_button,
            self.tr("Retour au vote"),
            self.tr("Fermer la console et revenir à l'accueil des électeurs"),
        )
