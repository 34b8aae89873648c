"""The demo election and its kiosks (``isoloir demo setup``, the first step of ``isoloir demo``).

``build_election`` makes the demo election (``kiosk.election.demo``) with a ``server`` naming a
local server on a loopback port, runs the demo trustees' key ceremony, seals and signs the
package and writes it with the demo secrets; the trustees' state files stay in
``secrets/trustees/`` for ``demo tally`` (their passphrase is public: demo only).
``make_kiosk`` makes a ready kiosk: its encrypted store, the package loaded, its key, the demo
operator accounts, and the polls opened by the assesseur.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.clock import Clock
from kiosk.demo import operators
from kiosk.demo.layout import DemoKiosk
from kiosk.demo.local_server import loopback_server
from kiosk.election import package
from kiosk.election.demo import DemoCredential, build_demo, write_demo
from kiosk.election.kdf import KdfParams
from kiosk.election.model import ElectionPackage, KioskId
from kiosk.trustee.demo import TRUSTEES, seal_with_demo_ceremony

if TYPE_CHECKING:
    from kiosk.store import KioskStore

_STAGING = ".trustees-staging"


@dataclass(frozen=True)
class DemoElectionBuilt:
    """What ``build_election`` wrote, and the secrets a scripted election needs in memory."""

    layout: DemoKiosk
    package: ElectionPackage  # the sealed package, read back from disk
    credentials: tuple[DemoCredential, ...]
    kiosk_keys: Mapping[KioskId, Ed25519PrivateKey]

    def __repr__(self) -> str:
        return f"DemoElectionBuilt({self.layout.root}, {self.package.fingerprint})"


def trustee_states(layout: DemoKiosk) -> dict[int, Path]:
    """Each demo trustee's state file, by index (1-based), as the ceremony named them."""
    return {i: layout.trustees / f"{name}.state" for i, name in enumerate(TRUSTEES, start=1)}


def build_election(
    layout: DemoKiosk, *, now: datetime, voters: int, kdf: KdfParams, seed: int, port: int
) -> DemoElectionBuilt:
    """Write the sealed package and the secrets into ``layout.root`` (an existing, empty folder
    the caller removes on failure); the package names ``http://127.0.0.1:PORT``."""
    built = build_demo(now=now, voters=voters, kdf=kdf, seed=seed)
    manifest = dataclasses.replace(built.package.manifest, server=loopback_server(port))
    unsealed = package.resign(built.package, manifest, built.organizer_key)
    staging = layout.root / _STAGING
    staging.mkdir(mode=0o700)
    sealed, _ = seal_with_demo_ceremony(unsealed, built.organizer_key, staging)
    write_demo(dataclasses.replace(built, package=sealed), layout.package, layout.secrets)
    staging.rename(layout.trustees)
    loaded = package.load(layout.package)  # read back and checked, as load-package does
    return DemoElectionBuilt(layout, loaded, built.credentials, built.kiosk_keys)


def make_kiosk(
    layout: DemoKiosk,
    kiosk_id: KioskId,
    sealed: ElectionPackage,
    key: Ed25519PrivateKey,
    clock: Clock,
) -> KioskStore:
    """A new store for ``kiosk_id``, ready to take votes; returned open."""
    from kiosk.store import KioskStore, create_key_file, kiosk_key_seed

    store_path, key_file = layout.kiosk(kiosk_id)
    store = KioskStore.create(store_path, create_key_file(key_file), clock)
    try:
        store.load_package(sealed)
        store.set_kiosk_key(kiosk_id, kiosk_key_seed(key))
        operators.create_operators(store, clock)
        operators.open_polls(store, clock, layout.kiosk_reports(kiosk_id))
    except BaseException:
        store.close()
        raise
    return store
