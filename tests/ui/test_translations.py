"""English ships complete: the .ts translates every UI string, and the window switches to it.

French is the source language (the strings in ``self.tr()``); ``resources/i18n/isoloir_en.ts``
holds the English, compiled by ``make translations`` into the ``ui/i18n/isoloir_en.qm`` the
window loads (docs/translations.md). The sources are scanned here independently of lupdate, so a
string lupdate cannot see (a wrapper, a computed text, a plural it misses) fails a test.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt, QTranslator
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget
from pytestqt.qtbot import QtBot

from tests.ui.conftest import control
from ui.kiosk_window import TRANSLATIONS, KioskWindow
from ui.pages.base import Page

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "ui"
TS = ROOT / "resources" / "i18n" / "isoloir_en.ts"
QM = TRANSLATIONS / "isoloir_en.qm"
_LEFT = Qt.MouseButton.LeftButton
_PLACEHOLDER = re.compile(r"%(?:n|L?\d+)|\{[^{}]*\}")

Key = tuple[str, str]  # (context, French source)


class _TrCalls(ast.NodeVisitor):
    """Every ``self.tr("…")`` (context: the enclosing class) and
    ``QCoreApplication.translate("Context", "…")`` of one module, and every call lupdate
    cannot read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.classes: list[str] = []
        self.found: dict[Key, bool] = {}  # -> is a plural (%n with a count)
        self.problems: list[str] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes.append(node.name)
        self.generic_visit(node)
        self.classes.pop()

    def visit_Call(self, node: ast.Call) -> None:
        where = f"{self.path.relative_to(ROOT)}:{node.lineno}"
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        texts = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
        if isinstance(func, ast.Attribute) and name == "tr":
            if not self.classes or not texts or not isinstance(texts[0], str):
                self.problems.append(f"{where}: tr() needs a literal text inside a class")
            else:
                self.found[(self.classes[-1], texts[0])] = len(node.args) >= 3
        elif isinstance(func, ast.Attribute) and name == "translate":
            if len(texts) < 2 or not all(isinstance(t, str) for t in texts[:2]):
                self.problems.append(f"{where}: translate() needs a literal context and text")
            elif len(node.args) > 3 or node.keywords:
                # lupdate does not mark a translate() plural: the .qm would lack its forms.
                self.problems.append(f"{where}: a plural goes through self.tr(text, '', n)")
            else:
                self.found[(str(texts[0]), str(texts[1]))] = False
        elif isinstance(func, ast.Name) and name.lstrip("_") in {"tr", "translate"}:
            self.problems.append(f"{where}: lupdate cannot see through the wrapper {name}()")
        self.generic_visit(node)


def _source_strings() -> tuple[dict[Key, bool], list[str]]:
    found: dict[Key, bool] = {}
    problems: list[str] = []
    for path in sorted(UI.rglob("*.py")):
        calls = _TrCalls(path)
        calls.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        found.update(calls.found)
        problems += calls.problems
    return found, problems


def _ts_root() -> ET.Element:
    return ET.parse(TS).getroot()  # noqa: S314 (the repository's own file, not outside input)


def _ts_messages() -> dict[Key, ET.Element]:
    messages: dict[Key, ET.Element] = {}
    for context in _ts_root().iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            key = (name, message.findtext("source", ""))
            assert key not in messages, f"twice in the .ts: {key}"
            messages[key] = message
    return messages


def _translations(message: ET.Element) -> list[str]:
    translation = message.find("translation")
    assert translation is not None
    if message.get("numerus") == "yes":
        return [form.text or "" for form in translation.iter("numerusform")]
    return [translation.text or ""]


def _placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


def test_lupdate_can_read_every_translated_call_in_ui() -> None:
    _found, problems = _source_strings()
    assert problems == []


def test_the_ts_holds_exactly_the_strings_of_ui() -> None:
    found, _problems = _source_strings()
    messages = _ts_messages()
    missing = sorted(set(found) - set(messages))
    stale = sorted(set(messages) - set(found))
    assert missing == [], "new UI strings: run make update-translations, then translate them"
    assert stale == [], "strings gone from ui/: run make update-translations"
    plurals = {key for key, plural in found.items() if plural}
    assert plurals == {key for key, m in messages.items() if m.get("numerus") == "yes"}


def test_every_string_has_a_finished_english_translation_with_its_placeholders() -> None:
    root = _ts_root()
    assert root.get("language") == "en"
    assert root.get("sourcelanguage") == "fr_FR"
    for (context, source), message in _ts_messages().items():
        translation = message.find("translation")
        assert translation is not None
        assert translation.get("type") is None, (
            f"{context}: {source!r} is {translation.get('type')}"
        )
        forms = _translations(message)
        if message.get("numerus") == "yes":
            assert len(forms) == 2, f"{context}: {source!r} needs English singular and plural"
        for form in forms:
            assert form.strip(), f"{context}: {source!r} has an empty translation"
            assert _placeholders(form) == _placeholders(source), f"{context}: {source!r}"


@pytest.fixture(scope="session")
def english_qm() -> Path:
    """The compiled English, as `make translations` builds it (built here for a bare pytest)."""
    if not QM.exists() or QM.stat().st_mtime < TS.stat().st_mtime:
        QM.parent.mkdir(parents=True, exist_ok=True)
        lrelease = Path(sys.executable).with_name("pyside6-lrelease")
        subprocess.run([str(lrelease), str(TS), "-qm", str(QM)], check=True, capture_output=True)
    return QM


def test_the_compiled_english_translates_through_a_real_qtranslator(english_qm: Path) -> None:
    translator = QTranslator()
    assert translator.load(str(english_qm))
    assert translator.language() == "en"
    assert translator.translate("WelcomePage", "Commencer") == "Start"
    assert translator.translate("Notice", "Jeton incorrect.") == "Incorrect token."
    source = "Ce code disparaîtra dans %n seconde(s)."
    singular = translator.translate("NewCodePage", source, "", 1)
    plural = translator.translate("NewCodePage", source, "", 5)
    assert singular == "This code will disappear in %n second."  # QCoreApplication fills %n
    assert plural == "This code will disappear in %n seconds."


def _shown_texts(page: QWidget) -> Iterator[str]:
    """What a page shows or tells a screen reader, shown or not (a hidden page counts too)."""
    for widget in page.findChildren(QWidget):
        if isinstance(widget, QLabel | QAbstractButton):
            yield widget.text()
        yield widget.accessibleName()
        yield widget.accessibleDescription()


def _pages(window: KioskWindow) -> list[QWidget]:
    return [*window.stack.findChildren(Page), window.inactivity]


def test_french_is_the_default_and_english_rerenders_every_page(
    qtbot: QtBot, window: KioskWindow, english_qm: Path
) -> None:
    assert window.state.display.language == "fr"
    assert "Commencer" in _shown_texts(window.welcome)
    assert "Identifiant" in _shown_texts(window.credentials)

    qtbot.mouseClick(control(window, "English"), _LEFT)
    qtbot.waitUntil(lambda: not window.worker.busy and window.state.display.language == "en")
    qtbot.waitUntil(lambda: "Start" in _shown_texts(window.welcome))
    assert window.windowTitle() == "Isoloir — electronic voting"
    assert control(window, "Start").accessibleDescription() == "Start voting"
    credentials = set(_shown_texts(window.credentials))
    assert {"Sign in", "Identifier", "Voter password", "Confirm", "Back"} <= credentials
    assert "I WANT TO VOTE: TURN ON THE SELECTION OF MY CHOICE" in _shown_texts(window.gallery)
    assert "CAST MY VOTE" in _shown_texts(window.confirm)
    # No page keeps a French static text whose English differs (names like "SMS" stay).
    french = {
        source
        for (_context, source), message in _ts_messages().items()
        if message.get("numerus") != "yes" and _translations(message) != [source]
    }
    for page in _pages(window):
        assert french.isdisjoint(_shown_texts(page)), type(page).__name__

    qtbot.mouseClick(control(window, "Français"), _LEFT)
    qtbot.waitUntil(lambda: not window.worker.busy and window.state.display.language == "fr")
    qtbot.waitUntil(lambda: "Commencer" in _shown_texts(window.welcome))
    assert "JE VOTE" in _shown_texts(window.confirm)
    assert QCoreApplication.translate("WelcomePage", "Commencer") == "Commencer"


def test_french_plurals_come_from_their_own_small_translation(tmp_path: Path) -> None:
    french_qm = tmp_path / "isoloir_fr.qm"  # as make translations builds it
    lrelease = Path(sys.executable).with_name("pyside6-lrelease")
    french_ts = ROOT / "resources" / "i18n" / "isoloir_fr.ts"
    subprocess.run([str(lrelease), str(french_ts), "-qm", str(french_qm)], check=True)
    translator = QTranslator()
    assert translator.load(str(french_qm))
    source = "Ce code disparaîtra dans %n seconde(s)."
    assert (
        translator.translate("NewCodePage", source, "", 1) == "Ce code disparaîtra dans %n seconde."
    )
    assert (
        translator.translate("NewCodePage", source, "", 0) == "Ce code disparaîtra dans %n seconde."
    )
    assert (
        translator.translate("NewCodePage", source, "", 2)
        == "Ce code disparaîtra dans %n secondes."
    )
    assert translator.translate("WelcomePage", "Commencer") == ""  # the rest stays the source
