"""The voter flow as a pure state machine (kiosk/voting/flow.py, docs/voter-flow.md).

Every transition with plain values and a fixed ``now``: no store, no crypto, no clock.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from kiosk.audit import AuditEvent
from kiosk.config import KioskConfig
from kiosk.crypto.challenge_slip import ChallengeSlip
from kiosk.crypto.receipt import Receipt as SignedReceipt
from kiosk.crypto.tracking import TrackingCode
from kiosk.election.model import KioskId, ListId, ScrutinId, VoterId
from kiosk.log import LogEvent
from kiosk.receipts import Emargement
from kiosk.verifier.ballots import PrintedSlip
from kiosk.voting import flow
from kiosk.voting.flow import (
    DEFAULT_RULES,
    Activity,
    ArmSelection,
    AssesseurAccepted,
    AssesseurAuth,
    AssesseurRefused,
    Audit,
    Back,
    BallotCast,
    BallotChallenged,
    BallotSealed,
    CaptchaIssued,
    CastBallot,
    CastRefused,
    CastVote,
    ChallengeBallot,
    ChallengeShown,
    ChallengeVote,
    CheckAssesseur,
    CheckVoteCode,
    ChooseReassort,
    ChooseScrutin,
    CloseDocument,
    CodeRegenerated,
    Confirm,
    Continue,
    CoreFailure,
    Credentials,
    DiscardBallot,
    Finished,
    FlowRules,
    Gallery,
    InactivityWarning,
    IssueCaptcha,
    Locked,
    Log,
    LoginAccepted,
    LoginRefused,
    NewCodeShown,
    OpenDocument,
    PapersNotPrinted,
    PrintAgain,
    PrintChallengeSlip,
    PrintReceipt,
    Quit,
    ReassortChoice,
    ReassortQuestion,
    ReassortRefused,
    ReassortTokenSent,
    Receipt,
    RedeemToken,
    RefreshCaptcha,
    Refused,
    Regenerate,
    RegenerateCode,
    RegenerateWarning,
    RegenerationAuthorized,
    RequestReassort,
    ResetSession,
    ScrutinList,
    SealBallot,
    Select,
    SendReassortToken,
    SetDisplay,
    Start,
    StillHere,
    SubmitAssesseur,
    SubmitCredentials,
    SubmitReassortAnswers,
    SubmitToken,
    SubmitVoteCode,
    Tick,
    TokenSent,
    VerifyCredentials,
    VerifyReassortAnswers,
    VoteCode,
    VoteCodeAccepted,
    VoteCodeRefused,
    Welcome,
    closing_countdown,
    initial_state,
    remaining,
    transition,
)
from kiosk.voting.model import (
    Booth,
    CaptchaImage,
    Channel,
    ChannelOption,
    Display,
    DocumentKind,
    DocumentRef,
    LockedCredential,
    Notice,
    PaperSet,
    ReassortMode,
    Refusal,
    RegenerationGrant,
    ScrutinEntry,
    TokenDelivery,
    VoterRef,
)

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
CLOSES = datetime(2026, 12, 8, 16, 0, tzinfo=UTC)
CAPN = ScrutinId("capn")
CAP = ScrutinId("cap")
L1 = ListId("l1")
BLANK = ListId("blank")
TRACKING = TrackingCode("ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567")
FR = Display()
EN = Display("en", large_text=True, high_contrast=True)

VOTER = VoterRef(
    VoterId("v0007"),
    "Agent Sept",
    "Quel est le dernier pays visité ?",
    (
        ChannelOption(Channel.EMAIL, "pe•••7@courriel.example"),
        ChannelOption(Channel.SMS, "+33•••••••00"),
    ),
)
NO_CHANNEL_VOTER = dataclasses.replace(VOTER, channels=())
SCRUTINS = (
    ScrutinEntry(CAPN, "CAPN", (ListId("l0"), L1, ListId("l2"), BLANK), voted=False),
    ScrutinEntry(CAP, "CAP", (ListId("l0"), L1, BLANK), voted=True),
)
BOOTH = Booth(VOTER, SCRUTINS, CLOSES)
CAPTCHA = CaptchaImage("c0ffee", b"\x89PNG...", T0 + timedelta(minutes=5))
GRANT = RegenerationGrant("grant-1", VOTER.voter_id, "token-email", T0 + timedelta(minutes=10))
RECEIPT = SignedReceipt("ABCD-EFGH-IJKL-MNOP", CAPN, TRACKING, KioskId("kiosk-01"), b"s" * 64)
SLIP = ChallengeSlip("ABCD-EFGH-IJKL-MNOP", CAPN, TRACKING, KioskId("kiosk-01"), b"n" * 32, L1, b"")
T1 = T0 + timedelta(seconds=1)
EMARGEMENT = Emargement("ABCD-EFGH-IJKL-MNOP", CAPN, KioskId("kiosk-01"), T1, "Agent Sept", b"")
PAPERS = PrintReceipt("Élection", "CAPN", T1, RECEIPT, EMARGEMENT)
SLIP_PAPERS = PrintChallengeSlip("Élection", "CAPN", T1, "Liste 1", PrintedSlip(SLIP, b"b"))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def step(
    state: flow.State, event: flow.Event, seconds: float = 1, rules: FlowRules = DEFAULT_RULES
) -> flow.Step:
    return transition(state, event, at(seconds), rules)


def vote_code(**changes: object) -> VoteCode:
    return dataclasses.replace(VoteCode(FR, T0, VOTER, captcha=CAPTCHA), **changes)  # type: ignore[arg-type]


def gallery(**changes: object) -> Gallery:
    return dataclasses.replace(Gallery(FR, T0, BOOTH, SCRUTINS[0]), **changes)  # type: ignore[arg-type]


def confirm() -> Confirm:
    return Confirm(FR, T0, BOOTH, SCRUTINS[0], L1, TRACKING)


# ---- welcome and credentials -----------------------------------------------------------------


def test_the_pristine_state_is_a_welcome_in_the_configured_language() -> None:
    assert initial_state() == Welcome() == Welcome(Display("fr", False, False))
    rules = FlowRules.from_config(
        KioskConfig(language="en"), token_delivery=False, supervised_reassort=False
    )
    assert initial_state(rules) == Welcome(Display("en"))
    assert (Welcome().language, Welcome().large_text, Welcome().high_contrast) == (
        "fr",
        False,
        False,
    )


def test_the_welcome_screen_sets_the_display_then_starts() -> None:
    state, effects = step(Welcome(), SetDisplay(EN))
    assert state == Welcome(EN, at(1))  # touched: it goes back to the default if nobody starts
    assert effects == ()
    state, effects = step(state, Start(), 5)
    assert state == Credentials(EN, at(5))
    assert effects == (Log(LogEvent.VOTER_SESSION, "started"),)


def test_submitting_credentials_asks_for_their_check_and_keeps_them_out_of_the_state() -> None:
    state, effects = step(Credentials(FR, T0), SubmitCredentials("agent@ac.fr", "hunter2"))
    assert state == Credentials(FR, at(1))
    assert effects == (VerifyCredentials("agent@ac.fr", "hunter2"),)
    for text in (repr(state), repr(effects), repr(SubmitCredentials("agent@ac.fr", "hunter2"))):
        assert "hunter2" not in text
        assert "agent@ac.fr" not in text


@pytest.mark.parametrize(("identifier", "password"), [("", "pw"), ("  ", "pw"), ("a@b.fr", "")])
def test_an_incomplete_form_is_refused_without_any_check(identifier: str, password: str) -> None:
    state, effects = step(Credentials(FR, T0), SubmitCredentials(identifier, password))
    assert state == Credentials(FR, at(1), Notice.INCOMPLETE)
    assert effects == ()


def test_accepted_credentials_lead_to_the_vote_code_with_a_captcha() -> None:
    state, effects = step(Credentials(FR, T0), LoginAccepted(VOTER))
    assert state == VoteCode(FR, at(1), VOTER)
    assert effects == (IssueCaptcha(),)
    no_captcha = dataclasses.replace(DEFAULT_RULES, captcha=False)
    assert step(Credentials(FR, T0), LoginAccepted(VOTER), rules=no_captcha)[1] == ()


def test_refused_credentials_show_the_notice_and_when_to_retry() -> None:
    refusal = Refusal(Notice.WRONG_CREDENTIALS, at(31))
    state, effects = step(Credentials(FR, T0), LoginRefused(refusal))
    assert state == Credentials(FR, T0, Notice.WRONG_CREDENTIALS, at(31))
    assert effects == ()


def test_locked_credentials_reset_the_session_to_the_locked_page() -> None:
    state, effects = step(Credentials(EN, T0), LoginRefused(Refusal(Notice.LOCKED)))
    assert state == Locked(EN, at(1), LockedCredential.LOGIN)
    assert ResetSession() in effects
    state, effects = step(state, Continue(), 2)
    assert state == initial_state()
    assert effects == (ResetSession(),)


@pytest.mark.parametrize("notice", [Notice.POLLS_NOT_OPEN, Notice.VOTING_CLOSED])
def test_closed_polls_are_a_page_not_a_crash(notice: Notice) -> None:
    state, _ = step(Credentials(FR, T0), LoginRefused(Refusal(notice)))
    assert state == Refused(FR, at(1), None, notice)
    assert step(state, Continue())[0] == initial_state()


def test_back_from_credentials_keeps_the_display_choice_until_the_welcome_times_out() -> None:
    # "Retour": the same person is still there, with the display they chose ...
    assert step(Credentials(EN, T0), Back()) == (Welcome(EN, at(1)), (ResetSession(),))
    welcome = Welcome(EN, at(1))
    assert step(welcome, Tick(), 90) == (welcome, ())
    # ... but not for the next person: after the inactivity delay, the pristine welcome.
    assert step(welcome, Tick(), 91) == (initial_state(), (ResetSession(),))


# ---- vote code -------------------------------------------------------------------------------


def test_the_captcha_image_arrives_and_a_refresh_asks_for_another() -> None:
    state, _ = step(VoteCode(FR, T0, VOTER), CaptchaIssued(CAPTCHA))
    assert state.captcha == CAPTCHA  # type: ignore[union-attr]
    assert step(state, RefreshCaptcha())[1] == (IssueCaptcha(),)


def test_no_vote_code_is_checked_before_the_captcha_shows() -> None:
    state = VoteCode(FR, T0, VOTER)
    assert step(state, SubmitVoteCode("CODE", "12345")) == (
        dataclasses.replace(state, last_input=at(1)),
        (),
    )


def test_a_vote_code_is_checked_with_the_captcha_it_answers() -> None:
    _state, effects = step(vote_code(), SubmitVoteCode("CODE7", "54793"))
    assert effects == (CheckVoteCode(VOTER.voter_id, "CODE7", "c0ffee", "54793"),)
    assert "CODE7" not in repr(effects)
    assert "54793" not in repr(effects)


def test_without_captcha_the_code_alone_is_checked() -> None:
    rules = dataclasses.replace(DEFAULT_RULES, captcha=False)
    state = VoteCode(FR, T0, VOTER)
    _, effects = step(state, SubmitVoteCode("CODE7"), rules=rules)
    assert effects == (CheckVoteCode(VOTER.voter_id, "CODE7", None, ""),)
    assert step(state, CaptchaIssued(CAPTCHA), rules=rules)[0] == state


@pytest.mark.parametrize("notice", [Notice.WRONG_VOTE_CODE, Notice.WRONG_CAPTCHA, Notice.WAIT])
def test_a_refused_code_spends_the_captcha_and_brings_a_new_one(notice: Notice) -> None:
    state, effects = step(vote_code(), VoteCodeRefused(Refusal(notice, at(30))))
    assert state == VoteCode(FR, T0, VOTER, None, notice, at(30))
    assert effects == (IssueCaptcha(),)


def test_a_locked_vote_code_resets_to_the_locked_page() -> None:
    state, effects = step(vote_code(), VoteCodeRefused(Refusal(Notice.LOCKED)))
    assert state == Locked(FR, at(1), LockedCredential.VOTE_CODE)
    assert ResetSession() in effects


def test_an_accepted_code_opens_the_scrutin_list() -> None:
    state, effects = step(vote_code(), VoteCodeAccepted(SCRUTINS, CLOSES))
    assert state == ScrutinList(FR, at(1), BOOTH)
    assert effects == ()


def test_back_from_the_vote_code_forgets_the_voter() -> None:
    assert step(vote_code(), Back()) == (Credentials(FR, at(1)), (ResetSession(),))


# ---- réassort --------------------------------------------------------------------------------


def test_the_reassort_offers_what_the_kiosk_and_the_voter_allow() -> None:
    state, _ = step(vote_code(), RequestReassort())
    assert state == ReassortChoice(FR, at(1), VOTER, token_delivery=True, supervised=True)
    offline = dataclasses.replace(DEFAULT_RULES, token_delivery=False)
    state, _ = step(vote_code(), RequestReassort(), rules=offline)
    assert state == ReassortChoice(FR, at(1), VOTER, token_delivery=False, supervised=True)
    no_channel = VoteCode(FR, T0, NO_CHANNEL_VOTER)
    assert step(no_channel, RequestReassort())[0].token_delivery is False  # type: ignore[union-attr]
    # A way that is not offered does nothing.
    refused = ReassortChoice(FR, T0, VOTER, token_delivery=False, supervised=False)
    for mode in ReassortMode:
        assert step(refused, ChooseReassort(mode))[0] == dataclasses.replace(
            refused, last_input=at(1)
        )


def test_a_kiosk_with_no_way_to_a_new_code_offers_no_reassort_link() -> None:
    nothing = dataclasses.replace(DEFAULT_RULES, token_delivery=False, supervised_reassort=False)
    state, _ = step(Credentials(FR, T0), LoginAccepted(VOTER), rules=nothing)
    assert isinstance(state, VoteCode)
    assert state.reassort_offered is False
    assert step(state, RequestReassort(), rules=nothing)[0] == dataclasses.replace(
        state, last_input=at(1)
    )  # a stale click: nothing opens
    tokens_only = dataclasses.replace(DEFAULT_RULES, supervised_reassort=False)
    state, _ = step(Credentials(FR, T0), LoginAccepted(NO_CHANNEL_VOTER), rules=tokens_only)
    assert isinstance(state, VoteCode)
    assert state.reassort_offered is False  # a voter with no e-mail nor phone on the roll
    state, _ = step(Credentials(FR, T0), LoginAccepted(VOTER), rules=tokens_only)
    assert isinstance(state, VoteCode)
    assert state.reassort_offered is True


def test_each_reassort_way_opens_its_page() -> None:
    choice = ReassortChoice(FR, T0, VOTER, token_delivery=True, supervised=True)
    assert step(choice, ChooseReassort(ReassortMode.QUESTION))[0] == ReassortQuestion(
        FR, at(1), VOTER, supervised=False
    )
    assert step(choice, ChooseReassort(ReassortMode.HAVE_TOKEN))[0] == ReassortTokenSent(
        FR, at(1), VOTER
    )
    assert step(choice, ChooseReassort(ReassortMode.SUPERVISED))[0] == AssesseurAuth(
        FR, at(1), VOTER
    )
    assert step(choice, Back()) == (VoteCode(FR, at(1), VOTER), (IssueCaptcha(),))


def test_the_question_sends_a_token_by_an_offered_channel_in_the_voter_language() -> None:
    question = ReassortQuestion(EN, T0, VOTER, supervised=False)
    _, effects = step(question, SubmitReassortAnswers("pays 7", "07E0000000AB", Channel.SMS))
    assert effects == (
        SendReassortToken(VOTER.voter_id, "pays 7", "07E0000000AB", Channel.SMS, "en"),
    )
    assert "pays 7" not in repr(effects)
    assert "07E0000000AB" not in repr(effects)
    lacking = ReassortQuestion(FR, T0, NO_CHANNEL_VOTER, supervised=False)
    state, effects = step(lacking, SubmitReassortAnswers("a", "n", Channel.EMAIL))
    assert (state.notice, effects) == (Notice.NO_CHANNEL, ())  # type: ignore[union-attr]
    state, effects = step(question, SubmitReassortAnswers("", "n", Channel.EMAIL))
    assert (state.notice, effects) == (Notice.INCOMPLETE, ())  # type: ignore[union-attr]


def test_a_sent_token_opens_the_token_page() -> None:
    delivery = TokenDelivery(Channel.EMAIL, "pe•••7@courriel.example", at(900))
    question = ReassortQuestion(FR, T0, VOTER, supervised=False)
    state, _ = step(question, TokenSent(delivery))
    assert state == ReassortTokenSent(FR, at(1), VOTER, sent=delivery)


@pytest.mark.parametrize("notice", [Notice.WRONG_ANSWERS, Notice.TOO_SOON, Notice.NOT_SENT])
def test_a_refused_question_stays_with_its_notice(notice: Notice) -> None:
    question = ReassortQuestion(FR, T0, VOTER, supervised=False)
    state, effects = step(question, ReassortRefused(Refusal(notice, at(60))))
    assert state == dataclasses.replace(question, notice=notice, retry_at=at(60))
    assert effects == ()


def test_too_many_wrong_answers_lock_the_reassort() -> None:
    question = ReassortQuestion(FR, T0, VOTER, supervised=True)
    state, effects = step(question, ReassortRefused(Refusal(Notice.LOCKED)))
    assert state == Locked(FR, at(1), LockedCredential.REASSORT)
    assert ResetSession() in effects


def test_the_supervised_reassort_needs_the_assesseur_first() -> None:
    auth = AssesseurAuth(FR, T0, VOTER)
    assert step(auth, SubmitAssesseur("1234"))[1] == (CheckAssesseur("1234"),)
    assert "1234" not in repr(CheckAssesseur("1234"))
    state, _ = step(auth, AssesseurRefused(Refusal(Notice.WRONG_ASSESSEUR)))
    assert state == AssesseurAuth(FR, T0, VOTER, Notice.WRONG_ASSESSEUR)
    state, _ = step(auth, AssesseurAccepted())
    assert state == ReassortQuestion(FR, at(1), VOTER, supervised=True)
    _, effects = step(state, SubmitReassortAnswers("pays 7", "07E0000000AB"))
    assert effects == (VerifyReassortAnswers(VOTER.voter_id, "pays 7", "07E0000000AB"),)
    state, _ = step(state, RegenerationAuthorized(GRANT))
    assert state == RegenerateWarning(FR, at(1), VOTER, GRANT)


def test_a_token_buys_the_regeneration_warning() -> None:
    entry = ReassortTokenSent(FR, T0, VOTER)
    assert step(entry, SubmitToken("abcd efgh"))[1] == (RedeemToken(VOTER.voter_id, "abcd efgh"),)
    state, _ = step(entry, ReassortRefused(Refusal(Notice.WRONG_TOKEN, at(30))))
    assert state == ReassortTokenSent(FR, T0, VOTER, None, Notice.WRONG_TOKEN, at(30))
    state, _ = step(entry, RegenerationAuthorized(GRANT))
    assert state == RegenerateWarning(FR, at(1), VOTER, GRANT)
    assert step(entry, Back())[0] == VoteCode(FR, at(1), VOTER)


def test_the_new_code_shows_for_120_seconds_then_is_gone_for_good() -> None:
    warning = RegenerateWarning(FR, T0, VOTER, GRANT)
    assert step(warning, Regenerate())[1] == (RegenerateCode(GRANT),)
    shown, effects = step(warning, CodeRegenerated("K7QX-M3PT-9HWA"), 10)
    assert shown == NewCodeShown(FR, VOTER, "K7QX-M3PT-9HWA", at(10), at(130))
    assert effects == ()
    assert "K7QX" not in repr(shown)
    # No inactivity warning while the code shows: the 120 s are the bound.
    assert step(shown, Tick(), 129)[0] == shown
    state, effects = step(shown, Tick(), 130)
    assert state == VoteCode(FR, at(130), VOTER, notice=Notice.CODE_HIDDEN)
    assert effects == (IssueCaptcha(),)
    assert "K7QX-M3PT-9HWA" not in repr(dataclasses.astuple(state))


def test_the_voter_may_leave_the_code_page_early() -> None:
    shown = NewCodeShown(FR, VOTER, "K7QX-M3PT-9HWA", T0, at(120))
    assert step(shown, Continue(), 40) == (VoteCode(FR, at(40), VOTER), (IssueCaptcha(),))


def test_a_lapsed_grant_sends_the_voter_back_to_the_vote_code() -> None:
    warning = RegenerateWarning(FR, T0, VOTER, GRANT)
    state, _ = step(warning, ReassortRefused(Refusal(Notice.EXPIRED_TOKEN)))
    assert state == VoteCode(FR, at(1), VOTER, notice=Notice.EXPIRED_TOKEN)


# ---- voting ----------------------------------------------------------------------------------


def test_a_scrutin_already_voted_cannot_be_entered_again() -> None:
    listing = ScrutinList(FR, T0, BOOTH)
    assert step(listing, ChooseScrutin(CAP))[0] == ScrutinList(
        FR, at(1), BOOTH, Notice.ALREADY_VOTED
    )
    assert step(listing, ChooseScrutin(ScrutinId("nope")))[0] == ScrutinList(FR, at(1), BOOTH)
    assert step(listing, ChooseScrutin(CAPN))[0] == Gallery(FR, at(1), BOOTH, SCRUTINS[0])


def test_selection_is_disabled_until_je_veux_voter() -> None:
    disarmed = gallery()
    assert step(disarmed, Select(L1)) == (gallery(last_input=at(1)), ())
    armed, _ = step(disarmed, ArmSelection())
    assert armed == gallery(last_input=at(1), armed=True)
    sealing, effects = step(armed, Select(L1), 2)
    assert sealing == gallery(last_input=at(2), armed=True, selected=L1)
    assert effects == (SealBallot(CAPN, L1),)
    assert "l1" not in repr(effects)
    assert "selected=" not in repr(sealing)
    assert step(armed, Select(ListId("l9")), 2)[1] == ()


def test_documents_open_for_lists_only() -> None:
    state, _ = step(gallery(), OpenDocument(L1, DocumentKind.PROFESSION_DE_FOI))
    assert state.document == DocumentRef(L1, DocumentKind.PROFESSION_DE_FOI)  # type: ignore[union-attr]
    assert step(state, CloseDocument())[0].document is None  # type: ignore[union-attr]
    assert step(gallery(), OpenDocument(BLANK, DocumentKind.BALLOT))[0].document is None  # type: ignore[union-attr]


def test_the_sealed_ballot_goes_to_confirmation_with_its_tracking_code() -> None:
    sealing = gallery(armed=True, selected=L1)
    assert step(sealing, BallotSealed(CAP, TRACKING))[0] == sealing  # another scrutin: stale
    assert step(gallery(armed=True), BallotSealed(CAPN, TRACKING))[0] == gallery(armed=True)
    state, effects = step(sealing, BallotSealed(CAPN, TRACKING))
    assert state == Confirm(FR, T0, BOOTH, SCRUTINS[0], L1, TRACKING)
    assert effects == ()


def test_retour_discards_the_sealed_ballot_and_disarms_the_selection() -> None:
    state, effects = step(confirm(), Back())
    assert state == Gallery(FR, at(1), BOOTH, SCRUTINS[0])
    assert effects == (DiscardBallot(),)


def test_je_vote_casts_and_the_receipt_prints() -> None:
    assert step(confirm(), CastVote())[1] == (CastBallot(VOTER.voter_id, CAPN),)
    state, effects = step(confirm(), BallotCast(PAPERS), 2)
    voted_booth = BOOTH.with_voted(CAPN)
    assert state == Receipt(
        FR, at(2), voted_booth, dataclasses.replace(SCRUTINS[0], voted=True), PAPERS
    )
    assert state.tracking_code == TRACKING  # type: ignore[union-attr]
    assert state.receipt == RECEIPT  # type: ignore[union-attr]
    assert state.cast_at == at(1)  # type: ignore[union-attr]
    assert effects == (PAPERS,)
    assert "Agent Sept" not in repr(state) + repr(effects)
    assert step(state, PrintAgain(), 3)[1] == effects
    listing, _ = step(state, Continue(), 3)
    assert listing == ScrutinList(FR, at(3), voted_booth)
    assert all(s.voted for s in listing.booth.scrutins)  # type: ignore[union-attr]


def test_a_refused_cast_is_a_page_and_the_ballot_is_dropped() -> None:
    state, effects = step(confirm(), CastRefused(Refusal(Notice.ALREADY_VOTED)))
    assert state == Refused(FR, at(1), BOOTH.with_voted(CAPN), Notice.ALREADY_VOTED)
    assert effects == (DiscardBallot(),)
    assert step(state, Continue(), 2)[0] == ScrutinList(FR, at(2), BOOTH.with_voted(CAPN))
    closed, _ = step(confirm(), CastRefused(Refusal(Notice.POLLS_NOT_OPEN)))
    state, effects = step(closed, Continue())
    assert state == initial_state()
    assert ResetSession() in effects


def test_a_challenge_prints_the_slip_and_lets_the_voter_choose_again() -> None:
    assert step(confirm(), ChallengeVote())[1] == (ChallengeBallot(CAPN),)
    state, effects = step(confirm(), BallotChallenged(SLIP_PAPERS))
    assert state == ChallengeShown(FR, at(1), BOOTH, SCRUTINS[0], TRACKING)
    assert effects == (SLIP_PAPERS,)
    assert "Liste 1" not in repr(effects)
    assert step(state, Continue(), 2)[0] == Gallery(FR, at(2), BOOTH, SCRUTINS[0])


def test_quit_ends_the_session_wherever_the_voter_is() -> None:
    for state in (vote_code(), gallery(armed=True), confirm(), ScrutinList(FR, T0, BOOTH)):
        finished, effects = step(state, Quit(), 5)
        assert finished == Finished(FR, at(5))
        assert DiscardBallot() in effects
        assert ResetSession() in effects
    assert step(ScrutinList(FR, T0, BOOTH), Quit())[1][-1] == Log(
        LogEvent.VOTER_SESSION, "finished"
    )
    assert step(vote_code(), Quit())[1][-1] == Log(LogEvent.VOTER_SESSION, "quit")
    assert step(Credentials(FR, T0), Quit()) == (initial_state(), (ResetSession(),))
    assert step(Welcome(EN), Quit()) == (Welcome(EN, at(1)), ())


def test_the_finish_page_returns_to_a_pristine_welcome() -> None:
    finished = Finished(EN, T0)
    assert step(finished, Tick(), 9)[0] == finished
    assert step(finished, Tick(), 10) == (initial_state(), (ResetSession(),))
    assert step(finished, Continue())[0] == initial_state()


# ---- inactivity ------------------------------------------------------------------------------


def test_inactivity_warns_after_60_seconds_and_resets_30_seconds_later() -> None:
    listing = ScrutinList(EN, T0, BOOTH)
    assert step(listing, Tick(), 59)[0] == listing
    warned, effects = step(listing, Tick(), 60)
    assert warned == InactivityWarning(listing, at(90))
    assert effects == ()
    assert warned.display == EN  # type: ignore[union-attr]
    assert step(warned, Tick(), 89)[0] == warned
    state, effects = step(warned, Tick(), 90)
    assert state == initial_state()
    assert effects == (
        DiscardBallot(),
        ResetSession(),
        Audit(AuditEvent.SESSION_TIMED_OUT),
        Log(LogEvent.VOTER_SESSION, "timed_out"),
    )


def test_any_input_on_the_warning_resumes_without_acting() -> None:
    warned = InactivityWarning(confirm(), at(90))
    for event in (StillHere(), CastVote(), Back(), SetDisplay(EN)):
        state, effects = step(warned, event, 70)
        assert state == dataclasses.replace(confirm(), last_input=at(70))
        assert effects == ()
    assert step(warned, BallotCast(PAPERS), 70) == (warned, ())


def test_a_late_tick_resets_at_once() -> None:
    state, effects = step(gallery(), Tick(), 3600)
    assert state == initial_state()
    assert ResetSession() in effects


def test_a_timeout_before_login_journals_no_session() -> None:
    state, effects = step(Credentials(EN, T0), Tick(), 95)
    assert state == initial_state()
    assert effects == (DiscardBallot(), ResetSession())


def test_inactivity_delays_follow_the_configuration() -> None:
    rules = FlowRules.from_config(
        KioskConfig(inactivity_warning_seconds=20, inactivity_reset_seconds=10),
        token_delivery=True,
        supervised_reassort=True,
    )
    assert isinstance(step(vote_code(), Tick(), 20, rules)[0], InactivityWarning)
    assert step(vote_code(), Tick(), 30, rules)[0] == initial_state(rules)


def test_input_restarts_the_idle_clock() -> None:
    state, _ = step(gallery(), ArmSelection(), 50)
    assert step(state, Tick(), 100)[0] == state
    assert isinstance(step(state, Tick(), 110)[0], InactivityWarning)


def test_the_pristine_welcome_page_never_times_out() -> None:
    assert step(Welcome(EN), Tick(), 10_000) == (Welcome(EN), ())
    assert step(initial_state(), Tick(), 10_000) == (initial_state(), ())


def test_a_display_chosen_on_the_welcome_page_does_not_stay_for_the_next_person() -> None:
    chosen, _ = step(Welcome(), SetDisplay(EN), 10)
    assert step(chosen, Tick(), 99) == (chosen, ())  # 89 s without input: no warning, nothing
    assert step(chosen, Tick(), 100) == (initial_state(), (ResetSession(),))
    # Any input restarts the delay, as on the other screens.
    touched, _ = step(chosen, Activity(), 50)
    assert touched == Welcome(EN, at(50))
    assert step(touched, Tick(), 139)[0] == touched
    assert step(touched, Tick(), 140)[0] == initial_state()
    rules = FlowRules.from_config(
        KioskConfig(language="en", inactivity_warning_seconds=20, inactivity_reset_seconds=10),
        token_delivery=True,
        supervised_reassort=True,
    )
    big = Welcome(Display("en", large_text=True), T0)
    assert step(big, Tick(), 30, rules) == (initial_state(rules), (ResetSession(),))


# ---- what the window reports -----------------------------------------------------------------


def test_activity_only_restarts_the_idle_clock() -> None:
    for state in (vote_code(), gallery(document=DocumentRef(L1, DocumentKind.BALLOT)), confirm()):
        assert step(state, Activity(), 50) == (dataclasses.replace(state, last_input=at(50)), ())
    # A voter reading a document past 90 s: activity every 50 s keeps the session.
    reading = gallery(document=DocumentRef(L1, DocumentKind.PROFESSION_DE_FOI))
    for seconds in (50, 100, 150):
        reading, _ = step(reading, Tick(), seconds)
        assert isinstance(reading, Gallery)
        reading, _ = step(reading, Activity(), seconds)
    # As any input, it resumes a warning, without acting.
    assert step(InactivityWarning(confirm(), at(90)), Activity(), 70) == (
        dataclasses.replace(confirm(), last_input=at(70)),
        (),
    )
    for state in (Finished(FR, T0), NewCodeShown(FR, VOTER, "CODE", T0, at(120))):
        assert step(state, Activity()) == (state, ())


def receipt(**changes: object) -> Receipt:
    return dataclasses.replace(Receipt(FR, T0, BOOTH, SCRUTINS[0], PAPERS), **changes)  # type: ignore[arg-type]


def test_papers_not_printed_put_a_notice_on_their_page() -> None:
    not_printed = PapersNotPrinted(CAPN, PaperSet.RECEIPT)
    assert step(receipt(), not_printed, 30) == (receipt(notice=Notice.NOT_PRINTED), ())
    shown = ChallengeShown(FR, T0, BOOTH, SCRUTINS[0], TRACKING)
    slip_not_printed = PapersNotPrinted(CAPN, PaperSet.CHALLENGE_SLIP)
    assert step(shown, slip_not_printed) == (
        dataclasses.replace(shown, notice=Notice.NOT_PRINTED),
        (),
    )
    # A report is no input: the idle clock runs on, and a warning stays up.
    warned = InactivityWarning(receipt(), at(90))
    assert step(warned, not_printed, 70) == (
        InactivityWarning(receipt(notice=Notice.NOT_PRINTED), at(90)),
        (),
    )


def test_a_stale_print_report_changes_nothing() -> None:
    shown = ChallengeShown(FR, T0, BOOTH, SCRUTINS[0], TRACKING)
    for state, event in (
        (receipt(), PapersNotPrinted(CAP, PaperSet.RECEIPT)),  # another scrutin
        (receipt(), PapersNotPrinted(CAPN, PaperSet.CHALLENGE_SLIP)),  # an earlier slip
        (shown, PapersNotPrinted(CAPN, PaperSet.RECEIPT)),
        (ScrutinList(FR, T0, BOOTH), PapersNotPrinted(CAPN, PaperSet.RECEIPT)),
        (Welcome(), PapersNotPrinted(CAPN, PaperSet.RECEIPT)),
    ):
        assert step(state, event) == (state, ())


def test_printing_again_clears_the_notice_until_the_next_report() -> None:
    state, effects = step(receipt(notice=Notice.NOT_PRINTED), PrintAgain(), 5)
    assert state == receipt(last_input=at(5))
    assert effects == (PAPERS,)


def test_a_core_failure_ends_the_session_and_says_to_ask_an_assesseur() -> None:
    for state in (confirm(), receipt(), InactivityWarning(gallery(), at(90))):
        incident, effects = step(state, CoreFailure(), 5)
        assert incident == Refused(FR, at(5), None, Notice.INCIDENT)
        assert effects == (
            DiscardBallot(),
            ResetSession(),
            Log(LogEvent.VOTER_SESSION, "incident"),
        )
        assert "Agent Sept" not in repr(incident)
        # A second failure changes nothing; "Continuer" goes to the pristine welcome.
        assert step(incident, CoreFailure(), 6) == (incident, ())
        assert step(incident, Continue(), 7) == (initial_state(), (DiscardBallot(), ResetSession()))
    assert step(Credentials(EN, T0), CoreFailure()) == (
        Refused(EN, at(1), None, Notice.INCIDENT),
        (DiscardBallot(), ResetSession()),
    )


# ---- robustness ------------------------------------------------------------------------------

ALL_STATES: list[flow.State] = [
    Welcome(),
    Credentials(FR, T0),
    vote_code(),
    ReassortChoice(FR, T0, VOTER, True, True),
    AssesseurAuth(FR, T0, VOTER),
    ReassortQuestion(FR, T0, VOTER, supervised=False),
    ReassortTokenSent(FR, T0, VOTER),
    RegenerateWarning(FR, T0, VOTER, GRANT),
    NewCodeShown(FR, VOTER, "CODE", T0, at(120)),
    ScrutinList(FR, T0, BOOTH),
    gallery(),
    confirm(),
    ChallengeShown(FR, T0, BOOTH, SCRUTINS[0], TRACKING),
    Receipt(FR, T0, BOOTH, SCRUTINS[0], PAPERS),
    Refused(FR, T0, BOOTH, Notice.ALREADY_VOTED),
    Locked(FR, T0, LockedCredential.LOGIN),
    Finished(FR, T0),
    InactivityWarning(gallery(), at(90)),
]
RESULTS: list[flow.Event] = [
    LoginAccepted(VOTER),
    LoginRefused(Refusal(Notice.WRONG_CREDENTIALS)),
    CaptchaIssued(CAPTCHA),
    VoteCodeAccepted(SCRUTINS, CLOSES),
    VoteCodeRefused(Refusal(Notice.WRONG_VOTE_CODE)),
    AssesseurAccepted(),
    AssesseurRefused(Refusal(Notice.WRONG_ASSESSEUR)),
    TokenSent(TokenDelivery(Channel.EMAIL, "x", T0)),
    RegenerationAuthorized(GRANT),
    ReassortRefused(Refusal(Notice.WRONG_TOKEN)),
    CodeRegenerated("CODE"),
    BallotSealed(CAPN, TRACKING),
    BallotCast(PAPERS),
    CastRefused(Refusal(Notice.NOT_ELIGIBLE)),
    BallotChallenged(SLIP_PAPERS),
]


def test_every_state_has_a_page_and_a_covered_type() -> None:
    covered = {type(s) for s in ALL_STATES}
    assert covered == set(flow.State.__args__)  # type: ignore[attr-defined]


@pytest.mark.parametrize("state", ALL_STATES, ids=lambda s: type(s).__name__)
def test_every_state_accepts_every_event_without_raising(state: flow.State) -> None:
    user_events = [cls() for cls in flow._USER_EVENTS if not dataclasses.fields(cls)]
    user_events += [
        SetDisplay(EN),
        SubmitCredentials("a@b.fr", "pw"),
        SubmitVoteCode("c", "1"),
        ChooseReassort(ReassortMode.QUESTION),
        SubmitAssesseur("1"),
        SubmitReassortAnswers("a", "n", Channel.EMAIL),
        SubmitToken("t"),
        ChooseScrutin(CAPN),
        OpenDocument(L1, DocumentKind.BALLOT),
        Select(L1),
    ]
    shell_events = [
        PapersNotPrinted(CAPN, PaperSet.RECEIPT),
        PapersNotPrinted(CAPN, PaperSet.CHALLENGE_SLIP),
        CoreFailure(),
    ]
    for event in [*user_events, *RESULTS, *shell_events, Tick()]:
        new_state, effects = transition(state, event, at(5))
        assert isinstance(new_state, flow.State.__args__)  # type: ignore[attr-defined]
        assert isinstance(effects, tuple)


def test_a_result_for_another_screen_changes_nothing() -> None:
    for state in (Welcome(), ScrutinList(FR, T0, BOOTH), Finished(FR, T0)):
        for event in RESULTS:
            assert transition(state, event, at(1)) == (state, ())


def test_no_state_or_event_says_which_list_a_voter_reads() -> None:
    for kind in DocumentKind:
        reads = [DocumentRef(ListId(name), kind) for name in ("l0", "l1", "l2")]
        assert len({repr(gallery(document=ref)) for ref in reads}) == 1
        assert len({repr(OpenDocument(ref.list_id, ref.kind)) for ref in reads}) == 1
        assert len({repr(ref) for ref in reads}) == 1
        assert "l1" not in repr(OpenDocument(L1, kind))
        assert "l1" not in repr(DocumentRef(L1, kind))
    assert "document=" not in repr(gallery(document=DocumentRef(L1, DocumentKind.BALLOT)))


def test_no_state_shows_a_secret_in_its_repr() -> None:
    text = repr(ALL_STATES)
    for secret in ("v0007", "Agent Sept", "dernier pays", "courriel", "grant-1", "CODE"):
        assert secret not in text
    assert "choice=" not in text
    assert "selected=" not in text
    assert TRACKING not in text


def test_countdowns_never_go_negative() -> None:
    assert remaining(at(10), at(4)) == timedelta(seconds=6)
    assert remaining(at(10), at(40)) == timedelta(0)
    assert closing_countdown(CLOSES, T0) == (7, 8, 0)
    assert closing_countdown(CLOSES, CLOSES + timedelta(days=1)) == (0, 0, 0)
    assert closing_countdown(T0 + timedelta(hours=1, minutes=5, seconds=59), T0) == (0, 1, 5)
