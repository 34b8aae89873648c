"""Which election a server database belongs to: bound at the first start, checked at every one.

A database holds one election's kiosks, émargements and board. Starting the server on it with a
package of another election is refused; the same election with another fingerprint (the
package re-signed, e.g. sealed after the key ceremony) is accepted while the board is empty and
refused once a ballot is on it, since those ballots were checked against the package they came
with.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kiosk.clock import Clock, isoformat_utc
from kiosk.election.model import ElectionPackage
from server.log import ServerEvent, log_event
from server.storage.database import Database, DatabaseError

logger = logging.getLogger(__name__)


class ElectionMismatchError(DatabaseError):
    """The database belongs to another election, or to another package with ballots cast."""


@dataclass(frozen=True)
class Binding:
    election_id: str
    fingerprint: str
    bound_at: str


def bind(database: Database, package: ElectionPackage, clock: Clock) -> Binding:
    election_id = package.manifest.election_id
    now = isoformat_utc(clock.now())
    with database.transaction(write=True) as tx:
        row = tx.query_one("SELECT election_id, fingerprint, bound_at FROM election")
        if row is None:
            tx.execute(
                "INSERT INTO election (singleton, election_id, fingerprint, bound_at)"
                " VALUES (1, ?, ?, ?)",
                (election_id, package.fingerprint, now),
            )
            disposition = "bound"
            binding = Binding(election_id, package.fingerprint, now)
        else:
            bound = Binding(str(row[0]), str(row[1]), str(row[2]))
            if bound.election_id != election_id:
                raise ElectionMismatchError(
                    f"{database.url} belongs to election {bound.election_id!r}, "
                    f"not {election_id!r}: use another database"
                )
            if bound.fingerprint == package.fingerprint:
                return bound
            if tx.query_one("SELECT 1 FROM board_entry LIMIT 1") is not None:
                raise ElectionMismatchError(
                    f"{database.url}: ballots were accepted under package {bound.fingerprint}; "
                    f"this package ({package.fingerprint}) cannot replace it"
                )
            tx.execute(
                "UPDATE election SET fingerprint = ?, bound_at = ? WHERE singleton = 1",
                (package.fingerprint, now),
            )
            disposition = "package_updated"
            binding = Binding(election_id, package.fingerprint, now)
    log_event(
        logger,
        ServerEvent.ELECTION_BOUND,
        disposition=disposition,
        election_id=election_id,
        fingerprint=package.fingerprint,
    )
    return binding
