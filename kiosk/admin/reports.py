"""The polls reports (procès-verbaux) a kiosk prints when its polls open and close
(docs/receipts.md, "Polls reports"; the signed form in docs/protocol.md §16).

An opening report states the package fingerprint, the election, the kiosk, the operator, the
time and that the kiosk holds no ballot (or, on a reopening, how many it holds); a closing
report adds the sync state. Both carry the ballots per scrutin, the émargements, what the public
board must hold of this kiosk (how many entries, and their hash root over exactly what the board
publishes of each: ``board_item_hash``), the head of its audit journal, and the report's place in
the kiosk's chain of reports (``sequence``, and ``previous``: the SHA-256 of the previous
report's payload). The kiosk signs the facts:

    body      = canonical_json({"format": "isoloir.report/2", "kind", "sequence", "previous",
                                "election_id", "fingerprint", "kiosk_id",
                                "operator": {"name", "role"}, "at", "polls", "reopening",
                                "ballots": {scrutin_id: n}, "emargements",
                                "board": {"ballots", "root"}, "sync": {...}, "audit_head"})
    signature = Ed25519(kiosk key, tagged("report", body))

and prints them as an A4 PDF in French whose QR code (and PDF subject) holds the body with its
signature, so that anyone holding the election package checks a report, printed or photographed
(``verify_report_pdf``, ``isoloir verify report``), and compares a closing report with the
published board (``compare_with_board``). Titles and scrutin names are the package's: the
signature covers ids and counts, never a text a verifier could not compare.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar, Final, TypeVar
from xml.sax.saxutils import escape

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    HRFlowable,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from kiosk import pdf
from kiosk.admin.dashboard import last_sync
from kiosk.admin.operators import Operator
from kiosk.admin.roles import Role
from kiosk.bundle.codec import root_of_hashes
from kiosk.bundle.export import bundle_items
from kiosk.clock import isoformat_utc
from kiosk.crypto.ballot import encode_ballot
from kiosk.crypto.envelope import decode_envelope
from kiosk.crypto.hashing import digest, tagged
from kiosk.durable import fsync_directory, write_new_file
from kiosk.election import signing
from kiosk.election.codec import parse_manifest
from kiosk.election.model import ID_PATTERN, ElectionId, ElectionPackage, KioskId, ScrutinId
from kiosk.encoding import EncodingError, JsonValue, b64encode, canonical_json, strict_json_loads
from kiosk.jsonfields import Fields
from kiosk.receipts.qr import QrReadError, qr_payloads
from kiosk.receipts.strings import TIME_ZONE, printed_time
from kiosk.receipts.typeset import MONO_BOLD, SANS, SANS_BOLD, qr_flowable, register_fonts
from kiosk.record.board import BoardEntry
from kiosk.store import KioskStore, PollsState, SyncState

REPORT_FORMAT: Final = "isoloir.report/2"
REPORT_TAG: Final = "report"
BOARD_ITEM_TAG: Final = "report-board-item"
MAX_PAYLOAD_BYTES: Final = 4096
SIGNATURE_BYTES: Final = 64
ROOT_BYTES: Final = 64  # SHA-512, as the bundle's root
AUDIT_HEAD_BYTES: Final = 32  # SHA-256, as the audit chain's
PREVIOUS_BYTES: Final = 32  # SHA-256 of the previous report's payload
MAX_COUNT: Final = 10_000_000
MAX_OPERATOR_NAME: Final = 100
_FINGERPRINT: Final = re.compile(r"[A-Z2-7]{4}(?:-[A-Z2-7]{4}){3}")
_TIME: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_REPORT_NAME: Final = re.compile(r"(\d{4,})-(opening|closing)\.json")


_E = TypeVar("_E", bound=Enum)


class ReportKind(Enum):
    OPENING = "opening"
    CLOSING = "closing"


class ReportProblem(Enum):
    """Why a report is refused; stable codes, in the order ``verify_report_pdf`` checks."""

    NOT_READY = "not_ready"  # building: the kiosk has no package or no key yet
    UNREADABLE = "unreadable"  # not a PDF or image, or a broken one
    NO_REPORT = "no_report"  # no report QR code on it
    FORMAT = "format"  # a report QR code, but not a well-formed report
    VERSION = "version"  # a report of a format version this program does not read
    WRONG_ELECTION = "wrong_election"
    WRONG_PACKAGE = "wrong_package"
    UNKNOWN_KIOSK = "unknown_kiosk"
    BAD_SIGNATURE = "bad_signature"
    WRONG_SCRUTINS = "wrong_scrutins"


class ReportError(Exception):
    """A report that cannot be built, read or trusted; the message says what is wrong."""

    def __init__(self, problem: ReportProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


BAD_SIGNATURE_MESSAGE: Final = (
    "the report's signature does not verify with the key the package gives its kiosk: "
    "it was altered, or not signed by that kiosk"
)
"""One text for every bad signature: how it is bad is nobody's business."""


@dataclass(frozen=True)
class SyncCounts:
    """The kiosk's outbox by state. ``held`` counts the ``pending`` or ``exported`` ballots the
    server refused for a reason that is not final (they are sent again): a part of those two."""

    pending: int
    exported: int
    accepted: int
    rejected: int
    held: int
    last_sync: datetime | None  # the last time the server's answers reached the kiosk


@dataclass(frozen=True)
class ScrutinCount:
    scrutin_id: ScrutinId
    title: str  # the package's
    ballots: int  # sealed ballots of this scrutin in the kiosk


@dataclass(frozen=True)
class PollsReport:
    """What a polls report states. ``election_title`` and the scrutins' titles come from the
    package; every other field is signed."""

    kind: ReportKind
    sequence: int  # 1, 2, …: the kiosk's reports of this election, in the order it made them
    previous: str | None  # hex SHA-256 of the previous report's payload; None for the first
    election_id: ElectionId
    election_title: str
    package_fingerprint: str
    kiosk_id: KioskId
    operator: Operator
    at: datetime  # aware, UTC, whole seconds; printed in Europe/Paris
    polls_state: PollsState
    reopening: bool
    scrutins: tuple[ScrutinCount, ...]  # the package's scrutins, in its order
    emargements: int
    board_ballots: int  # the entries the public board must hold of this kiosk
    board_root: str  # hex: ``board_root`` of those entries
    sync: SyncCounts
    audit_head: str  # hex: the head of the kiosk's audit journal

    @property
    def ballots_per_scrutin(self) -> Mapping[ScrutinId, int]:
        return {count.scrutin_id: count.ballots for count in self.scrutins}

    @property
    def ballots_total(self) -> int:
        return sum(count.ballots for count in self.scrutins)

    def body(self) -> dict[str, JsonValue]:
        """The signed facts, as JSON."""
        sync = self.sync
        return {
            "at": isoformat_utc(self.at),
            "audit_head": self.audit_head,
            "ballots": {count.scrutin_id: count.ballots for count in self.scrutins},
            "board": {"ballots": self.board_ballots, "root": self.board_root},
            "election_id": self.election_id,
            "emargements": self.emargements,
            "fingerprint": self.package_fingerprint,
            "format": REPORT_FORMAT,
            "kind": self.kind.value,
            "kiosk_id": self.kiosk_id,
            "operator": {"name": self.operator.name, "role": self.operator.role.value},
            "polls": self.polls_state.value,
            "previous": self.previous,
            "reopening": self.reopening,
            "sequence": self.sequence,
            "sync": {
                "accepted": sync.accepted,
                "exported": sync.exported,
                "held": sync.held,
                "last_sync": None if sync.last_sync is None else isoformat_utc(sync.last_sync),
                "pending": sync.pending,
                "rejected": sync.rejected,
            },
        }

    def signed_bytes(self) -> bytes:
        return tagged(REPORT_TAG, canonical_json(self.body()))


@dataclass(frozen=True)
class SignedReport:
    report: PollsReport
    signature: bytes

    def payload(self) -> bytes:
        """What the QR code and the PDF's subject hold: the body and its signature as JSON with
        sorted keys and no spaces, every non-ASCII letter escaped (a QR reader may guess a
        charset for other bytes)."""
        return _ascii_json({**self.report.body(), "signature": b64encode(self.signature)})

    def link(self) -> str:
        """What the kiosk's next report states as its ``previous``."""
        return payload_link(self.payload())


def payload_link(payload: bytes) -> str:
    """Hex SHA-256 of a report's payload (the QR code's bytes): ``sha256sum`` recomputes it."""
    return hashlib.sha256(payload).hexdigest()


@dataclass(frozen=True)
class SavedReport:
    path: Path  # the PDF
    report: PollsReport


# ---- building and signing -----------------------------------------------------------------------


def build_report(
    store: KioskStore,
    kind: ReportKind,
    operator: Operator,
    at: datetime,
    *,
    reopening: bool = False,
    reports_dir: Path | None = None,
) -> PollsReport:
    """The report of the store as it is now, made by ``operator`` at ``at`` (aware).

    ``reports_dir`` is where ``save_report`` keeps the kiosk's reports: the newest one there of
    this election and kiosk is the one this report follows (``sequence``, ``previous``);
    without it, or with none there, this is the kiosk's first report.

    ``ReportError`` when the kiosk has no package or no key yet; ``ValueError`` for a closing
    report marked as a reopening or a naive time."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a report's time must be an aware datetime")
    if reopening and kind is not ReportKind.OPENING:
        raise ValueError("only an opening report can be a reopening")
    stored = store.stored_package()
    if stored is None:
        raise ReportError(ReportProblem.NOT_READY, "no election package is loaded")
    identity = store.kiosk_identity()
    if identity is None:
        raise ReportError(ReportProblem.NOT_READY, "this kiosk has no signing key yet")
    manifest = parse_manifest(strict_json_loads(stored.manifest, "stored manifest"))
    entries = store.outbox()
    # A ballot the server refused for good never reaches the board; every other one must.
    published = [entry for entry in entries if entry.state is not SyncState.REJECTED]
    item_hashes = []
    for item in bundle_items(store, published, identity.signing_key(), stored):
        envelope = decode_envelope(item.envelope)  # the store's own: a failure is a bug
        item_hashes.append(
            board_item_hash(
                envelope.kiosk_id,
                envelope.scrutin_id,
                encode_ballot(envelope.ballot),
                item.receipt_signature,
            )
        )
    previous = _newest_saved(reports_dir, stored.election_id, identity.kiosk_id)
    by_scrutin: dict[ScrutinId, int] = {}
    for entry in entries:
        by_scrutin[entry.scrutin_id] = by_scrutin.get(entry.scrutin_id, 0) + 1
    states = {state: 0 for state in SyncState}
    for entry in entries:
        states[entry.state] += 1
    held = sum(
        1
        for entry in entries
        if entry.reason is not None and entry.state in (SyncState.PENDING, SyncState.EXPORTED)
    )
    status = store.status()
    return PollsReport(
        kind=kind,
        sequence=1 if previous is None else previous[0].sequence + 1,
        previous=None if previous is None else payload_link(previous[1]),
        election_id=stored.election_id,
        election_title=manifest.title,
        package_fingerprint=stored.fingerprint,
        kiosk_id=identity.kiosk_id,
        operator=operator,
        at=at.astimezone(UTC).replace(microsecond=0),
        polls_state=status.polls,
        reopening=reopening,
        scrutins=tuple(
            ScrutinCount(s.id, s.title, by_scrutin.get(s.id, 0)) for s in manifest.scrutins
        ),
        emargements=status.emargements,
        board_ballots=len(item_hashes),
        board_root=root_of_hashes(item_hashes).hex(),
        sync=SyncCounts(
            pending=states[SyncState.PENDING],
            exported=states[SyncState.EXPORTED],
            accepted=states[SyncState.ACCEPTED],
            rejected=states[SyncState.REJECTED],
            held=held,
            last_sync=last_sync(store),
        ),
        audit_head=status.audit_head,
    )


def board_item_hash(
    kiosk_id: KioskId, scrutin_id: ScrutinId, ballot: bytes, kiosk_signature: bytes
) -> bytes:
    """``H("report-board-item", kiosk_id, scrutin_id, ballot, kiosk_signature)``: what the
    public board publishes of one ballot (docs/protocol.md §15.2) but its place (``seq`` and the
    chain), and nothing it does not (no voter, no envelope id). ``ballot`` is the canonical
    ballot bytes, ``kiosk_signature`` the receipt signature (§12)."""
    return digest(BOARD_ITEM_TAG, kiosk_id, scrutin_id, ballot, kiosk_signature)


def board_root(entries: Iterable[BoardEntry]) -> bytes:
    """The hash root a report states over these board entries (a kiosk's): the bundle's
    construction over their ``board_item_hash``, sorted, so the order is irrelevant."""
    return root_of_hashes(
        board_item_hash(e.kiosk_id, e.scrutin_id, e.ballot, e.kiosk_signature) for e in entries
    )


@dataclass(frozen=True)
class BoardComparison:
    """A closing report against the board: the entries of its kiosk found there."""

    stated: int  # the entries the report says the board must hold
    found: int  # the entries of the report's kiosk on the board
    root_matches: bool

    @property
    def passed(self) -> bool:
        return self.root_matches and self.found == self.stated

    def verdict(self, kiosk_id: KioskId) -> str:
        """One line: PASS, or FAIL with how many entries are missing or extra."""
        if self.passed:
            return (
                f"PASS  the board holds exactly the {self.stated} ballot(s) of kiosk {kiosk_id} "
                "this report states (count and hash root)"
            )
        head = f"FAIL  the board holds {self.found} ballot(s) of kiosk {kiosk_id}, the report "
        if self.found < self.stated:
            return (
                f"{head}states {self.stated}: {self.stated - self.found} missing from the board"
                " (at least: more if others were added)"
            )
        if self.found > self.stated:
            return (
                f"{head}states {self.stated}: {self.found - self.stated} extra on the board"
                " (at least: more if others were removed)"
            )
        return (
            f"{head}states as many, but not the same: the hash roots differ (at least one "
            "ballot missing and one extra)"
        )


def compare_with_board(report: PollsReport, entries: Iterable[BoardEntry]) -> BoardComparison:
    """``report``'s board statement against ``entries`` (a whole board): the entries of its
    kiosk, counted and hashed. Meaningful for a closing report, and only for the kiosk's last
    one: ballots cast after a reopening are not in an earlier closing report."""
    mine = [entry for entry in entries if entry.kiosk_id == report.kiosk_id]
    return BoardComparison(
        stated=report.board_ballots,
        found=len(mine),
        root_matches=board_root(mine).hex() == report.board_root,
    )


def sign_report(report: PollsReport, kiosk_key: Ed25519PrivateKey) -> SignedReport:
    """The kiosk's Ed25519 signature over the report's tagged canonical body."""
    return SignedReport(report, kiosk_key.sign(report.signed_bytes()))


# ---- reading and checking -----------------------------------------------------------------------


class _FormatError(ValueError):
    pass


class _ReportFields(Fields):
    error: ClassVar[type[ValueError]] = _FormatError

    def count(self, key: str) -> int:
        return self.integer(key, 0, MAX_COUNT)

    def time(self, key: str) -> datetime:
        text = self.string(key, 20)
        if not _TIME.fullmatch(text):
            self._refuse(key, "expected a UTC time YYYY-MM-DDTHH:MM:SSZ")
        try:
            return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            self._refuse(key, "not a valid time")


@dataclass(frozen=True)
class _Statement:
    """A report's signed fields as read, before the package names its scrutins."""

    body: dict[str, JsonValue]
    kind: ReportKind
    sequence: int
    previous: str | None
    election_id: ElectionId
    fingerprint: str
    kiosk_id: KioskId
    operator: Operator
    at: datetime
    polls: PollsState
    reopening: bool
    ballots: dict[ScrutinId, int]
    emargements: int
    board_ballots: int
    board_root: str
    sync: SyncCounts
    audit_head: str
    signature: bytes

    def report(self, election_title: str, scrutins: Sequence[tuple[ScrutinId, str]]) -> PollsReport:
        """The report, with the titles of the package: ``scrutins`` (id, title) in its order,
        each one a scrutin of ``ballots``."""
        return PollsReport(
            kind=self.kind,
            sequence=self.sequence,
            previous=self.previous,
            election_id=self.election_id,
            election_title=election_title,
            package_fingerprint=self.fingerprint,
            kiosk_id=self.kiosk_id,
            operator=self.operator,
            at=self.at,
            polls_state=self.polls,
            reopening=self.reopening,
            scrutins=tuple(ScrutinCount(sid, title, self.ballots[sid]) for sid, title in scrutins),
            emargements=self.emargements,
            board_ballots=self.board_ballots,
            board_root=self.board_root,
            sync=self.sync,
            audit_head=self.audit_head,
        )


def read_report_payload(payload: bytes, package: ElectionPackage) -> SignedReport:
    """A report's QR payload checked against ``package``: its form and version, the election,
    the package fingerprint, the kiosk (listed in the package) and the kiosk's signature, in
    that order; ``ReportError`` naming the first failure."""
    statement = _parse(payload)
    manifest = package.manifest
    if statement.election_id != manifest.election_id:
        raise ReportError(
            ReportProblem.WRONG_ELECTION,
            f"the report is for election {statement.election_id!r}, not {manifest.election_id!r}",
        )
    if statement.fingerprint != package.fingerprint:
        raise ReportError(
            ReportProblem.WRONG_PACKAGE,
            f"the report was made under package {statement.fingerprint}, not this package "
            f"({package.fingerprint})",
        )
    key = next((k.public_key for k in manifest.kiosks if k.id == statement.kiosk_id), None)
    if key is None:
        raise ReportError(
            ReportProblem.UNKNOWN_KIOSK,
            f"the election package lists no kiosk {statement.kiosk_id!r}",
        )
    signed = tagged(REPORT_TAG, canonical_json(statement.body))
    if not signing.verify(key, statement.signature, signed):
        raise ReportError(ReportProblem.BAD_SIGNATURE, BAD_SIGNATURE_MESSAGE)
    if set(statement.ballots) != {s.id for s in manifest.scrutins}:
        raise ReportError(
            ReportProblem.WRONG_SCRUTINS,
            "the report's scrutins are not the package's (a kiosk counts every scrutin)",
        )
    report = statement.report(manifest.title, [(s.id, s.title) for s in manifest.scrutins])
    if report.body() != statement.body:  # every signed field is parsed back into the report
        raise RuntimeError("a report read back does not give its own body")
    return SignedReport(report, statement.signature)


def verify_report_pdf(data: bytes, package: ElectionPackage) -> PollsReport:
    """The report printed in ``data`` (its PDF, or a PNG or JPEG photo or scan), read from its
    QR code and checked against ``package`` as ``read_report_payload`` does; else
    ``ReportError`` naming what is wrong."""
    return read_report_paper(data, package).report


def read_report_paper(data: bytes, package: ElectionPackage) -> SignedReport:
    """As ``verify_report_pdf``, with the signature (so ``payload()`` and ``link()``)."""
    try:
        codes = qr_payloads(data)
    except QrReadError as exc:
        raise ReportError(ReportProblem.UNREADABLE, str(exc)) from None
    found = list(dict.fromkeys(code for code in codes if _looks_like_a_report(code)))
    if not found:
        raise ReportError(
            ReportProblem.NO_REPORT,
            f"no polls report QR code found ({len(codes)} other QR code"
            + ("s)" if len(codes) != 1 else ")"),
        )
    if len(found) > 1:
        raise ReportError(ReportProblem.FORMAT, "more than one polls report on this paper")
    return read_report_payload(found[0], package)


def _looks_like_a_report(payload: bytes) -> bool:
    return b'"format":"isoloir.report/' in payload


def _parse(payload: bytes) -> _Statement:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ReportError(ReportProblem.FORMAT, f"report: larger than {MAX_PAYLOAD_BYTES} bytes")
    try:
        top = _ReportFields.load(payload, "report")
        found = top.raw("format")
        if found != REPORT_FORMAT:
            shown = repr(found[:40]) if isinstance(found, str) else "not text"
            raise ReportError(
                ReportProblem.VERSION,
                f"report.format: {shown} is not a format this program reads ({REPORT_FORMAT!r})",
            )
        if _ascii_json(top.value) != payload:
            raise _FormatError("report: not in the printed form (sorted keys, ASCII, no spaces)")
        statement = _statement(top)
    except _FormatError as exc:
        raise ReportError(ReportProblem.FORMAT, str(exc)) from None
    return statement


def _statement(top: _ReportFields) -> _Statement:
    kind = _enum(top, "kind", ReportKind)
    sequence = top.integer("sequence", 1, MAX_COUNT)
    previous = None if top.raw("previous") is None else top.hex("previous", PREVIOUS_BYTES).hex()
    if (sequence == 1) != (previous is None):
        raise _FormatError("report.previous: null for the first report (sequence 1) only")
    election_id = ElectionId(top.ident("election_id"))
    fingerprint = top.string("fingerprint", 19)
    if not _FINGERPRINT.fullmatch(fingerprint):
        raise _FormatError("report.fingerprint: not a package fingerprint")
    kiosk_id = KioskId(top.ident("kiosk_id"))
    with _ReportFields.reading(top.raw("operator"), "report.operator") as o:
        name = o.text("name", MAX_OPERATOR_NAME)
        role = _enum(o, "role", Role)
    at = top.time("at")
    polls = _enum(top, "polls", PollsState)
    reopening = top.raw("reopening")
    if not isinstance(reopening, bool):
        raise _FormatError("report.reopening: expected true or false")
    if reopening and kind is not ReportKind.OPENING:
        raise _FormatError("report.reopening: only an opening report can be a reopening")
    ballots: dict[ScrutinId, int] = {}
    listed = top.obj("ballots")
    for scrutin in sorted(listed.value):
        if not ID_PATTERN.fullmatch(scrutin):
            raise _FormatError("report.ballots: a key is not a scrutin id")
        ballots[ScrutinId(scrutin)] = listed.count(scrutin)
    listed.done()
    emargements = top.count("emargements")
    with _ReportFields.reading(top.raw("board"), "report.board") as b:
        board_ballots = b.count("ballots")
        board_root = b.hex("root", ROOT_BYTES).hex()
    audit_head = top.hex("audit_head", AUDIT_HEAD_BYTES).hex()
    with _ReportFields.reading(top.raw("sync"), "report.sync") as s:
        last = None if s.raw("last_sync") is None else s.time("last_sync")
        sync = SyncCounts(
            pending=s.count("pending"),
            exported=s.count("exported"),
            accepted=s.count("accepted"),
            rejected=s.count("rejected"),
            held=s.count("held"),
            last_sync=last,
        )
    signature = top.b64("signature", SIGNATURE_BYTES)
    top.done()
    body = {key: value for key, value in top.value.items() if key != "signature"}
    return _Statement(
        body,
        kind,
        sequence,
        previous,
        election_id,
        fingerprint,
        kiosk_id,
        Operator(name, role),
        at,
        polls,
        reopening,
        ballots,
        emargements,
        board_ballots,
        board_root,
        sync,
        audit_head,
        signature,
    )


def _enum(fields: _ReportFields, key: str, kind: type[_E]) -> _E:
    value = fields.string(key, 40)
    for member in kind:
        if member.value == value:
            return member
    fields._refuse(key, f"expected one of {', '.join(str(m.value) for m in kind)}")


def _ascii_json(value: JsonValue) -> bytes:
    canonical_json(value)  # refuses what has no canonical form (floats)
    return json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":")).encode(
        "ascii"
    )


def report_lines(report: PollsReport) -> list[str]:
    """What a report states, line by line, for a terminal (``isoloir verify report``)."""
    local = report.at.astimezone(TIME_ZONE)
    sync = report.sync
    last = "never" if sync.last_sync is None else isoformat_utc(sync.last_sync)
    counts = ", ".join(f"{count.title} {count.ballots}" for count in report.scrutins)
    kind = f"{report.kind.value}{' (reopening)' if report.reopening else ''}"
    previous = "none (the kiosk's first report)" if report.previous is None else report.previous
    return [
        f"Report:     {kind}: {report_title(report)}",
        f"Sequence:   {report.sequence} (previous report's payload SHA-256: {previous})",
        f"Election:   {report.election_id} ({report.election_title}), "
        f"package {report.package_fingerprint}",
        f"Kiosk:      {report.kiosk_id}",
        f"Time:       {local:%Y-%m-%d %H:%M:%S} Europe/Paris ({isoformat_utc(report.at)})",
        f"Operator:   {report.operator.name} ({report.operator.role.value})",
        f"Polls:      {report.polls_state.value}",
        f"Ballots:    {counts}; total {report.ballots_total}; émargements {report.emargements}",
        f"Sync:       {sync.pending} pending, {sync.exported} exported, {sync.accepted} accepted, "
        f"{sync.rejected} rejected, {sync.held} held; last sync {last}",
        f"Board:      {report.board_ballots} ballot(s) of this kiosk; root {report.board_root}",
        f"Audit head: {report.audit_head}",
    ]


# ---- saving -------------------------------------------------------------------------------------


def save_report(signed: SignedReport, pdf_bytes: bytes, reports_dir: Path) -> SavedReport:
    """Write the PDF as ``NNNN-KIND.pdf`` in ``reports_dir`` (made 0700, narrowed to it if it
    exists), mode 0600, with the next number; never over a file. The signed payload goes next
    to it as ``NNNN-KIND.json`` (written first: it claims the number), for ``last_report``.
    ``OSError`` when the folder cannot hold them (the caller says so and prints anyway)."""
    reports_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(reports_dir, 0o700)
    report = signed.report
    sidecar = canonical_json(
        {
            "election_title": report.election_title,
            "payload": signed.payload().decode("ascii"),
            "scrutins": [{"id": c.scrutin_id, "title": c.title} for c in report.scrutins],
        }
    )
    number = _next_number(reports_dir)
    while True:
        stem = f"{number:04d}-{report.kind.value}"
        try:
            write_new_file(reports_dir / f"{stem}.json", sidecar, 0o600)
        except FileExistsError:
            number += 1
            continue
        break
    path = reports_dir / f"{stem}.pdf"
    write_new_file(path, pdf_bytes, 0o600)
    fsync_directory(reports_dir)
    return SavedReport(path, report)


def _next_number(reports_dir: Path) -> int:
    numbers = [
        int(match.group(1))
        for name in os.listdir(reports_dir)
        if (match := _REPORT_NAME.fullmatch(name))
    ]
    return max(numbers, default=0) + 1


def load_saved_reports(reports_dir: Path) -> list[SavedReport]:
    """The reports ``save_report`` wrote in ``reports_dir``, oldest first; a file that is not
    one, or whose PDF is missing, is skipped. The signatures are not checked here: these are
    the kiosk's own files (``verify_report_pdf`` checks a paper)."""
    return [saved for saved, _ in _saved_with_payloads(reports_dir)]


def _saved_with_payloads(reports_dir: Path) -> list[tuple[SavedReport, bytes]]:
    if not reports_dir.is_dir():
        return []
    found: list[tuple[int, SavedReport, bytes]] = []
    for name in os.listdir(reports_dir):
        match = _REPORT_NAME.fullmatch(name)
        path = reports_dir / name
        if match is None or not path.with_suffix(".pdf").is_file():
            continue
        try:
            report, payload = _read_sidecar(path.read_bytes())
        except (OSError, ReportError, EncodingError, _FormatError):
            continue
        found.append((int(match.group(1)), SavedReport(path.with_suffix(".pdf"), report), payload))
    return [(saved, payload) for _, saved, payload in sorted(found, key=lambda item: item[0])]


def _newest_saved(
    reports_dir: Path | None, election_id: ElectionId, kiosk_id: KioskId
) -> tuple[PollsReport, bytes] | None:
    """The newest report saved in ``reports_dir`` of this election and kiosk, with its payload:
    the one the next report follows."""
    if reports_dir is None:
        return None
    mine = [
        (saved.report, payload)
        for saved, payload in _saved_with_payloads(reports_dir)
        if saved.report.election_id == election_id and saved.report.kiosk_id == kiosk_id
    ]
    return mine[-1] if mine else None


def last_report(reports_dir: Path, kind: ReportKind) -> SavedReport | None:
    """The newest saved report of ``kind``, or None."""
    reports = [saved for saved in load_saved_reports(reports_dir) if saved.report.kind is kind]
    return reports[-1] if reports else None


def _read_sidecar(data: bytes) -> tuple[PollsReport, bytes]:
    """A sidecar of ``save_report``: the report, with the titles the package gave it, and its
    payload."""
    with _ReportFields.reading(strict_json_loads(data, "saved report"), "saved report") as side:
        election_title = side.text("election_title")
        payload = side.string("payload", MAX_PAYLOAD_BYTES).encode("ascii", "replace")
        names: dict[ScrutinId, str] = {}  # in the package's order
        for path, item in side.array("scrutins", 100):
            with _ReportFields.reading(item, path) as scrutin:
                names[ScrutinId(scrutin.ident("id"))] = scrutin.text("title")
    statement = _parse(payload)
    if set(names) != set(statement.ballots):
        raise _FormatError("saved report: scrutin titles do not match the counts")
    return statement.report(election_title, list(names.items())), payload


# ---- the PDF ------------------------------------------------------------------------------------

_INK: Final = colors.HexColor("#000000")
_GREY: Final = colors.HexColor("#404040")
_RULE: Final = colors.HexColor("#9a9a9a")
_ACCENT: Final = colors.HexColor("#1f3a5f")
_SHADE: Final = colors.HexColor("#eeeeee")

TITLES: Final = {
    (ReportKind.OPENING, False): "Procès-verbal d'ouverture",
    (ReportKind.OPENING, True): "Procès-verbal de réouverture",
    (ReportKind.CLOSING, False): "Procès-verbal de clôture",
}
ROLE_NAMES: Final = {Role.ADMINISTRATOR: "administrateur", Role.ASSESSEUR: "assesseur"}
POLLS_NAMES: Final = {
    PollsState.NOT_OPENED: "non ouvert",
    PollsState.OPEN: "ouvert",
    PollsState.PAUSED: "suspendu",
    PollsState.CLOSED: "clos",
}
SIGNATORIES: Final = ("Président(e) du bureau", "Assesseur", "Assesseur")


def report_title(report: PollsReport) -> str:
    return TITLES[(report.kind, report.reopening)]


def render_report_pdf(signed: SignedReport) -> bytes:
    """The report as a one-page A4 PDF in French (more pages for very many scrutins); the same
    report gives the same bytes."""
    register_fonts()
    report = signed.report
    title = report_title(report)
    payload = signed.payload()

    def decorate(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setStrokeColor(_RULE)
        canvas.setLineWidth(0.5)
        canvas.line(pdf.MARGIN, 40, pdf.PAGE_WIDTH - pdf.MARGIN, 40)
        canvas.setFillColor(_GREY)
        canvas.setFont(SANS, 8)
        canvas.drawString(
            pdf.MARGIN, 28, pdf.french(f"Isoloir · {title} · borne {report.kiosk_id}")
        )
        canvas.drawRightString(pdf.PAGE_WIDTH - pdf.MARGIN, 28, f"page {document.page}")
        canvas.restoreState()

    _, data = pdf.render(
        _story(report, title, payload),
        [PageTemplate(id="report", frames=[pdf.text_frame(bottom=50, top=40)], onPage=decorate)],
        title=f"{title} — {report.kiosk_id}",
        author="Isoloir",
        subject=payload.decode("ascii"),
        creator="Isoloir",
    )
    return data


def _style(name: str, size: float, **options: Any) -> ParagraphStyle:
    options.setdefault("fontName", SANS)
    options.setdefault("leading", round(size * 1.3, 1))
    options.setdefault("textColor", _INK)
    return ParagraphStyle(name, fontSize=size, **options)


_KICKER: Final = _style("kicker", 10, textColor=_GREY)
_TITLE: Final = _style("title", 20, fontName=SANS_BOLD)
_HEADING: Final = _style("heading", 11, fontName=SANS_BOLD, textColor=_ACCENT, spaceAfter=4)
_LABEL: Final = _style("label", 7.5, fontName=SANS_BOLD, textColor=_GREY)
_VALUE: Final = _style("value", 10.5, fontName=SANS_BOLD)
_DETAIL: Final = _style("detail", 8, textColor=_GREY)
_CELL: Final = _style("cell", 9.5)
_CELL_RIGHT: Final = _style("cell-right", 9.5, alignment=2)
_CELL_BOLD: Final = _style("cell-bold", 9.5, fontName=SANS_BOLD)
_CELL_BOLD_RIGHT: Final = _style("cell-bold-right", 9.5, fontName=SANS_BOLD, alignment=2)
_NOTE: Final = _style("note", 8.5, textColor=_GREY)
_MONO: Final = _style("mono", 7, fontName=MONO_BOLD, leading=9)


def _text(text: str, style: ParagraphStyle) -> Paragraph:
    markup = "<br/>".join(
        escape(pdf.french(line, no_break_before=":;!?»", no_break_after="«"))
        for line in text.split("\n")
    )
    return Paragraph(markup, style)


def _mono(text: str, per_line: int = 64) -> Paragraph:
    lines = [text[i : i + per_line] for i in range(0, len(text), per_line)]
    return Paragraph("<br/>".join(escape(line) for line in lines), _MONO)


def _count(value: int) -> str:
    return f"{value:,}".replace(",", pdf.NBSP)


def _rule() -> HRFlowable:
    return HRFlowable(width="100%", thickness=1.5, color=_ACCENT, spaceBefore=6, spaceAfter=10)


def _story(report: PollsReport, title: str, payload: bytes) -> list[Any]:
    when = printed_time(report.at, "fr")
    story: list[Any] = [
        _text(report.election_title, _KICKER),
        Spacer(1, 3),
        _text(title, _TITLE),
        _rule(),
        _fields(
            [
                ("Élection", report.election_id, ""),
                ("Borne", report.kiosk_id, _sequence_note(report)),
                ("État du vote", POLLS_NAMES[report.polls_state], ""),
                (
                    "Date et heure",
                    f"{when.date}\n{when.clock}",
                    f"{when.zone} · {report.at.strftime('%H:%M:%S')} UTC",
                ),
                (
                    "Opérateur",
                    report.operator.name,
                    ROLE_NAMES.get(report.operator.role, report.operator.role.value),
                ),
                ("Empreinte du paquet électoral", report.package_fingerprint, ""),
            ],
            columns=3,
        ),
        Spacer(1, 10),
        _text("Bulletins scellés dans la borne", _HEADING),
        _ballots_table(report),
        Spacer(1, 4),
        _text(_ballots_note(report), _NOTE),
    ]
    if report.kind is ReportKind.CLOSING:
        story += [Spacer(1, 8), _text("Transmission à l'urne centrale", _HEADING), _sync(report)]
    story += [
        Spacer(1, 10),
        _text("Empreintes et procès-verbal signé", _HEADING),
        _qr_block(report, payload),
        Spacer(1, 10),
        _signatures(),
    ]
    return story


def _sequence_note(report: PollsReport) -> str:
    if report.previous is None:
        return f"procès-verbal n° {report.sequence}, son premier"
    return f"procès-verbal n° {report.sequence}, après le n° {report.sequence - 1}"


def _fields(items: Sequence[tuple[str, str, str]], *, columns: int = 2) -> Table:
    def cell(label: str, value: str, detail: str) -> list[Paragraph]:
        shown = [_text(label.upper(), _LABEL), _text(value, _VALUE)]
        if detail:
            shown.append(_text(detail, _DETAIL))
        return shown

    cells: list[Any] = [cell(*item) for item in items]
    cells += [""] * (-len(cells) % columns)
    rows = [cells[i : i + columns] for i in range(0, len(cells), columns)]
    table = Table(rows, colWidths=[pdf.TEXT_WIDTH / columns] * columns)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table


def _grid(rows: list[list[Any]], widths: Sequence[float], *, total_row: bool) -> Table:
    table = Table(rows, colWidths=list(widths))
    style = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, 0), 1, _INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, _RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if total_row:
        style += [
            ("BACKGROUND", (0, -1), (-1, -1), _SHADE),
            ("LINEABOVE", (0, -1), (-1, -1), 1, _INK),
        ]
    table.setStyle(TableStyle(style))
    return table


def _ballots_table(report: PollsReport) -> Table:
    rows: list[list[Any]] = [[_text("Scrutin", _CELL_BOLD), _text("Bulletins", _CELL_BOLD_RIGHT)]]
    rows += [
        [_text(count.title, _CELL), _text(_count(count.ballots), _CELL_RIGHT)]
        for count in report.scrutins
    ]
    rows.append([_text("Total", _CELL_BOLD), _text(_count(report.ballots_total), _CELL_BOLD_RIGHT)])
    return _grid(rows, [pdf.TEXT_WIDTH - 40 * mm, 40 * mm], total_row=True)


def _ballots_note(report: PollsReport) -> str:
    emargements = f"Émargements enregistrés dans la borne : {_count(report.emargements)}."
    if report.kind is ReportKind.OPENING and not report.reopening:
        if report.ballots_total == 0:
            return f"Aucun bulletin : l'urne de la borne est vide à l'ouverture. {emargements}"
        return f"Attention : la borne contient déjà des bulletins à l'ouverture. {emargements}"
    return emargements


def _sync(report: PollsReport) -> Table:
    sync = report.sync
    last = "jamais"
    if sync.last_sync is not None:
        moment = printed_time(sync.last_sync, "fr")
        last = f"{moment.date}\n{moment.clock}"
    return _fields(
        [
            ("En attente d'envoi", _count(sync.pending), ""),
            ("Exportés (support amovible)", _count(sync.exported), "sans réponse du serveur"),
            ("Acceptés par le serveur", _count(sync.accepted), ""),
            ("Rejetés par le serveur", _count(sync.rejected), ""),
            ("Retenus", _count(sync.held), "refus provisoire : renvoyés plus tard"),
            ("Dernière synchronisation", last, ""),
        ],
        columns=3,
    )


def _signatures() -> KeepTogether:
    head = [_text(label, _CELL_BOLD) for label in ("Qualité", "Nom", "Signature")]
    rows: list[list[Any]] = [head, *([_text(who, _CELL), "", ""] for who in SIGNATORIES)]
    table = Table(
        rows,
        colWidths=[50 * mm, 62 * mm, pdf.TEXT_WIDTH - 112 * mm],
        rowHeights=[None] + [10 * mm] * len(SIGNATORIES),
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.8, _INK),
                ("BACKGROUND", (0, 0), (-1, 0), _SHADE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return KeepTogether([_text("Signatures des membres du bureau de vote", _HEADING), table])


def _qr_block(report: PollsReport, payload: bytes) -> Table:
    """The signed payload's QR code, beside the hashes it states and how to check it."""
    room = 58 * mm
    note = (
        "Le code QR contient ce procès-verbal signé par la clé de la borne. Quiconque détient le "
        "paquet électoral le vérifie, sur ce papier ou sur sa photo ; avec le dossier publié de "
        "l'élection, il compare la clôture avec l'urne publique :\n"
        "isoloir verify report FICHIER --package PAQUET [--record DOSSIER]"
    )
    previous = (
        [_text("aucun : premier procès-verbal de la borne", _DETAIL)]
        if report.previous is None
        else [_mono(report.previous)]
    )
    facts = [
        _text(
            f"Racine des {_count(report.board_ballots)} bulletin(s) attendu(s) sur l'urne publique",
            _LABEL,
        ),
        _mono(report.board_root),
        Spacer(1, 6),
        _text("Tête du journal d'audit de la borne", _LABEL),
        _mono(report.audit_head),
        Spacer(1, 6),
        _text(f"Empreinte SHA-256 du procès-verbal précédent (n° {report.sequence - 1})", _LABEL)
        if report.previous is not None
        else _text("Procès-verbal précédent", _LABEL),
        *previous,
        Spacer(1, 10),
        _text(note, _NOTE),
    ]
    table = Table(
        [[qr_flowable(payload, room=room), facts]],
        colWidths=[room + 6 * mm, pdf.TEXT_WIDTH - room - 6 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table
