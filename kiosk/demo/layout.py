"""Where each part of a demo lives under its folder (``isoloir demo setup DIR``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from kiosk.election.model import KioskId

ONLINE_KIOSK: Final = KioskId("kiosk-01")  # the demo kiosk with its window, online
OFFLINE_KIOSK: Final = KioskId("kiosk-02")  # the scripted election's kiosk without a network


@dataclass(frozen=True)
class DemoKiosk:
    """Where ``demo setup`` puts each part of a demo under ``root``."""

    root: Path

    @property
    def package(self) -> Path:
        return self.root / "package"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets"

    @property
    def credentials(self) -> Path:
        return self.secrets / "demo-credentials.csv"

    @property
    def trustees(self) -> Path:
        """The demo trustees' ceremony folder and state files (their passphrase is public)."""
        return self.secrets / "trustees"

    @property
    def store(self) -> Path:
        return self.root / "kiosk.db"

    @property
    def key_file(self) -> Path:
        return self.root / "kiosk-store.key"

    @property
    def mailbox(self) -> Path:
        return self.root / "mailbox"

    @property
    def prints(self) -> Path:
        return self.root / "prints"

    @property
    def tour(self) -> Path:
        return self.root / "tour"

    @property
    def reports(self) -> Path:
        """The kiosks' opening and closing reports, a folder per kiosk."""
        return self.root / "reports"

    def kiosk_reports(self, kiosk_id: KioskId) -> Path:
        return self.reports / kiosk_id

    @property
    def server_db(self) -> Path:
        return self.root / "server.db"

    @property
    def server_log(self) -> Path:
        """What the local server printed (it runs as a child process)."""
        return self.root / "server.log"

    @property
    def bundles(self) -> Path:
        return self.root / "bundles"

    @property
    def record(self) -> Path:
        """The election record ``demo tally`` writes: board, tally, results.pdf."""
        return self.root / "record"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.server_db.resolve()}"

    def kiosk(self, kiosk_id: KioskId) -> tuple[Path, Path]:
        """The store and key file of ``kiosk_id``: kiosk-01's are the window's, at the root."""
        if kiosk_id == ONLINE_KIOSK:
            return self.store, self.key_file
        return self.root / f"{kiosk_id}.db", self.root / f"{kiosk_id}-store.key"
