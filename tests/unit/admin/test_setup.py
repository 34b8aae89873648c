"""``first_run``: a real SQLCipher store made from nothing, or nothing at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.admin.operators import Operator, Operators
from kiosk.admin.roles import Role
from kiosk.admin.setup import FirstRunError, first_run
from kiosk.clock import ManualClock
from kiosk.election import signing
from kiosk.store import KioskStore, StoreKey, kiosk_key_seed

KEY = StoreKey.from_passphrase("une phrase de passe assez longue")
PIN = "246810"


def test_first_run_makes_a_store_the_administrator_signs_in_to(tmp_path: Path) -> None:
    clock = ManualClock()
    path = tmp_path / "kiosk.db"
    made = first_run(path, KEY, "bureau-1", " admin ", PIN, clock)
    assert made.store_path == path
    assert made.admin_name == "admin"
    with KioskStore.open(path, KEY, clock) as store:
        identity = store.kiosk_identity()
        assert identity is not None
        assert identity.kiosk_id == "bureau-1"
        assert identity.public_key == made.public_key
        operators = Operators(store, clock)
        assert operators.has_administrator()
        signed_in = operators.authenticate("admin", PIN)
        assert isinstance(signed_in, Operator)
        assert signed_in.role is Role.ADMINISTRATOR
        assert not isinstance(operators.authenticate("admin", "999999"), Operator)


def test_a_given_kiosk_key_is_installed(tmp_path: Path) -> None:
    key = signing.generate()
    made = first_run(
        tmp_path / "k.db",
        KEY,
        "k1",
        "admin",
        PIN,
        ManualClock(),
        kiosk_key_seed=kiosk_key_seed(key),
    )
    assert made.public_key == signing.public_bytes(key)


@pytest.mark.parametrize(
    ("kiosk_id", "admin", "pin", "named"),
    [
        ("Bureau 1!", "admin", PIN, "kiosk id"),
        ("k1", "no spaces allowed", PIN, "administrator name"),
        ("k1", "admin", "12345", "administrator PIN"),
        ("k1", "admin", "12345a", "administrator PIN"),
    ],
)
def test_bad_input_is_named_and_nothing_is_created(
    tmp_path: Path, kiosk_id: str, admin: str, pin: str, named: str
) -> None:
    path = tmp_path / "kiosk.db"
    with pytest.raises(FirstRunError, match=named) as refused:
        first_run(path, KEY, kiosk_id, admin, pin, ManualClock())
    assert pin not in str(refused.value) or pin == PIN
    assert list(tmp_path.iterdir()) == []


def test_an_existing_store_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    path.write_bytes(b"someone's data")
    with pytest.raises(FirstRunError, match="exists already"):
        first_run(path, KEY, "k1", "admin", PIN, ManualClock())
    assert path.read_bytes() == b"someone's data"


def test_a_failure_after_the_store_exists_removes_it(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    with pytest.raises(FirstRunError, match="nothing was created"):
        first_run(path, KEY, "k1", "admin", PIN, ManualClock(), kiosk_key_seed=b"too short")
    assert list(tmp_path.iterdir()) == []
    first_run(path, KEY, "k1", "admin", PIN, ManualClock())  # and the next run succeeds
    assert path.exists()
