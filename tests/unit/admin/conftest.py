"""Fixtures of the admin-console tests: a real store holding a sealed election and the kiosk's
key (tests/unit/test_voting_world.py), and a console with two accounts whose PINs hash cheaply."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.admin.console import AdminConsole, AdminSession, ClientFactory, PublicServerFactory
from kiosk.admin.dashboard import PrinterProbe
from kiosk.admin.roles import Role
from kiosk.clock import ManualClock
from kiosk.election.kdf import KdfParams
from kiosk.store import KioskStore
from tests.unit.test_voting_world import open_kiosk

CHEAP_PINS = KdfParams(log2_n=4)
ADMIN, ADMIN_PIN = "admin", "000000"
ASSESSEUR, ASSESSEUR_PIN = "assesseur", "111111"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> Iterator[KioskStore]:
    opened = open_kiosk(tmp_path / "kiosk", clock, polls=False)
    yield opened
    opened.close()


def make_console(
    store: KioskStore,
    clock: ManualClock,
    tmp_path: Path,
    *,
    client_factory: ClientFactory | None = None,
    public_server: PublicServerFactory | None = None,
    printer_probe: PrinterProbe | None = None,
) -> AdminConsole:
    return AdminConsole(
        store,
        clock,
        reports_dir=tmp_path / "reports",
        client_factory=client_factory,
        public_server=public_server,
        printer_probe=printer_probe,
        staging_dir=tmp_path / "staging",
        pin_kdf=CHEAP_PINS,
    )


@pytest.fixture
def console(store: KioskStore, clock: ManualClock, tmp_path: Path) -> AdminConsole:
    made = make_console(store, clock, tmp_path)
    made.operators.add(ADMIN, Role.ADMINISTRATOR, ADMIN_PIN)
    made.operators.add(ASSESSEUR, Role.ASSESSEUR, ASSESSEUR_PIN)
    return made


def sign_in(console: AdminConsole, name: str, pin: str) -> AdminSession:
    session = console.login(name, pin)
    assert isinstance(session, AdminSession), session
    return session


@pytest.fixture
def admin(console: AdminConsole) -> AdminSession:
    return sign_in(console, ADMIN, ADMIN_PIN)


@pytest.fixture
def assesseur(console: AdminConsole) -> AdminSession:
    return sign_in(console, ASSESSEUR, ASSESSEUR_PIN)
