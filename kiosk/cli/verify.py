"""``isoloir verify ...``: what anyone runs on the published record (docs/auditor.md).

``record`` re-checks everything and prints one line per check; ``tracking-code`` finds a voter's
tracking code on the board; ``receipt`` checks a receipt's payload; ``challenge`` checks a
challenged ballot's signed slip (the kiosk's signature with its key from the package, the
opening, and with a record that it was never cast). ``receipt`` and ``challenge`` take the
printed paper too, as a PDF or a PNG or JPEG photo or scan, and read its QR codes
(docs/receipts.md). ``report`` checks a kiosk's signed polls report (opening or closing) against
the election package and prints what it states (docs/receipts.md, "Polls reports"). Each exits 0
when everything passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk.cli.common import CliError, existing_path
from kiosk.crypto.receipt import RECEIPT_HEADER
from kiosk.crypto.tracking import parse_tracking_code
from kiosk.election import package as package_io
from kiosk.election.model import ElectionPackage
from kiosk.files import TooLargeError, read_at_most, read_file_at_most
from kiosk.receipts.qr import QrReadError, qr_payloads, scan_kind
from kiosk.receipts.slip_qr import SlipQrError, join_slip_payloads
from kiosk.record import tally
from kiosk.record.board import BoardEntry
from kiosk.record.layout import RecordError, RecordLayout
from kiosk.verifier import Report, verify_record
from kiosk.verifier.ballots import (
    SlipError,
    check_receipt,
    check_slip,
    find_tracking_code,
    parse_slip,
)

_MAX_INPUT_BYTES = 1 << 20
_MAX_SCAN_BYTES = 64 << 20  # a phone's photo of a receipt


def register(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = groups.add_parser("verify", help="check a published election record (anyone)")
    commands = group.add_subparsers(dest="command", required=True, metavar="ACTION")

    record = commands.add_parser("record", help="re-check the whole election record")
    record.add_argument("record", type=existing_path, help="the record folder")
    record.add_argument("--workers", type=int, help="processes verifying ballots (all cores)")
    record.set_defaults(run=_record)

    code = commands.add_parser("tracking-code", help="find a tracking code on the board")
    code.add_argument("record", type=existing_path, help="the record folder")
    code.add_argument("code", help="the code, as printed (case, spaces and dashes forgiven)")
    code.set_defaults(run=_tracking_code)

    receipt = commands.add_parser(
        "receipt",
        help="check a proof of deposit: its QR code read, or its payload as text",
        usage="isoloir verify receipt (RECORD FILE | FILE --package PACKAGE)",
        description="With the published RECORD: the kiosk's signature, and the ballot on the "
        "board. Before the record is published, with the election PACKAGE: the signature only.",
    )
    receipt.add_argument(
        "where",
        nargs="+",
        metavar="RECORD FILE",
        help="the record folder, then the receipt as a PDF or a PNG or JPEG image, or a file "
        "holding the text of its QR code (- for standard input)",
    )
    receipt.add_argument(
        "--package", type=existing_path, help="the sealed election package, instead of RECORD"
    )
    receipt.set_defaults(run=_receipt)

    challenge = commands.add_parser(
        "challenge", help="check a challenged ballot's signed slip (printed, JSON or base64)"
    )
    challenge.add_argument(
        "slip",
        help="the printed slip as a PDF or a PNG or JPEG image, or a file holding its JSON or "
        "base64; - for standard input",
    )
    where = challenge.add_mutually_exclusive_group(required=True)
    where.add_argument("--record", type=existing_path, help="the record (also: never cast)")
    where.add_argument("--package", type=existing_path, help="the sealed election package")
    challenge.set_defaults(run=_challenge)

    report = commands.add_parser(
        "report",
        help="check a kiosk's polls report (opening or closing), printed or photographed",
        description="Read the report's QR code from its PDF or a PNG or JPEG photo, check it "
        "against the election PACKAGE (election, fingerprint, kiosk, the kiosk's signature) and "
        "print what it states.",
    )
    report.add_argument("file", help="the report as a PDF or a PNG or JPEG image")
    report.add_argument("--package", type=existing_path, required=True, help="the election package")
    report.set_defaults(run=_report)


def _record(args: argparse.Namespace) -> int:
    report = verify_record(args.record, workers=args.workers)
    return _print_report(report)


def _print_report(report: Report) -> int:
    for line in report.lines():
        print(line)
    return 0 if report.passed else 1


def _load(record: Path) -> tuple[ElectionPackage, list[BoardEntry]]:
    layout = RecordLayout(record)
    try:
        sealed = tally.load_sealed_package(layout.package)
        entries, _ = tally.load_board(layout.board, layout.board_head)
    except RecordError as exc:
        raise CliError(str(exc)) from None
    return sealed, entries


def _tracking_code(args: argparse.Namespace) -> int:
    try:
        code = parse_tracking_code(args.code)
    except ValueError as exc:
        raise CliError(str(exc), exit_code=2) from None
    sealed, entries = _load(args.record)
    entry = find_tracking_code(entries, code)
    print(f"Election {sealed.manifest.election_id}, fingerprint {sealed.fingerprint}")
    if entry is None:
        print(f"FAIL  {code} is NOT on the board ({len(entries)} ballots).")
        print("If it is the code of your receipt, report it to the election's organizer.")
        return 1
    title = next(
        (s.title for s in sealed.manifest.scrutins if s.id == entry.scrutin_id),
        f"unknown scrutin {entry.scrutin_id}",
    )
    print(f"PASS  {code} is on the board: seq {entry.seq}, {title}, kiosk {entry.kiosk_id}")
    return 0


def _read_input(name: str, limit: int = _MAX_INPUT_BYTES) -> bytes:
    try:
        if name == "-":
            return read_at_most(sys.stdin.buffer, limit)
        return read_file_at_most(name, limit)
    except TooLargeError:
        raise CliError(f"{name}: too large") from None
    except OSError as exc:
        raise CliError(f"{name}: cannot read ({exc.strerror})") from None


def _scanned_codes(name: str, data: bytes) -> list[bytes] | None:
    """The QR payloads of a PDF or an image; None for anything else (a payload as text)."""
    if scan_kind(data) is None:
        return None
    try:
        return qr_payloads(data)
    except QrReadError as exc:
        raise CliError(f"{name}: {exc}") from None


def _receipt(args: argparse.Namespace) -> int:
    package: Path | None = args.package
    record: Path | None = None
    if package is not None and len(args.where) == 1:
        args.payload = args.where[0]
    elif package is None and len(args.where) == 2:
        record, args.payload = Path(args.where[0]), args.where[1]
        if not record.is_dir():
            raise CliError(f"{record}: no such record folder", exit_code=2)
    else:
        raise CliError("give RECORD FILE, or FILE --package PACKAGE", exit_code=2)
    data = _read_input(args.payload, _MAX_SCAN_BYTES)
    codes = _scanned_codes(args.payload, data)
    if codes is None:
        if len(data) > _MAX_INPUT_BYTES:
            raise CliError(f"{args.payload}: too large")
        payloads = [data]
    else:
        # Every distinct receipt on the paper or photo, in reading order.
        found = [code for code in codes if code.startswith(RECEIPT_HEADER.encode("ascii"))]
        payloads = list(dict.fromkeys(found))
        if not payloads:
            raise CliError(f"{args.payload}: no receipt QR code found ({len(codes)} other)")
    entries: list[BoardEntry] | None = None
    if record is not None:
        sealed, entries = _load(record)
    else:
        assert package is not None  # one of the two, checked above
        try:
            sealed = tally.load_sealed_package(package)
        except RecordError as exc:
            raise CliError(str(exc)) from None
    reports = [check_receipt(sealed, p, entries, Path(args.payload)) for p in payloads]
    return max(_print_report(report) for report in reports)


def _challenge(args: argparse.Namespace) -> int:
    data = _read_input(args.slip, _MAX_SCAN_BYTES)
    codes = _scanned_codes(args.slip, data)
    try:
        if codes is not None:
            data = join_slip_payloads(codes)
        elif len(data) > _MAX_INPUT_BYTES:
            raise CliError(f"{args.slip}: too large")
        slip = parse_slip(data)
    except (SlipError, SlipQrError) as exc:
        raise CliError(f"{args.slip}: {exc}") from None
    board: list[BoardEntry] | None = None
    if args.record is not None:
        sealed, board = _load(args.record)
    else:
        try:
            sealed = tally.load_sealed_package(args.package)
        except RecordError as exc:
            raise CliError(str(exc)) from None
    return _print_report(check_slip(sealed, slip, board, Path(args.slip)))


def _report(args: argparse.Namespace) -> int:
    # Imported here: the other verify commands need neither the admin core nor its roles.
    from kiosk.admin.reports import ReportError, report_lines, verify_report_pdf

    data = _read_input(args.file, _MAX_SCAN_BYTES)
    try:
        package = package_io.load(args.package)
    except package_io.PackageError as exc:
        raise CliError(f"package refused: {exc}") from None
    try:
        report = verify_report_pdf(data, package)
    except ReportError as exc:
        print(f"FAIL  {args.file}: {exc}")
        return 1
    for line in report_lines(report):
        print(line)
    print(
        f"PASS  signed by kiosk {report.kiosk_id} of this election (package {package.fingerprint})"
    )
    return 0
