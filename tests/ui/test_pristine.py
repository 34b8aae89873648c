"""The next voter finds the window as new: nothing of the last voter stays, even hidden.

Every widget of the window, shown or hidden, is read the way a voter, a screen reader or the
keyboard could reach it (texts, accessible names and descriptions, images present, fields and
their undo history, checked, enabled and hidden states, the gallery's rows, the viewer's
document), and compared with a window just opened on a session at its start.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from kiosk.voting import flow
from kiosk.voting.model import Notice
from tests.ui.conftest import WAIT_MS, close_window, control, open_window
from tests.ui.test_journey_languages import (
    Voter,
    choose_language,
    delivered_mail,
    enter_vote_code,
    read_new_code,
    wait_for_captcha,
    wait_until,
)
from tests.ui.test_kiosk_window import ACTIVE_CLASSES, SAMPLES, _warning
from tests.unit.test_voting_world import Kiosk, VoterSecrets, mail_text
from ui.kiosk_window import KioskWindow

_TOKEN = re.compile(r"\b[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}\b")


# ---- what a window holds -------------------------------------------------------------------


def window_snapshot(window: KioskWindow) -> list[str]:
    """One line per widget of ``window`` (hidden ones too) with everything it could tell."""
    # Rows a page dropped are deleted at the event loop's next turn: let it happen now.
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    viewer = window.gallery.viewer
    lines = [
        f"window title={window.windowTitle()!r} page={type(window.current_page).__name__}",
        f"gallery rows={window.gallery.option_count}",
        f"viewer pages={viewer.page_count} title={viewer.title_text!r} "
        f"document={viewer.view.document().status().name}",
    ]
    # Sorted: showing a page raises it among its siblings, which reorders ``findChildren``.
    return lines + sorted(f"{_path(window, w)}: {_held(w)}" for w in _widgets(window))


def _widgets(window: KioskWindow) -> Iterator[QWidget]:
    for widget in window.findChildren(QWidget):
        if widget.window() is window:  # not a dialog of its own
            yield widget


def _path(root: QWidget, widget: QWidget) -> str:
    parts = []
    current: QObject | None = widget
    while current is not None and current is not root:
        parent = current.parent()
        siblings = [c for c in parent.children() if type(c) is type(current)] if parent else []
        index = next((i for i, c in enumerate(siblings) if c is current), 0)
        parts.append(
            f"{type(current).__name__}{current.objectName() and '#'}{current.objectName()}[{index}]"
        )
        current = parent
    return "/".join(reversed(parts))


def _held(widget: QWidget) -> str:
    held: dict[str, object] = {
        "name": widget.accessibleName(),
        "description": widget.accessibleDescription(),
        "tip": widget.toolTip(),
        "hidden": widget.isHidden(),
        "enabled": widget.isEnabled(),
    }
    if isinstance(widget, QLabel):
        held |= {"text": widget.text(), "image": not widget.pixmap().isNull()}
    if isinstance(widget, QAbstractButton):
        held |= {"text": widget.text(), "checked": widget.isChecked()}
    if isinstance(widget, QLineEdit):
        held |= {"text": widget.text(), "undo": widget.isUndoAvailable()}
    if isinstance(widget, QStackedWidget):
        held |= {"current": widget.currentIndex()}
    return " ".join(f"{key}={value!r}" for key, value in held.items())


def fresh_window_snapshot(qtbot: QtBot, kiosk: Kiosk) -> list[str]:
    """What a window opened now on ``kiosk`` (whose session is at its start) holds."""
    assert kiosk.session.state == flow.initial_state(kiosk.session.rules)
    prints = kiosk.mailbox.folder.parent / "fresh-window-prints"  # it prints nothing
    fresh = open_window(qtbot, kiosk, prints, tick_ms=3_600_000)
    try:
        return window_snapshot(fresh)
    finally:
        close_window(qtbot, fresh)
        fresh.deleteLater()


def assert_same_window(after: list[str], fresh: list[str]) -> None:
    diff = list(difflib.unified_diff(fresh, after, "new window", "after the voter", lineterm=""))
    assert after == fresh, "\n".join(diff[:80])


# ---- a whole journey, then the next voter's window ------------------------------------------


def test_after_a_voter_with_a_reassort_a_challenge_and_a_vote_the_window_is_as_new(
    qtbot: QtBot, ticking_window: KioskWindow, kiosk: Kiosk
) -> None:
    window = ticking_window
    secrets = VoterSecrets(1)
    voter = Voter(qtbot, window, "en")  # English, then French again for the next voter
    choose_language(voter)

    # A wrong password first: the page shows a notice, the identifier stays typed.
    voter.click("WelcomePage", "Commencer")
    voter.wait_for(flow.Credentials)
    voter.type_into("CredentialsPage", "Identifiant", secrets.identifier)
    voter.type_into("CredentialsPage", "Mot de passe électeur", "not-the-password")
    voter.key(Qt.Key.Key_Return)
    wait_until(qtbot, window, lambda s: isinstance(s, flow.Credentials) and s.notice is not None)
    voter.type_into("CredentialsPage", "Mot de passe électeur", secrets.password)
    voter.key(Qt.Key.Key_Return)
    voter.wait_for(flow.VoteCode)
    wait_for_captcha(voter, kiosk)

    # Réassort: the secret question, a token by e-mail, a new code.
    voter.click("VoteCodePage", "Réassort du code de vote")
    voter.wait_for(flow.ReassortChoice)
    voter.click("ReassortChoicePage", "Question secrète")
    voter.wait_for(flow.ReassortQuestion)
    voter.type_into("ReassortQuestionPage", "Réponse", secrets.answer)
    voter.type_into("ReassortQuestionPage", "NUMEN", secrets.numen)
    voter.press_label(voter.find("ReassortQuestionPage", "Courriel"))
    voter.click("ReassortQuestionPage", "Valider")
    voter.wait_for(flow.ReassortTokenSent)
    [token] = set(_TOKEN.findall(mail_text(delivered_mail(kiosk.mailbox.folder))))
    voter.type_into("ReassortTokenPage", "Jeton", token)
    voter.key(Qt.Key.Key_Return)
    voter.wait_for(flow.RegenerateWarning)
    voter.click("RegenerateWarningPage", "Régénérer mon code de vote")
    new_code = read_new_code(voter)
    voter.click("NewCodePage", "J'ai noté mon code")
    voter.wait_for(flow.VoteCode)
    wait_for_captcha(voter, kiosk)
    enter_vote_code(voter, kiosk, secrets.code)  # the old code: refused, a notice
    wait_until(
        qtbot, window, lambda s: isinstance(s, flow.VoteCode) and s.notice is Notice.WRONG_VOTE_CODE
    )
    wait_for_captcha(voter, kiosk)
    enter_vote_code(voter, kiosk, new_code)
    voter.wait_for(flow.ScrutinList)

    # A minute without a touch: "are you still there?"
    kiosk.clock.advance(timedelta(seconds=61))
    voter.wait_for(flow.InactivityWarning)
    voter.click("InactivityOverlay", "Je suis toujours là")
    voter.wait_for(flow.ScrutinList)

    # The gallery, a document, a challenged ballot, then a vote.
    voter.press(control(window, "Scrutin CAPN"))
    voter.wait_for(flow.Gallery)
    kind = voter.tr("GalleryPage", "Profession de foi")
    voter.press(control(window, f"{kind} — Liste 1"))
    wait_until(qtbot, window, lambda s: isinstance(s, flow.Gallery) and s.document is not None)
    voter.click("DocumentViewer", "Fermer le document")
    wait_until(qtbot, window, lambda s: isinstance(s, flow.Gallery) and s.document is None)
    voter.click("GalleryPage", "Je veux voter")
    wait_until(qtbot, window, lambda s: isinstance(s, flow.Gallery) and s.armed)
    voter.press(control(window, "Liste 1"))
    voter.wait_for(flow.Confirm)
    challenged = window.state
    assert isinstance(challenged, flow.Confirm)
    voter.click("ConfirmPage", "Vérifier le chiffrement")
    voter.wait_for(flow.ChallengeShown)
    voter.click("ChallengePage", "Choisir à nouveau")
    voter.wait_for(flow.Gallery)
    voter.click("GalleryPage", "Je veux voter")
    wait_until(qtbot, window, lambda s: isinstance(s, flow.Gallery) and s.armed)
    voter.press(control(window, "Liste 2"))
    voter.wait_for(flow.Confirm)
    voter.click("ConfirmPage", "Je vote")
    voter.wait_for(flow.Receipt)
    receipt = window.state
    assert isinstance(receipt, flow.Receipt)
    voter.click("ReceiptPage", "Scrutin suivant")
    voter.wait_for(flow.ScrutinList)  # "— voted" beside the scrutin
    voter.click("ScrutinListPage", "Terminer")
    voter.wait_for(flow.Finished)
    voter.click("FinishedPage", "Retour à l'accueil")
    voter.wait_for(flow.Welcome)
    qtbot.waitUntil(lambda: not window.busy, timeout=WAIT_MS)  # a late gallery read

    after = window_snapshot(window)
    everything = "\n".join(after)
    for secret in (
        secrets.identifier,
        token,
        new_code,
        str(challenged.tracking_code),
        str(receipt.tracking_code),
        "pe•••1@courriel.example",
        "Liste 2",  # the last choice (the package's words, in no row of a new window)
    ):
        assert secret not in everything
    assert_same_window(after, fresh_window_snapshot(qtbot, kiosk))


# ---- any page, left: nothing of its state stays -----------------------------------------------


def _shown_states() -> list[flow.State]:
    return [*SAMPLES.values(), *(_warning(active) for active in ACTIVE_CLASSES)]


def _state_id(state: flow.State) -> str:
    if isinstance(state, flow.InactivityWarning):
        return f"InactivityWarning-{type(state.interrupted).__name__}"
    return type(state).__name__


@pytest.fixture
def new_window_lines(window: KioskWindow) -> list[str]:
    return window_snapshot(window)


@pytest.mark.parametrize("state", _shown_states(), ids=_state_id)
def test_a_page_left_keeps_nothing_of_the_state_it_showed(
    qtbot: QtBot,
    window: KioskWindow,
    kiosk: Kiosk,
    new_window_lines: list[str],
    state: flow.State,
) -> None:
    window.render_state(state)  # the samples: a voter, channels, codes, a document...
    qtbot.waitUntil(lambda: not window.busy, timeout=WAIT_MS)
    window.render_state(flow.initial_state(kiosk.session.rules))  # where a reset leads
    qtbot.waitUntil(lambda: not window.busy, timeout=WAIT_MS)
    assert_same_window(window_snapshot(window), new_window_lines)
