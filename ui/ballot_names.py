"""Election content the pages show, read from the signed package's manifest (never from code)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from kiosk.election.model import ListId, Manifest, ScrutinId
from kiosk.receipts import choice_name


class BallotNames:
    """List names, the blank vote's label and the election's time zone, by id."""

    def __init__(self, manifest: Manifest) -> None:
        self._manifest = manifest
        self._zone = ZoneInfo(manifest.time_zone)

    @property
    def election_title(self) -> str:
        return self._manifest.title

    def option(self, scrutin_id: ScrutinId, option: str) -> str:
        return choice_name(self._manifest.scrutin(scrutin_id), ListId(option))

    def local_time(self, instant: datetime) -> datetime:
        """``instant`` in the election's time zone (Europe/Paris for the reference election)."""
        return instant.astimezone(self._zone)
