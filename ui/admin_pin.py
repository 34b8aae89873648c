"""The only way to close the kiosk window: an administrator's PIN, checked by an injected call."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

AdminCheck = Callable[[str], bool]


class AdminPinDialog(QDialog):
    """Accepts only when ``check(pin)`` is true; a wrong PIN empties the field and stays open."""

    def __init__(self, check: AdminCheck, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._check = check
        self.setWindowModality(Qt.WindowModality.WindowModal)
        column = QVBoxLayout(self)
        self._prompt = QLabel(self)
        self._pin = QLineEdit(self)
        self._pin.setEchoMode(QLineEdit.EchoMode.Password)
        self._notice = QLabel(self)
        self._notice.setObjectName("notice")
        self._buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        for widget in (self._prompt, self._pin, self._notice, self._buttons):
            column.addWidget(widget)
        self._buttons.accepted.connect(self._try)
        self._buttons.rejected.connect(self.reject)
        self.setWindowTitle(self.tr("Fermeture du poste"))
        self._prompt.setText(self.tr("Code administrateur"))
        self._pin.setAccessibleName(self.tr("Code administrateur"))
        self._pin.setAccessibleDescription(self.tr("Le code qui autorise la fermeture du poste"))
        ok = self._buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setAccessibleName(self.tr("Valider"))
        ok.setAccessibleDescription(self.tr("Fermer le poste avec ce code"))
        cancel = self._buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName(self.tr("Annuler"))
        cancel.setAccessibleDescription(self.tr("Laisser le poste ouvert"))

    @property
    def pin_field(self) -> QLineEdit:
        return self._pin

    def _try(self) -> None:
        pin = self._pin.text()
        self._pin.clear()
        if self._check(pin):
            self.accept()
        else:
            self._notice.setText(self.tr("Code incorrect."))
