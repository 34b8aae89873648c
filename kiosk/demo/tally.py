"""The end of a demo election (``isoloir demo tally``, the end of ``isoloir demo --scripted``).

``tally_record`` takes the server's record out (``isoloir server export-record``), sums the
board into the aggregate, has three of the five demo trustees (drawn by ``rng``) decrypt it,
combines their partial decryptions into results.json and results.pdf, and runs the verifier on
the record: the same functions as ``isoloir tally aggregate``, ``isoloir trustee decrypt``,
``isoloir tally combine`` and ``isoloir verify record``.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass

from kiosk import durable
from kiosk.demo.build import trustee_states
from kiosk.demo.layout import DemoKiosk
from kiosk.demo.local_server import export_record
from kiosk.record import tally
from kiosk.record.layout import RecordLayout
from kiosk.tally.results import ElectionResults
from kiosk.trustee import decryption
from kiosk.trustee.demo import DEMO_PASSPHRASE, THRESHOLD
from kiosk.verifier.record import verify_record
from kiosk.verifier.report import Report


@dataclass(frozen=True)
class DemoTally:
    record: RecordLayout
    ballots: int  # on the board
    results: ElectionResults
    trustees_used: tuple[str, ...]
    verification: Report


def tally_record(layout: DemoKiosk, rng: random.Random) -> DemoTally:
    """Export, aggregate, decrypt (any 3 of 5), combine and verify into ``layout.record`` (a
    new folder, removed again if a step fails). ``LocalServerError``, ``RecordError``,
    ``DecryptionError``, ``StateError``, ``WrongPassphraseError`` (a trustee's state that does
    not open) or ``OSError`` say what failed; a record that does not verify is a value
    (``verification.passed``)."""
    export_record(layout, layout.record)
    record = RecordLayout(layout.record)
    try:
        rebuilt = tally.rebuild_aggregate(record.package, record.board, record.board_head)
        sealed, aggregate = rebuilt.sealed, rebuilt.aggregate
        durable.write_new_file(record.aggregate, aggregate.to_json())
        record.partials.mkdir()
        states = trustee_states(layout)
        for index in sorted(rng.sample(sorted(states), THRESHOLD)):
            partials = decryption.decrypt(states[index], DEMO_PASSPHRASE, sealed, aggregate)
            durable.write_new_file(record.partial(partials.trustee_id), partials.to_json())
        partial_sets = tally.read_partials(record.partial_files())
        results, counts = tally.combine_results(sealed, aggregate, partial_sets)
        tally.write_results(record, results)
    except BaseException:
        # Half a record would block the next try; the server's database still holds it all.
        shutil.rmtree(record.root, ignore_errors=True)
        raise
    return DemoTally(record, rebuilt.head.count, results, counts.used, verify_record(record.root))
