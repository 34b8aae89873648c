"""The whole journey in French and in English, réassort included, offscreen, as a voter drives it.

The voter picks the language on the welcome page, loses the vote code, gets a token by e-mail
(read back from the test world's file mailbox), makes a new code, watches it vanish after
120 s of the injected clock, signs in with it (the old one is refused), votes, and takes the
printed proof of deposit, whose QR code decodes and whose signature verifies. Every control is
found by its accessible name in the language on screen, the English ones taken from
``resources/i18n/isoloir_en.ts``: a name still in French fails the lookup. A supervised
réassort (an assesseur at a station without CAPTCHA) runs once, in French.
"""

from __future__ import annotations

import ast
import email
import email.policy
import functools
import re
import stat
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from kiosk.audit import AuditEvent
from kiosk.config import Language
from kiosk.crypto.receipt import decode_receipt, verify_receipt
from kiosk.receipts import decode_emargement, read_qr_payloads, verify_emargement
from kiosk.receipts.strings import strings
from kiosk.voting import flow
from kiosk.voting.model import Display, Notice
from tests.ui.conftest import WAIT_MS, close_window, control, open_window
from tests.unit.test_voting_world import (
    ASSESSEUR_PIN,
    Kiosk,
    VoterSecrets,
    mail_text,
    sealed_election,
)
from ui.kiosk_window import KioskWindow

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "resources" / "i18n" / "isoloir_en.ts"
TS_FR = ROOT / "resources" / "i18n" / "isoloir_fr.ts"
LEFT = Qt.MouseButton.LeftButton
LANGUAGES: tuple[Language, ...] = ("fr", "en")
_PLACEHOLDER = re.compile(r"%(?:n|L?\d+)")
_TOKEN = re.compile(r"\b[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}\b")
_NEW_CODE = re.compile(r"^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$")


@functools.cache
def _english() -> dict[tuple[str, str], tuple[str, ...]]:
    """(context, French source) -> its English form(s), as the .ts says."""
    return _forms(TS)


@functools.cache
def _french_plurals() -> dict[tuple[str, str], tuple[str, ...]]:
    """(context, French source) -> its French plural forms ("seconde", "secondes")."""
    return _forms(TS_FR)


def _forms(ts: Path) -> dict[tuple[str, str], tuple[str, ...]]:
    root = ET.parse(ts).getroot()  # noqa: S314 (the repository's own file)
    table: dict[tuple[str, str], tuple[str, ...]] = {}
    for context in root.iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None
            forms = [f.text or "" for f in translation.iter("numerusform")]
            table[(name, message.findtext("source", ""))] = tuple(forms or [translation.text or ""])
    return table


def _ui_sources() -> set[str]:
    """Every French text of ui/ that goes through ``tr()`` or ``translate()``."""
    found: set[str] = set()
    for path in sorted((ROOT / "ui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            texts = [a.value for a in node.args if isinstance(a, ast.Constant)]
            if node.func.attr == "tr" and texts and isinstance(texts[0], str):
                found.add(texts[0])
            elif node.func.attr == "translate" and len(texts) >= 2 and isinstance(texts[1], str):
                found.add(texts[1])
    return found


@functools.cache
def _french_leftovers() -> tuple[frozenset[str], tuple[str, ...]]:
    """What betrays French on an English screen: each UI text whose English differs or is
    missing from the .ts, whole, and the fixed parts (8 characters or more) of those with a
    placeholder."""
    same_in_english = {source for (_c, source), forms in _english().items() if source in forms}
    whole: set[str] = set()
    parts: set[str] = set()
    for source in _ui_sources() - same_in_english:  # "NUMEN", "SMS": the same in both
        if _PLACEHOLDER.search(source):
            parts.update(p.strip() for p in _PLACEHOLDER.split(source) if len(p.strip()) >= 8)
        else:
            whole.add(source)
    return frozenset(whole), tuple(sorted(parts))


@dataclass
class Voter:
    """A voter at the window: reads, clicks and types by the names on screen in ``language``."""

    qtbot: QtBot
    window: KioskWindow
    language: Language

    def tr(self, context: str, french: str, count: int | None = None) -> str:
        """``french`` as this voter reads it on screen (``count`` picks the English plural)."""
        if self.language == "fr":
            forms = _french_plurals().get((context, french), (french,))
        else:
            forms = _english()[(context, french)]
        if count is None:
            return forms[0]
        singular = count == 1 or (self.language == "fr" and count == 0)
        return forms[0 if singular else -1].replace("%n", str(count))

    def find(self, context: str, french: str) -> QWidget:
        return control(self.window, self.tr(context, french))

    def click(self, context: str, french: str) -> None:
        self.press(self.find(context, french))

    def press(self, widget: QWidget) -> None:
        assert widget.isEnabled(), f"{widget.accessibleName()!r} is disabled"
        self.qtbot.mouseClick(widget, LEFT)

    def press_label(self, widget: QWidget) -> None:
        """A finger on the words of a radio button: only they react, not the rest of its row."""
        assert widget.isEnabled(), f"{widget.accessibleName()!r} is disabled"
        words = QPoint(min(widget.width(), widget.sizeHint().width()) // 2, widget.height() // 2)
        self.qtbot.mouseClick(widget, LEFT, pos=words)

    def type_into(self, context: str, french: str, text: str) -> QLineEdit:
        field = self.find(context, french)
        assert isinstance(field, QLineEdit)
        self.qtbot.mouseClick(field, LEFT)  # a finger on the field, then the keyboard
        self.qtbot.keyClicks(field, text)
        return field

    def key(self, key: Qt.Key) -> None:
        """One key, to whatever holds the keyboard focus (the keyboard alone, no pointer)."""
        focused = self.focused()
        self.qtbot.keyClick(focused, key)

    def type_here(self, text: str) -> None:
        self.qtbot.keyClicks(self.focused(), text)

    def focused(self) -> QWidget:
        focused = QApplication.focusWidget() or self.window.focusWidget()
        assert focused is not None, "nothing holds the keyboard focus"
        return focused

    def wait_for(self, state_type: type[flow.State]) -> None:
        wait_until(self.qtbot, self.window, lambda s: isinstance(s, state_type))

    def sees(self, context: str, french: str, count: int | None = None) -> None:
        """The text is on screen now, in this voter's language."""
        wanted = self.tr(context, french, count)
        assert wanted in shown_texts(self.window), f"{wanted!r} is not on screen"

    def sees_title(self, context: str, french: str) -> None:
        page = self.window.current_page
        assert page is not None
        [title] = [w for w in page.findChildren(QLabel, "title") if w.isVisible()]
        assert title.text() == self.tr(context, french)

    def reads_no_french(self) -> None:
        """On an English screen, no visible text, name or description is a French UI string."""
        if self.language == "fr":
            return
        whole, parts = _french_leftovers()
        french = [
            text
            for text in shown_texts(self.window)
            if text in whole or any(part in text for part in parts)
        ]
        assert french == [], f"French (untranslated) on an English screen: {french}"


def wait_until(qtbot: QtBot, window: KioskWindow, shown: Callable[[flow.State], object]) -> None:
    """The core has answered (the worker is idle) and the state on screen passes ``shown``."""
    qtbot.waitUntil(lambda: not window.busy and bool(shown(window.state)), timeout=WAIT_MS)


def shown_texts(window: KioskWindow) -> list[str]:
    """Every visible text of the window: labels, buttons, accessible names and descriptions."""
    texts = [window.windowTitle()]
    for widget in window.findChildren(QWidget):
        if not widget.isVisible():
            continue
        if isinstance(widget, QLabel | QAbstractButton):
            texts.append(widget.text())
        texts += [widget.accessibleName(), widget.accessibleDescription()]
    return [t for t in texts if t]


def held_texts(window: KioskWindow) -> list[str]:
    """The text of every label, button and field of the window, shown or not."""
    return [
        widget.text()
        for widget in window.findChildren(QWidget)
        if isinstance(widget, QLabel | QAbstractButton | QLineEdit)
    ]


def pdf_text(path: Path) -> str:
    """The words printed in the PDF at ``path`` (poppler's pdftotext), in ``plain`` form."""
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True
    )
    return plain(done.stdout.decode("utf-8"))


def plain(text: str) -> str:
    """Text as typesetting leaves it comparable: lines joined, any case, straight apostrophes."""
    return " ".join(text.replace("\u2019", "'").split()).casefold()


def delivered_mail(folder: Path) -> email.message.EmailMessage:
    """The one message the file mailbox delivered into ``folder``."""
    [path] = sorted(folder.glob("*.eml"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds a token
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


# ---- the steps every journey shares ---------------------------------------------------------


def choose_language(voter: Voter) -> None:
    window = voter.window
    assert window.current_page is window.welcome
    assert "Bienvenue" in shown_texts(window)  # French first, whatever the last voter chose
    if voter.language == "en":
        voter.press(control(window, "English"))  # each language in its own words
        wait_until(voter.qtbot, window, lambda s: s.display.language == "en")
        voter.qtbot.waitUntil(lambda: "Start" in shown_texts(window))
        assert window.windowTitle() == "Isoloir — electronic voting"
    voter.sees_title("WelcomePage", "Bienvenue")
    voter.reads_no_french()


def sign_in_with_the_keyboard(voter: Voter, kiosk: Kiosk, secrets: VoterSecrets) -> None:
    """Identifier, Tab, password, Return: no pointer after the first field."""
    voter.click("WelcomePage", "Commencer")
    voter.wait_for(flow.Credentials)
    voter.sees_title("CredentialsPage", "Identification")
    voter.reads_no_french()
    voter.type_into("CredentialsPage", "Identifiant", secrets.identifier)
    voter.key(Qt.Key.Key_Tab)
    assert voter.focused() is voter.find("CredentialsPage", "Mot de passe électeur")
    voter.type_here(secrets.password)
    voter.key(Qt.Key.Key_Return)
    voter.wait_for(flow.VoteCode)
    wait_for_captcha(voter, kiosk)


def wait_for_captcha(voter: Voter, kiosk: Kiosk) -> None:
    """On the vote code page, once the CAPTCHA image is there (if this station asks for one)."""
    asks = kiosk.session.rules.captcha
    wait_until(
        voter.qtbot,
        voter.window,
        lambda s: isinstance(s, flow.VoteCode) and (s.captcha is not None or not asks),
    )


def enter_vote_code(voter: Voter, kiosk: Kiosk, code: str) -> None:
    """The code, Return (on to the CAPTCHA), the digits, Return: the keyboard alone."""
    voter.sees_title("VoteCodePage", "Code de vote")
    voter.type_into("VoteCodePage", "Code de vote", code)
    voter.key(Qt.Key.Key_Return)
    answer = voter.find("VoteCodePage", "Chiffres de l'image")
    assert voter.focused() is answer
    voter.type_here(kiosk.captcha_answer())
    voter.key(Qt.Key.Key_Return)


def read_new_code(voter: Voter) -> str:
    """The new code as the screen shows it."""
    voter.wait_for(flow.NewCodeShown)
    voter.sees_title("NewCodePage", "Votre nouveau code de vote")
    shown = [t for t in shown_texts(voter.window) if _NEW_CODE.match(t)]
    assert len(shown) == 1, shown
    return shown[0]


def vote_for_list_1(voter: Voter, kiosk: Kiosk, print_dir: Path) -> flow.Receipt:
    window = voter.window
    voter.sees_title("ScrutinListPage", "Vos scrutins")
    voter.reads_no_french()
    voter.press(control(window, "Scrutin CAPN"))  # the package's own words, never translated
    voter.wait_for(flow.Gallery)
    assert not control(window, "Liste 1").isEnabled()  # until "JE VEUX VOTER"
    voter.sees("GalleryPage", "JE VEUX VOTER, J'ACTIVE LA SÉLECTION DE MON CHOIX DE VOTE")
    voter.reads_no_french()
    voter.click("GalleryPage", "Je veux voter")
    wait_until(voter.qtbot, window, lambda s: isinstance(s, flow.Gallery) and s.armed)
    voter.press(control(window, "Liste 1"))
    voter.wait_for(flow.Confirm)
    voter.sees_title("ConfirmPage", "Confirmez votre vote")
    voter.sees("ConfirmPage", "JE VOTE")
    voter.reads_no_french()
    voter.click("ConfirmPage", "Je vote")
    voter.wait_for(flow.Receipt)
    receipt = window.state
    assert isinstance(receipt, flow.Receipt)
    voter.sees_title("ReceiptPage", "Votre vote est enregistré")
    assert window.receipt.tracking_text == receipt.tracking_code
    assert window.receipt.time_text.startswith(voter.tr("ReceiptPage", "Le %1 à %2 (%3)")[:3])
    voter.reads_no_french()
    voter.qtbot.waitUntil(lambda: not window.busy, timeout=WAIT_MS)  # the printing too
    check_printed_papers(voter.language, receipt, print_dir)
    return receipt


def check_printed_papers(language: Language, receipt: flow.Receipt, print_dir: Path) -> None:
    """The proof of deposit's QR decodes to the signed receipt; both papers speak ``language``."""
    kiosk_key = sealed_election()[0].manifest.kiosks[0].public_key
    [proof] = sorted(print_dir.glob("depot/*.pdf"))
    [payload] = read_qr_payloads(proof)
    decoded = decode_receipt(payload)
    assert decoded == receipt.receipt
    assert decoded.tracking_code == receipt.tracking_code
    assert verify_receipt(decoded, kiosk_key)
    [certificate] = sorted(print_dir.glob("emargement/*.pdf"))
    [payload] = read_qr_payloads(certificate)
    emargement = decode_emargement(payload)
    assert verify_emargement(emargement, kiosk_key)
    assert emargement.voted_at == receipt.cast_at

    words, other = strings(language), strings("en" if language == "fr" else "fr")
    on_proof, on_certificate = pdf_text(proof), pdf_text(certificate)
    for said in (words.deposit_title, words.tracking_code, words.pending):  # no server: pending
        assert plain(said) in on_proof
    for unsaid in (other.deposit_title, other.tracking_code, other.pending):
        assert plain(unsaid) not in on_proof
    assert plain(words.emargement_title) in on_certificate
    assert plain(other.emargement_title) not in on_certificate


def finish_and_leave(voter: Voter, kiosk: Kiosk, secrets_seen: list[str]) -> None:
    """Finish, thanks, back to a welcome page that remembers nothing of this voter."""
    window = voter.window
    voter.click("ReceiptPage", "Terminer")
    voter.wait_for(flow.Finished)
    voter.sees_title("FinishedPage", "Merci")
    voter.reads_no_french()
    voter.click("FinishedPage", "Retour à l'accueil")
    voter.wait_for(flow.Welcome)
    assert_pristine(voter.qtbot, window, kiosk, secrets_seen)


def assert_pristine(
    qtbot: QtBot, window: KioskWindow, kiosk: Kiosk, secrets_seen: list[str]
) -> None:
    """The window is as a new one, hidden pages included: every text, name, image, field (and
    its undo history), checked, enabled or hidden state, row and document, as
    tests/ui/test_pristine.py reads them; and none of ``secrets_seen`` is anywhere."""
    # Imported here: tests.ui.test_pristine imports this module's journey steps.
    from tests.ui.test_pristine import assert_same_window, fresh_window_snapshot, window_snapshot

    assert window.current_page is window.welcome
    assert window.state == flow.initial_state(kiosk.session.rules)
    assert window.state.display == Display()  # French, normal text, normal contrast
    qtbot.waitUntil(lambda: "Commencer" in shown_texts(window))
    assert control(window, "Commencer").isVisible()
    assert window.windowTitle() == "Isoloir — vote électronique"
    assert kiosk.session.holds_nothing
    qtbot.waitUntil(lambda: not window.busy, timeout=WAIT_MS)  # a late gallery read
    after = window_snapshot(window)
    everything = "\n".join(after)  # hidden pages too: nothing stays behind
    for secret in secrets_seen:
        assert secret not in everything
    assert_same_window(after, fresh_window_snapshot(qtbot, kiosk))


# ---- the journeys ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_voter_replaces_a_lost_vote_code_by_e_mail_token_then_votes(
    qtbot: QtBot,
    ticking_window: KioskWindow,
    kiosk: Kiosk,
    print_dir: Path,
    language: Language,
) -> None:
    window = ticking_window
    secrets = VoterSecrets(1)
    voter = Voter(qtbot, window, language)
    choose_language(voter)
    sign_in_with_the_keyboard(voter, kiosk, secrets)
    voter.sees_title("VoteCodePage", "Code de vote")
    voter.reads_no_french()

    # "Lost my vote code": the secret question, the NUMEN, a token by e-mail.
    voter.click("VoteCodePage", "Réassort du code de vote")
    voter.wait_for(flow.ReassortChoice)
    voter.sees_title("ReassortChoicePage", "Réassort de votre code de vote")
    voter.reads_no_french()
    voter.click("ReassortChoicePage", "Question secrète")
    voter.wait_for(flow.ReassortQuestion)
    voter.sees_title("ReassortQuestionPage", "Question secrète")
    voter.reads_no_french()
    voter.type_into("ReassortQuestionPage", "Réponse", secrets.answer)
    voter.type_into("ReassortQuestionPage", "NUMEN", secrets.numen)
    email_choice = voter.find("ReassortQuestionPage", "Courriel")
    assert "pe•••1@courriel.example" in email_choice.property("text")  # masked, never in full
    voter.press_label(email_choice)
    assert email_choice.property("checked")
    voter.click("ReassortQuestionPage", "Valider")
    voter.wait_for(flow.ReassortTokenSent)
    voter.sees_title("ReassortTokenPage", "Jeton de réassort")
    sent = voter.tr("ReassortTokenPage", "Un message vient de vous être envoyé à %1.")
    assert sent.replace("%1", "pe•••1@courriel.example") in shown_texts(window)
    voter.reads_no_french()

    mail = delivered_mail(kiosk.mailbox.folder)
    assert mail["To"] == "perso1@courriel.example"  # the personal address, not the identifier
    english_mail = mail["Subject"] == "Resetting your vote code"
    assert english_mail is (language == "en")
    tokens = set(_TOKEN.findall(mail_text(mail)))
    assert len(tokens) == 1
    token = tokens.pop()
    voter.type_into("ReassortTokenPage", "Jeton", token)
    voter.key(Qt.Key.Key_Return)

    voter.wait_for(flow.RegenerateWarning)
    voter.sees_title("RegenerateWarningPage", "Nouveau code de vote")
    voter.sees("RegenerateWarningPage", "RÉGÉNÉRER MON CODE DE VOTE")
    voter.reads_no_french()
    voter.click("RegenerateWarningPage", "Régénérer mon code de vote")
    new_code = read_new_code(voter)
    assert window.new_code.countdown_text == voter.tr(
        "NewCodePage", "Ce code disparaîtra dans %n seconde(s).", 120
    )
    voter.reads_no_french()
    kiosk.clock.advance(timedelta(seconds=60))  # the timer only ticks; the clock says 60 s left
    sixty = voter.tr("NewCodePage", "Ce code disparaîtra dans %n seconde(s).", 60)
    qtbot.waitUntil(lambda: window.new_code.countdown_text == sixty, timeout=WAIT_MS)
    kiosk.clock.advance(timedelta(seconds=61))
    wait_until(qtbot, window, lambda s: isinstance(s, flow.VoteCode) and s.captcha is not None)
    state = window.state
    assert isinstance(state, flow.VoteCode)
    assert state.notice is Notice.CODE_HIDDEN
    voter.sees("Notice", "Le nouveau code n'est plus affiché.")
    assert all(new_code not in text for text in shown_texts(window))
    assert new_code not in "\n".join(held_texts(window))
    kiosk.clock.advance(timedelta(seconds=1))  # later ticks bring nothing back
    qtbot.waitUntil(lambda: not window.busy, timeout=WAIT_MS)
    assert isinstance(window.state, flow.VoteCode)
    assert window.current_page is window.vote_code
    assert new_code not in "\n".join(held_texts(window))
    assert (AuditEvent.VOTE_CODE_REPLACED, {"method": "token-email"}) in [
        (e.event, dict(e.fields)) for e in kiosk.store.audit_entries()
    ]

    # The old code is void at once; the new one opens the ballot box.
    enter_vote_code(voter, kiosk, secrets.code)
    wait_until(
        qtbot,
        window,
        lambda s: isinstance(s, flow.VoteCode) and s.notice is Notice.WRONG_VOTE_CODE,
    )
    voter.sees("Notice", "Code de vote incorrect.")
    voter.reads_no_french()
    wait_for_captcha(voter, kiosk)  # every attempt spends the image: a new one comes
    enter_vote_code(voter, kiosk, new_code)
    voter.wait_for(flow.ScrutinList)

    receipt = vote_for_list_1(voter, kiosk, print_dir)
    assert kiosk.store.voted_scrutins(secrets.voter_id) == frozenset({"capn"})
    finish_and_leave(voter, kiosk, [token, new_code, str(receipt.tracking_code)])


@pytest.fixture
def supervised_kiosk(tmp_path: Path) -> Iterator[Kiosk]:
    """A supervised station: an assesseur is there, so no CAPTCHA (it excludes blind voters)."""
    world = Kiosk(tmp_path, captcha=False)
    yield world
    world.store.close()


def test_an_assesseur_supervises_the_replacement_of_a_vote_code(
    qtbot: QtBot, supervised_kiosk: Kiosk, tmp_path: Path
) -> None:
    kiosk = supervised_kiosk
    window = open_window(qtbot, kiosk, tmp_path / "prints", tick_ms=3_600_000)
    try:
        secrets = VoterSecrets(3)
        voter = Voter(qtbot, window, "fr")
        choose_language(voter)
        sign_in_with_the_keyboard(voter, kiosk, secrets)
        assert "Chiffres de l'image" not in shown_texts(window)
        voter.click("VoteCodePage", "Réassort du code de vote")
        voter.wait_for(flow.ReassortChoice)
        voter.sees_title("ReassortChoicePage", "Réassort de votre code de vote")
        voter.click("ReassortChoicePage", "Avec un assesseur")
        voter.wait_for(flow.AssesseurAuth)
        voter.sees_title("AssesseurAuthPage", "Identification de l'assesseur")
        voter.type_into("AssesseurAuthPage", "Code de l'assesseur", ASSESSEUR_PIN)
        voter.key(Qt.Key.Key_Return)
        wait_until(qtbot, window, lambda s: isinstance(s, flow.ReassortQuestion) and s.supervised)
        assert {"Courriel", "SMS"}.isdisjoint(shown_texts(window))  # no token: the grant
        voter.type_into("ReassortQuestionPage", "Réponse", secrets.answer)
        voter.type_into("ReassortQuestionPage", "NUMEN", secrets.numen)
        voter.click("ReassortQuestionPage", "Valider")
        voter.wait_for(flow.RegenerateWarning)
        voter.sees("RegenerateWarningPage", "RÉGÉNÉRER MON CODE DE VOTE")
        voter.click("RegenerateWarningPage", "Régénérer mon code de vote")
        new_code = read_new_code(voter)
        voter.sees("NewCodePage", "Ce code disparaîtra dans %n seconde(s).", 120)
        voter.click("NewCodePage", "J'ai noté mon code")
        voter.wait_for(flow.VoteCode)
        assert all(new_code not in text for text in shown_texts(window))
        assert not list(kiosk.mailbox.folder.glob("*.eml"))  # nothing was sent
        assert (AuditEvent.VOTE_CODE_REPLACED, {"method": "supervised"}) in [
            (e.event, dict(e.fields)) for e in kiosk.store.audit_entries()
        ]

        voter.type_into("VoteCodePage", "Code de vote", secrets.code)
        voter.key(Qt.Key.Key_Return)  # no CAPTCHA here: Return sends the code
        wait_until(qtbot, window, lambda s: isinstance(s, flow.VoteCode) and s.notice is not None)
        voter.sees("Notice", "Code de vote incorrect.")
        voter.type_into("VoteCodePage", "Code de vote", new_code)
        voter.key(Qt.Key.Key_Return)
        voter.wait_for(flow.ScrutinList)
        voter.click("ScrutinListPage", "Terminer")
        voter.wait_for(flow.Finished)
        voter.click("FinishedPage", "Retour à l'accueil")
        voter.wait_for(flow.Welcome)
        assert_pristine(qtbot, window, kiosk, [new_code])
    finally:
        close_window(qtbot, window)
        window.deleteLater()
