"""Where the printed papers go. The window hands each print order to a ``Printer`` through the
worker (rendering a PDF is core work, off the GUI thread).

``PdfFolderPrinter`` is the file fallback: each paper is a PDF in a folder. The QPrinter path
to the system printer (CUPS) comes with issue 4.
"""

from __future__ import annotations

import itertools
import logging
from datetime import UTC
from pathlib import Path
from typing import Final, Protocol

from kiosk.config import Language
from kiosk.durable import write_new_file
from kiosk.receipts import DepositProof, SyncState, deposit_proof_pdf
from kiosk.voting.flow import PrintChallengeSlip, PrintReceipt

_LOGGER: Final = logging.getLogger("ui.printing")


class Printer(Protocol):
    def print_receipt(self, order: PrintReceipt, language: Language) -> None: ...

    def print_challenge_slip(self, order: PrintChallengeSlip, language: Language) -> None: ...


class PdfFolderPrinter:
    """Writes the proof of deposit of each cast as a PDF in ``folder``."""

    def __init__(self, folder: Path, election_title: str) -> None:
        self._folder = folder
        self._election_title = election_title

    def print_receipt(self, order: PrintReceipt, language: Language) -> None:
        proof = DepositProof(
            election_title=self._election_title,
            scrutin_title=order.scrutin_title,
            cast_at=order.cast_at,
            receipt=order.receipt,
            sync=SyncState.PENDING,  # no server link yet: the envelope waits in the kiosk
        )
        stamp = order.cast_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        pdf = deposit_proof_pdf(proof, language=language)
        self._folder.mkdir(parents=True, exist_ok=True)
        for copy in itertools.count(1):  # "Imprimer" again makes another copy
            path = self._folder / f"depot-{order.receipt.scrutin_id}-{stamp}-{copy}.pdf"
            if not path.exists():
                write_new_file(path, pdf, mode=0o600)
                return

    def print_challenge_slip(self, order: PrintChallengeSlip, language: Language) -> None:
        # The slip PDF needs the challenged ballot's bytes, which the output does not carry yet.
        _LOGGER.warning("challenge slip printing is not wired yet (issue 4)")
