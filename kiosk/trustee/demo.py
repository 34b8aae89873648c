"""The demo trustees' key ceremony, run in one process, and the package sealed with its key.

For the demo election (``isoloir demo setup``) and the synthetic records (``isoloir tally
demo-record``): five fictional trustees, any three of whom decrypt, run ``init``, ``deal``,
``receive`` and ``finish`` one after the other in a folder of the caller's, with the same
functions as the real ``isoloir trustee`` commands. Their passphrase is public: demo only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.election.kdf import KdfProfile
from kiosk.election.model import ElectionPackage
from kiosk.trustee import ceremony

TRUSTEES: Final = ("agathe", "bastien", "chloe", "djamel", "elise")
THRESHOLD: Final = 3
DEMO_PASSPHRASE: Final = "phrase de passe de démonstration (publique)"  # noqa: S105 - demo only


@dataclass(frozen=True)
class DemoCeremony:
    """A finished demo ceremony: its public folder and each trustee's state file, by index."""

    folder: Path
    states: Mapping[int, Path]


def run_demo_ceremony(root: Path, ceremony_id: str) -> DemoCeremony:
    """The five trustees' ceremony in ``root`` (an existing, empty folder the caller owns)."""
    folder = root / "ceremony"
    folder.mkdir()
    states = {i: root / f"{name}.state" for i, name in enumerate(TRUSTEES, start=1)}
    for index, name in enumerate(TRUSTEES, start=1):
        ceremony.init(
            folder,
            states[index],
            DEMO_PASSPHRASE,
            ceremony_id=ceremony_id,
            trustee_id=name,
            index=index,
            trustees=len(TRUSTEES),
            threshold_k=THRESHOLD,
            kdf=KdfProfile.TEST.value,  # the state files' passphrase KDF: cheap, it is public
        )
    for step in (ceremony.deal, ceremony.receive, ceremony.finish):
        for index in states:
            step(folder, states[index], DEMO_PASSPHRASE)
    return DemoCeremony(folder, states)


def seal_with_demo_ceremony(
    unsealed: ElectionPackage, organizer_key: Ed25519PrivateKey, root: Path
) -> tuple[ElectionPackage, DemoCeremony]:
    """Run the demo ceremony in ``root`` for ``unsealed``'s election, then seal and re-sign it,
    as ``isoloir election seal`` does."""
    done = run_demo_ceremony(root, unsealed.manifest.election_id)
    sealed = ceremony.seal(unsealed, ceremony.ceremony_result(done.folder), organizer_key)
    return sealed, done
