"""The kiosk's first run in the window (``python -m ui --store NEW --first-run``): the same work
as ``isoloir admin setup`` without a package (``kiosk.admin.setup.first_run``).

``FirstRunDialog`` asks for the kiosk id, the store key (a key file to create, by default the
configuration's ``key_file``, or a passphrase typed twice) and the first administrator (name, PIN
typed twice). The passphrase and PIN fields are emptied as soon as they are read, whatever the
answer; nothing typed there is ever logged. The store is made on a ``CoreWorker``, off the GUI
thread; a refusal shows in the dialog and leaves nothing behind (a key file made for a store
that failed is removed too). On success the dialog shows the kiosk's public key, for the
organizer to list in the election package, and "Ouvrir le poste" accepts it: ``store_key`` then
opens the new store.

A store without a package has no voting window yet: ``PackageConsole`` is the admin console alone
(sign-in, then the usual sections), where the administrator loads the package and enrolls; a
loaded package closes it with ``restartRequested`` and the window opens on it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.admin.setup import FirstRun, FirstRunError
from kiosk.clock import Clock
from kiosk.encoding import b64encode
from kiosk.store import StoreError, StoreKey, create_key_file
from ui.pages.base import describe, forget
from ui.worker import CoreWorker

if TYPE_CHECKING:
    from kiosk.admin.console import AdminSession
    from ui.admin.console import ConsoleDialog
    from ui.admin.login import AdminLogin, LoginDialog

_LOGGER: Final = logging.getLogger("ui.admin")


def _secret(field: QLineEdit) -> None:
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setInputMethodHints(
        Qt.InputMethodHint.ImhHiddenText
        | Qt.InputMethodHint.ImhSensitiveData
        | Qt.InputMethodHint.ImhNoPredictiveText
    )


class FirstRunDialog(QDialog):
    """See the module docstring. ``created`` (the ``FirstRun``) once the store is made."""

    created = Signal(object)

    def __init__(
        self,
        store_path: Path,
        default_key_file: Path | None,
        clock: Clock,
        worker: CoreWorker,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._store_path = store_path
        self._clock = clock
        self._worker = worker
        self._pending = False
        self.first_run: FirstRun | None = None
        self.store_key: StoreKey | None = None

        self._intro = QLabel(self)
        self._intro.setWordWrap(True)
        self.kiosk_id = QLineEdit(self)
        self.use_key_file = QRadioButton(self)
        self.use_passphrase = QRadioButton(self)
        self.key_file = QLineEdit(self)
        self.key_file.setText(str(default_key_file) if default_key_file else "")
        self.passphrase = QLineEdit(self)
        self.passphrase_again = QLineEdit(self)
        self.admin_name = QLineEdit(self)
        self.pin = QLineEdit(self)
        self.pin_again = QLineEdit(self)
        for field in (self.passphrase, self.passphrase_again, self.pin, self.pin_again):
            _secret(field)
        for field in (self.pin, self.pin_again):
            field.setInputMethodHints(field.inputMethodHints() | Qt.InputMethodHint.ImhDigitsOnly)
        self.use_key_file.setChecked(True)
        self.use_key_file.toggled.connect(self._key_choice)
        self._labels = [QLabel(self) for _ in range(7)]
        form = QFormLayout()
        fields = (
            self.kiosk_id,
            self.key_file,
            self.passphrase,
            self.passphrase_again,
            self.admin_name,
            self.pin,
            self.pin_again,
        )
        form.addRow(self._labels[0], self.kiosk_id)
        form.addRow(self.use_key_file)
        form.addRow(self._labels[1], self.key_file)
        form.addRow(self.use_passphrase)
        for label, field in zip(self._labels[2:], fields[2:], strict=True):
            form.addRow(label, field)
        for label, field in zip(self._labels, fields, strict=True):
            label.setBuddy(field)
        self.notice = QLabel(self)
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.public_key = QLabel(self)
        self.public_key.setWordWrap(True)
        self.public_key.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.public_key.hide()
        self.create_button = QPushButton(self)
        self.open_button = QPushButton(self)
        self.open_button.hide()
        self.create_button.clicked.connect(self.create_kiosk)
        self.open_button.clicked.connect(self.accept)
        column = QVBoxLayout(self)
        column.addWidget(self._intro)
        column.addLayout(form)
        column.addWidget(self.notice)
        column.addWidget(self.public_key)
        column.addWidget(self.create_button)
        column.addWidget(self.open_button)
        self._retranslate()
        self._key_choice()

    @property
    def busy(self) -> bool:
        return self._pending

    def create_kiosk(self) -> None:
        """Read the form (the secrets emptied at once), check it, and make the store off the GUI
        thread."""
        if self._pending or self.first_run is not None:
            return
        passphrase, passphrase_again = self.passphrase.text(), self.passphrase_again.text()
        pin, pin_again = self.pin.text(), self.pin_again.text()
        for field in (self.passphrase, self.passphrase_again, self.pin, self.pin_again):
            forget(field)
        if pin != pin_again:
            self._refuse(self.tr("Les deux codes PIN diffèrent : rien n'a été créé."))
            return
        key_file: Path | None = None
        if self.use_key_file.isChecked():
            text = self.key_file.text().strip()
            if not text:
                self._refuse(self.tr("Indiquez le fichier de clé à créer."))
                return
            key_file = Path(text)
        elif passphrase != passphrase_again:
            self._refuse(self.tr("Les deux phrases de passe diffèrent : rien n'a été créé."))
            return
        elif not passphrase:
            self._refuse(self.tr("La phrase de passe est vide."))
            return
        self._pending = True
        self.create_button.setEnabled(False)
        self.notice.setText(self.tr("Création du poste…"))
        store_path, clock = self._store_path, self._clock
        kiosk_id, admin = self.kiosk_id.text(), self.admin_name.text()

        def work() -> tuple[FirstRun, StoreKey]:
            from kiosk.admin.setup import first_run

            if store_path.exists():  # checked before a key file is made for nothing
                raise FirstRunError(f"{store_path}: exists already; a store is never overwritten")
            key = create_key_file(key_file) if key_file else StoreKey.from_passphrase(passphrase)
            try:
                return first_run(store_path, key, kiosk_id, admin, pin, clock), key
            except BaseException:
                if key_file is not None:
                    key_file.unlink(missing_ok=True)  # it opens no store
                raise

        self._worker.run(work, on_success=self._made, on_failure=self._failed)

    def _made(self, result: tuple[FirstRun, StoreKey]) -> None:
        self._pending = False
        self.first_run, self.store_key = result
        for field in (self.kiosk_id, self.key_file, self.admin_name):
            field.setReadOnly(True)
        self.notice.setText(
            self.tr(
                "Poste créé. Envoyez sa clé publique à l'organisateur ; ouvrez ensuite le poste "
                "et connectez-vous à la console pour charger le scrutin."
            )
        )
        self.public_key.setText(
            self.tr("Clé publique du poste {kiosk} : {key}").format(
                kiosk=self.first_run.identity.kiosk_id, key=b64encode(self.first_run.public_key)
            )
        )
        self.public_key.show()
        self.create_button.hide()
        self.open_button.show()
        self.open_button.setFocus()
        self.created.emit(self.first_run)

    def _failed(self, error: BaseException) -> None:
        self._pending = False
        self.create_button.setEnabled(True)
        if isinstance(error, FirstRunError | StoreError | ValueError):
            self._refuse(self.tr("Refusé : {reason}").format(reason=str(error)))
            return
        _LOGGER.error("first run failed: %s", type(error).__name__)
        self._refuse(self.tr("La création du poste a échoué ; rien n'a été créé."))

    def _refuse(self, message: str) -> None:
        self.notice.setText(message)

    def _key_choice(self) -> None:
        by_file = self.use_key_file.isChecked()
        self.key_file.setEnabled(by_file)
        self.passphrase.setEnabled(not by_file)
        self.passphrase_again.setEnabled(not by_file)

    def reject(self) -> None:
        if not self._pending:  # the store is being made: it finishes, then the dialog closes
            super().reject()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def _retranslate(self) -> None:
        self.setWindowTitle(self.tr("Premier démarrage du poste"))
        self._intro.setText(
            self.tr("Aucun poste n'existe encore à {path}. Créez-le ici.").format(
                path=str(self._store_path)
            )
        )
        texts = (
            self.tr("Identifiant du poste"),
            self.tr("Fichier de clé à créer"),
            self.tr("Phrase de passe"),
            self.tr("Phrase de passe (encore)"),
            self.tr("Premier administrateur"),
            self.tr("Code PIN (6 à 12 chiffres)"),
            self.tr("Code PIN (encore)"),
        )
        for label, text in zip(self._labels, texts, strict=True):
            label.setText(text)
        self.use_key_file.setText(self.tr("Clé du magasin : un nouveau fichier de clé"))
        self.use_passphrase.setText(self.tr("Clé du magasin : une phrase de passe"))
        self.create_button.setText(self.tr("Créer le poste"))
        self.open_button.setText(self.tr("Ouvrir le poste"))
        describe(
            self.create_button,
            self.tr("Créer le poste"),
            self.tr("Crée le magasin chiffré, la clé du poste et le compte administrateur"),
        )


class PackageConsole(QWidget):
    """The admin console alone, for a store that holds no package yet: the sign-in, then the
    console; ``restartRequested`` when a package was loaded, ``quitRequested`` on "Quitter le
    poste"."""

    restartRequested = Signal()
    quitRequested = Signal()

    def __init__(self, admin: AdminLogin, clock: Clock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from ui.admin.sections import ConsoleWork

        self._admin = admin
        self._clock = clock
        self._worker = CoreWorker(self)
        self._work = ConsoleWork(self._worker, self._worker, None, self)
        self.login_dialog: LoginDialog | None = None
        self.console: ConsoleDialog | None = None
        self._message = QLabel(self)
        self._message.setWordWrap(True)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._sign_in = QPushButton(self)
        self._sign_in.clicked.connect(self.request_admin)
        column = QVBoxLayout(self)
        column.addStretch(1)
        column.addWidget(self._message)
        column.addWidget(self._sign_in)
        column.addStretch(1)
        self._retranslate()

    def request_admin(self) -> LoginDialog | None:
        from ui.admin.login import LoginDialog

        if self.console is not None or self.login_dialog is not None:
            return self.login_dialog
        dialog = LoginDialog(self._admin, self._worker, self._clock, parent=self)
        dialog.loggedIn.connect(self._open_console)
        dialog.finished.connect(lambda _result: self._forget_login())
        self.login_dialog = dialog
        dialog.open()
        return dialog

    def shutdown(self) -> None:
        self._worker.shutdown()

    def _forget_login(self) -> None:
        if self.login_dialog is not None:
            self.login_dialog.deleteLater()
            self.login_dialog = None

    def _open_console(self, session: AdminSession) -> None:
        from ui.admin.console import ConsoleDialog
        from ui.admin.sections import Tasks

        tasks = Tasks(self._work)
        console = ConsoleDialog(session, tasks, self._clock, parent=self)
        tasks.setParent(console)
        console.loggedOut.connect(self._console_closed)
        console.restartRequested.connect(self.restartRequested)
        console.quitRequested.connect(self.quitRequested)
        self.console = console
        console.setGeometry(self.geometry())
        console.open()

    def _console_closed(self) -> None:
        console, self.console = self.console, None
        if console is not None:
            console.deleteLater()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def _retranslate(self) -> None:
        self.setWindowTitle(self.tr("Poste sans scrutin"))
        self._message.setText(
            self.tr(
                "Aucun scrutin n'est chargé sur ce poste : un administrateur se connecte à la "
                "console pour le charger et inscrire le poste auprès du serveur."
            )
        )
        self._sign_in.setText(self.tr("Console d'administration"))
