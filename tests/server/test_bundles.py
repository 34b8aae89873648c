"""Removable media on SQLite and PostgreSQL: an offline kiosk's real store exports its sealed
ballots (``isoloir admin export``), the server imports the bundle (``isoloir server
import-bundle``) through the upload's own checks and transaction, and the exported record
tallies and verifies; a second import changes nothing; a tampered bundle or a hostile file is
refused whole with its reason and nothing stored; ballots imported after the polls closed count
when the kiosk signed that they were cast inside the window."""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI

from kiosk.admin.operators import Operators
from kiosk.admin.roles import Role
from kiosk.bundle.codec import (
    MAX_BUNDLE_BYTES,
    Bundle,
    BundleItem,
    CastWindow,
    parse_bundle,
    seal_bundle,
)
from kiosk.bundle.export import export_bundle
from kiosk.cli import main as isoloir
from kiosk.clock import ManualClock, isoformat_utc
from kiosk.crypto.ballot import seal
from kiosk.crypto.envelope import encode_envelope, sign_envelope
from kiosk.election.kdf import KdfParams
from kiosk.election.model import ElectionId, KioskId, ListId, ScrutinId, VoterId
from kiosk.encoding import canonical_json, strict_json_loads
from kiosk.record import board as board_io
from kiosk.record.layout import RecordLayout
from kiosk.store import KioskStore, PollsState, StoreKey, create_key_file
from kiosk.sync.client import KioskIdentity, ServerFailure, UploadStatus
from kiosk.trustee.demo import DEMO_PASSPHRASE
from kiosk.verifier import verify_record
from server.board import load_server_key
from server.bundles import BundleRefused, import_bundle
from server.enrollment import issue_token
from server.envelopes import EnvelopeIntake, Reason, Status, UploadItem
from server.storage import kiosks, migrate
from server.storage.database import Database
from tests.factories import CLOSES, ZipEntry, make_zip
from tests.server.ballots import (  # noqa: F401 - the *_fixture names are fixtures
    Cast,
    SealedElection,
    ballot_rows,
    box_fixture,
    cast,
    client,
    db_fixture,
    flip_byte,
    portal_fixture,
    sealed_fixture,
    voter_id,
)
from tests.server.harness import PortalTransport

CHOICES = (("cap", "l0"), ("cap", "l1"), ("cap", "l0"), ("capn", "blank"), ("capn", "l2"))
EMPTY_BOX = {
    "emargement": 0,
    "envelope_receipt": 0,
    "emargement_conflict": 0,
    "board_entry": 0,
    "board_head": 0,
    "board_count": 0,
}


def offline_kiosk(
    folder: Path, sealed: SealedElection, kiosk_id: str, clock: ManualClock
) -> KioskStore:
    """A real kiosk store (key file ``folder/store.key``): the sealed package loaded, this
    kiosk's key installed, the polls open."""
    folder.mkdir(parents=True)
    store = KioskStore.create(folder / "kiosk.db", create_key_file(folder / "store.key"), clock)
    store.load_package(sealed.package)
    seed = sealed.kiosk_keys[kiosk_id].private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    store.set_kiosk_key(KioskId(kiosk_id), seed)
    store.set_polls_state(PollsState.OPEN)
    return store


def cast_at(
    store: KioskStore,
    sealed: SealedElection,
    voter: VoterId,
    scrutin: str = "cap",
    choice: str | None = None,
) -> Cast:
    """A real sealed ballot of kiosk-01, recorded as the voting session records a cast."""
    made = cast(sealed, "kiosk-01", voter, scrutin, choice)
    store.record_cast(voter, ScrutinId(scrutin), made.envelope_id, made.envelope)
    return made


def kiosk_rows(database: Database) -> list[tuple[object, ...]]:
    with database.transaction() as tx:
        return [tuple(r) for r in tx.query("SELECT kiosk_id, status, enrolled FROM kiosk")]


@pytest.fixture
def server_db(database_url: str, clock: ManualClock) -> Iterator[Database]:
    """The server's database, migrated, its ballot box empty."""
    with Database.open(database_url) as database:
        migrate(database, clock)
        yield database


@pytest.fixture
def kiosk01(tmp_path: Path, sealed: SealedElection, clock: ManualClock) -> Iterator[KioskStore]:
    with offline_kiosk(tmp_path / "kiosk-01", sealed, "kiosk-01", clock) as store:
        yield store


# ---- the whole path ---------------------------------------------------------------------------


def test_an_offline_kiosks_bundle_reaches_the_board_and_its_record_verifies(
    database_url: str,
    sealed: SealedElection,
    clock: ManualClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "kiosk-01"
    with offline_kiosk(folder, sealed, "kiosk-01", clock) as store:
        for index, (scrutin, choice) in enumerate(CHOICES):
            cast_at(store, sealed, voter_id(index), scrutin, choice)
    stick = tmp_path / "stick"
    stick.mkdir()
    out = stick / "kiosk-01.isoloir-bundle"
    key = StoreKey.from_key_file(folder / "store.key")
    with KioskStore.open(folder / "kiosk.db", key, clock) as kiosk:  # who signs the export in
        operators = Operators(kiosk, clock, pin_kdf=KdfParams(log2_n=4))
        operators.add("admin", Role.ADMINISTRATOR, "000000")
    monkeypatch.setenv("ISOLOIR_OPERATOR_PIN", "000000")
    store_options = ["--store", str(folder / "kiosk.db"), "--key-file", str(folder / "store.key")]
    store_options += ["--operator", "admin"]
    capsys.readouterr()
    assert isoloir(["admin", "export", str(out), *store_options]) == 0
    assert "5 sealed ballot(s), 5 exported for the first time" in capsys.readouterr().out
    assert isoloir(["admin", "export", str(out), *store_options]) == 1  # never overwritten
    assert "never overwritten" in capsys.readouterr().err

    command = ["server", "import-bundle", str(out), "--db", database_url]
    command += ["--package", str(sealed.folder)]
    assert isoloir(command) == 0
    printed = capsys.readouterr().out
    assert "Bundle of kiosk kiosk-01: 5 envelope(s)" in printed
    assert "accepted:   5 (in the ballot box now)" in printed
    with Database.open(database_url) as database:
        stored = ballot_rows(database)
        assert kiosk_rows(database) == [("kiosk-01", "active", 0)]  # known, not enrolled
    assert (stored["board_count"], stored["emargement"]) == (5, 5)
    # Imported again: every envelope a duplicate, nothing new.
    assert isoloir(command) == 0
    printed = capsys.readouterr().out
    assert "accepted:   0" in printed
    assert "duplicates: 5 (answered before; 5 of them in the ballot box)" in printed
    with Database.open(database_url) as database:
        assert ballot_rows(database) == stored
    # The kiosk keeps them, exported, until an online sync brings the answers back.
    key = StoreKey.from_key_file(folder / "store.key")
    with KioskStore.open(folder / "kiosk.db", key, clock, read_only=True) as store:
        assert store.status().outbox.exported == 5

    record = tmp_path / "record"
    # export-record never makes the server key: the server's first start does (server.board).
    with Database.open(database_url) as database:
        load_server_key(database, clock, None)
    assert isoloir(["server", "export-record", "--db", database_url, "--package",
                    str(sealed.folder), "--out", str(record)]) == 0  # fmt: skip
    layout = RecordLayout(record)
    head = board_io.parse_head(layout.board_head.read_bytes())
    assert head.count == 5
    assert isoloir(["tally", "aggregate", "--record", str(record)]) == 0
    monkeypatch.setenv("ISOLOIR_TRUSTEE_PASSPHRASE", DEMO_PASSPHRASE)
    for index in (1, 3, 5):
        state = sealed.ceremony.states[index]
        assert isoloir(["trustee", "decrypt", "--state", str(state), "--record", str(record),
                        "--expect-head", head.head.hex()]) == 0  # fmt: skip
    assert isoloir(["tally", "combine", "--record", str(record)]) == 0
    report = verify_record(record)
    assert report.passed, report.lines()
    assert isoloir(["verify", "record", str(record)]) == 0
    results = json.loads(layout.results_json.read_bytes())
    by_id = {scrutin["id"]: scrutin for scrutin in results["scrutins"]}
    assert {lst["id"]: lst["votes"] for lst in by_id["cap"]["lists"]} == {"l0": 2, "l1": 1}
    assert (by_id["capn"]["blank"]["votes"], by_id["capn"]["cast"]) == (1, 2)


def test_a_ballot_uploaded_online_is_a_duplicate_in_the_bundle(
    server_db: Database,
    database_url: str,
    kiosk01: KioskStore,
    sealed: SealedElection,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    casts = [cast_at(kiosk01, sealed, voter_id(i)) for i in range(3)]
    with server_db.transaction(write=True) as tx:  # enrolled: it was online for a while
        key = sealed.package.manifest.kiosks[0].public_key
        kiosks.upsert_kiosk(tx, KioskId("kiosk-01"), key, isoformat_utc(clock.now()))
    online = EnvelopeIntake(server_db, sealed.package, clock)
    item = UploadItem(casts[0].envelope, casts[0].receipt_signature)
    [answer] = online.upload(KioskId("kiosk-01"), [item])
    assert answer.status is Status.ACCEPTED
    out = export_bundle(kiosk01, tmp_path / "b.isoloir-bundle").path
    imported = import_bundle(database_url, sealed.folder, out, clock=clock)
    assert (imported.accepted, imported.duplicates, imported.duplicates_in_box) == (2, 1, 1)
    assert kiosk_rows(server_db) == [("kiosk-01", "active", 1)]  # still enrolled
    assert ballot_rows(server_db)["board_count"] == 3


# ---- refused whole, nothing stored ------------------------------------------------------------


def _resigned(sealed: SealedElection, bundle: Bundle, signer: str = "kiosk-01") -> bytes:
    key = sealed.kiosk_keys[signer]
    return replace(bundle, signature=key.sign(bundle.signed_bytes())).to_bytes()


def _flip_at(marker: bytes, offset: int) -> Callable[[SealedElection, Bundle, bytes], bytes]:
    def flip(_sealed: SealedElection, _bundle: Bundle, data: bytes) -> bytes:
        return flip_byte(data, data.index(marker) + len(marker) + offset)

    return flip


def _drop_last_item_keep_count(_sealed: SealedElection, _bundle: Bundle, data: bytes) -> bytes:
    value = strict_json_loads(data, "bundle")
    value["items"].pop()
    return canonical_json(value)


def _removed(sealed: SealedElection, bundle: Bundle, _data: bytes) -> bytes:
    return replace(bundle, items=bundle.items[1:]).to_bytes()


def _added(sealed: SealedElection, bundle: Bundle, _data: bytes) -> bytes:
    extra = cast(sealed, "kiosk-01", voter_id(7))
    item = BundleItem(extra.envelope, extra.receipt_signature, CastWindow.IN_WINDOW)
    return replace(bundle, items=(*bundle.items, item)).to_bytes()


def _window_statement_changed(sealed: SealedElection, bundle: Bundle, _data: bytes) -> bytes:
    first = replace(bundle.items[0], cast=CastWindow.AFTER_CLOSING)
    return replace(bundle, items=(first, *bundle.items[1:])).to_bytes()


def _signed_by_another_kiosk(sealed: SealedElection, bundle: Bundle, _data: bytes) -> bytes:
    return _resigned(sealed, bundle, "kiosk-02")


def _claimed_by_another_kiosk(sealed: SealedElection, bundle: Bundle, _data: bytes) -> bytes:
    return _resigned(sealed, replace(bundle, kiosk_id=KioskId("kiosk-02")), "kiosk-02")


def _another_package(sealed: SealedElection, bundle: Bundle, _data: bytes) -> bytes:
    return _resigned(sealed, replace(bundle, fingerprint="AAAA-BBBB-CCCC-DDDD"))


def _another_election(sealed: SealedElection, bundle: Bundle, _data: bytes) -> bytes:
    """Genuine envelopes and a genuine signature of kiosk-01, for another election."""
    key = sealed.kiosk_keys["kiosk-01"]
    scrutin = sealed.package.manifest.scrutin(ScrutinId("cap"))
    items = []
    for index in range(2):
        envelope = sign_envelope(
            key,
            election_id=ElectionId("autre-2026"),
            scrutin_id=scrutin.id,
            voter_id=voter_id(index),
            ballot=seal(sealed.context, scrutin, ListId("l0")).cast(),
            kiosk_id=KioskId("kiosk-01"),
        )
        items.append(BundleItem(encode_envelope(envelope), bytes(64), CastWindow.IN_WINDOW))
    return seal_bundle(
        key,
        election_id=ElectionId("autre-2026"),
        fingerprint=bundle.fingerprint,
        kiosk_id=KioskId("kiosk-01"),
        items=items,
    ).to_bytes()


TAMPERED = {
    "a byte of the root": (_flip_at(b'"root":"', 5), {"root_mismatch", "malformed"}),
    "a byte of an envelope": (_flip_at(b'"envelope":"', 300), {"root_mismatch", "malformed"}),
    "a byte of the signature": (_flip_at(b'"signature":"', 10), {"bad_signature", "malformed"}),
    "a byte of the kiosk id": (_flip_at(b'"kiosk_id":"kiosk-0', 0), {"malformed"}),
    "an envelope removed": (_removed, {"root_mismatch"}),
    "an envelope removed, count unchanged": (_drop_last_item_keep_count, {"malformed"}),
    "an envelope added": (_added, {"root_mismatch"}),
    "a window statement changed": (_window_statement_changed, {"root_mismatch"}),
    "signed by another kiosk": (_signed_by_another_kiosk, {"bad_signature"}),
    "claimed and signed by another kiosk": (_claimed_by_another_kiosk, {"malformed"}),
    "another package": (_another_package, {"wrong_package"}),
    "another election": (_another_election, {"wrong_election"}),
}


@pytest.mark.parametrize("tamper", list(TAMPERED))
def test_a_tampered_bundle_is_refused_whole_and_nothing_is_stored(
    tamper: str,
    server_db: Database,
    database_url: str,
    kiosk01: KioskStore,
    sealed: SealedElection,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    for index in range(3):
        cast_at(kiosk01, sealed, voter_id(index))
    out = export_bundle(kiosk01, tmp_path / "genuine.isoloir-bundle").path
    data = out.read_bytes()
    change, codes = TAMPERED[tamper]
    tampered = change(sealed, parse_bundle(data), data)
    assert tampered != data
    bad = tmp_path / "tampered.isoloir-bundle"
    bad.write_bytes(tampered)
    with pytest.raises(BundleRefused) as refused:
        import_bundle(database_url, sealed.folder, bad, clock=clock)
    assert refused.value.code in codes, refused.value.detail
    assert refused.value.detail
    assert ballot_rows(server_db) == EMPTY_BOX
    assert kiosk_rows(server_db) == []
    # The genuine bundle still goes in whole.
    assert import_bundle(database_url, sealed.folder, out, clock=clock).accepted == 3


def test_the_command_says_why_a_bundle_is_refused(
    server_db: Database,
    database_url: str,
    kiosk01: KioskStore,
    sealed: SealedElection,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cast_at(kiosk01, sealed, voter_id(0))
    cast_at(kiosk01, sealed, voter_id(1))
    bundle = export_bundle(kiosk01, tmp_path / "b").bundle
    bad = tmp_path / "bad"
    bad.write_bytes(_removed(sealed, bundle, b""))
    capsys.readouterr()
    command = ["server", "import-bundle", str(bad), "--db", database_url]
    assert isoloir([*command, "--package", str(sealed.folder)]) == 1
    assert capsys.readouterr().err == (
        "isoloir: bundle refused (root_mismatch), nothing stored: the envelopes do not hash to "
        "the bundle's root: one was altered, removed or added\n"
    )
    assert ballot_rows(server_db) == EMPTY_BOX


def _hostile_files(folder: Path, genuine: bytes) -> dict[str, tuple[Path, str]]:
    """Name: (path, what the refusal says)."""
    zips: dict[str, list[ZipEntry]] = {
        "zip bomb": [("bundle.json", bytes(20_000_000))],
        "path traversal": [("../../evil", genuine), ("/etc/evil", b"x")],
        "huge member": [(zipfile.ZipInfo("bundle.json"), bytes(MAX_BUNDLE_BYTES // 64))],
        "a genuine bundle zipped": [("kiosk-01.isoloir-bundle", genuine)],
    }
    files: dict[str, tuple[Path, str]] = {}
    for name, entries in zips.items():
        path = folder / name.replace(" ", "-")
        path.write_bytes(make_zip(entries))
        files[name] = (path, "a zip archive, not a bundle")
    oversized = folder / "oversized"
    with oversized.open("wb") as sparse:
        sparse.truncate(MAX_BUNDLE_BYTES + 1)  # a hole: no disk space, never read
    files["over the size limit"] = (oversized, "larger than")
    fifo = folder / "fifo"
    os.mkfifo(fifo)
    files["a FIFO"] = (fifo, "not a regular file")
    files["a folder"] = (folder, "not a regular file")
    files["a device"] = (Path("/dev/zero"), "not a regular file")
    files["nothing there"] = (folder / "missing", "cannot open")
    nested = folder / "nested"
    nested.write_bytes(b"[" * 200_000 + b"]" * 200_000)
    files["JSON nested too deeply"] = (nested, "nested too deeply")
    return files


def test_hostile_files_are_refused_unread_and_nothing_is_written(
    server_db: Database,
    database_url: str,
    kiosk01: KioskStore,
    sealed: SealedElection,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    cast_at(kiosk01, sealed, voter_id(0))
    genuine = export_bundle(kiosk01, tmp_path / "genuine").path.read_bytes()
    hostile = tmp_path / "hostile"
    hostile.mkdir()
    for name, (path, reason) in _hostile_files(hostile, genuine).items():
        with pytest.raises(BundleRefused) as refused:
            import_bundle(database_url, sealed.folder, path, clock=clock)
        assert reason in refused.value.detail, name
    assert ballot_rows(server_db) == EMPTY_BOX
    assert kiosk_rows(server_db) == []
    assert not (tmp_path / "evil").exists()
    assert not Path("/etc/evil").exists()


# ---- the window rule of offline ballots -------------------------------------------------------


def test_offline_ballots_imported_after_closing_count_when_cast_inside_the_window(
    server_db: Database,
    database_url: str,
    kiosk01: KioskStore,
    sealed: SealedElection,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    inside = [cast_at(kiosk01, sealed, voter_id(i)) for i in range(2)]
    # A kiosk left open past closing (its session refuses, the store alone does not).
    clock.advance(CLOSES - clock.now() + timedelta(minutes=30))
    late = cast_at(kiosk01, sealed, voter_id(2))
    out = export_bundle(kiosk01, tmp_path / "b.isoloir-bundle").path
    # Carried to the server three days after the polls closed.
    later = ManualClock(CLOSES + timedelta(days=3))
    imported = import_bundle(database_url, sealed.folder, out, clock=later)
    assert (imported.accepted, imported.rejected) == (2, {"cast_outside_window": 1})
    with server_db.transaction() as tx:
        codes = {str(r[0]) for r in tx.query("SELECT tracking_code FROM board_entry")}
    assert codes == {str(c.tracking_code) for c in inside}
    assert str(late.tracking_code) not in codes
    # Online uploads keep the server clock's rule: the same moment refuses a fresh one.
    fresh = cast(sealed, "kiosk-01", voter_id(3))
    online = EnvelopeIntake(server_db, sealed.package, later)
    item = UploadItem(fresh.envelope, fresh.receipt_signature)
    [answer] = online.upload(KioskId("kiosk-01"), [item])
    assert answer.reason is Reason.OUTSIDE_WINDOW
    # A refusal stores nothing: a second import answers the same.
    again = import_bundle(database_url, sealed.folder, out, clock=later)
    assert (again.accepted, again.duplicates, again.rejected) == (0, 2, {"cast_outside_window": 1})
    assert ballot_rows(server_db)["board_count"] == 2


# ---- the kiosk's identity ---------------------------------------------------------------------


def test_a_bundle_needs_no_enrollment_and_enrolls_nobody(
    box: FastAPI,
    db: Database,
    portal: PortalTransport,
    database_url: str,
    kiosk01: KioskStore,
    sealed: SealedElection,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    casts = [cast_at(kiosk01, sealed, voter_id(i)) for i in range(2)]
    out = export_bundle(kiosk01, tmp_path / "b").path
    assert import_bundle(database_url, sealed.folder, out, clock=clock).accepted == 2
    with client(sealed, "kiosk-01", clock, transport=portal) as online:
        refused = online.whoami()
        assert isinstance(refused, ServerFailure)
        assert refused.code == "kiosk_not_enrolled"
        token = issue_token(db, "kiosk-01", timedelta(hours=1), clock).token
        assert isinstance(online.enroll(token), KioskIdentity)
        assert isinstance(online.whoami(), KioskIdentity)
        # Its next online sync learns that the bundle's envelopes are in the ballot box.
        answers = online.upload([c.envelope for c in casts])
    assert not isinstance(answers, ServerFailure)
    assert [(a.status, a.accepted) for a in answers] == [(UploadStatus.DUPLICATE, True)] * 2
    assert kiosk_rows(db) == [("kiosk-01", "active", 1)]


def test_a_revoked_kiosks_bundle_is_refused(
    server_db: Database,
    database_url: str,
    kiosk01: KioskStore,
    sealed: SealedElection,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    cast_at(kiosk01, sealed, voter_id(0))
    out = export_bundle(kiosk01, tmp_path / "b").path
    with server_db.transaction(write=True) as tx:
        kiosks.upsert_kiosk(tx, KioskId("kiosk-01"), bytes(32), isoformat_utc(clock.now()))
        tx.execute("UPDATE kiosk SET status = 'revoked'")
    with pytest.raises(BundleRefused) as refused:
        import_bundle(database_url, sealed.folder, out, clock=clock)
    assert refused.value.code == "kiosk_revoked"
    assert ballot_rows(server_db) == EMPTY_BOX
