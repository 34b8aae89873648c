"""No sequence of events leaks anything of one voter into the next session (docs/voter-flow.md).

A Hypothesis state machine drives a real ``VotingSession`` (real store, real crypto, file
mailbox, CAPTCHA on) with random events from two voters and an unknown identifier: logins right
and wrong, vote codes, CAPTCHA answers, réassort by token and supervised, votes, challenges,
casts, back, quit and time passing. It records every voter-specific value it typed or saw
(identifier, voter id, name, password, code, CAPTCHA answer, token, answer, NUMEN, choice,
tracking code, new code, grant) and, whenever the session is reset (finish, quit, timeout, lock,
logout, a core failure), checks that none of them remains in the state or the session, that the
session holds no pending ballot, grant or CAPTCHA, and that a reset to the welcome screen equals a
fresh one. Typed secrets must never be in any state's repr, at any step. A welcome screen that
someone touched (a display chosen, "Retour" from the credentials) is pristine again once the
inactivity delay passed without input, so no display choice stays for the next person.

The number of runs is the Hypothesis profile's (``ISOLOIR_SOAK=1``: the soak's, tests/conftest.py).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import event as note
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kiosk.clock import ManualClock
from kiosk.election.model import ListId, ScrutinId
from kiosk.voting import flow
from kiosk.voting.model import Channel, Display, DocumentKind, PaperSet, ReassortMode
from tests.unit.test_voting_world import ASSESSEUR_PIN, Kiosk, VoterSecrets

VOTERS = (VoterSecrets(0), VoterSecrets(1))
# Hundreds of stores are made and thrown away: in memory when possible (fsync is free there).
SCRATCH = "/dev/shm" if Path("/dev/shm").is_dir() else None
OPTIONS = [ListId("l0"), ListId("l1"), ListId("l2"), ListId("blank")]
SCRUTINS = [ScrutinId("capn"), ScrutinId("cap")]
ROOT = Path(__file__).resolve().parents[2]


def strings_in(value: object) -> list[str]:
    """Every str (and bytes, decoded) reachable through dataclass fields and containers."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, bytes):
            found.append(item.decode("latin-1"))
        elif isinstance(item, datetime):
            continue
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        elif isinstance(item, tuple | list | set | frozenset):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
    return found


class TwoVoters(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="isoloir-voting-", dir=SCRATCH))
        self.kiosk = Kiosk(self.folder, ManualClock())
        self.typed: set[str] = set()  # secrets typed in this session: never in any state
        self.seen: set[str] = set()  # everything of the voter: gone after a reset
        self.wrong = 0
        self.hammered = False
        self.failed = False
        self.codes = {v.voter_id: v.code for v in VOTERS}  # current codes, réassorts included

    def teardown(self) -> None:
        self.kiosk.store.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # ---- driving ----------------------------------------------------------------------------

    @property
    def state(self) -> flow.State:
        return self.kiosk.state

    def send(self, event: flow.UserEvent | flow.ShellEvent | flow.Tick, after: float = 1) -> None:
        before = self.state
        self.kiosk.send(event, after=after)
        self.observe(self.state)
        note(f"reached {type(self.state).__name__}")  # coverage, in --hypothesis-show-statistics
        step = self.kiosk.steps[-1]
        if flow.ResetSession() in step.outputs:
            self.check_reset(before)

    def wrong_secret(self) -> str:
        self.wrong += 1
        secret = f"faux-{self.wrong}-secret"
        self.typed.add(secret)
        return secret

    def type_secret(self, secret: str) -> str:
        if secret:  # nothing typed (no CAPTCHA shown yet) is no secret
            self.typed.add(secret)
            self.seen.add(secret)
        return secret

    def observe(self, state: flow.State) -> None:
        """Remember what of the voter the screen holds."""
        inner = state.interrupted if isinstance(state, flow.InactivityWarning) else state
        voter = getattr(inner, "voter", None) or getattr(
            getattr(inner, "booth", None), "voter", None
        )
        if voter is not None:
            self.seen.update({voter.voter_id, voter.display_name, voter.secret_question})
            self.seen.update(c.destination for c in voter.channels)
        match inner:
            case flow.VoteCode(captcha=captcha) if captcha is not None:
                self.seen.add(captcha.challenge_id)
            case flow.RegenerateWarning(grant=grant):
                self.seen.add(grant.grant_id)
            case flow.NewCodeShown(code=code, voter=voter):
                self.seen.add(code)
                self.codes[voter.voter_id] = code
            case flow.Confirm(choice=choice, tracking_code=code):
                self.seen.update({choice, code})
            case flow.Receipt() | flow.ChallengeShown():
                self.seen.add(inner.tracking_code)
            case _:
                pass

    def check_reset(self, before: flow.State) -> None:
        state = self.state
        session = self.kiosk.session
        assert session.holds_nothing
        assert isinstance(
            state, flow.Welcome | flow.Finished | flow.Locked | flow.Credentials | flow.Refused
        )
        if isinstance(state, flow.Welcome) and not isinstance(before, flow.Credentials):
            assert state == flow.initial_state(session.rules)
        if isinstance(state, flow.Credentials):
            assert state == flow.Credentials(state.display, state.last_input)
        if isinstance(state, flow.Refused):
            assert state.booth is None
        haystack = [repr(state), repr(session), *strings_in(state)]
        for secret in self.seen | self.typed:
            assert not any(secret in text for text in haystack), "a voter's trace survived"
        self.seen.clear()
        self.typed.clear()

    @invariant()
    def typed_secrets_never_reach_a_state(self) -> None:
        text = repr(self.state)
        assert not any(secret in text for secret in self.typed)

    @invariant()
    def a_welcome_with_a_choice_times_out(self) -> None:
        """A welcome that is not pristine knows when it was last touched: it will time out."""
        state = self.state
        if isinstance(state, flow.Welcome) and state != flow.initial_state(
            self.kiosk.session.rules
        ):
            assert state.last_input is not None

    # ---- any time ---------------------------------------------------------------------------

    @rule()
    def start(self) -> None:
        self.send(flow.Start())

    @rule(language=st.sampled_from(["fr", "en"]), large=st.booleans(), contrast=st.booleans())
    def set_display(self, language: str, large: bool, contrast: bool) -> None:
        self.send(flow.SetDisplay(Display(language, large, contrast)))  # type: ignore[arg-type]

    @rule(
        event=st.sampled_from(
            [flow.Back(), flow.Continue(), flow.Quit(), flow.StillHere(), flow.Activity()]
        )
    )
    def navigate(self, event: flow.UserEvent) -> None:
        self.send(event)

    @rule(seconds=st.sampled_from([1, 9, 30, 59, 60, 89, 90, 120, 900]))
    def time_passes(self, seconds: int) -> None:
        before = self.state
        self.send(flow.Tick(), after=seconds)
        rules = self.kiosk.session.rules
        idle_limit = rules.inactivity_warning + rules.inactivity_reset
        if (
            isinstance(before, flow.Welcome)
            and before.last_input is not None
            and self.kiosk.clock.now() - before.last_input >= idle_limit
        ):
            assert self.state == flow.initial_state(rules)

    # ---- what the window reports -------------------------------------------------------------

    @precondition(
        lambda self: (
            not self.failed
            and getattr(getattr(self.state, "interrupted", self.state), "booth", None) is not None
        )
    )
    @rule()
    def core_fails(self) -> None:
        """A core call raised while a voter was voting (once a run: the rest goes deep)."""
        self.failed = True
        self.send(flow.CoreFailure())
        assert isinstance(self.state, flow.Refused)

    @precondition(
        lambda self: isinstance(
            getattr(self.state, "interrupted", self.state), flow.Receipt | flow.ChallengeShown
        )
    )
    @rule(papers=st.sampled_from(PaperSet))
    def papers_not_printed(self, papers: PaperSet) -> None:
        shown = getattr(self.state, "interrupted", self.state)
        assert isinstance(shown, flow.Receipt | flow.ChallengeShown)
        self.send(flow.PapersNotPrinted(shown.scrutin.scrutin_id, papers))

    # ---- credentials ------------------------------------------------------------------------

    @precondition(lambda self: isinstance(self.state, flow.Credentials))
    @rule(who=st.sampled_from([0, 1, None]), right=st.booleans(), shout=st.booleans())
    def login(self, who: int | None, right: bool, shout: bool) -> None:
        if who is None:
            identifier, password = "personne@ac-exemple.fr", self.wrong_secret()
        else:
            voter = VOTERS[who]
            identifier = voter.identifier.upper() if shout else voter.identifier
            password = voter.password if right else self.wrong_secret()
        self.seen.add(identifier)
        self.seen.add(identifier.strip().casefold())
        self.type_secret(password)
        self.send(flow.SubmitCredentials(identifier, password))

    @precondition(lambda self: isinstance(self.state, flow.VoteCode))
    @rule(which=st.sampled_from(["own", "other", "wrong", "current"]), captcha=st.booleans())
    def submit_vote_code(self, which: str, captcha: bool) -> None:
        state = self.state
        assert isinstance(state, flow.VoteCode)
        own = next(v for v in VOTERS if v.voter_id == state.voter.voter_id)
        other = next(v for v in VOTERS if v is not own)
        code = {
            "own": own.code,
            "other": other.code,
            "wrong": self.wrong_secret(),
            "current": self.codes[own.voter_id],
        }[which]
        answer = self.kiosk.captcha_answer() if captcha else self.wrong_secret()
        self.type_secret(code)
        self.type_secret(answer)
        self.send(flow.SubmitVoteCode(code, answer))

    @precondition(lambda self: isinstance(self.state, flow.VoteCode))
    @rule()
    def refresh_captcha(self) -> None:
        self.send(flow.RefreshCaptcha())

    # ---- réassort ---------------------------------------------------------------------------

    @precondition(lambda self: isinstance(self.state, flow.VoteCode))
    @rule()
    def request_reassort(self) -> None:
        self.send(flow.RequestReassort())

    @precondition(lambda self: isinstance(self.state, flow.ReassortChoice))
    @rule(mode=st.sampled_from(list(ReassortMode)))
    def choose_reassort(self, mode: ReassortMode) -> None:
        self.send(flow.ChooseReassort(mode))

    @precondition(lambda self: isinstance(self.state, flow.AssesseurAuth))
    @rule(right=st.booleans())
    def assesseur(self, right: bool) -> None:
        self.send(flow.SubmitAssesseur(ASSESSEUR_PIN if right else self.wrong_secret()))

    @precondition(lambda self: isinstance(self.state, flow.ReassortQuestion))
    @rule(right=st.booleans(), channel=st.sampled_from([Channel.EMAIL, Channel.SMS, None]))
    def answer_question(self, right: bool, channel: Channel | None) -> None:
        state = self.state
        assert isinstance(state, flow.ReassortQuestion)
        voter = next(v for v in VOTERS if v.voter_id == state.voter.voter_id)
        answer = voter.answer if right else self.wrong_secret()
        self.type_secret(answer)
        self.type_secret(voter.numen)
        self.send(flow.SubmitReassortAnswers(answer, voter.numen, channel))
        if isinstance(self.state, flow.ReassortTokenSent) and self.kiosk.mailbox.messages():
            self.seen.add(self.kiosk.latest_token())

    @precondition(lambda self: isinstance(self.state, flow.ReassortTokenSent))
    @rule(right=st.booleans(), scanned=st.booleans())
    def submit_token(self, right: bool, scanned: bool) -> None:
        if right and self.kiosk.mailbox.messages():
            token = self.kiosk.latest_token()
            text = f"isoloir-reassort/1 {token}" if scanned else token.lower()
        else:
            text = self.wrong_secret()
        self.type_secret(text)
        self.send(flow.SubmitToken(text))

    @precondition(lambda self: isinstance(self.state, flow.RegenerateWarning))
    @rule()
    def regenerate(self) -> None:
        self.send(flow.Regenerate())

    # ---- whole paths, so that random runs get deep -------------------------------------------

    def send_if(self, expected: type, event: flow.UserEvent) -> bool:
        """Send ``event`` if the screen is ``expected``; False (and nothing sent) otherwise."""
        if not isinstance(self.state, expected):
            return False
        self.send(event)
        return True

    @precondition(lambda self: isinstance(self.state, flow.Welcome | flow.Credentials))
    @rule(who=st.sampled_from([0, 1]), with_code=st.booleans())
    def sign_in(self, who: int, with_code: bool) -> None:
        voter = VOTERS[who]
        self.send_if(flow.Welcome, flow.Start())
        self.seen.add(voter.identifier)
        self.type_secret(voter.password)
        self.send_if(flow.Credentials, flow.SubmitCredentials(voter.identifier, voter.password))
        if not with_code:
            return
        code = self.type_secret(self.codes[voter.voter_id])
        answer = self.type_secret(self.kiosk.captcha_answer())
        self.send_if(flow.VoteCode, flow.SubmitVoteCode(code, answer))

    @precondition(
        lambda self: not self.hammered and isinstance(self.state, flow.Credentials | flow.VoteCode)
    )
    @rule(who=st.sampled_from([0, 1, None]))
    def hammer(self, who: int | None) -> None:
        """Ten wrong attempts, each once the previous delay is over: a lock (once a run)."""
        self.hammered = True
        identifier = "personne@ac-exemple.fr" if who is None else VOTERS[who].identifier
        self.seen.add(identifier)
        for _ in range(10):
            state = self.state
            retry_at = getattr(state, "retry_at", None)
            wait = 1.0 if retry_at is None else (retry_at - self.kiosk.clock.now()).total_seconds()
            wrong = self.wrong_secret()
            if isinstance(state, flow.Credentials):
                self.send(flow.SubmitCredentials(identifier, wrong), after=max(wait, 1))
            elif isinstance(state, flow.VoteCode):
                answer = self.type_secret(self.kiosk.captcha_answer())
                self.send(flow.SubmitVoteCode(wrong, answer), after=max(wait, 1))
            else:
                return

    @precondition(lambda self: isinstance(self.state, flow.ScrutinList))
    @rule(scrutin=st.sampled_from(SCRUTINS), option=st.sampled_from(OPTIONS), check=st.booleans())
    def vote_in(self, scrutin: ScrutinId, option: ListId, check: bool) -> None:
        self.send_if(flow.ScrutinList, flow.ChooseScrutin(scrutin))
        self.send_if(flow.Gallery, flow.ArmSelection())
        self.send_if(flow.Gallery, flow.Select(option))
        if check and self.send_if(flow.Confirm, flow.ChallengeVote()):
            self.send_if(flow.ChallengeShown, flow.Continue())
            self.send_if(flow.Gallery, flow.ArmSelection())
            self.send_if(flow.Gallery, flow.Select(option))
        self.send_if(flow.Confirm, flow.CastVote())

    @precondition(lambda self: isinstance(self.state, flow.VoteCode))
    @rule(supervised=st.booleans(), channel=st.sampled_from([Channel.EMAIL, Channel.SMS]))
    def full_reassort(self, supervised: bool, channel: Channel) -> None:
        state = self.state
        assert isinstance(state, flow.VoteCode)
        voter = next(v for v in VOTERS if v.voter_id == state.voter.voter_id)
        self.send(flow.RequestReassort())
        self.type_secret(voter.answer)
        self.type_secret(voter.numen)
        if supervised:
            self.send_if(flow.ReassortChoice, flow.ChooseReassort(ReassortMode.SUPERVISED))
            self.send_if(flow.AssesseurAuth, flow.SubmitAssesseur(ASSESSEUR_PIN))
            self.send_if(
                flow.ReassortQuestion, flow.SubmitReassortAnswers(voter.answer, voter.numen)
            )
        else:
            self.send_if(flow.ReassortChoice, flow.ChooseReassort(ReassortMode.QUESTION))
            answers = flow.SubmitReassortAnswers(voter.answer, voter.numen, channel)
            if self.send_if(flow.ReassortQuestion, answers) and isinstance(
                self.state, flow.ReassortTokenSent
            ):
                token = self.type_secret(self.kiosk.latest_token())
                self.send(flow.SubmitToken(token))
        self.send_if(flow.RegenerateWarning, flow.Regenerate())

    # ---- voting -----------------------------------------------------------------------------

    @precondition(lambda self: isinstance(self.state, flow.ScrutinList))
    @rule(scrutin=st.sampled_from(SCRUTINS))
    def choose_scrutin(self, scrutin: ScrutinId) -> None:
        self.send(flow.ChooseScrutin(scrutin))

    @precondition(lambda self: isinstance(self.state, flow.Gallery))
    @rule(
        event=st.one_of(
            st.just(flow.ArmSelection()),
            st.just(flow.CloseDocument()),
            st.builds(flow.OpenDocument, st.sampled_from(OPTIONS), st.sampled_from(DocumentKind)),
        )
    )
    def browse(self, event: flow.UserEvent) -> None:
        self.send(event)

    @precondition(lambda self: isinstance(self.state, flow.Gallery))
    @rule(option=st.sampled_from(OPTIONS))
    def select(self, option: ListId) -> None:
        self.send(flow.Select(option))

    @precondition(lambda self: isinstance(self.state, flow.Confirm | flow.Receipt))
    @rule(event=st.sampled_from([flow.CastVote(), flow.ChallengeVote(), flow.PrintAgain()]))
    def decide(self, event: flow.UserEvent) -> None:
        self.send(event)


# No max_examples here: the loaded profile's (tests/conftest.py), so that the soak runs more.
TwoVoters.TestCase.settings = settings(
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestTwoVoters = TwoVoters.TestCase


def test_the_soak_profile_runs_the_machine_longer() -> None:
    probe = (
        "import tests.conftest\n"
        "from tests.property.test_voting_sessions import TwoVoters\n"
        "print(TwoVoters.TestCase.settings.max_examples)\n"
    )
    for soak, profile in (("1", "soak"), ("0", "isoloir")):
        ran = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=ROOT,
            env={**os.environ, "ISOLOIR_SOAK": soak},
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        assert int(ran.stdout) == settings.get_profile(profile).max_examples
    assert settings.get_profile("soak").max_examples > settings.get_profile("isoloir").max_examples


def test_a_reset_after_a_cast_leaves_a_pristine_kiosk(tmp_path: Path) -> None:
    """The one path the machine must cover, written out: vote, cast, wait for the reset."""
    kiosk = Kiosk(tmp_path, ManualClock())
    voter = VOTERS[0]
    kiosk.to_scrutins(voter)
    kiosk.send(flow.ChooseScrutin(SCRUTINS[0]))
    kiosk.send(flow.ArmSelection())
    kiosk.send(flow.Select(OPTIONS[1]))
    receipt = kiosk.send(flow.CastVote())
    assert isinstance(receipt, flow.Receipt)
    assert kiosk.send(flow.Tick(), after=timedelta(minutes=5).total_seconds()) == (
        flow.initial_state()
    )
    assert kiosk.session.holds_nothing
    texts = [repr(kiosk.state), repr(kiosk.session), *strings_in(kiosk.state)]
    for secret in (voter.identifier, voter.voter_id, receipt.tracking_code, voter.code):
        assert not any(secret in text for text in texts)
    kiosk.store.close()
