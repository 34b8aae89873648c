"""A demo kiosk's links to the local server: its client, enrollment, and the online parts of a
voting session come from ``kiosk.sync.links`` (docs/voter-flow.md, "Online kiosk")."""

from __future__ import annotations

from typing import Final

from kiosk.clock import Clock
from kiosk.demo.layout import DemoKiosk
from kiosk.demo.local_server import LocalServerError, enrollment_token
from kiosk.sync.client import KioskIdentity, ServerClient, ServerFailure
from kiosk.sync.endpoint import package_endpoint
from kiosk.sync.failures import describe_failure
from kiosk.voting.session import KioskElection

_NOT_ENROLLED: Final = frozenset({"kiosk_not_enrolled", "unknown_kiosk"})


def kiosk_client(election: KioskElection, clock: Clock) -> ServerClient:
    """The client of the server the kiosk's signed package names (``EndpointError`` if none)."""
    endpoint = package_endpoint(election.manifest.server)
    return ServerClient(
        endpoint.url,
        election_id=election.manifest.election_id,
        kiosk_id=election.kiosk.kiosk_id,
        key=election.kiosk.signing_key(),
        clock=clock,
        package_fingerprint=election.fingerprint,
        pin=endpoint.pin,
    )


def ensure_enrolled(layout: DemoKiosk, client: ServerClient, election: KioskElection) -> bool:
    """Enroll the kiosk with a one-time token unless the server knows it already; True when it
    enrolled now. ``LocalServerError`` when the server refuses or cannot be reached."""
    known = client.whoami()
    if isinstance(known, KioskIdentity):
        return False
    if known.code not in _NOT_ENROLLED:
        raise LocalServerError(
            f"the local server did not answer the kiosk: {describe_failure(known)}"
        )
    enrolled = client.enroll(enrollment_token(layout, election.kiosk.kiosk_id))
    if isinstance(enrolled, ServerFailure):
        raise LocalServerError(f"enrollment refused: {describe_failure(enrolled)}")
    return True
