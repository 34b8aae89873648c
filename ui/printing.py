"""Where the printed papers go. The window hands each print order to a ``Printer`` through a
worker of its own, off the GUI thread and off the core's worker (rendering and printing a PDF is
slow, a CUPS server may hang, and neither the voter nor the inactivity reset waits on a printer).

A cast prints two papers, the proof of deposit and the émargement certificate; a challenge prints
the challenge slip (docs/receipts.md). The admin console prints the polls reports and the printer
test page (``print_paper``, kinds ``rapport`` and ``test``), and shows the printer's state on its
dashboard (``QueueProbe``, ``FolderProbe``; docs/admin-console.md). The orders come from the core
with everything already signed (``PrintReceipt``, ``PrintChallengeSlip``): here the papers are only
rendered (``receipt_papers``, ``challenge_papers``) and handed over.

``CupsQueuePrinter`` prints each paper as one job on a CUPS queue, named or the system default,
through ``QPrinter``; ``make_printer`` builds the kiosk's. ``PdfFolderPrinter`` writes each paper
as a PDF in a folder: the fallback for the papers no printer takes. Failing to print is an
expected failure, so it is no exception but a ``PrintOutcome``: the paper goes to the folder
(``FALLBACK``), or the folder cannot hold it either (``FAILED``), and a log line says which paper
(its kind, never its contents) and why. The window tells the core, whose page then says to ask an
assesseur.

Threads: printing runs on the worker's thread. ``QPrinter`` is a paint device, not a widget, and
Qt supports ``QPainter`` on a ``QImage`` or a ``QPrinter`` outside the GUI thread; QtPdf serializes
its PDF engine (pdfium) under its own lock; libcups keeps its state per thread, and the job is
submitted in ``QPainter.end()`` on the calling thread, where its status is read back.
``make_printer`` runs on the GUI thread and makes the first printer look-up there, which loads
Qt's CUPS plugin once, before any worker uses it.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import logging
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Final, Protocol

from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QIODevice, QMarginsF, Qt
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from kiosk.admin.dashboard import PrinterState
from kiosk.config import Language
from kiosk.durable import fsync_directory, write_new_file
from kiosk.receipts import Paper, challenge_slip_pdf, deposit_proof_pdf, emargement_pdf
from kiosk.voting.flow import PrintChallengeSlip, PrintReceipt

_LOGGER: Final = logging.getLogger("ui.printing")

MAX_PRINT_DPI: Final = 300
"""Pages are painted at the printer's resolution up to this: an A4 page at 300 dpi is 8.7 MB of
grey, at the 1,200 dpi some drivers announce 139 MB; a QR code needs far less."""

_IPP_LAST_SUCCESS: Final = 0x00FF  # IPP status codes 0x0000-0x00FF are the successful ones


class PrintOutcome(Enum):
    """Where a paper (or an order's papers: the worst of them) went."""

    PRINTED = 1  # taken by the printer (a ``PdfFolderPrinter`` given as the printer: written)
    FALLBACK = 2  # no printer took it: written to the fallback folder, for an assesseur
    FAILED = 3  # neither printed nor written: lost ("Imprimer" renders it again)


def worst(outcomes: Iterable[PrintOutcome]) -> PrintOutcome:
    """The outcome of an order: printed only if every paper printed."""
    return max(outcomes, key=lambda outcome: outcome.value, default=PrintOutcome.PRINTED)


PAPER_KINDS: Final = ("depot", "emargement", "controle", "rapport", "test")
"""A voter's papers, then the admin console's: the polls reports and the printer test page."""


@dataclass(frozen=True)
class PrintedPaper:
    """One rendered paper: its kind (one of ``PAPER_KINDS``) and the PDF."""

    kind: str
    pdf: bytes

    def __repr__(self) -> str:  # the PDF may name the voter or the choice
        return f"PrintedPaper({self.kind!r})"


def receipt_papers(
    order: PrintReceipt, language: Language, paper: Paper = Paper.ROLL_80MM
) -> tuple[PrintedPaper, PrintedPaper]:
    """The proof of deposit, then the émargement certificate, of one cast."""
    proof = deposit_proof_pdf(order.deposit_proof(), paper=paper, language=language)
    certificate = emargement_pdf(order.emargement_certificate(), paper=paper, language=language)
    return PrintedPaper("depot", proof), PrintedPaper("emargement", certificate)


def challenge_papers(
    order: PrintChallengeSlip, language: Language, paper: Paper = Paper.ROLL_80MM
) -> PrintedPaper:
    """The challenge slip of one challenged ballot."""
    pdf = challenge_slip_pdf(order.challenge_slip(), paper=paper, language=language)
    return PrintedPaper("controle", pdf)


class Printer(Protocol):
    def print_receipt(self, order: PrintReceipt, language: Language) -> PrintOutcome:
        """Print the proof of deposit and the émargement certificate of a cast."""
        ...

    def print_challenge_slip(self, order: PrintChallengeSlip, language: Language) -> PrintOutcome:
        """Print the slip of a challenged ballot."""
        ...


class PaperPrinter(Printer, Protocol):
    """A printer the admin console also uses: any rendered paper (a report, a test page)."""

    def print_paper(self, printed: PrintedPaper) -> PrintOutcome:
        """Print one rendered paper (``PRINTED``, ``FALLBACK`` or ``FAILED``)."""
        ...


class PdfFolderPrinter:
    """Writes each paper as a new PDF in a subfolder of ``folder`` named after its kind
    (``depot/``, ``emargement/``, ``controle/``, mode 0700), under a random name, mode 0600, its
    times set to the epoch.

    Privacy: nothing in a name or a modification time pairs an émargement (the voter's name) with
    a proof of deposit (the tracking code) or a slip (a choice); the files' change and birth
    times, which no program sets, still do (docs/receipts.md, "The fallback folder").
    """

    def __init__(self, folder: Path, paper: Paper = Paper.ROLL_80MM) -> None:
        self._folder = folder
        self._paper = paper

    def print_receipt(self, order: PrintReceipt, language: Language) -> PrintOutcome:
        papers = receipt_papers(order, language, self._paper)
        return worst([self.deliver(printed) for printed in papers])

    def print_challenge_slip(self, order: PrintChallengeSlip, language: Language) -> PrintOutcome:
        return self.deliver(challenge_papers(order, language, self._paper))

    def print_paper(self, printed: PrintedPaper) -> PrintOutcome:
        """The folder is the printer (``--pdf-only``, tests): ``deliver``."""
        return self.deliver(printed)

    def deliver(self, printed: PrintedPaper) -> PrintOutcome:
        """``write``, as an outcome: ``PRINTED``, or ``FAILED`` (logged) when the folder cannot
        hold the paper."""
        try:
            self.write(printed)
        except OSError as exc:
            # Privacy: the error's code only; its message names the file.
            _LOGGER.error("paper not written (%s): %s is lost", _error_code(exc), printed.kind)
            return PrintOutcome.FAILED
        return PrintOutcome.PRINTED

    def write(self, printed: PrintedPaper) -> Path:
        """Write one rendered paper as a new file in its kind's subfolder; its path. ``OSError``
        when the folder cannot hold it."""
        if printed.kind not in PAPER_KINDS:
            raise ValueError(f"unknown paper kind {printed.kind!r}")
        self._folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder = self._folder / printed.kind
        folder.mkdir(mode=0o700, exist_ok=True)
        folder.chmod(0o700)  # a folder made earlier, or under a lax umask: for the kiosk alone
        path = folder / f"{secrets.token_hex(16)}.pdf"  # "Imprimer" again: another file
        write_new_file(path, printed.pdf, mode=0o600)
        os.utime(path, ns=(0, 0))  # no modification time to pair it with another kind's paper
        fsync_directory(folder)
        _LOGGER.info("paper written: %s", printed.kind)
        return path


class CupsQueuePrinter:
    """Prints each paper as one job on the CUPS queue ``queue``, or on the system default queue
    when ``queue`` is None, through ``QPrinter``; a paper that finds no queue, or whose job CUPS
    does not take, goes to ``fallback``.

    Each page is rendered from the paper's PDF by QtPdf, on white, at the printer's resolution
    (at most ``MAX_PRINT_DPI``), and painted on a page of the PDF page's own size, without
    margins: 80 mm wide for a roll ticket, A4 for A4. The queue is looked up for every paper, so
    a printer plugged in or a CUPS restarted after the kiosk started is used from the next paper.
    A job CUPS took counts as printed: a queue that is stopped (paper out) prints it when it is
    started again.
    """

    def __init__(
        self, queue: str | None, fallback: PdfFolderPrinter, paper: Paper = Paper.ROLL_80MM
    ) -> None:
        self._queue = queue
        self._fallback = fallback
        self._paper = paper

    @property
    def queue_label(self) -> str:
        """The queue's name, or ``system default``."""
        return self._queue if self._queue is not None else "system default"

    def destination(self) -> QPrinterInfo | None:
        """The queue as CUPS lists it now, or None when there is none."""
        if self._queue is None:
            info = QPrinterInfo.defaultPrinter()
        else:
            info = QPrinterInfo.printerInfo(self._queue)
        return None if info.isNull() else info

    def print_receipt(self, order: PrintReceipt, language: Language) -> PrintOutcome:
        papers = receipt_papers(order, language, self._paper)
        return worst([self.print_paper(printed) for printed in papers])

    def print_challenge_slip(self, order: PrintChallengeSlip, language: Language) -> PrintOutcome:
        return self.print_paper(challenge_papers(order, language, self._paper))

    def print_paper(self, printed: PrintedPaper) -> PrintOutcome:
        """Print one rendered paper, or write it to the fallback folder and log why."""
        destination = self.destination()
        if destination is None:
            # Privacy: the paper's kind only, never its contents (a name, a choice).
            _LOGGER.warning(
                "no printer (%s): %s goes to the fallback folder", self.queue_label, printed.kind
            )
            return self._to_fallback(printed)
        refusal = _print_pdf(printed, destination)
        if refusal is not None:
            _LOGGER.warning(
                "print job not taken (%s): %s goes to the fallback folder", refusal, printed.kind
            )
            return self._to_fallback(printed)
        _LOGGER.info("paper sent to the printer: %s", printed.kind)
        return PrintOutcome.PRINTED

    def _to_fallback(self, printed: PrintedPaper) -> PrintOutcome:
        if self._fallback.deliver(printed) is PrintOutcome.PRINTED:
            return PrintOutcome.FALLBACK
        return PrintOutcome.FAILED


class FolderProbe:
    """The dashboard's printer state when every paper is a PDF in a folder (``--pdf-only``)."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def __call__(self) -> PrinterState:
        return PrinterState(
            ok=True,
            detail=QCoreApplication.translate("Printer", "PDF seulement : %1").replace(
                "%1", str(self._folder)
            ),
        )


class QueueProbe:
    """The dashboard's printer state: the CUPS queue as ``QPrinterInfo`` sees it now."""

    def __init__(self, printer: CupsQueuePrinter) -> None:
        self._printer = printer

    def __call__(self) -> PrinterState:
        destination = self._printer.destination()
        if destination is None:
            return PrinterState(
                ok=False,
                detail=QCoreApplication.translate(
                    "Printer", "pas d'imprimante (%1) : les papiers sont écrits en PDF"
                ).replace("%1", self._printer.queue_label),
            )
        state = destination.state()
        name = destination.printerName()
        match state:
            case QPrinter.PrinterState.Idle:
                return PrinterState(
                    ok=True,
                    detail=QCoreApplication.translate("Printer", "%1 : prête").replace("%1", name),
                )
            case QPrinter.PrinterState.Active:
                return PrinterState(
                    ok=True,
                    detail=QCoreApplication.translate(
                        "Printer", "%1 : impression en cours"
                    ).replace("%1", name),
                )
            case QPrinter.PrinterState.Aborted:
                return PrinterState(
                    ok=False,
                    detail=QCoreApplication.translate("Printer", "%1 : arrêtée").replace(
                        "%1", name
                    ),
                )
            case _:
                return PrinterState(
                    ok=False,
                    detail=QCoreApplication.translate("Printer", "%1 : en erreur").replace(
                        "%1", name
                    ),
                )


def make_printer(
    queue: str | None, fallback_dir: Path, paper: Paper = Paper.ROLL_80MM
) -> CupsQueuePrinter:
    """The kiosk's printer: CUPS queue ``queue`` (None: the system default), and ``fallback_dir``
    for the papers no printer takes.

    Call it on the GUI thread once the ``QApplication`` exists: its first look-up loads Qt's
    CUPS plugin there, and it logs where the papers will go.
    """
    printer = CupsQueuePrinter(queue, PdfFolderPrinter(fallback_dir, paper), paper)
    destination = printer.destination()
    if destination is None:
        _LOGGER.warning(
            "no printer (%s) for now: papers go to the fallback folder %s",
            printer.queue_label,
            fallback_dir,
        )
    else:
        _LOGGER.info("papers print on %s", destination.printerName())
    return printer


def _print_pdf(printed: PrintedPaper, destination: QPrinterInfo) -> str | None:
    """Submit ``printed`` as one job to ``destination``: None once CUPS took it, else why not."""
    data = QByteArray(printed.pdf)
    buffer = QBuffer(data)
    document = QPdfDocument()
    try:
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        document.load(buffer)  # a QBuffer is random access: it loads before this returns
        if document.status() != QPdfDocument.Status.Ready or document.pageCount() < 1:
            return "unreadable PDF"
        return _submit(document, printed.kind, destination)
    finally:
        # The document reads the buffer, which reads the bytes: closed in that order, whatever
        # the return, rather than left to the order Python and Qt destroy them in.
        document.close()
        buffer.close()


def _submit(document: QPdfDocument, kind: str, destination: QPrinterInfo) -> str | None:
    """Paint each page of the loaded ``document`` on one job to ``destination``."""
    page_size = QPageSize(
        document.pagePointSize(0), QPageSize.Unit.Point, "", QPageSize.SizeMatchPolicy.ExactMatch
    )  # the papers' pages share one size (kiosk/receipts)
    printer = QPrinter(destination, QPrinter.PrinterMode.HighResolution)
    printer.setDocName(f"isoloir-{kind}")  # the job's name in the queue: the kind only
    printer.setFullPage(True)
    layout = QPageLayout(page_size, QPageLayout.Orientation.Portrait, QMarginsF())
    if not printer.setPageLayout(layout):
        return "page size refused"
    dpi = min(printer.resolution(), MAX_PRINT_DPI)
    printer.setResolution(dpi)
    sheet = printer.pageLayout().fullRectPixels(dpi)
    painter = QPainter()
    if not painter.begin(printer):
        return "printer not ready"
    painter.setRenderHint(QPainter.RenderHint.LosslessImageRendering)  # no JPEG on a QR code
    for index in range(document.pageCount()):
        if index > 0:
            printer.newPage()
        painter.drawImage(sheet, _on_white(document.render(index, sheet.size())))
    ended = painter.end()  # Qt's CUPS engine submits the job here, on this thread
    failed = (QPrinter.PrinterState.Error, QPrinter.PrinterState.Aborted)
    if not ended or printer.printerState() in failed:
        return "print engine failed"
    return _last_cups_failure()


def _error_code(error: OSError) -> str:
    """``ENOSPC``, ``EACCES``...: what went wrong, without the path the message holds."""
    if error.errno is None:
        return type(error).__name__
    return errno.errorcode.get(error.errno, str(error.errno))


def _on_white(page: QImage) -> QImage:
    """``page`` on an opaque grey sheet: QPdfDocument renders the paper transparent."""
    sheet = QImage(page.size(), QImage.Format.Format_Grayscale8)
    sheet.fill(Qt.GlobalColor.white)
    painter = QPainter(sheet)
    painter.drawImage(0, 0, page)
    painter.end()
    return sheet


def _last_cups_failure() -> str | None:
    """The IPP status of this thread's last CUPS request when it failed, else None.

    Qt's CUPS engine drops the result of the ``cupsPrintFile`` it calls in ``QPainter.end()``;
    libcups keeps it, per thread, for ``cupsLastError``. Without libcups there is no CUPS engine
    to have failed.
    """
    cups = _libcups()
    if cups is None:
        return None
    status = int(cups.cupsLastError())
    if status <= _IPP_LAST_SUCCESS:
        return None
    name = cups.ippErrorString(status)
    return name.decode("ascii", "replace") if isinstance(name, bytes) else f"0x{status:04x}"


@functools.cache
def _libcups() -> ctypes.CDLL | None:
    try:
        cups = ctypes.CDLL("libcups.so.2")  # the library Qt's CUPS plugin has loaded
    except OSError:
        return None
    cups.cupsLastError.restype = ctypes.c_int
    cups.cupsLastError.argtypes = []
    cups.ippErrorString.restype = ctypes.c_char_p
    cups.ippErrorString.argtypes = [ctypes.c_int]
    return cups
