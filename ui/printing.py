"""Where the printed papers go. The window hands each print order to a ``Printer`` through the
worker (rendering a PDF is core work, off the GUI thread).

A cast prints two papers, the proof of deposit and the émargement certificate; a challenge
prints the challenge slip (docs/receipts.md). The orders come from the core with everything
already signed (``PrintReceipt``, ``PrintChallengeSlip``): here the papers are only rendered
(``receipt_papers``, ``challenge_papers``) and handed over.

``PdfFolderPrinter`` is the file fallback: each paper is a PDF in a folder. The QPrinter path
to the system printer (CUPS) comes with issue 4.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Protocol

from kiosk.config import Language
from kiosk.durable import write_new_file
from kiosk.receipts import Paper, challenge_slip_pdf, deposit_proof_pdf, emargement_pdf
from kiosk.voting.flow import PrintChallengeSlip, PrintReceipt

_LOGGER: Final = logging.getLogger("ui.printing")


@dataclass(frozen=True)
class PrintedPaper:
    """One rendered paper: its kind (``depot``, ``emargement``, ``controle``), the scrutin, the
    time it records, and the PDF."""

    kind: str
    scrutin_id: str
    at: datetime
    pdf: bytes

    def __repr__(self) -> str:  # the PDF may name the voter or the choice
        return f"PrintedPaper({self.kind!r}, {self.scrutin_id!r})"


def receipt_papers(
    order: PrintReceipt, language: Language, paper: Paper = Paper.ROLL_80MM
) -> tuple[PrintedPaper, PrintedPaper]:
    """The proof of deposit, then the émargement certificate, of one cast."""
    scrutin = order.receipt.scrutin_id
    proof = deposit_proof_pdf(order.deposit_proof(), paper=paper, language=language)
    certificate = emargement_pdf(order.emargement_certificate(), paper=paper, language=language)
    return (
        PrintedPaper("depot", scrutin, order.cast_at, proof),
        PrintedPaper("emargement", scrutin, order.cast_at, certificate),
    )


def challenge_papers(
    order: PrintChallengeSlip, language: Language, paper: Paper = Paper.ROLL_80MM
) -> PrintedPaper:
    """The challenge slip of one challenged ballot."""
    pdf = challenge_slip_pdf(order.challenge_slip(), paper=paper, language=language)
    return PrintedPaper("controle", order.slip.scrutin_id, order.challenged_at, pdf)


class Printer(Protocol):
    def print_receipt(self, order: PrintReceipt, language: Language) -> None:
        """Print the proof of deposit and the émargement certificate of a cast."""
        ...

    def print_challenge_slip(self, order: PrintChallengeSlip, language: Language) -> None:
        """Print the slip of a challenged ballot."""
        ...


class PdfFolderPrinter:
    """Writes each paper as a PDF in ``folder`` (mode 0600): ``depot-…``, ``emargement-…`` and
    ``controle-…``, named by scrutin and UTC time, numbered when printed again."""

    def __init__(self, folder: Path, paper: Paper = Paper.ROLL_80MM) -> None:
        self._folder = folder
        self._paper = paper

    def print_receipt(self, order: PrintReceipt, language: Language) -> None:
        for printed in receipt_papers(order, language, self._paper):
            self._write(printed)

    def print_challenge_slip(self, order: PrintChallengeSlip, language: Language) -> None:
        self._write(challenge_papers(order, language, self._paper))

    def _write(self, printed: PrintedPaper) -> Path:
        stamp = printed.at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        self._folder.mkdir(parents=True, exist_ok=True)
        for copy in itertools.count(1):  # "Imprimer" again makes another copy
            path = self._folder / f"{printed.kind}-{printed.scrutin_id}-{stamp}-{copy}.pdf"
            if not path.exists():
                write_new_file(path, printed.pdf, mode=0o600)
                _LOGGER.info("paper written: %s", printed.kind)
                return path
        raise AssertionError("unreachable")
