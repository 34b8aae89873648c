"""The batch path of envelope upload on SQLite and PostgreSQL: a batch is read and written a
statement per table (server/storage/board.py), and still answers each envelope as if it came
alone: a voter twice in one batch, new and retried envelopes mixed, one tracking code twice, a
voter who voted before; a retry of the whole batch gets every answer again, byte for byte."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from kiosk.clock import ManualClock
from kiosk.crypto.envelope import decode_envelope, encode_envelope, sign_envelope
from kiosk.crypto.receipt import sign_receipt
from kiosk.crypto.tracking import TrackingCode
from kiosk.election.model import KioskId, ScrutinId, VoterId
from kiosk.sync.client import ServerClient
from server.envelopes import EnvelopeIntake, Reason, Status, UploadItem
from server.storage import board as rows
from server.storage.board import NewAnswer, Outcome
from server.storage.database import ConstraintViolation, Database, DatabaseUnavailable
from tests.server.ballots import (  # noqa: F401 - the *_fixture names are fixtures
    Cast,
    SealedElection,
    ballot_rows,
    box_fixture,
    cast,
    db_fixture,
    kiosks_fixture,
    portal_fixture,
    sealed_fixture,
    upload_body,
    voter_id,
)
from tests.server.conftest import BASE_URL
from tests.server.harness import PortalTransport, signed_headers

ENVELOPES = "/v1/envelopes"
KIOSKS = ("kiosk-01", "kiosk-02", "kiosk-03")


def post(
    portal: PortalTransport, sealed: SealedElection, clock: ManualClock, *casts: Cast
) -> list[dict[str, object]]:
    """One signed upload of ``casts`` by kiosk-01 over HTTP; the answers, in order."""
    body = upload_body(*casts)
    headers = signed_headers(
        sealed.kiosk_keys["kiosk-01"],
        election_id=sealed.election_id,
        kiosk_id="kiosk-01",
        timestamp=int(clock.now().timestamp()),
        method="POST",
        target=ENVELOPES,
        body=body,
    )
    headers["Content-Type"] = "application/json"
    with httpx.Client(transport=portal, base_url=BASE_URL) as http:
        response = http.post(ENVELOPES, content=body, headers=headers)
    assert response.status_code == 200, response.text
    answers: list[dict[str, object]] = response.json()["answers"]
    return answers


def raw_answers(response_answers: list[dict[str, object]]) -> list[bytes]:
    """Each answer's ``answer`` object as canonical bytes (the server sends it canonical)."""
    return [
        json.dumps(a["answer"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        for a in response_answers
    ]


def copy_ballot(
    sealed: SealedElection, original: Cast, voter: VoterId, kiosk_id: str | None = None
) -> Cast:
    """Another voter's envelope carrying ``original``'s ballot, signed by a kiosk (the
    original's unless named): a copied ballot, which only its tracking code gives away."""
    kiosk = kiosk_id or original.kiosk_id
    key = sealed.kiosk_keys[kiosk]
    opened = replace(decode_envelope(original.envelope), kiosk_id=KioskId(kiosk))
    envelope = sign_envelope(
        key,
        election_id=opened.election_id,
        scrutin_id=opened.scrutin_id,
        voter_id=voter,
        ballot=opened.ballot,
        kiosk_id=opened.kiosk_id,
    )
    receipt = sign_receipt(
        key,
        election_fingerprint=sealed.package.fingerprint,
        scrutin_id=opened.scrutin_id,
        tracking_code=original.tracking_code,
        kiosk_id=opened.kiosk_id,
    )
    return Cast(
        envelope.envelope_id,
        encode_envelope(envelope),
        receipt.signature,
        original.tracking_code,
        kiosk,
    )


def board_chain_ok(db: Database) -> list[int]:
    """The board's seqs; each entry's prev_hash is the previous entry's hash, the head the last."""
    with db.transaction() as tx:
        entries = tx.query("SELECT seq, prev_hash, entry_hash FROM board_entry ORDER BY seq")
        head = tx.query_one("SELECT entry_count, head_hash FROM board_head")
    for before, after in itertools.pairwise(entries):
        assert after[1] == before[2]
    assert head == (len(entries), entries[-1][2])
    return [int(str(seq)) for seq, _, _ in entries]


def test_a_batch_mixing_new_retried_and_reused_envelopes(
    kiosks: Callable[[str], ServerClient],
    portal: PortalTransport,
    sealed: SealedElection,
    clock: ManualClock,
    db: Database,
) -> None:
    a, b = cast(sealed, "kiosk-01", voter_id(1)), cast(sealed, "kiosk-01", voter_id(2))
    first = post(portal, sealed, clock, a, b)
    assert [item["status"] for item in first] == ["accepted", "accepted"]
    other = decode_envelope(cast(sealed, "kiosk-01", voter_id(3)).envelope)
    reused = sign_envelope(
        sealed.kiosk_keys["kiosk-01"], election_id=other.election_id,
        scrutin_id=other.scrutin_id, voter_id=other.voter_id, ballot=other.ballot,
        kiosk_id=other.kiosk_id, envelope_id=b.envelope_id,
    )  # fmt: skip
    b_reused = Cast(b.envelope_id, encode_envelope(reused), b.receipt_signature,
                    TrackingCode(""), "kiosk-01")  # fmt: skip
    c, d = cast(sealed, "kiosk-01", voter_id(4)), cast(sealed, "kiosk-01", voter_id(5), "capn")
    mixed = post(portal, sealed, clock, c, a, b_reused, d, a)
    assert [(item["status"], item["answer"]["reason"]) for item in mixed] == [  # type: ignore[index]
        ("accepted", None),
        ("duplicate", None),
        ("rejected", "envelope_id_reused"),
        ("accepted", None),
        ("duplicate", None),
    ]
    # The retried envelope's answer is the one first sent, byte for byte.
    assert raw_answers(mixed)[1] == raw_answers(mixed)[4] == raw_answers(first)[0]
    counts = ballot_rows(db)
    assert (counts["board_entry"], counts["emargement"], counts["envelope_receipt"]) == (4, 4, 4)
    assert board_chain_ok(db) == [1, 2, 3, 4]


def test_one_tracking_code_twice_in_a_batch_and_one_already_on_the_board(
    kiosks: Callable[[str], ServerClient],
    portal: PortalTransport,
    sealed: SealedElection,
    clock: ManualClock,
    db: Database,
) -> None:
    on_board = cast(sealed, "kiosk-01", voter_id(1))
    assert post(portal, sealed, clock, on_board)[0]["status"] == "accepted"
    fresh = cast(sealed, "kiosk-01", voter_id(2))
    twin = copy_ballot(sealed, fresh, voter_id(3))  # voter 3 sorts after voter 2: 2 wins
    copied = copy_ballot(sealed, on_board, voter_id(4))
    honest = cast(sealed, "kiosk-01", voter_id(5))
    before = ballot_rows(db)
    batch = (twin, copied, fresh, honest)
    for attempt in range(2):  # the refusals stored nothing: a retry is refused the same way
        answers = post(portal, sealed, clock, *batch)
        statuses = [(item["status"], item["answer"]["reason"]) for item in answers]  # type: ignore[index]
        expected_accepted = "accepted" if attempt == 0 else "duplicate"
        assert statuses == [
            ("rejected", "duplicate_tracking_code"),
            ("rejected", "duplicate_tracking_code"),
            (expected_accepted, None),
            (expected_accepted, None),
        ]
    after = ballot_rows(db)
    assert after["board_entry"] == before["board_entry"] + 2
    assert after["emargement"] == before["emargement"] + 2  # voters 3 and 4 have not voted
    assert after["envelope_receipt"] == before["envelope_receipt"] + 2
    with db.transaction() as tx:
        voters = {str(row[0]) for row in tx.query("SELECT voter_id FROM emargement")}
    assert voters == {voter_id(1), voter_id(2), voter_id(5)}
    # Voter 3 can still vote with a ballot of their own.
    assert post(portal, sealed, clock, cast(sealed, "kiosk-01", voter_id(3)))[0]["status"] == (
        "accepted"
    )
    assert board_chain_ok(db) == [1, 2, 3, 4]


def test_a_voter_twice_in_a_batch_and_one_who_voted_before_are_conflicts(
    kiosks: Callable[[str], ServerClient],
    portal: PortalTransport,
    sealed: SealedElection,
    clock: ManualClock,
    db: Database,
) -> None:
    earlier = cast(sealed, "kiosk-01", voter_id(6))
    assert post(portal, sealed, clock, earlier)[0]["status"] == "accepted"
    twice = [cast(sealed, "kiosk-01", voter_id(5)) for _ in range(2)]
    again = cast(sealed, "kiosk-01", voter_id(6))
    both_scrutins = [cast(sealed, "kiosk-01", voter_id(7), s) for s in ("cap", "capn")]
    batch = (*twice, again, *both_scrutins)
    answers = post(portal, sealed, clock, *batch)
    voter5 = sorted(str(item["answer"]["reason"]) for item in answers[:2])  # type: ignore[index]
    assert voter5 == ["None", "already_voted"]  # either may win: the batch is shuffled
    assert answers[2]["answer"]["reason"] == "already_voted"  # type: ignore[index]
    assert [item["status"] for item in answers[3:]] == ["accepted", "accepted"]
    counts = ballot_rows(db)
    assert (counts["board_entry"], counts["emargement"], counts["emargement_conflict"]) == (4, 4, 2)
    with db.transaction() as tx:
        conflicts = {(c.voter_id, c.scrutin_id, c.refused_kiosk_id) for c in rows.conflicts(tx)}
    assert conflicts == {(voter_id(5), "cap", "kiosk-01"), (voter_id(6), "cap", "kiosk-01")}
    # The whole batch again: every answer as first sent, byte for byte, nothing new stored.
    retried = post(portal, sealed, clock, *batch)
    assert [item["status"] for item in retried] == ["duplicate"] * 5
    assert raw_answers(retried) == raw_answers(answers)
    assert ballot_rows(db) == counts
    assert board_chain_ok(db) == [1, 2, 3, 4]


def test_an_intake_batch_with_nothing_to_store_leaves_the_board_untouched(
    kiosks: Callable[[str], ServerClient], sealed: SealedElection, clock: ManualClock, db: Database
) -> None:
    """The library call bundles use too: a batch of which nothing can be stored writes no row,
    not even the board head's."""
    intake = EnvelopeIntake(db, sealed.package, clock)
    good = cast(sealed, "kiosk-02", voter_id(1))
    [accepted] = intake.upload(
        KioskId("kiosk-02"), [UploadItem(good.envelope, good.receipt_signature)]
    )
    assert accepted.status is Status.ACCEPTED
    before = ballot_rows(db)
    copied = copy_ballot(sealed, good, voter_id(2))
    [refused] = intake.upload(
        KioskId("kiosk-02"), [UploadItem(copied.envelope, copied.receipt_signature)]
    )
    assert (refused.status, refused.reason) == (Status.REJECTED, Reason.DUPLICATE_TRACKING_CODE)
    assert ballot_rows(db) == before


# ---- the batch queries themselves (server/storage/board.py) -------------------------------------


@pytest.fixture(name="kiosk_row")
def kiosk_row_fixture(db: Database, sealed: SealedElection) -> KioskId:
    from server.storage.kiosks import upsert_kiosk

    kiosk_id = KioskId("kiosk-01")
    with db.transaction(write=True) as tx:
        upsert_kiosk(tx, kiosk_id, bytes(32), "2026-01-01T00:00:00Z")
    return kiosk_id


def test_batch_reads_span_more_than_one_statement_s_worth(db: Database, kiosk_row: KioskId) -> None:
    many = rows.CHUNK + 7
    voters = [VoterId(f"w{i:05d}") for i in range(many)]
    cap = ScrutinId("cap")
    with db.transaction(write=True) as tx:
        rows.record_emargements(tx, [(voter, cap, kiosk_row) for voter in voters[::2]])
        rows.insert_answers(
            tx,
            [
                NewAnswer(
                    i.to_bytes(16, "big"), kiosk_row, cap, bytes(32), Outcome.ACCEPTED, None, f"{i}"
                )
                for i in range(many)
            ],
        )
    with db.transaction() as tx:
        asked = [(voter, cap) for voter in voters] + [(voters[0], ScrutinId("capn"))]
        voted = rows.voted_among(tx, asked)
        found = rows.find_answers(tx, [i.to_bytes(16, "big") for i in range(0, many + 5)])
        codes = rows.taken_tracking_codes(tx, [TrackingCode(f"c{i}") for i in range(many)])
    assert voted == {(voter, cap) for voter in voters[::2]}
    assert sorted(found) == [i.to_bytes(16, "big") for i in range(many)]
    assert found[(many - 1).to_bytes(16, "big")].answer == f"{many - 1}"
    assert codes == set()


def test_an_emargement_written_outside_the_lock_breaks_the_insert_and_nothing_stays(
    db: Database, kiosk_row: KioskId
) -> None:
    cap = ScrutinId("cap")
    with db.transaction(write=True) as tx:
        rows.record_emargements(tx, [(VoterId("w1"), cap, kiosk_row)])
    with pytest.raises(ConstraintViolation), db.transaction(write=True) as tx:
        rows.record_emargements(
            tx, [(VoterId("w0"), cap, kiosk_row), (VoterId("w1"), cap, kiosk_row)]
        )
    with db.transaction() as tx:
        assert tx.query("SELECT voter_id FROM emargement") == [("w1",)]


def test_a_single_statement_transaction_runs_one_statement_and_commits_it(
    db: Database, kiosk_row: KioskId
) -> None:
    with db.transaction(write=True, single=True) as tx:
        rows.record_emargements(tx, [(VoterId("w2"), ScrutinId("cap"), kiosk_row)])
    with db.transaction(single=True) as tx:
        assert tx.query("SELECT voter_id FROM emargement") == [("w2",)]
    with db.transaction(single=True) as tx:
        tx.query("SELECT 1")
        with pytest.raises(RuntimeError, match="second statement"):
            tx.query("SELECT 2")


def test_uploads_waiting_together_are_stored_in_one_group_commit(
    kiosks: Callable[[str], ServerClient], sealed: SealedElection, clock: ManualClock, db: Database
) -> None:
    """Uploads of three kiosks queued while a transaction runs are stored by the next one, all
    together: each still gets its own answers, its kiosk on its rows, conflicts across them."""
    intake = EnvelopeIntake(db, sealed.package, clock)
    shared = cast(sealed, "kiosk-01", voter_id(1))
    uploads = {
        "kiosk-01": [shared, cast(sealed, "kiosk-01", voter_id(2))],
        "kiosk-02": [cast(sealed, "kiosk-02", voter_id(3)), cast(sealed, "kiosk-02", voter_id(1))],
        "kiosk-03": [
            copy_ballot(sealed, shared, voter_id(4), "kiosk-03"),
            cast(sealed, "kiosk-03", voter_id(5)),
        ],
    }
    results: dict[str, list[tuple[Status, Reason | None]]] = {}

    def upload(kiosk_id: str) -> None:
        items = [UploadItem(c.envelope, c.receipt_signature) for c in uploads[kiosk_id]]
        results[kiosk_id] = [(a.status, a.reason) for a in intake.upload(KioskId(kiosk_id), items)]

    threads = [threading.Thread(target=upload, args=(k,)) for k in uploads]
    with intake._writing:  # a transaction running: the uploads queue behind it
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(intake._queue) < len(threads):  # checked, queued: no sleep, a bounded spin
            assert time.monotonic() < deadline, "the uploads did not queue"
            time.sleep(0)
    for thread in threads:
        thread.join(60)
    # kiosk-01's voter 1 sorts before kiosk-02's? Both name voter 1: exactly one is accepted.
    voter1 = sorted([results["kiosk-01"][0], results["kiosk-02"][1]], key=str)
    assert voter1 == [(Status.ACCEPTED, None), (Status.REJECTED, Reason.ALREADY_VOTED)]
    assert results["kiosk-01"][1] == results["kiosk-02"][0] == (Status.ACCEPTED, None)
    # The copied ballot loses to the original only if the original was accepted.
    shared_won = results["kiosk-01"][0][0] is Status.ACCEPTED
    assert results["kiosk-03"][0] == (
        (Status.REJECTED, Reason.DUPLICATE_TRACKING_CODE) if shared_won else (Status.ACCEPTED, None)
    )
    assert results["kiosk-03"][1] == (Status.ACCEPTED, None)
    with db.transaction() as tx:
        by_voter = dict(tx.query("SELECT voter_id, kiosk_id FROM emargement"))
        [conflict] = rows.conflicts(tx)
        board_kiosks = sorted(str(row[0]) for row in tx.query("SELECT kiosk_id FROM board_entry"))
    assert by_voter[voter_id(2)] == "kiosk-01"
    assert by_voter[voter_id(3)] == "kiosk-02"
    assert by_voter[voter_id(5)] == "kiosk-03"
    assert by_voter[voter_id(1)] == ("kiosk-01" if shared_won else "kiosk-02")
    assert conflict.refused_kiosk_id == ("kiosk-02" if shared_won else "kiosk-01")
    expected = ["kiosk-01", "kiosk-01", "kiosk-02", "kiosk-03"]
    if not shared_won:  # kiosk-02's ballot of voter 1, and the copy (now the only one)
        expected = ["kiosk-01", "kiosk-02", "kiosk-02", "kiosk-03", "kiosk-03"]
    assert board_kiosks == expected
    assert board_chain_ok(db) == list(range(1, len(expected) + 1))


def test_a_group_commit_that_fails_fails_every_upload_in_it_and_stores_nothing(
    kiosks: Callable[[str], ServerClient], sealed: SealedElection, clock: ManualClock, db: Database
) -> None:
    intake = EnvelopeIntake(db, sealed.package, clock)
    uploads = {k: cast(sealed, k, voter_id(n)) for n, k in enumerate(KIOSKS, start=1)}
    before = ballot_rows(db)
    failures: dict[str, BaseException] = {}

    def upload(kiosk_id: str) -> None:
        sent = uploads[kiosk_id]
        try:
            intake.upload(KioskId(kiosk_id), [UploadItem(sent.envelope, sent.receipt_signature)])
        except DatabaseUnavailable as exc:
            failures[kiosk_id] = exc

    threads = [threading.Thread(target=upload, args=(k,)) for k in uploads]
    with intake._writing:  # the uploads are checked and queued, then the database goes away
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(intake._queue) < len(threads):  # a bounded spin, no sleep
            assert time.monotonic() < deadline, "the uploads did not queue"
            time.sleep(0)
        db.close()
    for thread in threads:
        thread.join(60)
    assert sorted(failures) == sorted(uploads)  # each upload answered 503: the kiosk retries
    with Database.open(db.url) as reopened:
        assert ballot_rows(reopened) == before
