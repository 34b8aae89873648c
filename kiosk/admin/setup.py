"""A kiosk's first run: the encrypted store, the kiosk key, the first administrator account.

``first_run`` is the one place that creates a kiosk store from nothing; ``isoloir admin setup``
(kiosk/cli/admin_console.py) and the window's first-run page (ui/admin/setup.py, ``python -m ui
--first-run``) both call it. Every input is checked before anything is made, and a failure once
the store exists removes the store: a first run either completes or leaves nothing behind, so it
can simply be run again. Loading the election package and enrolling with the server come after,
from the admin console, by the administrator this creates.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kiosk.admin.operators import Operators, check_name, check_pin
from kiosk.admin.roles import Role
from kiosk.clock import Clock
from kiosk.election import signing
from kiosk.store import (
    KioskIdentity,
    KioskStore,
    StoreError,
    StoreKey,
    parse_kiosk_id,
)
from kiosk.store import kiosk_key_seed as seed_of
from kiosk.store.files import existing_sidecars


class FirstRunError(Exception):
    """A first run refused or failed; the message names what is wrong (never the PIN or key).

    Nothing was created when it is raised."""


@dataclass(frozen=True)
class FirstRun:
    """What a first run made: the store, this kiosk's identity, the administrator's name."""

    store_path: Path
    identity: KioskIdentity
    admin_name: str

    @property
    def public_key(self) -> bytes:
        """The kiosk's Ed25519 public key, for the organizer to list in the package."""
        return self.identity.public_key


def first_run(
    store_path: Path,
    key: StoreKey,
    kiosk_id: str,
    admin_name: str,
    admin_pin: str,
    clock: Clock,
    *,
    kiosk_key_seed: bytes | None = None,
) -> FirstRun:
    """Create the store at ``store_path`` (which must not exist) with ``key``, install the
    kiosk key (the 32-byte seed ``kiosk_key_seed``, else a new one) for ``kiosk_id``, and add
    ``admin_name`` as administrator with ``admin_pin``. ``FirstRunError`` naming what is wrong,
    and nothing created."""
    path = Path(store_path)
    try:
        checked_id = parse_kiosk_id(kiosk_id.strip())
    except ValueError as exc:
        raise FirstRunError(f"kiosk id: {exc}") from None
    try:
        name = check_name(admin_name.strip())
    except ValueError as exc:
        raise FirstRunError(f"administrator name: {exc}") from None
    try:
        check_pin(admin_pin)
    except ValueError as exc:
        raise FirstRunError(f"administrator PIN: {exc}") from None
    if path.exists() or path.is_symlink():
        raise FirstRunError(f"{path}: exists already; a store is never overwritten")
    seed = kiosk_key_seed if kiosk_key_seed is not None else seed_of(signing.generate())
    try:
        store = KioskStore.create(path, key, clock)
    except StoreError as exc:
        raise FirstRunError(str(exc)) from None
    try:
        with store:
            identity = store.set_kiosk_key(checked_id, seed)
            Operators(store, clock).add(name, Role.ADMINISTRATOR, admin_pin)
    except (StoreError, ValueError) as exc:
        _remove_store(path)
        raise FirstRunError(f"{exc}; nothing was created") from None
    except BaseException:
        _remove_store(path)  # a half-made store would refuse the next first run
        raise
    return FirstRun(store_path=path, identity=identity, admin_name=name)


def _remove_store(path: Path) -> None:
    for sidecar in existing_sidecars(path):
        sidecar.unlink(missing_ok=True)
    path.unlink(missing_ok=True)
