"""The demo's operator accounts, and its polls opened and closed by the assesseur, through the
admin core (``kiosk.admin``): the same ``Operators`` and ``AdminConsole`` as the admin console
and ``isoloir admin``, so the demo's kiosks keep the journal, the opening and closing reports
(signed PDFs in the kiosk's reports folder) and the polls state machine of a real kiosk.

The accounts are ``kiosk.demo.accounts``.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.admin.console import AdminConsole, AdminSession
from kiosk.admin.operators import LoginRefused, Operators
from kiosk.clock import Clock
from kiosk.demo.accounts import ASSESSEUR, DEMO_OPERATORS
from kiosk.store import KioskStore, PollsState


def create_operators(store: KioskStore, clock: Clock) -> None:
    """The demo accounts in the kiosk store."""
    accounts = Operators(store, clock)
    for operator in DEMO_OPERATORS:
        accounts.add(operator.name, operator.role, operator.pin)


def open_polls(store: KioskStore, clock: Clock, reports: Path) -> Path:
    """The assesseur opens the polls; the opening report's PDF."""
    return _assesseur(store, clock, reports).open_polls().path


def close_polls(store: KioskStore, clock: Clock, reports: Path) -> Path | None:
    """The assesseur closes the polls; the closing report's PDF (None: they were closed)."""
    if store.polls_state() is PollsState.CLOSED:
        return None
    return _assesseur(store, clock, reports).close_polls().path


def _assesseur(store: KioskStore, clock: Clock, reports: Path) -> AdminSession:
    session = AdminConsole(store, clock, reports_dir=reports).login(ASSESSEUR.name, ASSESSEUR.pin)
    if isinstance(session, LoginRefused):  # the demo made this account: a broken demo store
        raise RuntimeError(f"the demo assesseur cannot log in ({session.reason.value})")
    return session
