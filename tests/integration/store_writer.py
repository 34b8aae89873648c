"""Cast ballots into a store until killed: the child process of ``test_store_crash.py``.

    python tests/integration/store_writer.py STORE KEYFILE FIRST_VOTER_INDEX

Voter ``v<index>`` casts in scrutin ``capn``, for index = FIRST_VOTER_INDEX, +1, ... Each
committed envelope id is printed (hex) and flushed right after the commit returns, so every
printed id must be in the store after any crash. A challenge is journaled before each cast, so
that kills also land in stand-alone audit appends.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from kiosk.audit import AuditEvent
from kiosk.clock import SystemClock
from kiosk.election.model import ScrutinId, VoterId
from kiosk.store import KioskStore, StoreKey, StoreStateError

SCRUTIN = ScrutinId("capn")


def envelope_for(envelope_id: bytes) -> bytes:
    """4 KiB derived from the id, for the parent to check whole; it fills overflow pages."""
    return hashlib.sha256(envelope_id).digest() * 128


def main(argv: list[str]) -> int:
    store_path, key_file, first = Path(argv[1]), Path(argv[2]), int(argv[3])
    with KioskStore.open(store_path, StoreKey.from_key_file(key_file), SystemClock()) as store:
        index = first
        while True:
            envelope_id = os.urandom(16)
            store.append_audit(AuditEvent.BALLOT_CHALLENGED, scrutin_id=SCRUTIN)
            try:
                store.record_cast(
                    VoterId(f"v{index:04d}"), SCRUTIN, envelope_id, envelope_for(envelope_id)
                )
            except StoreStateError as exc:  # the roll is used up: the parent sees the early exit
                print(f"writer stopped: {exc}", file=sys.stderr)
                return 3
            sys.stdout.write(envelope_id.hex() + "\n")
            sys.stdout.flush()
            index += 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
