"""A scanned receipt against this election: the kiosk's signature with that kiosk's key from
the signed package, and its ballot on the board with the same scrutin, kiosk and signature.

The same checks as ``isoloir verify receipt`` (kiosk/verifier/ballots.py, docs/receipts.md),
against the live board instead of a published record.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.crypto.receipt import Receipt, verify_receipt
from kiosk.election.model import ElectionPackage
from server.storage.database import Database
from server.web.board_view import PublishedEntry, find_entry


@dataclass(frozen=True)
class ReceiptFinding:
    receipt: Receipt
    this_election: bool  # the receipt names this package's fingerprint
    signature_valid: bool  # a kiosk of the package signed exactly these fields
    entry: PublishedEntry | None  # the board entry with the receipt's tracking code

    @property
    def on_board(self) -> bool:
        """The code is on the board with the receipt's scrutin, kiosk and signature."""
        entry, receipt = self.entry, self.receipt
        return (
            entry is not None
            and entry.scrutin_id == receipt.scrutin_id
            and entry.kiosk_id == receipt.kiosk_id
            and entry.kiosk_signature == receipt.signature
        )

    @property
    def mismatch(self) -> bool:
        """The code is on the board with other fields: someone should look into it."""
        return self.entry is not None and not self.on_board


def check_receipt(package: ElectionPackage, database: Database, receipt: Receipt) -> ReceiptFinding:
    kiosk = next((k for k in package.manifest.kiosks if k.id == receipt.kiosk_id), None)
    return ReceiptFinding(
        receipt=receipt,
        this_election=receipt.election_fingerprint == package.fingerprint,
        signature_valid=kiosk is not None and verify_receipt(receipt, kiosk.public_key),
        entry=find_entry(database, receipt.tracking_code),
    )
