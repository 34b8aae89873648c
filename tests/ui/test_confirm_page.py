"""The confirmation page says, in words every voter sees, that "JE VOTE" is final."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from kiosk.voting import flow
from tests.ui.test_kiosk_window import SAMPLES
from tests.unit.test_voting_world import sealed_election
from ui.ballot_names import BallotNames
from ui.pages.confirm import ConfirmPage

FINAL = "Après « JE VOTE », votre vote sera définitif et non modifiable."


def test_the_confirm_page_shows_that_the_vote_will_be_final(qtbot: QtBot) -> None:
    page = ConfirmPage(BallotNames(sealed_election()[0].manifest))
    qtbot.addWidget(page)
    state = SAMPLES[flow.Confirm]
    assert isinstance(state, flow.Confirm)
    page.show_state(state)
    page.show()
    qtbot.waitExposed(page)
    shown = [label.text() for label in page.findChildren(QLabel) if label.isVisible()]
    assert FINAL in shown  # a sentence on the page, not only the button's description
    page.clear()  # the same for every voter: it stays
    assert FINAL in [label.text() for label in page.findChildren(QLabel) if label.isVisible()]
