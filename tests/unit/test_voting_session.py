"""The voting session on a real store and real crypto (kiosk/voting/session.py)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk.audit import AuditEvent
from kiosk.clock import ManualClock
from kiosk.crypto.challenge_slip import verify_challenge_slip
from kiosk.crypto.envelope import decode_envelope, verify_envelope
from kiosk.crypto.receipt import decode_receipt, encode_receipt, verify_receipt
from kiosk.crypto.tracking import tracking_code
from kiosk.election.kdf import SecretKind, verify_secret
from kiosk.election.model import ListId, ScrutinId, VoterId
from kiosk.log import RedactingFilter
from kiosk.receipts import SyncState, decode_emargement, encode_emargement, verify_emargement
from kiosk.store import KioskStore, PollsState, StoreKey, StoreStateError, create_key_file
from kiosk.store import SyncState as OutboxState
from kiosk.verifier.ballots import check_slip, parse_slip
from kiosk.voting import flow, session
from kiosk.voting.lockout import login_subject
from kiosk.voting.model import Channel, LockedCredential, Notice, ReassortMode
from kiosk.voting.session import KioskElection
from tests.factories import KDF, OPENS
from tests.unit.test_voting_world import (
    ASSESSEUR_PIN,
    Kiosk,
    VoterSecrets,
    open_kiosk,
    sealed_election,
)

ALICE, BOB, CAROL = VoterSecrets(0), VoterSecrets(1), VoterSecrets(2)  # Carol: code invalidated
CAPN, CAP = ScrutinId("capn"), ScrutinId("cap")
L1 = ListId("l1")


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Kiosk]:
    opened = Kiosk(tmp_path)
    yield opened
    opened.store.close()


def vote(kiosk: Kiosk, scrutin: ScrutinId, choice: ListId) -> flow.State:
    kiosk.send(flow.ChooseScrutin(scrutin))
    kiosk.send(flow.ArmSelection())
    return kiosk.send(flow.Select(choice))


def public_key(kiosk: Kiosk) -> bytes:
    identity = kiosk.store.kiosk_identity()
    assert identity is not None
    return identity.public_key


# ---- the journey -----------------------------------------------------------------------------


def test_a_voter_votes_in_both_scrutins_and_takes_receipts(kiosk: Kiosk) -> None:
    state = kiosk.login(ALICE)
    assert isinstance(state, flow.VoteCode)
    assert state.captcha is not None
    state = kiosk.enter_code(ALICE.code)
    assert isinstance(state, flow.ScrutinList)
    assert [(s.scrutin_id, s.voted) for s in state.booth.scrutins] == [(CAPN, False), (CAP, False)]
    assert state.booth.closes_at == sealed_election()[0].manifest.window.closes_at

    confirm = vote(kiosk, CAPN, L1)
    assert isinstance(confirm, flow.Confirm)
    receipt = kiosk.send(flow.CastVote())
    assert isinstance(receipt, flow.Receipt)
    [printed] = kiosk.steps[-1].outputs
    assert isinstance(printed, flow.PrintReceipt)
    assert printed.scrutin_title == "Scrutin CAPN"
    assert printed.election_title == sealed_election()[0].manifest.title
    assert printed.sync is SyncState.PENDING
    assert printed.cast_at == receipt.cast_at == kiosk.clock.now().replace(microsecond=0)
    # The émargement certificate is signed in the core, by the kiosk, at the cast's time.
    emargement = decode_emargement(encode_emargement(printed.emargement))
    assert emargement.voter_name == "Agent 0"
    assert emargement.scrutin_id == CAPN
    assert emargement.voted_at == printed.cast_at
    assert emargement.election_fingerprint == sealed_election()[0].fingerprint
    assert verify_emargement(emargement, public_key(kiosk))
    assert "Agent 0" not in repr(printed) + repr(receipt)
    assert receipt.tracking_code == confirm.tracking_code
    decoded = decode_receipt(encode_receipt(printed.receipt))
    assert verify_receipt(decoded, public_key(kiosk))
    assert decoded.election_fingerprint == sealed_election()[0].fingerprint

    [entry] = kiosk.store.outbox()
    envelope = decode_envelope(entry.envelope)
    assert verify_envelope(envelope, public_key(kiosk))
    assert envelope.voter_id == ALICE.voter_id
    assert tracking_code(envelope.ballot) == receipt.tracking_code
    assert kiosk.store.voted_scrutins(ALICE.voter_id) == {CAPN}

    listing = kiosk.send(flow.Continue())
    assert isinstance(listing, flow.ScrutinList)
    assert [s.voted for s in listing.booth.scrutins] == [True, False]
    again = kiosk.send(flow.ChooseScrutin(CAPN))
    assert isinstance(again, flow.ScrutinList)
    assert again.notice is Notice.ALREADY_VOTED

    assert isinstance(vote(kiosk, CAP, ListId("blank")), flow.Confirm)
    assert isinstance(kiosk.send(flow.CastVote()), flow.Receipt)
    assert kiosk.store.voted_scrutins(ALICE.voter_id) == {CAPN, CAP}
    kiosk.send(flow.Continue())
    finished = kiosk.send(flow.Quit())
    assert finished == flow.Finished(flow.Display(), kiosk.clock.now())
    assert flow.ResetSession() in kiosk.steps[-1].outputs
    assert kiosk.session.holds_nothing
    assert kiosk.send(flow.Tick(), after=10) == flow.initial_state()
    cast = [e for e in kiosk.store.audit_entries() if e.event is AuditEvent.BALLOT_CAST]
    assert [dict(e.fields) for e in cast] == [{"scrutin_id": "capn"}, {"scrutin_id": "cap"}]


def test_a_voter_who_voted_cannot_vote_again_in_a_new_session(kiosk: Kiosk) -> None:
    kiosk.to_scrutins(BOB)
    vote(kiosk, CAPN, L1)
    kiosk.send(flow.CastVote())
    kiosk.send(flow.Quit())
    kiosk.send(flow.Continue())
    listing = kiosk.to_scrutins(BOB)
    assert isinstance(listing, flow.ScrutinList)
    assert [s.voted for s in listing.booth.scrutins] == [True, False]
    assert kiosk.send(flow.ChooseScrutin(CAPN)).notice is Notice.ALREADY_VOTED  # type: ignore[union-attr]


def test_a_challenged_ballot_is_printed_discarded_and_the_voter_chooses_again(
    kiosk: Kiosk,
) -> None:
    kiosk.to_scrutins(ALICE)
    challenged = vote(kiosk, CAPN, L1)
    assert isinstance(challenged, flow.Confirm)
    shown = kiosk.send(flow.ChallengeVote())
    assert isinstance(shown, flow.ChallengeShown)
    [printed] = kiosk.steps[-1].outputs
    assert isinstance(printed, flow.PrintChallengeSlip)
    assert printed.slip.choice == L1
    assert printed.choice_name == "Liste 1"
    assert printed.scrutin_title == "Scrutin CAPN"
    assert printed.challenged_at == kiosk.clock.now()
    assert printed.slip.tracking_code == challenged.tracking_code
    assert verify_challenge_slip(printed.slip, public_key(kiosk))
    # The slip carries the challenged ballot's bytes: it checks against the package as printed.
    package = sealed_election()[0]
    report = check_slip(package, parse_slip(printed.printed.to_json()), None, Path("slip"))
    assert report.passed, report.failed
    assert "Liste 1" not in repr(printed)
    assert kiosk.session.holds_nothing  # that ballot is gone
    journal = [(e.event, dict(e.fields)) for e in kiosk.store.audit_entries()]
    assert (AuditEvent.BALLOT_CHALLENGED, {"scrutin_id": "capn"}) in journal

    gallery = kiosk.send(flow.Continue())
    assert isinstance(gallery, flow.Gallery)
    assert gallery.armed is False
    kiosk.send(flow.ArmSelection())
    second = kiosk.send(flow.Select(L1))
    assert isinstance(second, flow.Confirm)
    assert second.tracking_code != challenged.tracking_code  # a fresh seal
    kiosk.send(flow.CastVote())
    [entry] = kiosk.store.outbox()
    assert tracking_code(decode_envelope(entry.envelope).ballot) == second.tracking_code


def test_retour_on_the_confirmation_drops_the_sealed_ballot(kiosk: Kiosk) -> None:
    kiosk.to_scrutins(ALICE)
    vote(kiosk, CAPN, L1)
    assert not kiosk.session.holds_nothing
    assert isinstance(kiosk.send(flow.Back()), flow.Gallery)
    assert kiosk.session.holds_nothing
    assert kiosk.store.outbox() == []


# ---- credentials -----------------------------------------------------------------------------


def test_an_unknown_identifier_is_indistinguishable_from_a_wrong_password(
    kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch
) -> None:
    work: list[object] = []
    real = session.verify_secret

    def counting(kind: SecretKind, secret: str, stored: object, params: object) -> bool:
        work.append((kind, params))
        return real(kind, secret, stored, params)  # type: ignore[arg-type]

    monkeypatch.setattr(session, "verify_secret", counting)
    known, unknown = ALICE.identifier, "nobody@ac-exemple.fr"
    outcomes = {}
    for identifier in (known, unknown):
        work.clear()
        kiosk.send(flow.Start())
        seen = []
        for _ in range(4):
            state = kiosk.send(flow.SubmitCredentials(identifier, "wrong"))
            assert isinstance(state, flow.Credentials)
            wait = None if state.retry_at is None else state.retry_at - kiosk.clock.now()
            record = kiosk.session.guard.record(login_subject(identifier))
            seen.append((state.notice, wait, record.failures, record.locked))
        seen.append(tuple(work))
        outcomes[identifier] = seen
        kiosk.send(flow.Quit())
    assert outcomes[known] == outcomes[unknown]
    assert outcomes[known][0] == (Notice.WRONG_CREDENTIALS, None, 1, False)
    assert outcomes[known][2] == (Notice.WRONG_CREDENTIALS, timedelta(seconds=30), 3, False)
    assert outcomes[known][3] == (Notice.WAIT, timedelta(seconds=29), 3, False)  # 1 s later
    assert outcomes[known][4] == ((SecretKind.PASSWORD, KDF),) * 3  # the same KDF work


def test_ten_wrong_passwords_lock_the_identifier_whether_or_not_it_exists(kiosk: Kiosk) -> None:
    for identifier in (BOB.identifier, "nobody@ac-exemple.fr"):
        kiosk.send(flow.Start())
        state: flow.State = kiosk.state
        for _ in range(10):
            retry = getattr(state, "retry_at", None)
            if retry is not None:
                kiosk.clock.current = max(kiosk.clock.current, retry)
            state = kiosk.send(flow.SubmitCredentials(identifier, "wrong"), after=0)
        assert state == flow.Locked(flow.Display(), kiosk.clock.now(), LockedCredential.LOGIN)
        kiosk.send(flow.Continue())
    kiosk.clock.advance(timedelta(days=1))
    assert isinstance(kiosk.login(BOB), flow.Locked)  # even with the right password
    locks = [e for e in kiosk.store.audit_entries() if e.event is AuditEvent.CREDENTIAL_LOCKED]
    assert len(locks) == 2


def test_the_vote_code_lockout_survives_a_restart_until_an_assesseur_unlocks(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    store_dir = tmp_path / "store"
    kiosk = Kiosk(tmp_path, clock, captcha=False)
    kiosk.login(ALICE)
    state: flow.State = kiosk.state
    for _ in range(10):
        retry = getattr(state, "retry_at", None)
        if retry is not None:
            clock.current = max(clock.current, retry)
        state = kiosk.send(flow.SubmitVoteCode("WRONG"), after=0)
    assert state == flow.Locked(flow.Display(), clock.now(), LockedCredential.VOTE_CODE)
    assert kiosk.session.holds_nothing
    kiosk.store.close()

    key = StoreKey.from_key_file(store_dir / "store.key")
    reopened = KioskStore.open(store_dir / "kiosk.db", key, clock)
    restarted = Kiosk(tmp_path, clock, captcha=False, store=reopened)
    restarted.login(ALICE)
    refused = restarted.send(flow.SubmitVoteCode(ALICE.code))
    assert isinstance(refused, flow.Locked)
    assert restarted.session.guard.unlock_voter(ALICE.identifier, ALICE.voter_id) == 1
    restarted.send(flow.Continue())
    restarted.login(ALICE)
    assert isinstance(restarted.send(flow.SubmitVoteCode(ALICE.code)), flow.ScrutinList)
    reopened.close()


def test_a_wrong_captcha_checks_no_code_and_counts_nothing(kiosk: Kiosk) -> None:
    kiosk.login(ALICE)
    first = kiosk.state
    assert isinstance(first, flow.VoteCode)
    state = kiosk.send(flow.SubmitVoteCode(ALICE.code, "1"))
    assert isinstance(state, flow.VoteCode)
    assert state.notice is Notice.WRONG_CAPTCHA
    assert state.captcha is not None
    assert first.captcha is not None
    assert state.captcha.challenge_id != first.captcha.challenge_id
    assert kiosk.session.guard.record(session.vote_code_subject(ALICE.voter_id)).failures == 0
    assert isinstance(kiosk.enter_code(ALICE.code), flow.ScrutinList)


def test_an_invalidated_code_sends_the_voter_to_the_reassort(kiosk: Kiosk) -> None:
    kiosk.login(CAROL)
    state = kiosk.enter_code("CODE2")
    assert isinstance(state, flow.VoteCode)
    assert state.notice is Notice.VOTE_CODE_INVALIDATED


@pytest.mark.parametrize(
    ("polls", "advance", "notice"),
    [
        (False, timedelta(0), Notice.POLLS_NOT_OPEN),
        (True, timedelta(days=8), Notice.VOTING_CLOSED),
        (True, -timedelta(hours=2), Notice.POLLS_NOT_OPEN),  # before the window opens
    ],
)
def test_no_login_while_the_polls_are_not_open(
    tmp_path: Path, polls: bool, advance: timedelta, notice: Notice
) -> None:
    clock = ManualClock(OPENS + timedelta(hours=1) + advance)
    store = open_kiosk(tmp_path / "store", clock, polls=polls)
    kiosk = Kiosk(tmp_path, clock, store=store)
    state = kiosk.login(ALICE)
    assert state == flow.Refused(flow.Display(), clock.now(), None, notice)
    assert kiosk.send(flow.Continue()) == flow.initial_state()
    store.close()


def test_polls_paused_before_the_cast_refuse_it_as_a_page(kiosk: Kiosk) -> None:
    kiosk.to_scrutins(ALICE)
    vote(kiosk, CAPN, L1)
    kiosk.store.set_polls_state(PollsState.PAUSED)
    state = kiosk.send(flow.CastVote())
    assert isinstance(state, flow.Refused)
    assert state.notice is Notice.POLLS_NOT_OPEN
    assert kiosk.store.outbox() == []
    assert kiosk.session.holds_nothing
    assert kiosk.send(flow.Continue()) == flow.initial_state()


def test_a_vote_cast_meanwhile_on_this_kiosk_is_refused_as_a_page(kiosk: Kiosk) -> None:
    kiosk.to_scrutins(ALICE)
    vote(kiosk, CAPN, L1)
    kiosk.store.record_cast(ALICE.voter_id, CAPN, b"\x01" * 16, b"another session")
    state = kiosk.send(flow.CastVote())
    assert isinstance(state, flow.Refused)
    assert state.notice is Notice.ALREADY_VOTED
    listing = kiosk.send(flow.Continue())
    assert isinstance(listing, flow.ScrutinList)
    assert listing.booth.entry(CAPN).voted  # type: ignore[union-attr]


def test_a_failed_commit_leaves_the_ballot_castable(
    kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch
) -> None:
    kiosk.to_scrutins(ALICE)
    vote(kiosk, CAPN, L1)

    def busy(*args: object) -> object:
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(kiosk.store, "record_cast", busy)
        with pytest.raises(OSError, match="disk full"):
            kiosk.send(flow.CastVote())
    assert isinstance(kiosk.state, flow.Confirm)
    assert isinstance(kiosk.send(flow.CastVote()), flow.Receipt)
    assert len(kiosk.store.outbox()) == 1


# ---- réassort --------------------------------------------------------------------------------


def test_reassort_by_email_then_vote_with_the_new_code(kiosk: Kiosk) -> None:
    kiosk.login(CAROL)
    choice = kiosk.send(flow.RequestReassort())
    assert choice == flow.ReassortChoice(
        flow.Display(),
        kiosk.clock.now(),
        choice.voter,
        token_delivery=True,
        supervised=True,  # type: ignore[union-attr]
    )
    kiosk.send(flow.ChooseReassort(ReassortMode.QUESTION))
    sent = kiosk.send(flow.SubmitReassortAnswers(CAROL.answer, CAROL.numen, Channel.EMAIL))
    assert isinstance(sent, flow.ReassortTokenSent)
    assert sent.sent is not None
    assert sent.sent.destination == "pe•••2@courriel.example"
    mail = kiosk.latest_mail()
    assert mail["To"] == "perso2@courriel.example"
    assert mail["To"] != CAROL.identifier

    warning = kiosk.send(flow.SubmitToken(kiosk.latest_token_payload()))  # scanned QR
    assert isinstance(warning, flow.RegenerateWarning)
    shown = kiosk.send(flow.Regenerate())
    assert isinstance(shown, flow.NewCodeShown)
    assert shown.hide_at == shown.shown_at + timedelta(seconds=120)
    new_code = shown.code
    stored = kiosk.store.voter(CAROL.voter_id)
    assert stored is not None
    assert stored.vote_code is not None
    assert verify_secret(SecretKind.VOTE_CODE, new_code, stored.vote_code, KDF)

    assert kiosk.send(flow.Tick(), after=119) == shown
    hidden = kiosk.send(flow.Tick(), after=1)
    assert isinstance(hidden, flow.VoteCode)
    assert hidden.notice is Notice.CODE_HIDDEN
    assert new_code not in repr(dataclasses.astuple(hidden))
    assert isinstance(kiosk.enter_code(new_code.lower()), flow.ScrutinList)


def test_the_old_code_is_void_after_a_reassort(kiosk: Kiosk) -> None:
    kiosk.login(BOB)
    kiosk.send(flow.RequestReassort())
    kiosk.send(flow.ChooseReassort(ReassortMode.QUESTION))
    kiosk.send(flow.SubmitReassortAnswers(BOB.answer, BOB.numen, Channel.SMS))
    assert kiosk.latest_mail()["X-Isoloir-Channel"] == "sms"
    kiosk.send(flow.Quit())  # the token arrives later: a new session uses it
    kiosk.send(flow.Continue())
    kiosk.login(BOB)
    kiosk.send(flow.RequestReassort())
    kiosk.send(flow.ChooseReassort(ReassortMode.HAVE_TOKEN))
    typed = kiosk.latest_token().lower()
    kiosk.send(flow.SubmitToken(typed))
    shown = kiosk.send(flow.Regenerate())
    assert isinstance(shown, flow.NewCodeShown)
    kiosk.send(flow.Continue())
    refused = kiosk.enter_code(BOB.code)
    assert isinstance(refused, flow.VoteCode)
    assert refused.notice is Notice.WRONG_VOTE_CODE
    assert isinstance(kiosk.enter_code(shown.code), flow.ScrutinList)


def test_the_supervised_reassort(kiosk: Kiosk) -> None:
    kiosk.login(CAROL)
    kiosk.send(flow.RequestReassort())
    auth = kiosk.send(flow.ChooseReassort(ReassortMode.SUPERVISED))
    assert isinstance(auth, flow.AssesseurAuth)
    wrong = kiosk.send(flow.SubmitAssesseur("0000"))
    assert wrong.notice is Notice.WRONG_ASSESSEUR  # type: ignore[union-attr]
    question = kiosk.send(flow.SubmitAssesseur(ASSESSEUR_PIN))
    assert question == flow.ReassortQuestion(
        flow.Display(),
        kiosk.clock.now(),
        question.voter,
        supervised=True,  # type: ignore[union-attr]
    )
    wrong = kiosk.send(flow.SubmitReassortAnswers("Italie", CAROL.numen))
    assert wrong.notice is Notice.WRONG_ANSWERS  # type: ignore[union-attr]
    warning = kiosk.send(flow.SubmitReassortAnswers(CAROL.answer.upper(), CAROL.numen))
    assert isinstance(warning, flow.RegenerateWarning)
    assert warning.grant.method == "supervised"
    shown = kiosk.send(flow.Regenerate())
    assert isinstance(shown, flow.NewCodeShown)
    kiosk.send(flow.Continue())
    assert isinstance(kiosk.enter_code(shown.code), flow.ScrutinList)
    assert kiosk.store.audit_entries()[-1].event is not AuditEvent.REASSORT_TOKEN_SENT


def test_a_lapsed_grant_cannot_regenerate(kiosk: Kiosk) -> None:
    kiosk.login(CAROL)
    kiosk.send(flow.RequestReassort())
    kiosk.send(flow.ChooseReassort(ReassortMode.SUPERVISED))
    kiosk.send(flow.SubmitAssesseur(ASSESSEUR_PIN))
    kiosk.send(flow.SubmitReassortAnswers(CAROL.answer, CAROL.numen))
    for _ in range(11):  # keep the session alive past the grant's 10 minutes
        kiosk.send(flow.StillHere(), after=59)
    state = kiosk.send(flow.Regenerate(), after=59)
    assert isinstance(state, flow.VoteCode)
    assert state.notice is Notice.EXPIRED_TOKEN
    stored = kiosk.store.voter(CAROL.voter_id)
    assert stored is not None
    assert stored.vote_code is None


def test_a_kiosk_without_notifier_or_assesseur_offers_no_reassort(tmp_path: Path) -> None:
    clock = ManualClock()
    store = open_kiosk(tmp_path, clock)
    bare = session.VotingSession(store, clock, KioskElection.from_store(store))
    assert bare.rules.token_delivery is False
    assert bare.rules.supervised_reassort is False
    bare.handle(flow.Start())
    at_code = bare.handle(flow.SubmitCredentials(ALICE.identifier, ALICE.password)).state
    assert isinstance(at_code, flow.VoteCode)
    assert at_code.reassort_offered is False  # the page shows no link to a dead end
    assert isinstance(bare.handle(flow.RequestReassort()).state, flow.VoteCode)
    store.close()


# ---- inactivity and privacy ------------------------------------------------------------------


def test_inactivity_resets_the_session_and_journals_it(kiosk: Kiosk) -> None:
    kiosk.to_scrutins(ALICE)
    vote(kiosk, CAPN, L1)
    warned = kiosk.send(flow.Tick(), after=60)
    assert isinstance(warned, flow.InactivityWarning)
    assert not kiosk.session.holds_nothing
    state = kiosk.send(flow.Tick(), after=30)
    assert state == flow.initial_state()
    assert kiosk.session.holds_nothing
    assert flow.ResetSession() in kiosk.steps[-1].outputs
    assert kiosk.store.audit_entries()[-1].event is AuditEvent.SESSION_TIMED_OUT
    assert kiosk.store.outbox() == []


def test_logs_tell_the_story_without_a_secret(
    kiosk: Kiosk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="kiosk.voting")
    kiosk.send(flow.Start())
    kiosk.send(flow.SubmitCredentials(ALICE.identifier, "wrong password"))
    kiosk.send(flow.SubmitCredentials(ALICE.identifier, ALICE.password))
    kiosk.enter_code(ALICE.code)
    vote(kiosk, CAPN, L1)
    kiosk.send(flow.CastVote())
    kiosk.send(flow.Quit())
    redact = RedactingFilter()
    story = []
    for record in caplog.records:
        redact.filter(record)
        fields = record.__dict__.get("isoloir_fields", {})
        story.append((record.getMessage(), fields.get("disposition")))
        text = f"{record.getMessage()} {fields}"
        for secret in (
            ALICE.identifier,
            ALICE.password,
            "wrong password",
            ALICE.code,
            "v0000",
            "l1",
        ):
            assert secret not in text
        assert "[redacted]" not in text
    assert story == [
        ("voter_session", "started"),
        ("voter_login", "refused"),
        ("voter_login", "accepted"),
        ("vote_code_check", "accepted"),
        ("ballot_seal", "start"),
        ("ballot_seal", "complete"),
        ("ballot_cast", "start"),
        ("ballot_cast", "recorded"),
        ("voter_session", "finished"),
    ]


def test_an_election_needs_a_package_and_a_kiosk_key(tmp_path: Path) -> None:
    clock = ManualClock()
    key = create_key_file(tmp_path / "k")
    with KioskStore.create(tmp_path / "empty.db", key, clock) as empty:
        with pytest.raises(StoreStateError, match="no election package"):
            KioskElection.from_store(empty)
        empty.load_package(sealed_election()[0])
        with pytest.raises(StoreStateError, match="no kiosk key"):
            KioskElection.from_store(empty)


# ---- online kiosk: the at-cast upload, the voter-status check --------------------------------


class FakeUploader:
    """Answers every deposit with ``outcome`` (or raises ``error``); remembers what it sent."""

    def __init__(self, outcome: OutboxState, error: Exception | None = None) -> None:
        self.outcome = outcome
        self.error = error
        self.sent: list[bytes] = []

    def deposit(self, envelope_id: bytes) -> OutboxState:
        self.sent.append(envelope_id)
        if self.error is not None:
            raise self.error
        return self.outcome


class FakeVoterStatus:
    def __init__(self, voted: frozenset[ScrutinId] | None) -> None:
        self.voted = voted
        self.asked: list[str] = []

    def voted_scrutins(self, voter_id: VoterId) -> frozenset[ScrutinId] | None:
        self.asked.append(voter_id)
        return self.voted


def cast_once(kiosk: Kiosk) -> flow.Receipt:
    kiosk.to_scrutins(ALICE)
    vote(kiosk, CAPN, L1)
    receipt = kiosk.send(flow.CastVote())
    assert isinstance(receipt, flow.Receipt)
    return receipt


def test_an_offline_kiosk_receipt_says_awaiting_transmission(kiosk: Kiosk) -> None:
    receipt = cast_once(kiosk)
    assert receipt.deposit is SyncState.PENDING
    [printed] = kiosk.steps[-1].outputs
    assert isinstance(printed, flow.PrintReceipt)
    assert printed.sync is SyncState.PENDING
    assert printed.deposit_proof().sync is SyncState.PENDING


@pytest.mark.parametrize(
    ("outcome", "deposit"),
    [
        (OutboxState.ACCEPTED, SyncState.DEPOSITED),
        (OutboxState.PENDING, SyncState.PENDING),
        (OutboxState.REJECTED, SyncState.PENDING),
    ],
)
def test_an_online_cast_is_sent_after_the_commit_and_the_receipt_says_where_it_is(
    tmp_path: Path, outcome: OutboxState, deposit: SyncState
) -> None:
    uploader = FakeUploader(outcome)
    kiosk = Kiosk(tmp_path, uploader=uploader)
    receipt = cast_once(kiosk)
    assert receipt.deposit is deposit
    [printed] = kiosk.steps[-1].outputs
    assert isinstance(printed, flow.PrintReceipt)
    assert printed.sync is deposit
    # The envelope sent is the one committed, after the commit.
    [entry] = kiosk.store.outbox()
    assert uploader.sent == [entry.envelope_id]
    kiosk.store.close()


def test_a_rejection_after_the_commit_is_logged_for_an_assesseur_without_the_choice(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="kiosk.voting")
    kiosk = Kiosk(tmp_path, uploader=FakeUploader(OutboxState.REJECTED))
    cast_once(kiosk)
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    RedactingFilter().filter(warning)
    fields = warning.__dict__["isoloir_fields"]
    assert (warning.getMessage(), fields) == (
        "ballot_upload",
        {"disposition": "rejected", "scrutin_id": "capn"},
    )
    kiosk.store.close()


def test_a_failing_upload_never_costs_the_voter_the_receipt(tmp_path: Path) -> None:
    kiosk = Kiosk(tmp_path, uploader=FakeUploader(OutboxState.ACCEPTED, RuntimeError("bug")))
    receipt = cast_once(kiosk)
    assert receipt.deposit is SyncState.PENDING
    assert [e.state for e in kiosk.store.outbox()] == [OutboxState.PENDING]
    kiosk.store.close()


def test_a_refused_cast_sends_nothing(tmp_path: Path) -> None:
    uploader = FakeUploader(OutboxState.ACCEPTED)
    kiosk = Kiosk(tmp_path, uploader=uploader)
    kiosk.to_scrutins(ALICE)
    vote(kiosk, CAPN, L1)
    kiosk.store.set_polls_state(PollsState.PAUSED)
    assert isinstance(kiosk.send(flow.CastVote()), flow.Refused)
    assert uploader.sent == []
    kiosk.store.close()


def test_a_voter_who_voted_elsewhere_sees_it_before_choosing(tmp_path: Path) -> None:
    status = FakeVoterStatus(frozenset({CAP}))
    kiosk = Kiosk(tmp_path, voter_status=status)
    state = kiosk.login(ALICE)
    assert status.asked == []  # asked only once the vote code is right
    state = kiosk.enter_code(ALICE.code)
    assert isinstance(state, flow.ScrutinList)
    assert [(s.scrutin_id, s.voted) for s in state.booth.scrutins] == [(CAPN, False), (CAP, True)]
    assert status.asked == [ALICE.voter_id]
    refused = kiosk.send(flow.ChooseScrutin(CAP))
    assert isinstance(refused, flow.ScrutinList)
    assert refused.notice is Notice.ALREADY_VOTED
    kiosk.store.close()


def test_without_an_answer_from_the_server_the_kiosk_knows_what_it_knows(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="kiosk.voting")
    kiosk = Kiosk(tmp_path, voter_status=FakeVoterStatus(None))
    state = kiosk.to_scrutins(ALICE)
    assert isinstance(state, flow.ScrutinList)
    assert [s.voted for s in state.booth.scrutins] == [False, False]
    assert ("voter_status", "unavailable") in [
        (r.getMessage(), r.__dict__["isoloir_fields"].get("disposition")) for r in caplog.records
    ]
    kiosk.store.close()
