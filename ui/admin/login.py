"""The operator's login: name and PIN, checked by the core (``AdminConsole.login``) off the GUI
thread (on the console's worker, never the voters'). The refusal never says which of the two was
wrong; a lockout says until when. A PIN typed into the name field by mistake does not stay on
screen after a refusal, and a dialog left untouched for ``CONSOLE_IDLE`` closes (it is
window-modal: it would keep voters out)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final, Protocol
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from kiosk.admin.operators import LoginRefused, RefusalReason
from kiosk.clock import Clock
from ui.admin import CONSOLE_IDLE
from ui.admin.idle import IdleWatch
from ui.pages.base import describe, forget
from ui.worker import CoreWorker

if TYPE_CHECKING:
    from kiosk.admin.console import AdminConsole, AdminSession

_LOGGER: Final = logging.getLogger("ui.admin")
TIME_ZONE: Final = ZoneInfo("Europe/Paris")


class AdminLogin(Protocol):
    """What the window needs of ``kiosk.admin.console.AdminConsole``."""

    def login(self, name: str, pin: str) -> AdminSession | LoginRefused: ...


class DeferredAdmin:
    """An ``AdminLogin`` that builds the ``AdminConsole`` at the first sign-in, on the worker's
    thread: the core's admin modules (reports, server client, diagnostics) stay out of the
    kiosk's cold start."""

    def __init__(self, make: Callable[[], AdminConsole]) -> None:
        self._make = make
        self._console: AdminConsole | None = None
        self._lock = threading.Lock()

    def login(self, name: str, pin: str) -> AdminSession | LoginRefused:
        with self._lock:
            if self._console is None:
                self._console = self._make()
            console = self._console
        return console.login(name, pin)


def paris_time(instant: datetime, *, seconds: bool = False) -> str:
    """``instant`` as the kiosk's people read it: Europe/Paris, to the minute (or second)."""
    return instant.astimezone(TIME_ZONE).strftime(
        "%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M"
    )


def looks_like_pin(name: str) -> bool:
    """Digits only: no operator name of the kind people choose, very much a PIN."""
    return name.isdigit()


class LoginDialog(QDialog):
    """Name and PIN (never echoed); ``loggedIn(session)`` then accept on success. The PIN field
    is emptied as soon as it is read, whatever the answer; the name field too after a refusal
    when it looks like a PIN. Untouched for ``idle`` (``clock``), the dialog closes."""

    loggedIn = Signal(object)  # the AdminSession

    def __init__(
        self,
        admin: AdminLogin,
        worker: CoreWorker,
        clock: Clock,
        *,
        idle: timedelta = CONSOLE_IDLE,
        tick_ms: int = 1000,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._admin = admin
        self._worker = worker
        self._pending = False
        self._idle_watch = IdleWatch(
            self, clock, idle, tick_ms, self.reject, busy=lambda: self._pending
        )
        self.setWindowModality(Qt.WindowModality.WindowModal)
        column = QVBoxLayout(self)
        self._prompt = QLabel(self)
        self._prompt.setWordWrap(True)
        form = QFormLayout()
        self._name = QLineEdit(self)
        self._pin = QLineEdit(self)
        self._pin.setEchoMode(QLineEdit.EchoMode.Password)
        self._pin.setInputMethodHints(
            Qt.InputMethodHint.ImhHiddenText
            | Qt.InputMethodHint.ImhSensitiveData
            | Qt.InputMethodHint.ImhNoPredictiveText
            | Qt.InputMethodHint.ImhDigitsOnly
        )
        self._name_label = QLabel(self)
        self._pin_label = QLabel(self)
        self._name_label.setBuddy(self._name)
        self._pin_label.setBuddy(self._pin)
        form.addRow(self._name_label, self._name)
        form.addRow(self._pin_label, self._pin)
        self._notice = QLabel(self)
        self._notice.setObjectName("notice")
        self._notice.setWordWrap(True)
        self._buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        column.addWidget(self._prompt)
        column.addLayout(form)
        column.addWidget(self._notice)
        column.addWidget(self._buttons)
        self._buttons.accepted.connect(self.submit)
        self._buttons.rejected.connect(self.reject)
        self._retranslate()
        self._name.setFocus()

    def _retranslate(self) -> None:
        self.setWindowTitle(self.tr("Console d'administration"))
        self._prompt.setText(self.tr("Réservé aux assesseurs et aux administrateurs du poste."))
        self._name_label.setText(self.tr("&Identifiant"))
        self._pin_label.setText(self.tr("&Code"))
        describe(self._name, self.tr("Identifiant de l'opérateur"), self.tr("Votre identifiant"))
        describe(
            self._pin, self.tr("Code de l'opérateur"), self.tr("Votre code, de 6 à 12 chiffres")
        )
        ok = self._buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("Valider"))
        describe(ok, self.tr("Valider"), self.tr("Ouvrir la console avec cet identifiant"))
        cancel = self._buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText(self.tr("Annuler"))
        describe(cancel, self.tr("Annuler"), self.tr("Revenir au vote"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def done(self, result: int) -> None:
        self._idle_watch.stop()
        super().done(result)

    def tick(self) -> None:
        """What the inactivity timer does: close once nobody touched the dialog for ``idle``."""
        self._idle_watch.tick()

    @property
    def name_field(self) -> QLineEdit:
        return self._name

    @property
    def pin_field(self) -> QLineEdit:
        return self._pin

    @property
    def notice_text(self) -> str:
        return self._notice.text()

    @property
    def pending(self) -> bool:
        """True while the core checks the last attempt."""
        return self._pending

    def submit(self) -> None:
        """Hand name and PIN to the core, once at a time; the answer comes back in ``_answered``."""
        if self._pending:
            return
        name, pin = self._name.text().strip(), self._pin.text()
        forget(self._pin)
        self._pending = True
        self._buttons.setEnabled(False)
        admin = self._admin
        self._worker.run(
            lambda: admin.login(name, pin), on_success=self._answered, on_failure=self._failed
        )

    def _answered(self, answer: AdminSession | LoginRefused) -> None:
        self._pending = False
        self._buttons.setEnabled(True)
        if isinstance(answer, LoginRefused):
            self._notice.setText(self._refusal_text(answer))
            if looks_like_pin(self._name.text().strip()):  # a PIN in the wrong field: unseen
                forget(self._name)
                self._name.setFocus()
            else:
                self._pin.setFocus()
            return
        forget(self._name)
        self._notice.clear()
        self.loggedIn.emit(answer)
        self.accept()

    def _refusal_text(self, refusal: LoginRefused) -> str:
        if refusal.reason is RefusalReason.LOCKED:
            if refusal.retry_at is None:
                return self.tr("Compte bloqué : un administrateur doit le débloquer.")
            return self.tr("Trop d'essais : compte bloqué jusqu'au %1.").replace(
                "%1", paris_time(refusal.retry_at, seconds=True)
            )
        wrong = self.tr("Identifiant ou code incorrect.")
        if refusal.retry_at is None:
            return wrong
        return (
            wrong
            + " "
            + self.tr("Prochain essai possible à %1.").replace(
                "%1", paris_time(refusal.retry_at, seconds=True)
            )
        )

    def _failed(self, error: BaseException) -> None:
        # Privacy: the kind of failure only; the message could hold what was typed.
        _LOGGER.error("operator login failed: %s", type(error).__name__)
        self._pending = False
        self._buttons.setEnabled(True)
        self._notice.setText(self.tr("La vérification a échoué : réessayez."))
