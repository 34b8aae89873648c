"""The polls reports (kiosk/admin/reports.py, docs/receipts.md "Polls reports") and the printer
test page: built from a real store with real sealed ballots, signed, printed, read back from the
PDF's QR code (or a photo of it) and checked against the package; every alteration refused with
its reason; saved privately; and `isoloir verify report` on the command line.

Snapshots: page 1 of each PDF rendered by ``pdftoppm``, compared with tests/snapshots/report-*.png
exactly as tests/unit/test_receipts.py compares the receipts'. After an intended change of
layout, regenerate them and look at them before committing:

    .venv/bin/python -m tests.unit.admin.test_reports --update
    ISOLOIR_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/unit/admin/test_reports.py   (the same)
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from kiosk.admin.operators import Operator
from kiosk.admin.printer_test import printer_test_page, printer_test_payload
from kiosk.admin.reports import (
    BAD_SIGNATURE_MESSAGE,
    REPORT_FORMAT,
    PollsReport,
    ReportError,
    ReportKind,
    ReportProblem,
    ScrutinCount,
    SignedReport,
    SyncCounts,
    board_root,
    build_report,
    compare_with_board,
    last_report,
    load_saved_reports,
    read_report_payload,
    render_report_pdf,
    save_report,
    sign_report,
    verify_report_pdf,
)
from kiosk.admin.roles import Role
from kiosk.bundle.codec import root_of_hashes
from kiosk.bundle.export import bundle_items, export_bundle
from kiosk.cli import main
from kiosk.clock import ManualClock
from kiosk.crypto.ballot import encode_ballot
from kiosk.crypto.context import election_context
from kiosk.crypto.envelope import decode_envelope
from kiosk.crypto.hashing import digest
from kiosk.election import package as package_io
from kiosk.election.model import ElectionId, ElectionPackage, KioskId, ScrutinId
from kiosk.encoding import b64encode, canonical_json
from kiosk.receipts import qr_payloads
from kiosk.record.board import Board, BoardEntry, write_board, write_head
from kiosk.store import KioskStore, PollsState, SyncState, create_key_file
from tests.factories import small_package
from tests.unit.test_bundle import START, cast_into, envelope_for
from tests.unit.test_receipts import (
    SNAPSHOTS,
    TOLERANCE,
    UPDATE,
    first_page_png,
    mean_difference,
    pdf_text,
)
from tests.unit.test_voting_world import KIOSK_ID, open_kiosk, sealed_election

pytestmark = pytest.mark.filterwarnings("error")

ASSESSEUR: Final = Operator("m.durand", Role.ASSESSEUR)
ADMIN: Final = Operator("admin", Role.ADMINISTRATOR)

# ---- fixed inputs for the snapshots --------------------------------------------------------------

SAMPLE_KEY: Final = Ed25519PrivateKey.from_private_bytes(digest("test", "report sample")[:32])
SAMPLE_AT: Final = datetime(2026, 12, 8, 16, 0, 12, tzinfo=UTC)  # 17:00:12 in Paris
SAMPLE_SCRUTINS: Final = (
    ("capn-agreges", "CAPN des professeurs agrégés"),
    ("capa-certifies", "CAPA des professeurs certifiés"),
    ("csa-academique", "Comité social d'administration académique"),
)


def sample_report(kind: ReportKind, ballots: tuple[int, ...] = (0, 0, 0)) -> PollsReport:
    closing = kind is ReportKind.CLOSING
    return PollsReport(
        kind=kind,
        sequence=2 if closing else 1,
        previous=hashlib.sha256(b"the opening report").hexdigest() if closing else None,
        election_id=ElectionId("pro-2026"),
        election_title="Élections professionnelles 2026 (démonstration)",
        package_fingerprint="K7QM-3XJD-PL2R-WY5N",
        kiosk_id=KioskId("kiosk-01"),
        operator=ASSESSEUR,
        at=SAMPLE_AT if closing else datetime(2026, 12, 1, 7, 0, 3, tzinfo=UTC),
        polls_state=PollsState.CLOSED if closing else PollsState.OPEN,
        reopening=False,
        scrutins=tuple(
            ScrutinCount(ScrutinId(sid), title, count)
            for (sid, title), count in zip(SAMPLE_SCRUTINS, ballots, strict=True)
        ),
        emargements=sum(ballots),
        board_ballots=sum(ballots) - (1 if closing else 0),
        board_root=digest("sample", "root", str(ballots)).hex(),
        sync=SyncCounts(
            pending=3 if closing else 0,
            exported=0,
            accepted=sum(ballots) - 4 if closing else 0,
            rejected=1 if closing else 0,
            held=1 if closing else 0,
            last_sync=SAMPLE_AT - timedelta(minutes=7) if closing else None,
        ),
        audit_head=hashlib.sha256(kind.value.encode()).hexdigest(),
    )


RENDERERS: Final[dict[str, Callable[[], bytes]]] = {
    "opening": lambda: render_report_pdf(
        sign_report(sample_report(ReportKind.OPENING), SAMPLE_KEY)
    ),
    "closing": lambda: render_report_pdf(
        sign_report(sample_report(ReportKind.CLOSING, (41, 37, 52)), SAMPLE_KEY)
    ),
    "printer-test": lambda: printer_test_page(
        "kiosk-01", SAMPLE_AT, election_title="Élections professionnelles 2026 (démonstration)"
    ),
}


@functools.cache
def rendered(name: str) -> bytes:
    return RENDERERS[name]()


def write_snapshots() -> list[Path]:
    SNAPSHOTS.mkdir(exist_ok=True)
    written = []
    for name in RENDERERS:
        path = SNAPSHOTS / f"report-{name}.png"
        first_page_png(rendered(name)).save(path, optimize=True)
        written.append(path)
    return written


# ---- a real kiosk --------------------------------------------------------------------------------


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> Iterator[KioskStore]:
    opened = open_kiosk(tmp_path / "kiosk", clock)
    yield opened
    opened.close()


@pytest.fixture
def package() -> ElectionPackage:
    return sealed_election()[0]


def kiosk_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(sealed_election()[1])


def closing_kiosk(store: KioskStore, clock: ManualClock) -> PollsReport:
    """Four casts, one accepted, one rejected, one held; polls closed; the closing report."""
    ids = [cast_into(store, v, s) for v, s in ((0, "cap"), (1, "cap"), (1, "capn"), (3, "capn"))]
    clock.advance(timedelta(minutes=5))
    store.record_sync_answers([ids[0]], [(ids[1], "already_voted")], [(ids[2], "unknown")])
    clock.advance(timedelta(hours=2))
    store.set_polls_state(PollsState.CLOSED)
    return build_report(store, ReportKind.CLOSING, ASSESSEUR, clock.now())


def printed_payload(value: dict[str, Any]) -> bytes:
    """A payload in the printed form, whatever it says."""
    return json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":")).encode()


def refused(problem: ReportProblem, call: Callable[[], object]) -> str:
    with pytest.raises(ReportError) as caught:
        call()
    assert caught.value.problem is problem, str(caught.value)
    return str(caught.value)


# ---- building ------------------------------------------------------------------------------------


def test_an_opening_report_of_a_fresh_kiosk_states_zero_ballots(
    store: KioskStore, package: ElectionPackage
) -> None:
    paris = timezone(timedelta(hours=1))
    at = datetime(2026, 12, 1, 9, 0, 5, 750_000, tzinfo=paris)
    report = build_report(store, ReportKind.OPENING, ASSESSEUR, at)
    assert report.kind is ReportKind.OPENING
    assert not report.reopening
    assert report.at == datetime(2026, 12, 1, 8, 0, 5, tzinfo=UTC)
    assert (report.election_id, report.election_title) == ("test-2026", "Élection de test")
    assert report.package_fingerprint == package.fingerprint
    assert report.kiosk_id == KIOSK_ID
    assert report.operator == ASSESSEUR
    assert report.polls_state is PollsState.OPEN
    assert [(c.scrutin_id, c.title, c.ballots) for c in report.scrutins] == [
        ("capn", "Scrutin CAPN", 0),
        ("cap", "Scrutin CAP", 0),
    ]
    assert report.ballots_per_scrutin == {"capn": 0, "cap": 0}
    assert report.ballots_total == report.emargements == 0
    assert (report.sequence, report.previous) == (1, None)
    assert report.board_ballots == 0
    assert report.board_root == root_of_hashes([]).hex()
    assert report.sync == SyncCounts(0, 0, 0, 0, 0, None)
    assert report.audit_head == store.status().audit_head


def test_a_closing_report_counts_every_sealed_ballot_and_the_sync_state(
    store: KioskStore, clock: ManualClock
) -> None:
    report = closing_kiosk(store, clock)
    assert report.ballots_per_scrutin == {"capn": 2, "cap": 2}
    assert report.ballots_total == report.emargements == 4
    assert report.polls_state is PollsState.CLOSED
    # pending 2 (one of them held), accepted 1, rejected 1; the answers came at START + 5 min
    assert report.sync == SyncCounts(
        pending=2,
        exported=0,
        accepted=1,
        rejected=1,
        held=1,
        last_sync=START + timedelta(minutes=5),
    )
    assert report.audit_head == store.status().audit_head


def publish(store: KioskStore, record: Path, *, leave_out: int = 0) -> list[BoardEntry]:
    """The election record of this kiosk's ballots as the server publishes them: the sealed
    package and a board holding every ballot not rejected (less the first ``leave_out``), each
    as the server appends it (ballot, kiosk id, the receipt signature the kiosk uploads), among
    another kiosk's. The board's entries."""
    package = sealed_election()[0]
    package_io.write(package, record / "package")
    stored = store.stored_package()
    identity = store.kiosk_identity()
    assert stored is not None
    assert identity is not None
    kept = [e for e in store.outbox() if e.state is not SyncState.REJECTED][leave_out:]
    board = Board(package.manifest.election_id, election_context(package).base_hash)
    other = decode_envelope(envelope_for(3, "capn"))  # its ballot, under another kiosk's name
    board.append(other.scrutin_id, encode_ballot(other.ballot), KioskId("kiosk-02"), bytes(64))
    for item in bundle_items(store, kept, identity.signing_key(), stored):
        envelope = decode_envelope(item.envelope)
        board.append(
            envelope.scrutin_id,
            encode_ballot(envelope.ballot),
            envelope.kiosk_id,
            item.receipt_signature,
        )
    write_board(record / "board.jsonl", board.entries)
    write_head(record / "board-head.json", board.head())
    return board.entries


def test_the_root_is_recomputed_from_the_board_entries_of_the_kiosk(
    store: KioskStore, clock: ManualClock, tmp_path: Path
) -> None:
    report = closing_kiosk(store, clock)  # 4 sealed, 1 rejected by the server
    assert report.board_ballots == 3
    entries = publish(store, tmp_path / "record")
    assert len(entries) == 4  # another kiosk's too
    assert compare_with_board(report, entries).passed
    mine = [entry for entry in entries if entry.kiosk_id == KIOSK_ID]
    assert board_root(reversed(mine)).hex() == report.board_root  # whatever the board's order
    # Exporting changes no ballot: the same root.
    export_bundle(store, tmp_path / "all.isoloir-bundle")
    assert build_report(store, ReportKind.CLOSING, ASSESSEUR, START).board_root == report.board_root
    missing = compare_with_board(report, mine[1:])
    assert (missing.stated, missing.found, missing.passed) == (3, 2, False)
    assert "1 missing" in missing.verdict(KIOSK_ID)
    store.set_polls_state(PollsState.OPEN)  # reopened: one more ballot
    cast_into(store, 2, "cap")
    later = build_report(store, ReportKind.CLOSING, ASSESSEUR, START)
    extra = compare_with_board(report, publish(store, tmp_path / "later"))
    assert (later.board_ballots, extra.found, extra.passed) == (4, 4, False)
    assert "1 extra" in extra.verdict(KIOSK_ID)
    swapped = compare_with_board(report, [*mine[1:], entries[0]])
    assert not swapped.passed  # as many, not the same: the other kiosk's is not this one's
    assert swapped.found == 2


def test_a_reopening_report_shows_the_counts_and_is_an_opening_only(store: KioskStore) -> None:
    cast_into(store, 0, "cap")
    report = build_report(store, ReportKind.OPENING, ADMIN, START, reopening=True)
    assert report.reopening
    assert report.ballots_total == 1
    text = pdf_text(render_report_pdf(sign_report(report, kiosk_key())))
    assert "Procès-verbal de réouverture" in text
    assert "administrateur" in text
    with pytest.raises(ValueError, match="reopening"):
        build_report(store, ReportKind.CLOSING, ADMIN, START, reopening=True)
    with pytest.raises(ValueError, match="aware"):
        build_report(store, ReportKind.OPENING, ADMIN, datetime(2026, 12, 1, 8, 0))


def test_a_kiosk_without_package_or_key_cannot_report(tmp_path: Path, clock: ManualClock) -> None:
    with KioskStore.create(tmp_path / "k.db", create_key_file(tmp_path / "k.key"), clock) as bare:
        message = refused(
            ReportProblem.NOT_READY,
            lambda: build_report(bare, ReportKind.OPENING, ASSESSEUR, START),
        )
        assert "no election package" in message
        bare.load_package(sealed_election()[0])
        message = refused(
            ReportProblem.NOT_READY,
            lambda: build_report(bare, ReportKind.OPENING, ASSESSEUR, START),
        )
        assert "signing key" in message


# ---- signing, printing, reading back -------------------------------------------------------------


def test_a_printed_report_reads_back_from_its_pdf_and_from_photos(
    store: KioskStore, clock: ManualClock, package: ElectionPackage
) -> None:
    report = closing_kiosk(store, clock)
    signed = sign_report(report, kiosk_key())
    data = render_report_pdf(signed)
    assert data == render_report_pdf(signed)  # reproducible
    assert qr_payloads(data) == [signed.payload()]
    assert verify_report_pdf(data, package) == report
    page = first_page_png(data, dpi=200)
    for kind in ("PNG", "JPEG"):
        photo = io.BytesIO()
        page.save(photo, format=kind)
        assert verify_report_pdf(photo.getvalue(), package) == report
    assert read_report_payload(signed.payload(), package) == signed


def test_the_payload_is_the_signed_canonical_body_and_the_pdf_subject(
    store: KioskStore, clock: ManualClock, package: ElectionPackage
) -> None:
    signed = sign_report(closing_kiosk(store, clock), kiosk_key())
    payload = json.loads(signed.payload())
    assert payload["format"] == REPORT_FORMAT
    assert set(payload) == {
        "at", "audit_head", "ballots", "election_id", "emargements", "fingerprint", "format",
        "kind", "kiosk_id", "operator", "polls", "previous", "reopening", "board", "sequence",
        "signature", "sync",
    }  # fmt: skip
    assert payload["board"] == {"ballots": 3, "root": signed.report.board_root}  # 4 less 1 rejected
    assert payload["ballots"] == {"cap": 2, "capn": 2}
    assert payload["operator"] == {"name": "m.durand", "role": "assesseur"}
    assert signed.payload().isascii()
    info = subprocess.run(
        ["pdfinfo", "-"], input=render_report_pdf(signed), capture_output=True, check=True
    ).stdout.decode()
    subject = next(line for line in info.splitlines() if line.startswith("Subject:"))
    assert subject.split(":", 1)[1].strip() == signed.payload().decode()
    # The signature is domain-separated: the same body signed without the report tag fails.
    body = {k: v for k, v in payload.items() if k != "signature"}
    untagged = {**body, "signature": b64encode(kiosk_key().sign(canonical_json(body)))}
    message = refused(
        ReportProblem.BAD_SIGNATURE, lambda: read_report_payload(printed_payload(untagged), package)
    )
    assert message == BAD_SIGNATURE_MESSAGE


def test_every_alteration_is_refused_with_its_reason(
    store: KioskStore, clock: ManualClock, package: ElectionPackage
) -> None:
    signed = sign_report(closing_kiosk(store, clock), kiosk_key())
    good: dict[str, Any] = json.loads(signed.payload())

    def read(value: dict[str, Any]) -> Callable[[], object]:
        return lambda: read_report_payload(printed_payload(value), package)

    # Any changed fact, or the signature, or another key: one message for all.
    signature = bytearray(signed.signature)
    signature[5] ^= 1
    other_key = sign_report(signed.report, Ed25519PrivateKey.generate())
    for altered in (
        {**good, "ballots": {"cap": 2, "capn": 1}},
        {**good, "emargements": 5},
        {**good, "at": "2026-12-01T10:00:01Z"},
        {**good, "sync": {**good["sync"], "rejected": 0}},
        {**good, "board": {**good["board"], "root": "0" * 128}},
        {**good, "sequence": 2, "previous": "ab" * 32},
        {**good, "operator": {"name": "admin", "role": "administrator"}},
        {**good, "signature": b64encode(bytes(signature))},
        json.loads(other_key.payload()),
    ):
        assert refused(ReportProblem.BAD_SIGNATURE, read(altered)) == BAD_SIGNATURE_MESSAGE
    assert "another kiosk" not in BAD_SIGNATURE_MESSAGE  # says nothing of how it is bad
    message = refused(ReportProblem.WRONG_ELECTION, read({**good, "election_id": "autre-2026"}))
    assert "autre-2026" in message
    message = refused(ReportProblem.UNKNOWN_KIOSK, read({**good, "kiosk_id": "kiosk-99"}))
    assert "kiosk-99" in message
    for old_or_new in ("isoloir.report/1", "isoloir.report/3"):
        message = refused(ReportProblem.VERSION, read({**good, "format": old_or_new}))
        assert old_or_new in message
    for broken, field in (
        ({**good, "extra": 1}, "extra"),
        ({k: v for k, v in good.items() if k != "board"}, "board"),
        ({**good, "previous": "ab" * 32}, "previous"),  # the first report follows none
        ({**good, "sequence": 2}, "previous"),  # and a later one follows one
        ({**good, "kind": "interim"}, "kind"),
        ({**good, "emargements": -1}, "emargements"),
        ({**good, "reopening": True}, "reopening"),  # a closing report is never a reopening
        ({**good, "at": "2026-12-01 10:00:01"}, "at"),
        ({**good, "sync": {**good["sync"], "held": "1"}}, "held"),
    ):
        assert field in refused(ReportProblem.FORMAT, read(broken))
    spaced = json.dumps(good, sort_keys=True).encode()
    assert "printed form" in refused(
        ReportProblem.FORMAT, lambda: read_report_payload(spaced, package)
    )
    # Another package of the same election: the fingerprint differs.
    other = small_package()
    message = refused(
        ReportProblem.WRONG_PACKAGE, lambda: read_report_payload(signed.payload(), other)
    )
    assert package.fingerprint in message
    assert other.fingerprint in message


def test_an_altered_paper_is_refused_from_its_pdf(
    store: KioskStore, clock: ManualClock, package: ElectionPackage
) -> None:
    report = closing_kiosk(store, clock)
    signed = sign_report(report, kiosk_key())
    forged = replace(report, scrutins=(replace(report.scrutins[0], ballots=9), report.scrutins[1]))
    paper = render_report_pdf(SignedReport(forged, signed.signature))
    assert refused(ReportProblem.BAD_SIGNATURE, lambda: verify_report_pdf(paper, package)) == (
        BAD_SIGNATURE_MESSAGE
    )
    refused(ReportProblem.UNREADABLE, lambda: verify_report_pdf(b"not a paper", package))
    printer_page = printer_test_page("kiosk-01", START)
    message = refused(ReportProblem.NO_REPORT, lambda: verify_report_pdf(printer_page, package))
    assert "1 other QR code" in message


# ---- saving --------------------------------------------------------------------------------------


def test_reports_are_saved_privately_numbered_and_never_overwritten(
    store: KioskStore, clock: ManualClock, tmp_path: Path
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir(mode=0o755)
    opening = sign_report(build_report(store, ReportKind.OPENING, ASSESSEUR, START), kiosk_key())
    first = save_report(opening, b"%PDF-opening", folder)
    assert first.path == folder / "0001-opening.pdf"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(first.path.stat().st_mode) == 0o600
    assert first.report == opening.report
    (folder / "0002-closing.json").write_bytes(b"someone else's")  # a number already taken
    closing = sign_report(closing_kiosk(store, clock), kiosk_key())
    second = save_report(closing, b"%PDF-closing", folder)
    assert second.path == folder / "0003-closing.pdf"
    again = save_report(opening, b"%PDF-opening again", folder)
    assert again.path == folder / "0004-opening.pdf"
    assert first.path.read_bytes() == b"%PDF-opening"
    assert [saved.path.name for saved in load_saved_reports(folder)] == [
        "0001-opening.pdf",
        "0003-closing.pdf",
        "0004-opening.pdf",
    ]
    (folder / "0009-opening.json").write_bytes(b'{"not": "a report"}')  # skipped, not fatal
    (folder / "0009-opening.pdf").write_bytes(b"%PDF-")
    newest = last_report(folder, ReportKind.OPENING)
    assert newest is not None
    assert newest.path == again.path
    assert newest.report == opening.report
    latest_closing = last_report(folder, ReportKind.CLOSING)
    assert latest_closing is not None
    assert latest_closing.report == closing.report
    assert last_report(tmp_path / "none", ReportKind.CLOSING) is None
    assert load_saved_reports(tmp_path / "none") == []


def test_a_fresh_reports_folder_is_made_private(store: KioskStore, tmp_path: Path) -> None:
    folder = tmp_path / "a" / "reports"
    signed = sign_report(build_report(store, ReportKind.OPENING, ASSESSEUR, START), kiosk_key())
    saved = save_report(signed, render_report_pdf(signed), folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert verify_report_pdf(saved.path.read_bytes(), sealed_election()[0]) == signed.report


def test_each_report_follows_the_newest_saved_one_of_its_kiosk(
    store: KioskStore, clock: ManualClock, tmp_path: Path
) -> None:
    folder = tmp_path / "reports"

    def made(kind: ReportKind, *, reopening: bool = False) -> SignedReport:
        report = build_report(
            store, kind, ADMIN, clock.now(), reopening=reopening, reports_dir=folder
        )
        signed = sign_report(report, kiosk_key())
        save_report(signed, render_report_pdf(signed), folder)
        return signed

    opening = made(ReportKind.OPENING)
    assert (opening.report.sequence, opening.report.previous) == (1, None)
    cast_into(store, 0, "cap")
    store.set_polls_state(PollsState.CLOSED)
    closing = made(ReportKind.CLOSING)
    assert (closing.report.sequence, closing.report.previous) == (2, opening.link())
    assert opening.link() == hashlib.sha256(opening.payload()).hexdigest()
    # Another kiosk's report in the same folder is not in this kiosk's chain.
    stranger = replace(closing.report, kiosk_id=KioskId("kiosk-02"), sequence=9)
    save_report(sign_report(stranger, kiosk_key()), b"%PDF-", folder)
    store.set_polls_state(PollsState.OPEN)
    reopening = made(ReportKind.OPENING, reopening=True)
    assert (reopening.report.sequence, reopening.report.previous) == (3, closing.link())
    text = pdf_text(render_report_pdf(reopening))
    assert "procès-verbal n° 3, après le n° 2" in text
    assert closing.link()[:32] in text.replace(" ", "")
    # Without the folder, a report cannot know what came before it: the first.
    alone = build_report(store, ReportKind.CLOSING, ADMIN, clock.now())
    assert (alone.sequence, alone.previous) == (1, None)


# ---- what the paper says -------------------------------------------------------------------------


def test_the_paper_states_the_facts_in_french_with_a_signature_block(
    store: KioskStore, clock: ManualClock, package: ElectionPackage
) -> None:
    report = closing_kiosk(store, clock)  # at START + 2 h 05: 10:05 UTC, 11:05 in Paris
    text = pdf_text(render_report_pdf(sign_report(report, kiosk_key())))
    for expected in (
        "Procès-verbal de clôture",
        "Élection de test",
        "Scrutin CAPN",
        "Scrutin CAP",
        "Total 4",
        package.fingerprint,
        "kiosk-01",
        "m.durand",
        "heure de Paris, UTC+1",
        "11:05:00",
        "10:05:00 UTC",
        "Transmission à l'urne centrale",
        "Président(e) du bureau",
        "Signature",
        report.audit_head,
        "isoloir verify report",
    ):
        assert expected in text, expected
    assert report.board_root[:64] in text.replace(" ", "")
    assert "n° 1" in text
    assert "premier procès-verbal de la borne" in text
    opening = pdf_text(
        render_report_pdf(
            sign_report(build_report(store, ReportKind.OPENING, ASSESSEUR, START), kiosk_key())
        )
    )
    assert "Procès-verbal d'ouverture" in opening


# ---- snapshots -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_each_report_matches_its_snapshot(name: str, tmp_path: Path) -> None:
    stored = SNAPSHOTS / f"report-{name}.png"
    page = first_page_png(rendered(name))
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        page.save(stored, optimize=True)
    assert stored.exists(), (
        f"no snapshot {stored}: run python -m tests.unit.admin.test_reports --update"
    )
    with Image.open(stored) as image:
        expected = image.convert("L")
    actual = tmp_path / stored.name
    page.save(actual)
    assert page.size == expected.size, f"size {page.size} != {expected.size}; see {actual}"
    difference = mean_difference(page, expected)
    assert difference < TOLERANCE, f"{difference:.2%} of the pixels differ; see {actual}"


def test_the_snapshot_comparison_would_see_a_changed_count() -> None:
    base = first_page_png(rendered("closing"))
    other = first_page_png(
        render_report_pdf(sign_report(sample_report(ReportKind.CLOSING, (41, 37, 53)), SAMPLE_KEY))
    )
    assert mean_difference(base, other) > 0
    for name, render in RENDERERS.items():
        assert render() == rendered(name)


def test_the_sample_reports_are_signed_and_read_back() -> None:
    for name in ("opening", "closing"):
        (payload,) = qr_payloads(rendered(name))
        assert json.loads(payload)["kind"] == name


# ---- the printer test page -----------------------------------------------------------------------


def test_the_printer_test_page_is_reproducible_and_its_qr_code_decodes() -> None:
    at = datetime(2026, 12, 1, 6, 45, tzinfo=UTC)
    page = printer_test_page("kiosk-07", at)
    assert page == printer_test_page("kiosk-07", at)
    assert page != printer_test_page("kiosk-07", at + timedelta(seconds=1))
    assert qr_payloads(page) == [b"isoloir-printer-test/1 kiosk-07 2026-12-01T06:45:00Z"]
    assert printer_test_payload("kiosk-07", at) == qr_payloads(page)[0]
    text = pdf_text(page)
    for expected in ("Page de test de l'imprimante", "kiosk-07", "07:45:00", "100 %", "0,25 pt"):
        assert expected in text, expected
    with pytest.raises(ValueError, match="kiosk id"):
        printer_test_page("Kiosk 07", at)


# ---- isoloir verify report -----------------------------------------------------------------------


def isoloir(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_isoloir_verify_report_prints_the_facts_and_pass_or_the_reason(
    store: KioskStore,
    clock: ManualClock,
    package: ElectionPackage,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "package"
    package_io.write(package, folder)
    report = closing_kiosk(store, clock)
    signed = sign_report(report, kiosk_key())
    paper = tmp_path / "closing.pdf"
    paper.write_bytes(render_report_pdf(signed))
    code, out = isoloir(capsys, "verify", "report", str(paper), "--package", str(folder))
    assert code == 0, out
    assert "closing: Procès-verbal de clôture" in out
    assert "Kiosk:      kiosk-01" in out
    assert "Scrutin CAPN 2, Scrutin CAP 2; total 4" in out
    assert "2 pending, 0 exported, 1 accepted, 1 rejected, 1 held" in out
    assert f"Board:      3 ballot(s) of this kiosk; root {report.board_root}" in out
    assert "Sequence:   1 (previous report's payload SHA-256: none" in out
    assert "2026-12-01 11:05:00 Europe/Paris (2026-12-01T10:05:00Z)" in out
    assert out.rstrip().splitlines()[-1].startswith("PASS  signed by kiosk kiosk-01")
    photo = tmp_path / "photo.png"
    first_page_png(paper.read_bytes(), dpi=200).save(photo)
    assert isoloir(capsys, "verify", "report", str(photo), "--package", str(folder))[0] == 0
    forged = replace(report, emargements=3)
    paper.write_bytes(render_report_pdf(SignedReport(forged, signed.signature)))
    code, out = isoloir(capsys, "verify", "report", str(paper), "--package", str(folder))
    assert code == 1
    assert out.strip() == f"FAIL  {paper}: {BAD_SIGNATURE_MESSAGE}"
    assert "PASS" not in out
    other = tmp_path / "other"
    package_io.write(small_package(), other)
    paper.write_bytes(render_report_pdf(signed))
    code, out = isoloir(capsys, "verify", "report", str(paper), "--package", str(other))
    assert code == 1
    assert "not this package" in out


def test_isoloir_verify_report_compares_a_closing_report_with_the_records_board(
    store: KioskStore,
    clock: ManualClock,
    package: ElectionPackage,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    opening = sign_report(build_report(store, ReportKind.OPENING, ASSESSEUR, START), kiosk_key())
    opening_paper = tmp_path / "opening.pdf"
    opening_paper.write_bytes(render_report_pdf(opening))
    signed = sign_report(closing_kiosk(store, clock), kiosk_key())
    paper = tmp_path / "closing.pdf"
    paper.write_bytes(render_report_pdf(signed))
    record = tmp_path / "record"
    publish(store, record)
    code, out = isoloir(capsys, "verify", "report", str(paper), "--record", str(record))
    assert code == 0, out
    assert out.rstrip().splitlines()[-1] == (
        "PASS  the board holds exactly the 3 ballot(s) of kiosk kiosk-01 this report states "
        "(count and hash root)"
    )
    short = tmp_path / "short"
    publish(store, short, leave_out=1)
    code, out = isoloir(capsys, "verify", "report", str(paper), "--record", str(short))
    assert code == 1
    assert (
        "FAIL  the board holds 2 ballot(s) of kiosk kiosk-01, the report states 3: 1 missing"
        in (out)
    )
    code, out = isoloir(capsys, "verify", "report", str(opening_paper), "--record", str(record))
    assert code == 1
    assert "is an opening report" in out
    folder = tmp_path / "package"
    package_io.write(small_package(), folder)
    args = ("verify", "report", str(paper), "--record", str(record), "--package", str(folder))
    code, out = isoloir(capsys, *args)
    assert code == 2
    assert "PASS" not in out
    code, _ = isoloir(capsys, "verify", "report", str(paper))
    assert code == 2


def test_isoloir_verify_report_checks_the_chain_of_a_kiosks_reports(
    store: KioskStore,
    clock: ManualClock,
    package: ElectionPackage,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "reports"
    papers: list[str] = []

    def made(kind: ReportKind, *, reopening: bool = False, into: Path = folder) -> str:
        report = build_report(
            store, kind, ADMIN, clock.now(), reopening=reopening, reports_dir=into
        )
        signed = sign_report(report, kiosk_key())
        saved = save_report(signed, render_report_pdf(signed), into)
        return str(saved.path)

    papers.append(made(ReportKind.OPENING))
    cast_into(store, 0, "cap")
    store.set_polls_state(PollsState.CLOSED)
    papers.append(made(ReportKind.CLOSING))
    store.set_polls_state(PollsState.OPEN)
    papers.append(made(ReportKind.OPENING, reopening=True))
    record = tmp_path / "record"
    publish(store, record)
    code, out = isoloir(capsys, "verify", "report", *reversed(papers), "--record", str(record))
    assert code == 1  # the closing report is not the last: the polls were reopened after it
    assert "PASS  kiosk kiosk-01: reports 1, 2, 3 chain" in out
    assert "the newest report given (number 3) is an opening report" in out
    code, out = isoloir(capsys, "verify", "report", *papers[:2], "--record", str(record))
    assert code == 0, out
    # A closing report made after another opening than the one given: the link is broken.
    elsewhere = tmp_path / "elsewhere"
    clock.advance(timedelta(seconds=1))
    made(ReportKind.OPENING, into=elsewhere)
    store.set_polls_state(PollsState.CLOSED)
    forked = made(ReportKind.CLOSING, into=elsewhere)
    package_folder = record / "package"
    code, out = isoloir(
        capsys, "verify", "report", papers[0], forked, "--package", str(package_folder)
    )
    assert code == 1
    assert "FAIL  kiosk kiosk-01: report 2 does not follow report 1" in out
    code, out = isoloir(
        capsys, "verify", "report", papers[1], forked, "--package", str(package_folder)
    )
    assert code == 1
    assert "two different reports are both number 2" in out


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python -m tests.unit.admin.test_reports --update")
    for written in write_snapshots():
        print(written)
