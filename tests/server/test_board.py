"""The public board on SQLite and PostgreSQL: its head signed by the server's key, the whole board
in the record's format (streamed, by pages), one entry by tracking code, the server key kept
across restarts, and an exported record that ``tally aggregate``, the trustees, ``tally combine``
and ``verify record`` take as it is."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Final

import anyio.from_thread
import httpx
import psycopg
import pytest
from fastapi import FastAPI

from kiosk.cli import main as isoloir
from kiosk.clock import ManualClock, isoformat_utc
from kiosk.crypto.ballot import seal
from kiosk.crypto.envelope import encode_envelope, sign_envelope
from kiosk.election import signing
from kiosk.election.model import ElectionId, KioskId, ListId, ScrutinId
from kiosk.record import board as board_io
from kiosk.record.board import BoardHead, genesis
from kiosk.record.layout import RecordLayout
from kiosk.record.signed_head import (
    SIGNED_HEAD_FILE,
    parse_signed_head,
    sign_head,
    verify_signed_head,
)
from kiosk.sync.client import KioskIdentity, ServerClient, UploadStatus
from kiosk.trustee.demo import DEMO_PASSPHRASE
from kiosk.verifier import verify_record
from server.app import SMALL_BODY_BYTES, create_app, server_state
from server.board import ServerKeyError
from server.record_export import export_record
from server.settings import ServerSettings, SettingsError
from server.storage import migrations
from server.storage.database import Database
from server.storage.election import bind
from tests.server.ballots import (  # noqa: F401 - the *_fixture names are fixtures
    Cast,
    SealedElection,
    ballot_rows,
    box_fixture,
    cast,
    db_fixture,
    enroll_all,
    kiosks_fixture,
    portal_fixture,
    sealed_fixture,
    upload_body,
    voter_id,
)
from tests.server.conftest import BASE_URL
from tests.server.harness import Election, PortalTransport, signed_headers

CHOICES = (("cap", "l0"), ("cap", "l1"), ("cap", "l0"), ("capn", "blank"), ("capn", "l2"))


@pytest.fixture
def web(portal: PortalTransport) -> Iterator[httpx.Client]:
    """Anyone's browser or script: no signature, no enrollment."""
    with httpx.Client(transport=portal, base_url=BASE_URL) as client:
        yield client


def cast_some(
    sealed: SealedElection, kiosks: Callable[[str], ServerClient], count: int = len(CHOICES)
) -> list[Cast]:
    """Voters 0.. cast CHOICES in turn, at kiosks 01, 02, 03, 01, ..."""
    casts = [
        cast(sealed, f"kiosk-0{i % 3 + 1}", voter_id(i), scrutin, choice)
        for i, (scrutin, choice) in enumerate(CHOICES[:count])
    ]
    for one_cast in casts:
        [answer] = kiosks(one_cast.kiosk_id).upload([one_cast.envelope])  # type: ignore[misc]
        assert answer.status is UploadStatus.ACCEPTED
    return casts


def server_key(web: httpx.Client) -> bytes:
    answer = web.get("/v1/server-key")
    assert answer.status_code == 200
    body = answer.json()
    key = base64.b64decode(body["public_key"])
    assert body == {
        "algorithm": "ed25519",
        "public_key": body["public_key"],
        "sha256": hashlib.sha256(key).hexdigest(),
    }
    return key


def test_the_empty_board_has_the_genesis_as_its_signed_head(
    web: httpx.Client, sealed: SealedElection, clock: ManualClock
) -> None:
    answer = web.get("/v1/board/head")
    assert answer.status_code == 200
    signed = parse_signed_head(answer.content, "head")
    assert signed.to_json() == answer.content  # canonical, exactly the documented form
    assert verify_signed_head(signed, server_key(web))
    assert signed.head == BoardHead(
        ElectionId(sealed.election_id), 0, genesis(sealed.context.base_hash)
    )
    assert (signed.fingerprint, signed.signed_at) == (
        sealed.package.fingerprint,
        isoformat_utc(clock.now()),
    )
    board = web.get("/v1/board")
    assert (board.status_code, board.content) == (200, b"")
    assert board.headers["content-type"].startswith("application/jsonl")
    assert board.headers["x-isoloir-board-count"] == "0"


def test_the_board_is_the_records_board_and_its_signed_head_verifies(
    web: httpx.Client,
    kiosks: Callable[[str], ServerClient],
    sealed: SealedElection,
    clock: ManualClock,
) -> None:
    casts = cast_some(sealed, kiosks)
    signed = parse_signed_head(web.get("/v1/board/head").content, "head")
    assert verify_signed_head(signed, server_key(web))
    assert signed.head.count == len(casts)
    whole = web.get("/v1/board")
    assert whole.headers["x-isoloir-board-count"] == str(len(casts))
    assert whole.headers["x-isoloir-board-head"] == signed.head.head.hex()
    entries = board_io.parse_board(whole.content)
    board_io.check_chain(entries, sealed.context.base_hash, signed.head)
    assert {e.tracking_code for e in entries} == {c.tracking_code for c in casts}
    # No voter, no envelope id, no time: exactly the record's fields.
    assert set(json.loads(whole.content.splitlines()[0])) == {
        "seq", "scrutin_id", "ballot", "tracking_code", "kiosk_id", "kiosk_signature",
        "prev_hash", "hash",
    }  # fmt: skip
    pages = b"".join(web.get("/v1/board", params={"after": a, "limit": 2}).content
                     for a in range(0, len(casts), 2))  # fmt: skip
    assert pages == whole.content
    assert web.get("/v1/board", params={"after": 3, "limit": 1}).content == entries[3].to_line()
    # A signature over another head, or by another key, does not verify.
    forged = sign_head(sealed.outsider_key, signed.head, fingerprint=signed.fingerprint,
                       signed_at=signed.signed_at)  # fmt: skip
    assert verify_signed_head(forged)
    assert not verify_signed_head(forged, signed.server_key)
    clock.advance(timedelta(minutes=1))
    later = parse_signed_head(web.get("/v1/board/head").content, "head")
    assert later.head == signed.head
    assert later.signed_at != signed.signed_at


def test_an_entry_is_found_by_its_tracking_code_as_people_type_it(
    web: httpx.Client, kiosks: Callable[[str], ServerClient], sealed: SealedElection
) -> None:
    casts = cast_some(sealed, kiosks, 2)
    whole = board_io.parse_board(web.get("/v1/board").content)
    typed = casts[1].tracking_code.replace("-", " ").lower()
    found = web.get(f"/v1/board/entries/{typed}")
    assert found.status_code == 200
    entry = next(e for e in whole if e.tracking_code == casts[1].tracking_code)
    assert found.content + b"\n" == entry.to_line()
    assert found.json()["kiosk_signature"] == base64.b64encode(casts[1].receipt_signature).decode()
    missing = web.get("/v1/board/entries/" + "A" * 32)
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")
    garbage = web.get("/v1/board/entries/not-a-code")
    assert (garbage.status_code, garbage.json()["error"]) == (422, "invalid_request")
    for bad in ({"after": -1}, {"limit": 0}, {"after": "x"}):
        refused = web.get("/v1/board", params=bad)
        assert (refused.status_code, refused.json()["error"]) == (422, "invalid_request")


def key_of(settings: ServerSettings, clock: ManualClock) -> bytes:
    """The public key a server started with ``settings`` serves."""
    app = create_app(settings, clock)
    try:
        with anyio.from_thread.start_blocking_portal() as blocking:
            transport = PortalTransport(app, blocking)
            with httpx.Client(transport=transport, base_url=BASE_URL) as web:
                return server_key(web)
    finally:
        server_state(app).database.close()


def fingerprint(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()


def test_the_server_key_is_kept_in_the_database_and_never_changes(
    database_url: str, sealed: SealedElection, clock: ManualClock, tmp_path: Path
) -> None:
    in_database = ServerSettings(database_url=database_url, package=sealed.folder)
    first = key_of(in_database, clock)
    assert key_of(in_database, clock) == first  # the same key after a restart
    key_file = tmp_path / "keys" / "server-key.pem"
    key_file.parent.mkdir()
    for new in (False, True):
        with_file = ServerSettings(database_url=database_url, package=sealed.folder,
                                   server_key=key_file, new_server_key=new)  # fmt: skip
        with pytest.raises(ServerKeyError) as refused:
            create_app(with_file, clock)
        assert not key_file.exists()  # never created over a database that has another key
    assert fingerprint(first) in str(refused.value)
    # A key file holding another key: refused, naming both fingerprints.
    other = signing.generate()
    signing.save_private_key(other, key_file)
    with pytest.raises(ServerKeyError) as refused:
        create_app(replace(with_file, new_server_key=False), clock)
    assert fingerprint(first) in str(refused.value)
    assert fingerprint(signing.public_bytes(other)) in str(refused.value)
    assert key_of(in_database, clock) == first


def test_a_key_file_is_created_on_request_only_and_recorded(
    sealed: SealedElection, clock: ManualClock, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    key_file = tmp_path / "server-key.pem"
    with_file = ServerSettings(database_url=url, package=sealed.folder, server_key=key_file)
    with pytest.raises(ServerKeyError, match="--new-server-key"):
        create_app(with_file, clock)
    assert not key_file.exists()
    from_file = key_of(replace(with_file, new_server_key=True), clock)
    assert key_file.stat().st_mode & 0o077 == 0
    assert key_of(with_file, clock) == from_file  # restarts take the file as it is
    with Database.open(url) as database, database.transaction() as tx:
        row = tx.query_one("SELECT private_key, public_key FROM server_key")
    assert row == (bytes(32), from_file)  # the public key only: the seed stays in the file
    # Without the file, the server does not make a key of its own in the database ...
    with pytest.raises(ServerKeyError, match=fingerprint(from_file)):
        create_app(ServerSettings(database_url=url, package=sealed.folder), clock)
    # ... and a second host where the file is missing does not make another one.
    elsewhere = tmp_path / "host2" / "server-key.pem"
    elsewhere.parent.mkdir()
    with pytest.raises(ServerKeyError, match=fingerprint(from_file)):
        create_app(replace(with_file, server_key=elsewhere, new_server_key=True), clock)
    assert not elsewhere.exists()
    with pytest.raises(SettingsError):
        ServerSettings(database_url=url, package=sealed.folder, new_server_key=True)


def test_export_record_needs_the_servers_own_key_and_never_makes_one(
    sealed: SealedElection, clock: ManualClock, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    key_file = tmp_path / "server-key.pem"
    # A database no server has started on has no key: the export does not make one.
    with Database.open(url) as database:
        migrations.migrate(database, clock)
        bind(database, sealed.package, clock)
    with pytest.raises(ServerKeyError, match="no server key"):
        export_record(url, sealed.folder, tmp_path / "r0", clock=clock)
    with pytest.raises(ServerKeyError, match="does not exist"):
        export_record(url, sealed.folder, tmp_path / "r0", clock=clock, key_file=key_file)
    assert not key_file.exists()
    served = key_of(ServerSettings(database_url=url, package=sealed.folder,
                                   server_key=key_file, new_server_key=True), clock)  # fmt: skip
    with pytest.raises(ServerKeyError, match="--server-key"):
        export_record(url, sealed.folder, tmp_path / "r1", clock=clock)
    other = tmp_path / "other.pem"
    signing.save_private_key(signing.generate(), other)
    with pytest.raises(ServerKeyError, match=fingerprint(served)):
        export_record(url, sealed.folder, tmp_path / "r1", clock=clock, key_file=other)
    assert not (tmp_path / "r1").exists()
    with Database.open(url) as database, database.transaction() as tx:
        assert tx.query_one("SELECT private_key FROM server_key") == (bytes(32),)
    exported = export_record(url, sealed.folder, tmp_path / "r1", clock=clock, key_file=key_file)
    assert exported.signed.server_key == served
    assert verify_signed_head(exported.signed, served)


def test_the_openapi_schema_publishes_the_board_and_the_upload(web: httpx.Client) -> None:
    paths = web.get("/openapi.json").json()["paths"]
    for path in ("/v1/envelopes", "/v1/board", "/v1/board/head", "/v1/server-key",
                 "/v1/board/entries/{tracking_code}"):  # fmt: skip
        assert path in paths, path
    upload = paths["/v1/envelopes"]["post"]
    assert upload["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "UploadRequest"
    )
    assert "application/jsonl" in paths["/v1/board"]["get"]["responses"]["200"]["content"]


def test_the_metrics_count_envelopes_by_status_and_reason(
    web: httpx.Client, kiosks: Callable[[str], ServerClient], sealed: SealedElection
) -> None:
    casts = cast_some(sealed, kiosks, 1)
    kiosks("kiosk-01").upload([casts[0].envelope])
    again = cast(sealed, "kiosk-02", voter_id(0), "cap")
    kiosks("kiosk-02").upload([again.envelope])
    text = web.get("/metrics").text
    assert 'isoloir_envelopes_total{reason="",status="accepted"} 1.0' in text
    assert 'isoloir_envelopes_total{reason="",status="duplicate"} 1.0' in text
    assert 'isoloir_envelopes_total{reason="already_voted",status="rejected"} 1.0' in text


# ---- an unsealed package: no board yet ----------------------------------------------------------


def test_an_unsealed_package_has_no_board_and_takes_no_ballot(
    election: Election,
    sealed: SealedElection,
    http: httpx.Client,
    kiosk_client: Callable[[str], ServerClient],
    token_for: Callable[..., str],
) -> None:
    """The conftest's app serves the unsealed test package (before the key ceremony)."""
    head = http.get("/v1/board/head")
    assert (head.status_code, head.json()["error"]) == (404, "not_found")
    assert http.get("/v1/board").status_code == 404
    kiosk = kiosk_client("kiosk-01")
    assert isinstance(kiosk.enroll(token_for("kiosk-01")), KioskIdentity)
    # A ballot sealed under another election's key, wrapped by this election's kiosk: nothing
    # can be checked before the ceremony, whatever it holds.
    scrutin = sealed.package.manifest.scrutin(ScrutinId("cap"))
    ballot = seal(sealed.context, scrutin, ListId("l0")).cast()
    envelope = sign_envelope(
        election.kiosk_keys["kiosk-01"],
        election_id=ElectionId(election.election_id),
        scrutin_id=scrutin.id,
        voter_id=voter_id(1),
        ballot=ballot,
        kiosk_id=KioskId("kiosk-01"),
    )
    [answer] = kiosk.upload([encode_envelope(envelope)])  # type: ignore[misc]
    assert (answer.status, answer.reason) == (UploadStatus.REJECTED, "election_not_sealed")


# ---- the exported record, tallied and verified ------------------------------------------------


def test_an_exported_record_is_tallied_decrypted_and_verified(
    box: FastAPI,
    db: Database,
    web: httpx.Client,
    kiosks: Callable[[str], ServerClient],
    sealed: SealedElection,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cast_some(sealed, kiosks)
    refused = cast(sealed, "kiosk-03", voter_id(0), "cap")  # voter 0 voted at kiosk-01
    [conflict] = kiosks("kiosk-03").upload([refused.envelope])  # type: ignore[misc]
    assert conflict.reason == "already_voted"
    served = parse_signed_head(web.get("/v1/board/head").content, "head")
    url = db.url.target if db.url.backend.value == "postgresql" else f"sqlite:///{db.url.target}"
    record = tmp_path / "record"
    capsys.readouterr()
    assert isoloir(["server", "export-record", "--db", url, "--package", str(sealed.folder),
                    "--out", str(record)]) == 0  # fmt: skip
    assert f"{len(CHOICES)} ballots on the board" in capsys.readouterr().out
    layout = RecordLayout(record)
    entries, head = (
        board_io.parse_board(layout.board.read_bytes()),
        board_io.parse_head(layout.board_head.read_bytes()),
    )
    assert head == served.head
    assert len(entries) == len(CHOICES)
    exported = parse_signed_head((record / SIGNED_HEAD_FILE).read_bytes())
    assert exported.head == head
    assert verify_signed_head(exported, server_key(web))
    # What the trustees and the auditors do next, from the files alone.
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
    # The conflict report names the voter who tried twice, for the administrator only.
    capsys.readouterr()
    assert isoloir(["server", "conflicts", "--db", url, "--json"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert json.loads(line) == {
        "envelope_id": refused.envelope_id.hex(),
        "voter_id": "v0000",
        "scrutin_id": "cap",
        "refused_kiosk_id": "kiosk-03",
        "counted_kiosk_id": "kiosk-01",
        "detected_at": json.loads(line)["detected_at"],
    }
    assert isoloir(["server", "export-record", "--db", url, "--package", str(sealed.folder),
                    "--out", str(record)]) == 1  # never over an existing record  # fmt: skip


# ---- what an unsigned client can make the server do ---------------------------------------------


def signed_post(sealed: SealedElection, clock: ManualClock, kiosk_id: str, body: bytes,
                target: str = "/v1/envelopes") -> dict[str, str]:  # fmt: skip
    headers = signed_headers(sealed.kiosk_keys[kiosk_id], election_id=sealed.election_id,
                             kiosk_id=kiosk_id, timestamp=int(clock.now().timestamp()),
                             method="POST", target=target, body=body)  # fmt: skip
    return {**headers, "content-type": "application/json"}


DEEP: Final = b"[" * 50_000 + b"]" * 50_000
HUGE_NUMBER: Final = b'{"envelopes": [' + b"9" * 5_000 + b"]}"


def test_a_kiosk_route_checks_the_signature_headers_before_reading_the_body(
    web: httpx.Client, sealed: SealedElection, clock: ManualClock
) -> None:
    def refused(headers: dict[str, str]) -> tuple[int, str]:
        answer = web.post("/v1/envelopes", content=DEEP, headers=headers)
        return answer.status_code, answer.json()["error"]

    assert refused({"content-type": "application/json"}) == (401, "unsigned")
    bad = {**signed_post(sealed, clock, "kiosk-01", DEEP), "X-Isoloir-Nonce": "zz"}
    assert refused(bad) == (401, "bad_signature_headers")
    stranger = signed_headers(sealed.outsider_key, election_id=sealed.election_id,
                              kiosk_id="kiosk-99", timestamp=0)  # fmt: skip
    assert refused(stranger) == (401, "unknown_kiosk")
    # Listed in the package, not enrolled yet (no kiosk is, here).
    assert refused(signed_post(sealed, clock, "kiosk-01", DEEP)) == (401, "kiosk_not_enrolled")
    # Requests that show no kiosk signature are held to a small body.
    big = web.post("/v1/board/lookup", content=b"x" * (SMALL_BODY_BYTES + 1))
    assert (big.status_code, big.json()["error"]) == (413, "body_too_large")


def test_an_undecodable_json_body_is_told_precisely(
    web: httpx.Client, kiosks: Callable[[str], ServerClient], sealed: SealedElection,
    clock: ManualClock,
) -> None:  # fmt: skip
    for body, why in ((DEEP, "nested too deeply"), (HUGE_NUMBER, "more than 4300 digits")):
        answer = web.post("/v1/envelopes", content=body,
                          headers=signed_post(sealed, clock, "kiosk-01", body))  # fmt: skip
        assert (answer.status_code, answer.json()["error"]) == (422, "invalid_request")
        assert why in answer.json()["detail"]


def test_the_board_is_read_by_pages_of_at_most_10000(
    web: httpx.Client, kiosks: Callable[[str], ServerClient], sealed: SealedElection
) -> None:
    cast_some(sealed, kiosks, 3)
    assert len(board_io.parse_board(web.get("/v1/board").content)) == 3  # 1,000 by default
    for limit in (10_001, 100_000):
        too_many = web.get("/v1/board", params={"limit": limit})
        assert (too_many.status_code, too_many.json()["error"]) == (422, "invalid_request")
    assert len(web.get("/v1/board", params={"limit": 10_000}).content.splitlines()) == 3
    [limit] = [p for p in web.get("/openapi.json").json()["paths"]["/v1/board"]["get"]["parameters"]
               if p["name"] == "limit"]  # fmt: skip
    assert (limit["schema"]["default"], limit["schema"]["maximum"]) == (1_000, 10_000)


# ---- PostgreSQL's lock and statement timeouts ---------------------------------------------------


def test_an_upload_behind_a_held_board_lock_is_503_and_stores_nothing(
    database_url: str, sealed: SealedElection, clock: ManualClock
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's lock_timeout")
    settings = ServerSettings(database_url=database_url, package=sealed.folder,
                              db_lock_timeout=timedelta(milliseconds=300))  # fmt: skip
    app = create_app(settings, clock)
    database = server_state(app).database
    try:
        with anyio.from_thread.start_blocking_portal() as blocking:
            transport = PortalTransport(app, blocking)
            enroll_all(database, sealed, clock, BASE_URL, transport)
            with httpx.Client(transport=transport, base_url=BASE_URL) as web:
                first = cast(sealed, "kiosk-01", voter_id(0), "cap", "l0")
                answer = web.post("/v1/envelopes", content=upload_body(first),
                                  headers=signed_post(sealed, clock, "kiosk-01",
                                                      upload_body(first)))  # fmt: skip
                assert answer.status_code == 200
                before = ballot_rows(database)
                second = cast(sealed, "kiosk-02", voter_id(1), "cap", "l1")
                body = upload_body(second)
                with psycopg.connect(database_url, autocommit=False) as holder:
                    holder.execute("SELECT * FROM board_head FOR UPDATE")
                    started = time.monotonic()
                    headers = signed_post(sealed, clock, "kiosk-02", body)
                    busy = web.post("/v1/envelopes", content=body, headers=headers)
                    waited = time.monotonic() - started
                    assert (busy.status_code, busy.json()["error"]) == (503, "unavailable")
                    assert "lock_timeout" in busy.json()["detail"]
                    assert busy.headers["retry-after"] == "1"
                    assert waited < 5
                    assert ballot_rows(database) == before
                # The lock gone, the kiosk's retry goes through.
                again = web.post("/v1/envelopes", content=body,
                                 headers=signed_post(sealed, clock, "kiosk-02", body))  # fmt: skip
                assert again.status_code == 200
                assert ballot_rows(database)["board_count"] == before["board_count"] + 1
    finally:
        database.close()
