"""Envelope upload on SQLite and PostgreSQL: real sealed ballots from the kiosk's code, accepted
once, answered again byte for byte, refused with a reason and nothing stored, and one voter's
fifty concurrent casts at three kiosks over real HTTP counted exactly once."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from kiosk.clock import ManualClock
from kiosk.crypto.ballot import decode_ballot, encode_ballot, seal
from kiosk.crypto.envelope import decode_envelope, encode_envelope, sign_envelope
from kiosk.crypto.receipt import sign_receipt
from kiosk.crypto.tracking import tracking_code
from kiosk.election.model import KioskId, ListId, ScrutinId
from kiosk.encoding import canonical_json
from kiosk.sync.client import (
    FailureKind,
    ServerClient,
    ServerFailure,
    UploadAnswer,
    UploadStatus,
)
from server.envelopes import (
    CLOSING_GRACE,
    OPENING_GRACE,
    EnvelopeIntake,
    Reason,
    UploadItem,
)
from server.record_export import conflict_report
from server.settings import DEFAULT_MAX_CLOCK_SKEW
from server.storage.board import Conflict
from server.storage.database import Database
from tests.factories import CLOSES
from tests.server.ballots import (  # noqa: F401 - the *_fixture names are fixtures
    Cast,
    SealedElection,
    ballot_rows,
    box_fixture,
    cast,
    client,
    db_fixture,
    enroll_all,
    flip_byte,
    kiosks_fixture,
    portal_fixture,
    sealed_fixture,
    upload_body,
    voter_id,
)
from tests.server.conftest import BASE_URL
from tests.server.harness import KIOSK_IDS, PortalTransport, ServerThread, signed_headers

ENVELOPES = "/v1/envelopes"


def signed_post(
    portal: PortalTransport,
    sealed: SealedElection,
    clock: ManualClock,
    body: bytes,
    kiosk_id: str = "kiosk-01",
    *,
    key_of: str | None = None,
    nonce: bytes | None = None,
) -> httpx.Response:
    key = sealed.kiosk_keys.get(key_of or kiosk_id, sealed.outsider_key)
    headers = signed_headers(
        key,
        election_id=sealed.election_id,
        kiosk_id=kiosk_id,
        timestamp=int(clock.now().timestamp()),
        method="POST",
        target=ENVELOPES,
        body=body,
        nonce=nonce,
    )
    headers["Content-Type"] = "application/json"
    with httpx.Client(transport=portal, base_url=BASE_URL) as http:
        return http.post(ENVELOPES, content=body, headers=headers)


def one(answers: list[UploadAnswer] | ServerFailure) -> UploadAnswer:
    assert isinstance(answers, list), answers
    assert len(answers) == 1
    return answers[0]


# ---- accepted, and the same answer again --------------------------------------------------------


def test_an_envelope_is_accepted_once_and_a_retry_gets_the_same_bytes(
    kiosks: Callable[[str], ServerClient],
    portal: PortalTransport,
    sealed: SealedElection,
    clock: ManualClock,
    db: Database,
) -> None:
    first = cast(sealed, "kiosk-01", voter_id(1), "cap")
    answer = one(kiosks("kiosk-01").upload([first.envelope]))
    assert (answer.status, answer.accepted, answer.reason) == (UploadStatus.ACCEPTED, True, None)
    assert answer.envelope_id == first.envelope_id
    assert ballot_rows(db) == {
        "emargement": 1,
        "envelope_receipt": 1,
        "emargement_conflict": 0,
        "board_entry": 1,
        "board_head": 1,
        "board_count": 1,
    }
    # A retry (the answer was lost): the earlier answer, byte for byte, and nothing new.
    raw = [signed_post(portal, sealed, clock, upload_body(first)) for _ in range(2)]
    with db.transaction() as tx:
        row = tx.query_one("SELECT answer FROM envelope_receipt")
    assert row is not None
    stored = str(row[0]).encode("utf-8")
    for response in raw:
        assert response.status_code == 200
        assert response.content == b'{"answers":[{"answer":' + stored + b',"status":"duplicate"}]}'
    assert json.loads(stored) == {
        "envelope_id": first.envelope_id.hex(),
        "outcome": "accepted",
        "reason": None,
        "detail": "in the ballot box (déposé dans l'urne)",
    }
    again = one(kiosks("kiosk-01").upload([first.envelope]))
    assert (again.status, again.accepted) == (UploadStatus.DUPLICATE, True)
    assert ballot_rows(db)["board_entry"] == 1
    # The board holds the ballot, its code and the receipt's signature, and no voter.
    with db.transaction() as tx:
        entry = tx.query_one("SELECT ballot, tracking_code, kiosk_signature FROM board_entry")
    ballot = encode_ballot(decode_envelope(first.envelope).ballot)
    assert entry == (ballot, first.tracking_code, first.receipt_signature)


def test_a_batch_gets_one_answer_per_envelope_in_order(
    kiosks: Callable[[str], ServerClient], sealed: SealedElection, db: Database
) -> None:
    casts = [cast(sealed, "kiosk-02", voter_id(i), scrutin) for i in range(4)
             for scrutin in ("cap", "capn")]  # fmt: skip
    twice = cast(sealed, "kiosk-02", voter_id(1), "cap")  # voter 1 voted in cap in this batch
    envelopes = [c.envelope for c in casts] + [twice.envelope, casts[0].envelope]
    answers = kiosks("kiosk-02").upload(envelopes)
    assert isinstance(answers, list)
    assert [a.envelope_id for a in answers] == [decode_envelope(e).envelope_id for e in envelopes]
    others = answers[1:2] + answers[3:8]
    assert [a.status for a in others] == [UploadStatus.ACCEPTED] * 6
    # Voter 1 twice in cap: the batch is stored in a shuffled order, either envelope may win.
    assert sorted((a.status, a.reason or "") for a in (answers[2], answers[8])) == [
        (UploadStatus.ACCEPTED, ""),
        (UploadStatus.REJECTED, "already_voted"),
    ]
    # The same envelope twice in one batch: the second is a duplicate of the first.
    assert {(a.status, a.accepted) for a in (answers[0], answers[9])} == {
        (UploadStatus.ACCEPTED, True),
        (UploadStatus.DUPLICATE, True),
    }
    with db.transaction() as tx:
        seqs = [row[0] for row in tx.query("SELECT seq FROM board_entry ORDER BY seq")]
    assert seqs == list(range(1, 9))
    assert len(_conflicts(db)) == 1


# ---- refused, with a reason, nothing stored --------------------------------------------------


def _tampered_ballot_signed(sealed: SealedElection) -> Cast:
    """A kiosk that signs a ballot whose proof is broken (one byte): the signatures verify."""
    scrutin = sealed.package.manifest.scrutin(ScrutinId("cap"))
    ballot_bytes = encode_ballot(seal(sealed.context, scrutin, ListId("l0")).cast())
    # A response scalar's lowest byte (little-endian): still below L, no longer a proof.
    broken = decode_ballot(flip_byte(ballot_bytes, len(ballot_bytes) - 32), scrutin)
    key = sealed.kiosk_keys["kiosk-01"]
    envelope = sign_envelope(
        key,
        election_id=sealed.package.manifest.election_id,
        scrutin_id=scrutin.id,
        voter_id=voter_id(3),
        ballot=broken,
        kiosk_id=KioskId("kiosk-01"),
    )
    code = tracking_code(broken)
    receipt = sign_receipt(
        key,
        election_fingerprint=sealed.package.fingerprint,
        scrutin_id=scrutin.id,
        tracking_code=code,
        kiosk_id=KioskId("kiosk-01"),
    )
    return Cast(envelope.envelope_id, encode_envelope(envelope), receipt.signature, code,
                "kiosk-01")  # fmt: skip


def _other_scrutin(sealed: SealedElection) -> Cast:
    known = sealed.package.manifest.scrutin(ScrutinId("cap"))
    ghost = replace(known, id=ScrutinId("ghost"))
    ballot = seal(sealed.context, ghost, ListId("l0")).cast()
    key = sealed.kiosk_keys["kiosk-01"]
    envelope = sign_envelope(
        key, election_id=sealed.package.manifest.election_id, scrutin_id=ghost.id,
        voter_id=voter_id(3), ballot=ballot, kiosk_id=KioskId("kiosk-01"),
    )  # fmt: skip
    code = tracking_code(ballot)
    receipt = sign_receipt(
        key, election_fingerprint=sealed.package.fingerprint, scrutin_id=ghost.id,
        tracking_code=code, kiosk_id=KioskId("kiosk-01"),
    )  # fmt: skip
    return Cast(envelope.envelope_id, encode_envelope(envelope), receipt.signature, code,
                "kiosk-01")  # fmt: skip


def _tampered_in_transit(sealed: SealedElection) -> Cast:
    """One byte of the ballot (in its sum proof, 100 bytes from the end of the envelope:
    signature, kiosk id and their lengths come after it) changed after the kiosk signed."""
    sent = cast(sealed, "kiosk-01", voter_id(3))
    return replace(sent, envelope=flip_byte(sent.envelope, len(sent.envelope) - 100))


REFUSALS: dict[str, tuple[str, Callable[[SealedElection], bytes]]] = {
    "tampered_in_transit": (
        "bad_signature",
        lambda s: upload_body(_tampered_in_transit(s)),
    ),
    "receipt_not_signed_by_the_kiosk": (
        "bad_signature",
        lambda s: upload_body(
            replace(cast(s, "kiosk-01", voter_id(3)), receipt_signature=bytes(64))
        ),
    ),
    "tampered_before_signing": ("bad_proof", lambda s: upload_body(_tampered_ballot_signed(s))),
    "not_on_the_roll": ("not_eligible", lambda s: upload_body(cast(s, "kiosk-01", voter_id(999)))),
    "sealed_by_another_kiosk": (
        "wrong_kiosk",
        lambda s: upload_body(cast(s, "kiosk-02", voter_id(3))),
    ),
    "no_such_scrutin": ("unknown_scrutin", lambda s: upload_body(_other_scrutin(s))),
    "not_an_envelope": (
        "malformed",
        lambda s: canonical_json(
            {"envelopes": [{"envelope": "AAAA", "receipt_signature": "A" * 86 + "=="}]}
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_refused_envelope_leaves_nothing(
    case: str,
    kiosks: Callable[[str], ServerClient],
    portal: PortalTransport,
    sealed: SealedElection,
    clock: ManualClock,
    db: Database,
) -> None:
    reason, build = REFUSALS[case]
    assert one(kiosks("kiosk-01").upload([cast(sealed, "kiosk-01", voter_id(0)).envelope])).accepted
    before = ballot_rows(db)
    for _ in range(2):  # a retry gets the same answer, and still nothing is stored
        response = signed_post(portal, sealed, clock, build(sealed))
        assert response.status_code == 200, response.text
        [item] = response.json()["answers"]
        assert item["status"] == "rejected"
        assert (item["answer"]["outcome"], item["answer"]["reason"]) == ("rejected", reason)
        assert item["answer"]["detail"]
        assert ballot_rows(db) == before


def test_a_ballot_after_closing_is_refused_and_leaves_nothing(
    kiosks: Callable[[str], ServerClient], sealed: SealedElection, clock: ManualClock, db: Database
) -> None:
    late = kiosks("kiosk-01")
    clock.advance(CLOSES - clock.now() + CLOSING_GRACE - timedelta(seconds=1))
    in_grace = one(late.upload([cast(sealed, "kiosk-01", voter_id(4)).envelope]))
    assert in_grace.status is UploadStatus.ACCEPTED  # cast just before closing, sent at once
    before = ballot_rows(db)
    clock.advance(timedelta(seconds=1))
    answer = one(late.upload([cast(sealed, "kiosk-01", voter_id(5)).envelope]))
    assert (answer.status, answer.reason) == (UploadStatus.REJECTED, "outside_window")
    assert ballot_rows(db) == before


def test_a_copied_ballot_is_refused_for_its_tracking_code_and_leaves_nothing(
    kiosks: Callable[[str], ServerClient], sealed: SealedElection, db: Database
) -> None:
    original = cast(sealed, "kiosk-01", voter_id(1))
    assert one(kiosks("kiosk-01").upload([original.envelope])).accepted
    before = ballot_rows(db)
    copied = sign_envelope(
        sealed.kiosk_keys["kiosk-01"],
        election_id=sealed.package.manifest.election_id,
        scrutin_id=ScrutinId("cap"),
        voter_id=voter_id(2),
        ballot=decode_envelope(original.envelope).ballot,
        kiosk_id=KioskId("kiosk-01"),
    )
    answer = one(kiosks("kiosk-01").upload([encode_envelope(copied)]))
    assert (answer.status, answer.reason) == (UploadStatus.REJECTED, "duplicate_tracking_code")
    assert ballot_rows(db) == before
    # Voter 2 has not voted: an honest ballot of theirs still goes in.
    assert one(kiosks("kiosk-01").upload([cast(sealed, "kiosk-01", voter_id(2)).envelope])).accepted


def test_an_envelope_id_reused_with_other_bytes_is_refused(
    kiosks: Callable[[str], ServerClient], sealed: SealedElection, db: Database
) -> None:
    first = cast(sealed, "kiosk-01", voter_id(1))
    assert one(kiosks("kiosk-01").upload([first.envelope])).accepted
    before = ballot_rows(db)
    other = decode_envelope(cast(sealed, "kiosk-01", voter_id(2)).envelope)
    reused = sign_envelope(
        sealed.kiosk_keys["kiosk-01"], election_id=other.election_id, scrutin_id=other.scrutin_id,
        voter_id=other.voter_id, ballot=other.ballot, kiosk_id=other.kiosk_id,
        envelope_id=first.envelope_id,
    )  # fmt: skip
    answer = one(kiosks("kiosk-01").upload([encode_envelope(reused)]))
    assert (answer.status, answer.reason) == (UploadStatus.REJECTED, "envelope_id_reused")
    assert ballot_rows(db) == before


def test_a_voter_who_voted_elsewhere_is_refused_and_listed(
    kiosks: Callable[[str], ServerClient], sealed: SealedElection, db: Database
) -> None:
    assert one(kiosks("kiosk-01").upload([cast(sealed, "kiosk-01", voter_id(6)).envelope])).accepted
    second = cast(sealed, "kiosk-03", voter_id(6))
    answer = one(kiosks("kiosk-03").upload([second.envelope]))
    assert (answer.status, answer.accepted, answer.reason) == (
        UploadStatus.REJECTED, False, "already_voted",
    )  # fmt: skip
    retry = one(kiosks("kiosk-03").upload([second.envelope]))
    assert (retry.status, retry.accepted, retry.reason) == (
        UploadStatus.DUPLICATE, False, "already_voted",
    )  # fmt: skip
    counts = ballot_rows(db)
    assert (counts["board_entry"], counts["emargement"], counts["emargement_conflict"]) == (1, 1, 1)
    [conflict] = _conflicts(db)
    assert (conflict.voter_id, conflict.scrutin_id) == (voter_id(6), "cap")
    assert (conflict.refused_kiosk_id, conflict.counted_kiosk_id) == ("kiosk-03", "kiosk-01")
    assert conflict.envelope_id == second.envelope_id


# ---- the request itself refused (the auth layer) ----------------------------------------------


def test_a_replayed_request_is_refused_and_stores_nothing_more(
    kiosks: Callable[[str], ServerClient],
    portal: PortalTransport,
    sealed: SealedElection,
    clock: ManualClock,
    db: Database,
) -> None:
    body = upload_body(cast(sealed, "kiosk-01", voter_id(1)))
    nonce = bytes(range(16))
    assert signed_post(portal, sealed, clock, body, nonce=nonce).status_code == 200
    before = ballot_rows(db)
    replay = signed_post(portal, sealed, clock, body, nonce=nonce)
    assert (replay.status_code, replay.json()["error"]) == (401, "replayed_request")
    assert ballot_rows(db) == before


@pytest.mark.parametrize(
    ("kiosk_id", "key_of", "code"),
    [
        ("kiosk-99", None, "unknown_kiosk"),  # no such kiosk in the package
        ("kiosk-01", "outsider", "bad_signature"),  # a key the package does not list
    ],
)
def test_an_unknown_kiosk_is_refused_and_stores_nothing(
    kiosk_id: str,
    key_of: str | None,
    code: str,
    kiosks: Callable[[str], ServerClient],
    portal: PortalTransport,
    sealed: SealedElection,
    clock: ManualClock,
    db: Database,
) -> None:
    before = ballot_rows(db)
    body = upload_body(cast(sealed, "kiosk-01", voter_id(1)))
    response = signed_post(portal, sealed, clock, body, kiosk_id, key_of=key_of)
    assert (response.status_code, response.json()["error"]) == (401, code)
    assert ballot_rows(db) == before


def test_a_kiosk_not_enrolled_is_refused(
    db: Database, portal: PortalTransport, sealed: SealedElection, clock: ManualClock
) -> None:
    with client(sealed, "kiosk-02", clock, transport=portal) as unenrolled:
        failure = unenrolled.upload([cast(sealed, "kiosk-02", voter_id(1)).envelope])
    assert isinstance(failure, ServerFailure)
    assert (failure.kind, failure.code) == (FailureKind.REFUSED, "kiosk_not_enrolled")
    assert ballot_rows(db)["board_entry"] == 0


def test_a_request_that_is_not_the_api_is_422(
    kiosks: Callable[[str], ServerClient],
    portal: PortalTransport,
    sealed: SealedElection,
    clock: ManualClock,
) -> None:
    for body in (b'{"envelopes": []}', b'{"envelope": "x"}', b"[]"):
        response = signed_post(portal, sealed, clock, body)
        assert (response.status_code, response.json()["error"]) == (422, "invalid_request")


def test_the_client_refuses_an_envelope_of_another_kiosk(
    kiosks: Callable[[str], ServerClient], sealed: SealedElection
) -> None:
    with pytest.raises(ValueError, match="another kiosk"):
        kiosks("kiosk-01").upload([cast(sealed, "kiosk-02", voter_id(1)).envelope])
    assert kiosks("kiosk-01").upload([]) == []


# ---- one voter, fifty casts at once, three kiosks, real HTTP ----------------------------------


def test_fifty_concurrent_casts_by_one_voter_count_once(
    box: FastAPI, db: Database, sealed: SealedElection, clock: ManualClock
) -> None:
    casts = [cast(sealed, KIOSK_IDS[i % 3], voter_id(7)) for i in range(50)]
    start = threading.Barrier(len(casts))

    def send(one_cast: Cast) -> list[UploadAnswer] | ServerFailure:
        with client(sealed, one_cast.kiosk_id, clock, server.url) as kiosk:
            start.wait(timeout=30)
            return kiosk.upload([one_cast.envelope], timeout=60)

    with ServerThread(box) as server:
        enroll_all(db, sealed, clock, server.url)
        with ThreadPoolExecutor(max_workers=len(casts)) as pool:
            results = list(pool.map(send, casts))
        counts = ballot_rows(db)  # before the server stops (it closes its database)
    failures = [r for r in results if isinstance(r, ServerFailure)]
    assert failures == []
    answers = [one(r) for r in results]
    outcomes = Counter((a.status, a.reason) for a in answers)
    assert outcomes == {
        (UploadStatus.ACCEPTED, None): 1,
        (UploadStatus.REJECTED, "already_voted"): 49,
    }
    assert (counts["board_entry"], counts["emargement"], counts["emargement_conflict"]) == (
        1,
        1,
        49,
    )
    winner = next(a for a in answers if a.accepted)
    winning_kiosk = next(c.kiosk_id for c in casts if c.envelope_id == winner.envelope_id)
    report = _conflicts(db)
    assert len(report) == 49
    assert {c.counted_kiosk_id for c in report} == {winning_kiosk}
    refused = {c.envelope_id for c in casts} - {winner.envelope_id}
    assert {c.envelope_id for c in report} == refused


def _conflicts(db: Database) -> list[Conflict]:
    url = db.url
    return conflict_report(
        url.target if url.backend.value == "postgresql" else f"sqlite:///{url.target}"
    )


def test_the_window_opens_early_by_the_clock_skew_and_closes_late_by_more(
    kiosks: Callable[[str], ServerClient], sealed: SealedElection, db: Database
) -> None:
    """A kiosk whose clock is ahead by the max accepted skew casts its first ballots before the
    server's opening; one behind by it casts until closing + skew: both graces cover them."""
    assert CLOSING_GRACE > OPENING_GRACE == DEFAULT_MAX_CLOCK_SKEW
    opens = sealed.package.manifest.window.opens_at
    kiosks("kiosk-01")  # every kiosk enrolled

    def upload(at: datetime, voter: int) -> Reason | None:
        item = cast(sealed, "kiosk-01", voter_id(voter))
        intake = EnvelopeIntake(db, sealed.package, ManualClock(at))
        [answer] = intake.upload(
            KioskId("kiosk-01"), [UploadItem(item.envelope, item.receipt_signature)]
        )
        return answer.reason

    assert upload(opens - OPENING_GRACE - timedelta(seconds=1), 3) is Reason.OUTSIDE_WINDOW
    assert upload(opens - OPENING_GRACE, 3) is None
    assert upload(CLOSES + DEFAULT_MAX_CLOCK_SKEW + timedelta(minutes=5), 4) is None
    # A server allowing a larger skew widens both graces with it.
    wide = EnvelopeIntake(
        db, sealed.package, ManualClock(CLOSES + timedelta(minutes=20)),
        max_clock_skew=timedelta(minutes=10),
    )  # fmt: skip
    late = cast(sealed, "kiosk-01", voter_id(5))
    [answer] = wide.upload(KioskId("kiosk-01"), [UploadItem(late.envelope, late.receipt_signature)])
    assert answer.reason is None
