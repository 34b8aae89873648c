"""An online kiosk's links to the server, as a voting session uses them: one client and one
``Link`` shared by the at-cast upload, the voter-status check and the shared lockouts (after a
failure, the voter-facing calls keep quiet for a while), the outbox and the réassort relay.

The kiosk window (``python -m ui``) and the scripted demo election build them here, alike."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.sync.notifier import ServerNotifier
from kiosk.sync.online import AtCastUpload, Link, ServerLockouts, ServerVoterStatus
from kiosk.sync.outbox import OutboxSync

if TYPE_CHECKING:
    from kiosk.clock import Clock
    from kiosk.store import KioskStore
    from kiosk.sync.client import ServerClient


class OnlineLinks:
    def __init__(
        self, store: KioskStore, client: ServerClient, clock: Clock, *, timeout: float
    ) -> None:
        link = Link(clock)
        self.client = client
        self.outbox = OutboxSync(store, client, clock)
        self.uploader = AtCastUpload(self.outbox, timeout=timeout, link=link)
        self.voter_status = ServerVoterStatus(client, link, timeout=timeout)
        self.lockouts = ServerLockouts(client, link, timeout=timeout)
        self.notifier = ServerNotifier(client)

    def close(self) -> None:
        self.uploader.close()
        self.client.close()
