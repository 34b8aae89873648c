"""Printed papers checked by ``isoloir verify receipt`` and ``isoloir verify challenge`` against a
demo record: the QR code read from a PDF or a photo, the kiosk's signature with its key from the
record's package, the code on the board (docs/receipts.md, docs/protocol.md §10, §12).

One demo record of five ballots per module; nothing here writes into it.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pytest

from kiosk.cli import main
from kiosk.crypto.ballot import challenge, seal
from kiosk.crypto.context import election_context
from kiosk.crypto.receipt import Receipt, encode_receipt, sign_receipt
from kiosk.crypto.tracking import TrackingCode
from kiosk.election.model import ElectionPackage, KioskId
from kiosk.receipts import (
    ChallengedBallotSlip,
    DepositProof,
    EmargementCertificate,
    Paper,
    SyncState,
    challenge_slip_pdf,
    choice_name,
    deposit_proof_pdf,
    emargement_pdf,
    qr_payloads,
    read_qr_payloads,
    sign_emargement,
)
from kiosk.record import board as board_io
from kiosk.record.board import BoardEntry
from kiosk.record.demo import DemoRecord, build_demo_record
from kiosk.record.tally import load_sealed_package
from kiosk.verifier.ballots import slip_of
from tests.unit.test_receipts import pdf_text

pytestmark = pytest.mark.filterwarnings("error")

NOW: Final = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
CAST_AT: Final = datetime(2026, 12, 2, 9, 41, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRecord:
    return build_demo_record(tmp_path_factory.mktemp("demo") / "record", ballots=5, now=NOW)


@pytest.fixture(scope="module")
def package(demo: DemoRecord) -> ElectionPackage:
    return load_sealed_package(demo.layout.package)


@pytest.fixture(scope="module")
def board(demo: DemoRecord) -> list[BoardEntry]:
    return board_io.parse_board(demo.layout.board.read_bytes())


def isoloir(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def receipt_of(demo: DemoRecord, package: ElectionPackage, entry: BoardEntry) -> Receipt:
    """What the kiosk printed for a ballot on the board: Ed25519 signs deterministically, so the
    kiosk's key signs again exactly the signature the board holds."""
    receipt = sign_receipt(
        demo.kiosk_keys[entry.kiosk_id],
        election_fingerprint=package.fingerprint,
        scrutin_id=entry.scrutin_id,
        tracking_code=entry.tracking_code,
        kiosk_id=entry.kiosk_id,
    )
    assert receipt.signature == entry.kiosk_signature
    return receipt


def deposit_pdf(package: ElectionPackage, receipt: Receipt, paper: Paper) -> bytes:
    scrutin = package.manifest.scrutin(receipt.scrutin_id)
    proof = DepositProof(
        package.manifest.title, scrutin.title, CAST_AT, receipt, SyncState.DEPOSITED
    )
    return deposit_proof_pdf(proof, paper=paper)


def test_verify_receipt_reads_a_pdf_and_a_photo(
    demo: DemoRecord,
    package: ElectionPackage,
    board: list[BoardEntry],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    record = str(demo.layout.root)
    receipt = receipt_of(demo, package, board[2])
    pdf = tmp_path / "preuve.pdf"
    pdf.write_bytes(deposit_pdf(package, receipt, Paper.ROLL_80MM))
    code, out, _ = isoloir(capsys, "verify", "receipt", record, str(pdf))
    assert code == 0, out
    assert "PASS  kiosk-signature" in out
    assert "PASS  on-the-board" in out
    assert f"seq {board[2].seq}" in out

    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "photo")],
        check=True,
        timeout=60,
    )
    code, out, _ = isoloir(capsys, "verify", "receipt", record, str(tmp_path / "photo.png"))
    assert code == 0, out
    assert f"tracking code {receipt.tracking_code}" in out

    a4 = tmp_path / "preuve-a4.pdf"
    a4.write_bytes(deposit_pdf(package, receipt, Paper.A4))
    code, out, _ = isoloir(capsys, "verify", "receipt", record, str(a4))
    assert code == 0, out
    text = tmp_path / "payload.txt"  # the text of the QR code still works
    text.write_bytes(encode_receipt(receipt))
    assert isoloir(capsys, "verify", "receipt", record, str(text))[0] == 0


def test_verify_receipt_fails_a_forged_or_unknown_receipt(
    demo: DemoRecord,
    package: ElectionPackage,
    board: list[BoardEntry],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    record = str(demo.layout.root)
    entry = board[0]
    other_kiosk = KioskId("kiosk-02" if entry.kiosk_id == "kiosk-01" else "kiosk-01")
    genuine = receipt_of(demo, package, entry)
    forged = Receipt(
        genuine.election_fingerprint,
        genuine.scrutin_id,
        genuine.tracking_code,
        other_kiosk,
        genuine.signature,
    )
    pdf = tmp_path / "forged.pdf"
    pdf.write_bytes(deposit_pdf(package, forged, Paper.ROLL_80MM))
    code, out, _ = isoloir(capsys, "verify", "receipt", record, str(pdf))
    assert code == 1
    assert "FAIL  kiosk-signature" in out

    unknown = sign_receipt(  # signed by a real kiosk, but never cast
        demo.kiosk_keys[entry.kiosk_id],
        election_fingerprint=package.fingerprint,
        scrutin_id=entry.scrutin_id,
        tracking_code=TrackingCode("-".join(["AAAA"] * 8)),
        kiosk_id=entry.kiosk_id,
    )
    pdf.write_bytes(deposit_pdf(package, unknown, Paper.A4))
    code, out, _ = isoloir(capsys, "verify", "receipt", record, str(pdf))
    assert code == 1
    assert "PASS  kiosk-signature" in out
    assert "FAIL  on-the-board" in out


def test_before_the_record_is_published_the_package_checks_the_signature_alone(
    demo: DemoRecord,
    package: ElectionPackage,
    board: list[BoardEntry],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sealed = str(demo.layout.package)
    genuine = receipt_of(demo, package, board[0])
    pdf = tmp_path / "preuve.pdf"
    pdf.write_bytes(deposit_pdf(package, genuine, Paper.ROLL_80MM))
    code, out, _ = isoloir(capsys, "verify", "receipt", str(pdf), "--package", sealed)
    assert code == 0, out
    assert "PASS  kiosk-signature" in out
    assert "on-the-board" not in out
    assert "signature only" in out

    forged = Receipt(
        genuine.election_fingerprint,
        genuine.scrutin_id,
        TrackingCode("-".join(["AAAA"] * 8)),  # another code under the genuine signature
        genuine.kiosk_id,
        genuine.signature,
    )
    pdf.write_bytes(deposit_pdf(package, forged, Paper.ROLL_80MM))
    code, out, _ = isoloir(capsys, "verify", "receipt", str(pdf), "--package", sealed)
    assert code == 1
    assert "FAIL  kiosk-signature" in out

    both = ("verify", "receipt", str(demo.layout.root), str(pdf), "--package", sealed)
    code, _, err = isoloir(capsys, *both)
    assert code == 2
    assert "RECORD FILE, or FILE --package PACKAGE" in err


def test_verify_receipt_refuses_a_paper_without_a_receipt(
    demo: DemoRecord,
    package: ElectionPackage,
    board: list[BoardEntry],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    entry = board[1]
    scrutin = package.manifest.scrutin(entry.scrutin_id)
    emargement = sign_emargement(
        demo.kiosk_keys[entry.kiosk_id],
        election_fingerprint=package.fingerprint,
        scrutin_id=entry.scrutin_id,
        kiosk_id=entry.kiosk_id,
        voted_at=CAST_AT,
        voter_name=package.roll[0].display_name,
    )
    pdf = tmp_path / "emargement.pdf"
    pdf.write_bytes(
        emargement_pdf(EmargementCertificate(package.manifest.title, scrutin.title, emargement))
    )
    code, _, err = isoloir(capsys, "verify", "receipt", str(demo.layout.root), str(pdf))
    assert code == 1
    assert "no receipt QR code found (1 other)" in err
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 torn")
    code, _, err = isoloir(capsys, "verify", "receipt", str(demo.layout.root), str(broken))
    assert code == 1
    assert "not a readable PDF" in err


def test_the_proof_of_deposit_never_prints_the_voter_or_the_choice(
    demo: DemoRecord, package: ElectionPackage, board: list[BoardEntry]
) -> None:
    names = {voter.display_name for voter in package.roll}
    assert len(names) >= 10
    for entry in board:
        scrutin = package.manifest.scrutin(entry.scrutin_id)
        choices = {lst.name for lst in scrutin.lists} | {scrutin.blank_label}
        choices |= {lst.affiliation for lst in scrutin.lists}
        receipt = receipt_of(demo, package, entry)
        for paper in Paper:
            data = deposit_pdf(package, receipt, paper)
            text = pdf_text(data)
            assert receipt.tracking_code.split("-")[0] in text
            assert scrutin.title in text
            leaked = {w for w in names | choices if w in text}
            assert leaked == set()
            if entry is board[0]:  # and the QR code holds the receipt payload, nothing else
                assert qr_payloads(data) == [encode_receipt(receipt)]


def test_verify_challenge_reads_a_printed_slip(
    demo: DemoRecord, package: ElectionPackage, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scrutin = max(package.manifest.scrutins, key=lambda s: len(s.options))  # the longest slip
    choice = scrutin.options[3]
    opened = challenge(seal(election_context(package), scrutin, choice))
    kiosk = KioskId("kiosk-02")
    printed = slip_of(opened, package.fingerprint, kiosk_id=kiosk, kiosk_key=demo.kiosk_keys[kiosk])
    slip = ChallengedBallotSlip(
        package.manifest.title, scrutin.title, choice_name(scrutin, choice), CAST_AT, printed
    )
    pdf = tmp_path / "slip.pdf"
    pdf.write_bytes(challenge_slip_pdf(slip, paper=Paper.A4, language="en"))
    assert len(read_qr_payloads(pdf)) == 4  # 15 options: cut into four parts
    code, out, _ = isoloir(
        capsys, "verify", "challenge", str(pdf), "--record", str(demo.layout.root)
    )
    assert code == 0, out
    assert "PASS  opening" in out
    assert "PASS  not-cast" in out
    assert choice_name(scrutin, choice) in out
