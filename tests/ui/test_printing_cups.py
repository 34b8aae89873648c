"""Printing through QPrinter to a real CUPS queue (a private cupsd, cups-pdf) and the fallback.

Each printed job comes back from cups-pdf as a PDF, read like a scan of the paper: its pages,
their size, and its QR codes, whose signatures must verify. The pages are printed as images
(QtPdf renders them, QPainter paints them), so the paper holds no text to extract: what it says
is checked through what its codes say. The fallback folder's layout (nothing that pairs a voter's
émargement with a ballot's papers) needs no CUPS.
"""

from __future__ import annotations

import ctypes
import io
import logging
import re
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinterInfo
from pytestqt.qtbot import QtBot
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from kiosk.crypto.receipt import decode_receipt, verify_receipt
from kiosk.election.model import ListId, ScrutinId
from kiosk.receipts import (
    Paper,
    decode_emargement,
    join_slip_payloads,
    read_qr_payloads,
    verify_emargement,
)
from kiosk.verifier.ballots import check_slip, parse_slip
from kiosk.voting import flow
from tests import cups_server
from tests.cups_server import CupsServer, PdfQueue
from tests.system import unavailable
from tests.ui.conftest import WAIT_MS
from tests.unit.test_voting_world import Kiosk, VoterSecrets, sealed_election
from ui import printing
from ui.printing import (
    PdfFolderPrinter,
    PrintedPaper,
    PrintOutcome,
    challenge_papers,
    make_printer,
    receipt_papers,
)
from ui.worker import CoreWorker

VOTER = VoterSecrets(0)  # "Agent 0"
CAPN = ScrutinId("capn")
POINT_TOLERANCE = 1.0  # Qt and CUPS round page sizes to whole points


def _forget_cups_server() -> None:
    """libcups reads ``CUPS_SERVER`` once per thread and keeps it: make this thread read again."""
    try:
        cups = ctypes.CDLL("libcups.so.2")
    except OSError:  # no libcups: Qt lists no printer at all
        return
    cups.cupsSetServer.argtypes = [ctypes.c_char_p]
    cups.cupsSetServer(None)


@pytest.fixture(scope="module")
def cups() -> Iterator[CupsServer]:
    problem = cups_server.missing()
    if problem is not None:
        unavailable(f"no private CUPS server: {problem}")
    with CupsServer.started() as server, pytest.MonkeyPatch.context() as patch:
        patch.setenv("CUPS_SERVER", str(server.socket))
        _forget_cups_server()
        yield server
    _forget_cups_server()


@pytest.fixture
def cups_down(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """``CUPS_SERVER`` names a socket no cupsd listens on: CUPS is not running."""
    monkeypatch.setenv("CUPS_SERVER", str(tmp_path / "no-cupsd.sock"))
    _forget_cups_server()
    yield
    monkeypatch.undo()
    _forget_cups_server()


@pytest.fixture
def queue(cups: CupsServer) -> Iterator[PdfQueue]:
    with cups.add_pdf_queue().removed_after() as added:
        yield added


def cast(kiosk: Kiosk) -> flow.PrintReceipt:
    """Voter 0 casts list 1 in the CAPN scrutin: the papers the core orders printed."""
    kiosk.to_scrutins(VOTER)
    kiosk.send(flow.ChooseScrutin(CAPN))
    kiosk.send(flow.ArmSelection())
    kiosk.send(flow.Select(ListId("l1")))
    kiosk.send(flow.CastVote())
    [order] = kiosk.steps[-1].outputs
    assert isinstance(order, flow.PrintReceipt)
    return order


def challenge(kiosk: Kiosk) -> flow.PrintChallengeSlip:
    """Voter 0 challenges a ballot for list 1 in the CAPN scrutin."""
    kiosk.to_scrutins(VOTER)
    kiosk.send(flow.ChooseScrutin(CAPN))
    kiosk.send(flow.ArmSelection())
    kiosk.send(flow.Select(ListId("l1")))
    kiosk.send(flow.ChallengeVote())
    [order] = kiosk.steps[-1].outputs
    assert isinstance(order, flow.PrintChallengeSlip)
    return order


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    """Each page's width and height in points (pdfinfo, poppler-utils)."""
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "999", pdf], capture_output=True, text=True, check=True
    ).stdout
    found = re.findall(r"^Page +\d+ size: +([\d.]+) x ([\d.]+) pts", info, re.MULTILINE)
    return [(float(width), float(height)) for width, height in found]


def assert_same_pages(printed: Path, paper: PrintedPaper, tmp_path: Path) -> None:
    source = tmp_path / f"source-{paper.kind}.pdf"
    source.write_bytes(paper.pdf)
    expected, got = page_sizes(source), page_sizes(printed)
    assert len(got) == len(expected), (got, expected)
    for (width, height), (expected_width, expected_height) in zip(got, expected, strict=True):
        assert abs(width - expected_width) <= POINT_TOLERANCE, (got, expected)
        assert abs(height - expected_height) <= POINT_TOLERANCE, (got, expected)


def assert_nothing_secret_logged(caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    for record in caplog.records:
        message = record.getMessage()
        assert not any(secret in message for secret in secrets), message


def kiosk_key() -> bytes:
    return sealed_election()[0].manifest.kiosks[0].public_key


def test_a_cast_prints_both_papers_on_the_queue_from_the_worker_thread(
    qtbot: QtBot,
    queue: PdfQueue,
    kiosk: Kiosk,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="ui.printing")
    order = cast(kiosk)
    fallback = tmp_path / "fallback"
    printer = make_printer(queue.name, fallback)  # on the GUI thread, as the kiosk does
    worker = CoreWorker()
    failures: list[BaseException] = []
    outcomes: list[PrintOutcome] = []
    worker.run(
        lambda: printer.print_receipt(order, "fr"),
        on_success=outcomes.append,
        on_failure=failures.append,
    )
    qtbot.waitUntil(lambda: not worker.busy, timeout=WAIT_MS)
    assert failures == []
    assert outcomes == [PrintOutcome.PRINTED]
    worker.shutdown()

    printed = queue.wait_for_pdfs(2)
    proof_paper, certificate_paper = receipt_papers(order, "fr")
    found: dict[str, Path] = {}
    for pdf in printed:
        [payload] = read_qr_payloads(pdf)
        if payload.startswith(b"isoloir-emargement/"):
            emargement = decode_emargement(payload)
            assert verify_emargement(emargement, kiosk_key())
            assert emargement.voter_name == "Agent 0"
            assert emargement.voted_at == order.cast_at
            found["emargement"] = pdf
        else:
            receipt = decode_receipt(payload)
            assert receipt == order.receipt
            assert receipt.tracking_code == order.receipt.tracking_code
            assert verify_receipt(receipt, kiosk_key())
            found["depot"] = pdf
    assert sorted(found) == ["depot", "emargement"]
    assert_same_pages(found["depot"], proof_paper, tmp_path)
    assert_same_pages(found["emargement"], certificate_paper, tmp_path)
    width, _ = page_sizes(found["depot"])[0]
    assert abs(width - 80 / 25.4 * 72) <= POINT_TOLERANCE  # an 80 mm roll

    assert not fallback.exists()
    messages = [record.getMessage() for record in caplog.records]
    assert f"papers print on {queue.name}" in messages
    assert "paper sent to the printer: depot" in messages
    assert "paper sent to the printer: emargement" in messages
    assert_nothing_secret_logged(caplog, "Agent 0", order.receipt.tracking_code)


@pytest.mark.usefixtures("qapp")  # QPrinter needs the application
def test_the_system_default_queue_prints_a_challenge_slip_on_a4(
    queue: PdfQueue, kiosk: Kiosk, tmp_path: Path
) -> None:
    queue.make_default()
    order = challenge(kiosk)
    printer = make_printer(None, tmp_path / "fallback", Paper.A4)
    assert printer.print_challenge_slip(order, "en") is PrintOutcome.PRINTED

    [pdf] = queue.wait_for_pdfs(1)
    assert_same_pages(pdf, challenge_papers(order, "en", Paper.A4), tmp_path)
    assert abs(page_sizes(pdf)[0][0] - 595.3) <= POINT_TOLERANCE  # A4: 210 mm
    slip = parse_slip(join_slip_payloads(read_qr_payloads(pdf)))
    assert slip.slip.tracking_code == order.slip.tracking_code
    assert slip.slip.choice == "l1"
    report = check_slip(sealed_election()[0], slip, None, pdf)
    assert report.passed, report.failed
    assert not (tmp_path / "fallback").exists()


@pytest.mark.usefixtures("qapp")
def test_a_paper_of_two_pages_prints_as_one_job_of_two_pages(
    queue: PdfQueue, tmp_path: Path
) -> None:
    out = io.BytesIO()
    document = canvas.Canvas(out, pagesize=(80 * mm, 120 * mm), invariant=True)  # roll width
    for page in ("1", "2"):
        document.drawString(72, 72, page)
        document.showPage()
    document.save()
    paper = PrintedPaper("controle", out.getvalue())
    assert make_printer(queue.name, tmp_path / "fallback").print_paper(paper) is (
        PrintOutcome.PRINTED
    )

    [pdf] = queue.wait_for_pdfs(1)
    assert_same_pages(pdf, paper, tmp_path)
    assert len(page_sizes(pdf)) == 2


@pytest.mark.usefixtures("qapp", "cups")
@pytest.mark.parametrize("queue_name", ["isoloir-no-such-queue", None], ids=["unknown", "default"])
def test_without_a_printer_the_papers_go_to_the_fallback_folder(
    kiosk: Kiosk,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    queue_name: str | None,
) -> None:
    caplog.set_level(logging.INFO, logger="ui.printing")
    order = cast(kiosk)
    fallback = tmp_path / "fallback"
    outcome = make_printer(queue_name, fallback).print_receipt(order, "fr")

    assert outcome is PrintOutcome.FALLBACK  # the window tells the core: the page says so
    proof, certificate = receipt_papers(order, "fr")
    [written_proof] = fallback.glob("depot/*.pdf")
    [written_certificate] = fallback.glob("emargement/*.pdf")
    assert written_proof.read_bytes() == proof.pdf  # same input, same bytes
    assert written_certificate.read_bytes() == certificate.pdf
    label = queue_name or "system default"
    messages = [record.getMessage() for record in caplog.records]
    assert f"no printer ({label}): depot goes to the fallback folder" in messages
    assert f"no printer ({label}): emargement goes to the fallback folder" in messages
    assert_nothing_secret_logged(caplog, "Agent 0", order.receipt.tracking_code)


@pytest.mark.usefixtures("qapp")
def test_a_job_the_queue_refuses_goes_to_the_fallback_folder(
    queue: PdfQueue,
    kiosk: Kiosk,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="ui.printing")
    queue.reject_jobs()  # listed, so found, but CUPS refuses the submission
    order = challenge(kiosk)
    fallback = tmp_path / "fallback"
    outcome = make_printer(queue.name, fallback).print_challenge_slip(order, "fr")

    assert outcome is PrintOutcome.FALLBACK
    [written] = fallback.glob("controle/*.pdf")
    assert written.read_bytes() == challenge_papers(order, "fr").pdf
    assert queue.finished_jobs() == 0
    assert queue.pdfs() == []
    messages = [record.getMessage() for record in caplog.records]
    assert (
        "print job not taken (server-error-not-accepting-jobs): controle goes to the fallback "
        "folder" in messages
    )
    assert_nothing_secret_logged(caplog, "Agent 0", "Liste 1", order.slip.tracking_code)


@pytest.mark.usefixtures("qapp", "cups_down")
def test_with_cups_not_running_the_slip_goes_to_the_fallback_folder(
    kiosk: Kiosk, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ui.printing")
    order = challenge(kiosk)
    fallback = tmp_path / "fallback"
    printer = make_printer("kiosk-ticket", fallback)
    assert printer.print_challenge_slip(order, "fr") is PrintOutcome.FALLBACK

    [written] = fallback.glob("controle/*.pdf")
    assert written.read_bytes() == challenge_papers(order, "fr").pdf
    messages = [record.getMessage() for record in caplog.records]
    assert f"no printer (kiosk-ticket) for now: papers go to the fallback folder {fallback}" in (
        messages
    )
    assert "no printer (kiosk-ticket): controle goes to the fallback folder" in messages
    assert_nothing_secret_logged(caplog, "Agent 0", "Liste 1", order.slip.tracking_code)


# ---- the fallback folder (no CUPS needed) ------------------------------------------------------


def test_the_fallback_folder_pairs_no_voter_with_a_ballot(kiosk: Kiosk, tmp_path: Path) -> None:
    cast_order = cast(kiosk)
    folder = tmp_path / "prints"
    printer = PdfFolderPrinter(folder)
    assert printer.print_receipt(cast_order, "fr") is PrintOutcome.PRINTED
    assert printer.print_receipt(cast_order, "fr") is PrintOutcome.PRINTED  # "Imprimer" again

    assert sorted(p.name for p in folder.iterdir()) == ["depot", "emargement"]
    proof, certificate = receipt_papers(cast_order, "fr")
    stamp = cast_order.cast_at.strftime("%Y%m%d")
    for kind, paper in (("depot", proof), ("emargement", certificate)):
        sub = folder / kind
        assert stat.S_IMODE(sub.stat().st_mode) == 0o700
        files = sorted(sub.iterdir())
        assert len(files) == 2  # two copies, two names
        for written in files:
            assert re.fullmatch(r"[0-9a-f]{32}\.pdf", written.name)  # random: no time, no scrutin
            assert stamp not in written.name
            info = written.stat()
            assert stat.S_IMODE(info.st_mode) == 0o600
            assert info.st_mtime == 0  # nothing to pair a depot with an émargement by time
            assert info.st_atime == 0
            assert written.read_bytes() == paper.pdf
    names = {p.stem for p in folder.glob("*/*.pdf")}
    assert len(names) == 4


def test_a_folder_made_with_wider_rights_is_closed_to_others(kiosk: Kiosk, tmp_path: Path) -> None:
    folder = tmp_path / "prints"
    (folder / "controle").mkdir(parents=True, mode=0o777)
    (folder / "controle").chmod(0o755)
    order = challenge(kiosk)
    assert PdfFolderPrinter(folder).print_challenge_slip(order, "fr") is PrintOutcome.PRINTED
    assert stat.S_IMODE((folder / "controle").stat().st_mode) == 0o700
    [written] = folder.glob("controle/*.pdf")
    assert written.read_bytes() == challenge_papers(order, "fr").pdf


def test_a_paper_the_folder_cannot_hold_is_a_failure_not_an_exception(
    kiosk: Kiosk, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ui.printing")
    blocked = tmp_path / "blocked"
    blocked.write_bytes(b"")  # a file where the folder should be
    order = cast(kiosk)
    assert PdfFolderPrinter(blocked).print_receipt(order, "fr") is PrintOutcome.FAILED
    messages = [record.getMessage() for record in caplog.records]
    assert "paper not written (EEXIST): depot is lost" in messages
    assert "paper not written (EEXIST): emargement is lost" in messages
    assert_nothing_secret_logged(caplog, "Agent 0", str(tmp_path))


@pytest.mark.usefixtures("qapp", "cups_down")
def test_a_paper_neither_printed_nor_saved_is_a_failure(kiosk: Kiosk, tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_bytes(b"")
    order = challenge(kiosk)
    assert make_printer("kiosk-ticket", blocked).print_challenge_slip(order, "fr") is (
        PrintOutcome.FAILED
    )


@pytest.mark.usefixtures("qapp")
def test_an_unreadable_paper_closes_its_document_then_its_buffer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed: list[str] = []

    class Document(QPdfDocument):
        def close(self) -> None:
            closed.append("document")
            super().close()

    class Buffer(QBuffer):
        def close(self) -> None:
            closed.append("buffer")
            super().close()

    monkeypatch.setattr(printing, "QPdfDocument", Document)
    monkeypatch.setattr(printing, "QBuffer", Buffer)
    unreadable = PrintedPaper("depot", b"%PDF-1.4 not really")
    assert printing._print_pdf(unreadable, QPrinterInfo()) == "unreadable PDF"
    assert closed == ["document", "buffer"]
