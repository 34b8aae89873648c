"""``isoloir verify ...``: what anyone runs on the published record (docs/auditor.md).

``record`` re-checks everything and prints one line per check; ``tracking-code`` finds a voter's
tracking code on the board; ``receipt`` checks a receipt's payload; ``challenge`` checks a
challenged ballot's signed slip (the kiosk's signature with its key from the package, the
opening, and with a record that it was never cast). ``receipt`` and ``challenge`` take the
printed paper too, as a PDF or a PNG or JPEG photo or scan, and read its QR codes
(docs/receipts.md). ``report`` checks kiosks' signed polls reports (opening or closing) against
the election package and prints what each states, checks the chain of one kiosk's reports given
together, and, with the record, that the board holds exactly the ballots a kiosk's closing report
states (docs/receipts.md, "Polls reports"). Each exits 0 when everything passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from kiosk.admin.reports import SignedReport

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
        help="check kiosks' polls reports (opening or closing), printed or photographed",
        usage="isoloir verify report FILE [FILE ...] (--package PACKAGE | --record RECORD)",
        description="Read each report's QR code from its PDF or a PNG or JPEG photo, check it "
        "against the election package (election, fingerprint, kiosk, the kiosk's signature) and "
        "print what it states. Several reports of one kiosk: check that they chain (sequence, "
        "previous). With the published RECORD: check that its board holds exactly the ballots "
        "the newest report given of each kiosk, a closing one, states.",
    )
    report.add_argument("files", nargs="+", metavar="FILE", help="a report, PDF or PNG/JPEG")
    report.add_argument(
        "--package", type=existing_path, help="the election package (default: the record's)"
    )
    report.add_argument(
        "--record", type=existing_path, help="the published record: compare with its board"
    )
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
    from kiosk.admin.reports import ReportError, read_report_paper, report_lines

    package, board = _report_inputs(args.package, args.record)
    failed = False
    by_kiosk: dict[str, list[SignedReport]] = {}
    for name in args.files:
        data = _read_input(name, _MAX_SCAN_BYTES)
        try:
            signed = read_report_paper(data, package)
        except ReportError as exc:
            print(f"FAIL  {name}: {exc}")
            failed = True
            continue
        report = signed.report
        print(f"{name}:")
        for line in report_lines(report):
            print(line)
        print(
            f"PASS  signed by kiosk {report.kiosk_id} of this election "
            f"(package {package.fingerprint})"
        )
        by_kiosk.setdefault(report.kiosk_id, []).append(signed)
    for kiosk_id, reports in sorted(by_kiosk.items()):
        newest = _check_chain(kiosk_id, reports)
        failed |= newest is None
        if board is not None and newest is not None:
            failed |= not _check_board(newest, board)
    return 1 if failed else 0


def _report_inputs(
    package_path: Path | None, record: Path | None
) -> tuple[ElectionPackage, list[BoardEntry] | None]:
    """The package the reports are checked with, and the record's board (checked: its chain
    from the election's genesis to its head) when a record is given."""
    if record is None:
        if package_path is None:
            raise CliError("give --package PACKAGE, or the published --record RECORD", exit_code=2)
        try:
            return package_io.load(package_path), None
        except package_io.PackageError as exc:
            raise CliError(f"package refused: {exc}") from None
    from kiosk.crypto.context import election_context
    from kiosk.record.board import BoardError, check_chain

    layout = RecordLayout(record)
    try:
        sealed = tally.load_sealed_package(layout.package)
        entries, head = tally.load_board(layout.board, layout.board_head)
        check_chain(entries, election_context(sealed).base_hash, head)
    except RecordError as exc:
        raise CliError(str(exc)) from None
    except BoardError as exc:
        raise CliError(f"board refused: {exc}") from None
    if package_path is not None:
        try:
            given = package_io.load(package_path)
        except package_io.PackageError as exc:
            raise CliError(f"package refused: {exc}") from None
        if given.fingerprint != sealed.fingerprint:
            raise CliError(
                f"{package_path} is package {given.fingerprint}, the record's is "
                f"{sealed.fingerprint}",
                exit_code=2,
            )
    return sealed, entries


def _check_chain(kiosk_id: str, reports: list[SignedReport]) -> SignedReport | None:
    """The newest of one kiosk's reports, once they chain: each one's ``previous`` is the hash
    of the one numbered just before it. None (after a FAIL line) when two differ under one
    number or a link is broken; a number not given is only said."""
    distinct = {signed.payload(): signed for signed in reports}  # the same report twice is one
    ordered = sorted(distinct.values(), key=lambda signed: signed.report.sequence)
    if len(ordered) == 1:
        return ordered[0]
    intact = True
    for before, after in itertools.pairwise(ordered):
        number = after.report.sequence
        if number == before.report.sequence:
            print(f"FAIL  kiosk {kiosk_id}: two different reports are both number {number}")
            intact = False
        elif number != before.report.sequence + 1:
            print(
                f"NOTE  kiosk {kiosk_id}: report(s) {before.report.sequence + 1} to {number - 1} "
                "not given; the chain is checked around them"
            )
        elif after.report.previous != before.link():
            print(
                f"FAIL  kiosk {kiosk_id}: report {number} does not follow report "
                f"{before.report.sequence} (its previous hash differs)"
            )
            intact = False
    if not intact:
        return None
    numbers = ", ".join(str(signed.report.sequence) for signed in ordered)
    print(f"PASS  kiosk {kiosk_id}: reports {numbers} chain")
    return ordered[-1]


def _check_board(newest: SignedReport, board: list[BoardEntry]) -> bool:
    from kiosk.admin.reports import ReportKind, compare_with_board

    report = newest.report
    if report.kind is not ReportKind.CLOSING:
        print(
            f"FAIL  kiosk {report.kiosk_id}: the newest report given (number {report.sequence}) "
            "is an opening report; the board is compared with the kiosk's last closing report"
        )
        return False
    comparison = compare_with_board(report, board)
    print(comparison.verdict(report.kiosk_id))
    return comparison.passed
