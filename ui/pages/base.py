"""What every page shares: widgets built once, texts set in ``retranslate``, inputs cleared.

A page never decides what comes next: it shows the state it is handed and emits signals for
what the voter asked (``submitted``, ``backRequested``...); the window turns them into events.

``clear`` leaves a page as a new one: every field empty (with no undo history), every label
that shows the state empty, every row built from the state gone. The window calls it on the
page it leaves, the page it enters and, at each ``ResetSession``, on every page
(tests/ui/test_pristine.py compares a whole window after a voter with a new one).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QRadioButton, QVBoxLayout, QWidget

TOUCH_HEIGHT = 64  # a finger, not a mouse pointer


def forget(field: QLineEdit) -> None:
    """Empty ``field`` for good: ``QLineEdit.clear`` can be undone (Ctrl+Z would bring the last
    voter's identifier back), ``setText`` also drops the undo history."""
    field.setText("")


def describe(widget: QWidget, name: str, description: str) -> None:
    """The accessible name and description of an interactive control (screen readers, tests)."""
    widget.setAccessibleName(name)
    widget.setAccessibleDescription(description)


class TouchButton(QPushButton):
    """A button that Return or Enter also presses when it has the focus (Qt's buttons take only
    Space outside a dialog): a keyboard user tabs to it and confirms as everywhere else."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.isEnabled():
            self.animateClick()
            return
        super().keyPressEvent(event)


class TouchRadioButton(QRadioButton):
    """A choice that a finger anywhere on its row selects, not only on its circle and words."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(TOUCH_HEIGHT)

    def hitButton(self, pos: QPoint) -> bool:
        return self.rect().contains(pos)


class Page(QWidget):
    """A screen: its widgets are made once; ``clear`` forgets whatever the last voter typed or
    was shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(48, 32, 48, 32)
        self.column.setSpacing(16)
        self._from_state: list[QLabel] = []  # labels that show the state: emptied by ``clear``

    def clear(self) -> None:
        """Empty every input field and every label made with ``from_state``; a page that shows
        more of the state (rows, images, hidden choices) undoes that too. Called when the page
        is entered and left, and on every page at a reset."""
        for field in self.findChildren(QLineEdit):
            forget(field)
        for label in self._from_state:
            label.clear()

    def retranslate(self) -> None:
        """Set every static text (called at start and on each language change)."""

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # ---- widget makers ------------------------------------------------------------------------

    def title(self) -> QLabel:
        label = QLabel(self)
        label.setObjectName("title")
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.column.addWidget(label)
        return label

    def text(self, object_name: str = "", *, from_state: bool = False) -> QLabel:
        """A label; ``from_state``: its text comes from the state, and ``clear`` empties it."""
        label = QLabel(self)
        label.setWordWrap(True)
        if object_name:
            label.setObjectName(object_name)
        if from_state:
            self._from_state.append(label)
        self.column.addWidget(label)
        return label

    def notice(self) -> QLabel:
        """The message about the last attempt (styled as a warning)."""
        return self.text("notice", from_state=True)

    def button(self, *, add: bool = True) -> QPushButton:
        button = TouchButton(self)
        button.setMinimumHeight(TOUCH_HEIGHT)
        button.setAutoDefault(False)
        if add:
            self.column.addWidget(button)
        return button

    def field(self, *, secret: bool = False) -> QLineEdit:
        field = QLineEdit(self)
        field.setMinimumHeight(TOUCH_HEIGHT)
        if secret:
            field.setEchoMode(QLineEdit.EchoMode.Password)
            field.setInputMethodHints(
                Qt.InputMethodHint.ImhHiddenText
                | Qt.InputMethodHint.ImhSensitiveData
                | Qt.InputMethodHint.ImhNoPredictiveText
            )
        self.column.addWidget(field)
        return field
