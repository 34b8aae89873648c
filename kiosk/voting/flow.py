"""The voter's journey as a pure state machine (docs/voter-flow.md).

    state, effects = transition(state, event, now, rules)

One frozen dataclass per screen (``State``), typed events (what the voter did, what an effect
returned, what the shell reports, or that time passed), and effects as values: commands that the
core session runs and answers with a result event, and outputs for the shell (print, clear the
screen). What comes next is decided here and only here; the Qt window maps each state to a page
with an exhaustive ``match`` and its timer only sends ``Tick``. No I/O, no clock, no randomness:
``now`` is a parameter, so every rule is tested with plain values.

Privacy: secrets typed by the voter travel in one event and the one command it causes, never in
a state; fields that say something of the voter are out of ``repr``. After a finish or any reset
the state is ``initial_state(rules)``, equal to a fresh one (docs/voter-flow.md, "Reset").
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Final, TypeAlias, TypeVar

from kiosk.audit import AuditEvent
from kiosk.config import KioskConfig, Language
from kiosk.crypto.challenge_slip import ChallengeSlip
from kiosk.crypto.receipt import Receipt as SignedReceipt
from kiosk.crypto.tracking import TrackingCode
from kiosk.election.model import ListId, ScrutinId, VoterId
from kiosk.log import LogEvent
from kiosk.receipts.documents import (
    ChallengedBallotSlip,
    DepositProof,
    EmargementCertificate,
    SyncState,
)
from kiosk.receipts.emargement import Emargement
from kiosk.verifier.ballots import PrintedSlip
from kiosk.voting.model import (
    Booth,
    CaptchaImage,
    Channel,
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

# ---- rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowRules:
    """The settings the flow obeys; ``from_config`` builds them from the kiosk configuration."""

    captcha: bool = True
    token_delivery: bool = True  # a notifier is wired: réassort by e-mail / SMS token
    supervised_reassort: bool = True  # an assesseur check is wired: supervised réassort
    language: Language = "fr"
    inactivity_warning: timedelta = timedelta(seconds=60)
    inactivity_reset: timedelta = timedelta(seconds=30)  # after the warning
    code_visible: timedelta = timedelta(seconds=120)  # a regenerated vote code, then gone
    finished_visible: timedelta = timedelta(seconds=10)

    @classmethod
    def from_config(
        cls, config: KioskConfig, *, token_delivery: bool, supervised_reassort: bool
    ) -> FlowRules:
        return cls(
            captcha=config.captcha,
            token_delivery=token_delivery,
            supervised_reassort=supervised_reassort,
            language=config.language,
            inactivity_warning=timedelta(seconds=config.inactivity_warning_seconds),
            inactivity_reset=timedelta(seconds=config.inactivity_reset_seconds),
        )


DEFAULT_RULES: Final = FlowRules()


# ---- states: one per screen ------------------------------------------------------------------


@dataclass(frozen=True)
class Welcome:
    """Language, larger text, high contrast; "Commencer".

    ``last_input`` is None on the pristine welcome; once someone touched it (a display choice,
    or "Retour" from the credentials), the screen returns to the pristine welcome after the
    inactivity delay, so that nobody's display choice stays for the next person.
    """

    display: Display = field(default_factory=Display)
    last_input: datetime | None = None

    @property
    def language(self) -> Language:
        return self.display.language

    @property
    def large_text(self) -> bool:
        return self.display.large_text

    @property
    def high_contrast(self) -> bool:
        return self.display.high_contrast


@dataclass(frozen=True)
class Credentials:
    """Identifier + election password."""

    display: Display
    last_input: datetime
    notice: Notice | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True)
class VoteCode:
    """Vote code + CAPTCHA (when on), and the link to the réassort."""

    display: Display
    last_input: datetime
    voter: VoterRef
    captcha: CaptchaImage | None = None
    notice: Notice | None = None
    retry_at: datetime | None = None
    reassort_offered: bool = True  # some way to a new code exists on this kiosk for this voter


@dataclass(frozen=True)
class ReassortChoice:
    """How to get a new vote code: by token (question + NUMEN, or a token already received),
    or supervised by an assesseur. Only the ways this kiosk and this voter allow are offered."""

    display: Display
    last_input: datetime
    voter: VoterRef
    token_delivery: bool
    supervised: bool


@dataclass(frozen=True)
class AssesseurAuth:
    """Supervised réassort, step 1: the assesseur authenticates."""

    display: Display
    last_input: datetime
    voter: VoterRef
    notice: Notice | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True)
class ReassortQuestion:
    """Secret question + NUMEN (+ e-mail or SMS unless supervised)."""

    display: Display
    last_input: datetime
    voter: VoterRef
    supervised: bool
    notice: Notice | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True)
class ReassortTokenSent:
    """Type the token, or show its QR code to the camera. ``sent`` is None when the voter came
    back with a token sent earlier."""

    display: Display
    last_input: datetime
    voter: VoterRef
    sent: TokenDelivery | None = None
    notice: Notice | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True)
class RegenerateWarning:
    """ "RÉGÉNÉRER MON CODE DE VOTE": have a pen or a phone ready, the code shows 120 s."""

    display: Display
    last_input: datetime
    voter: VoterRef
    grant: RegenerationGrant


@dataclass(frozen=True)
class NewCodeShown:
    """The new code with a countdown; at ``hide_at`` it is gone for good. No inactivity reset
    meanwhile: the 120 s are the bound."""

    display: Display
    voter: VoterRef
    code: str = field(repr=False)
    shown_at: datetime
    hide_at: datetime


@dataclass(frozen=True)
class ScrutinList:
    """Each scrutin voted / not voted; "Fermeture du vote dans J H M" from ``booth.closes_at``."""

    display: Display
    last_input: datetime
    booth: Booth
    notice: Notice | None = None


@dataclass(frozen=True)
class Gallery:
    """The lists and the blank vote; selecting is disabled until "JE VEUX VOTER" (``armed``)."""

    display: Display
    last_input: datetime
    booth: Booth
    scrutin: ScrutinEntry
    armed: bool = False
    selected: ListId | None = field(default=None, repr=False)  # being sealed
    # A profession de foi or ballot PDF open in the viewer. Privacy: what a voter reads hints at
    # their vote, so not even its kind is in the repr.
    document: DocumentRef | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Confirm:
    """ "JE VOTE" (final), "RETOUR", or "Vérifier le chiffrement" (challenge)."""

    display: Display
    last_input: datetime
    booth: Booth
    scrutin: ScrutinEntry
    choice: ListId = field(repr=False)
    tracking_code: TrackingCode = field(repr=False)


@dataclass(frozen=True)
class ChallengeShown:
    """The challenged ballot's slip is printed and that ballot discarded: choose again.
    ``notice`` is ``NOT_PRINTED`` when the shell reported that the slip did not print."""

    display: Display
    last_input: datetime
    booth: Booth
    scrutin: ScrutinEntry
    tracking_code: TrackingCode = field(repr=False)
    notice: Notice | None = None


@dataclass(frozen=True)
class Receipt:
    """Recorded: the tracking code and the time (Europe/Paris); print; next scrutin or finish.
    ``notice`` is ``NOT_PRINTED`` when the shell reported that the papers did not print.
    ``deposit``: "Déposé dans l'urne" (the server took the ballot at the cast) or "En attente de
    transmission" (offline, not answered in time, or refused by the server), as the papers say."""

    display: Display
    last_input: datetime
    booth: Booth
    scrutin: ScrutinEntry
    papers: PrintReceipt = field(repr=False)  # what "Imprimer" prints again
    notice: Notice | None = None

    @property
    def receipt(self) -> SignedReceipt:
        return self.papers.receipt

    @property
    def cast_at(self) -> datetime:
        return self.papers.cast_at

    @property
    def tracking_code(self) -> TrackingCode:
        return self.papers.receipt.tracking_code

    @property
    def deposit(self) -> SyncState:
        """``DEPOSITED`` (in the ballot box) or ``PENDING`` (awaiting transmission)."""
        return self.papers.sync


@dataclass(frozen=True)
class Refused:
    """Nothing was recorded: polls not open, voting closed, already voted, not eligible."""

    display: Display
    last_input: datetime
    booth: Booth | None
    notice: Notice


@dataclass(frozen=True)
class Locked:
    """Too many failures: ask an assesseur. Holds nothing of the voter (the session is reset)."""

    display: Display
    last_input: datetime
    credential: LockedCredential


@dataclass(frozen=True)
class Finished:
    """ "Merci": nothing of the voter remains; back to a pristine welcome shortly."""

    display: Display
    at: datetime


Active: TypeAlias = (
    Credentials
    | VoteCode
    | ReassortChoice
    | AssesseurAuth
    | ReassortQuestion
    | ReassortTokenSent
    | RegenerateWarning
    | ScrutinList
    | Gallery
    | Confirm
    | ChallengeShown
    | Receipt
    | Refused
    | Locked
)
"""States that an idle voter leaves behind: warned, then reset."""

_Touched = TypeVar("_Touched", bound="Active | Welcome")

_ACTIVE: Final = (
    Credentials,
    VoteCode,
    ReassortChoice,
    AssesseurAuth,
    ReassortQuestion,
    ReassortTokenSent,
    RegenerateWarning,
    ScrutinList,
    Gallery,
    Confirm,
    ChallengeShown,
    Receipt,
    Refused,
    Locked,
)


@dataclass(frozen=True)
class InactivityWarning:
    """ "Êtes-vous toujours là ?" over ``interrupted``: any input resumes it; at ``reset_at``,
    a full reset."""

    interrupted: Active
    reset_at: datetime

    @property
    def display(self) -> Display:
        return self.interrupted.display


State: TypeAlias = Welcome | NewCodeShown | Finished | InactivityWarning | Active


def initial_state(rules: FlowRules = DEFAULT_RULES) -> Welcome:
    """The pristine welcome screen: every reset and every finish ends here."""
    return Welcome(Display(language=rules.language))


# ---- events ----------------------------------------------------------------------------------
# What the voter did (the UI sends these) ...


@dataclass(frozen=True)
class Start:
    pass


@dataclass(frozen=True)
class SetDisplay:
    display: Display


@dataclass(frozen=True)
class Back:
    """ "RETOUR"."""


@dataclass(frozen=True)
class Continue:
    """The one forward button of a message page ("Continuer", "J'ai noté mon code", "OK")."""


@dataclass(frozen=True)
class Quit:
    """ "Terminer" / "Quitter": ends the session wherever the voter is."""


@dataclass(frozen=True)
class StillHere:
    """Any touch or key on the inactivity warning."""


@dataclass(frozen=True)
class Activity:
    """A touch, key or wheel anywhere in the window that is no page's intent (turning a
    document's pages, zooming, scrolling, typing in a field): it only restarts the idle clock
    (and, as any input, resumes an inactivity warning). The window sends at most one every few
    seconds."""


@dataclass(frozen=True)
class SubmitCredentials:
    identifier: str = field(repr=False)
    password: str = field(repr=False)


@dataclass(frozen=True)
class SubmitVoteCode:
    code: str = field(repr=False)
    captcha_answer: str = field(default="", repr=False)


@dataclass(frozen=True)
class RefreshCaptcha:
    pass


@dataclass(frozen=True)
class RequestReassort:
    """ "Cliquez ici pour obtenir un réassort de votre code de vote"."""


@dataclass(frozen=True)
class ChooseReassort:
    mode: ReassortMode


@dataclass(frozen=True)
class SubmitAssesseur:
    credential: str = field(repr=False)


@dataclass(frozen=True)
class SubmitReassortAnswers:
    answer: str = field(repr=False)
    numen: str = field(repr=False)
    channel: Channel | None = None  # None for the supervised réassort


@dataclass(frozen=True)
class SubmitToken:
    text: str = field(repr=False)  # typed, or the QR payload read by the camera


@dataclass(frozen=True)
class Regenerate:
    """ "RÉGÉNÉRER MON CODE DE VOTE"."""


@dataclass(frozen=True)
class ChooseScrutin:
    scrutin_id: ScrutinId


@dataclass(frozen=True)
class ArmSelection:
    """ "JE VEUX VOTER, J'ACTIVE LA SÉLECTION DE MON CHOIX DE VOTE"."""


@dataclass(frozen=True)
class OpenDocument:
    list_id: ListId = field(repr=False)  # privacy: what a voter reads hints at their vote
    kind: DocumentKind


@dataclass(frozen=True)
class CloseDocument:
    pass


@dataclass(frozen=True)
class Select:
    option: ListId = field(repr=False)


@dataclass(frozen=True)
class CastVote:
    """ "JE VOTE"."""


@dataclass(frozen=True)
class ChallengeVote:
    """ "Vérifier le chiffrement"."""


@dataclass(frozen=True)
class PrintAgain:
    pass


@dataclass(frozen=True)
class Tick:
    """Time passed; ``transition``'s ``now`` says how much. The UI's timer sends it each second."""


UserEvent: TypeAlias = (
    Start
    | SetDisplay
    | Back
    | Continue
    | Quit
    | StillHere
    | Activity
    | SubmitCredentials
    | SubmitVoteCode
    | RefreshCaptcha
    | RequestReassort
    | ChooseReassort
    | SubmitAssesseur
    | SubmitReassortAnswers
    | SubmitToken
    | Regenerate
    | ChooseScrutin
    | ArmSelection
    | OpenDocument
    | CloseDocument
    | Select
    | CastVote
    | ChallengeVote
    | PrintAgain
)
_USER_EVENTS: Final = (
    Start,
    SetDisplay,
    Back,
    Continue,
    Quit,
    StillHere,
    Activity,
    SubmitCredentials,
    SubmitVoteCode,
    RefreshCaptcha,
    RequestReassort,
    ChooseReassort,
    SubmitAssesseur,
    SubmitReassortAnswers,
    SubmitToken,
    Regenerate,
    ChooseScrutin,
    ArmSelection,
    OpenDocument,
    CloseDocument,
    Select,
    CastVote,
    ChallengeVote,
    PrintAgain,
)

# ... and what a command returned (the session sends these back).


@dataclass(frozen=True)
class LoginAccepted:
    voter: VoterRef


@dataclass(frozen=True)
class LoginRefused:
    refusal: Refusal


@dataclass(frozen=True)
class CaptchaIssued:
    image: CaptchaImage


@dataclass(frozen=True)
class VoteCodeAccepted:
    scrutins: tuple[ScrutinEntry, ...]
    closes_at: datetime


@dataclass(frozen=True)
class VoteCodeRefused:
    refusal: Refusal


@dataclass(frozen=True)
class AssesseurAccepted:
    pass


@dataclass(frozen=True)
class AssesseurRefused:
    refusal: Refusal


@dataclass(frozen=True)
class TokenSent:
    delivery: TokenDelivery


@dataclass(frozen=True)
class RegenerationAuthorized:
    grant: RegenerationGrant


@dataclass(frozen=True)
class ReassortRefused:
    refusal: Refusal


@dataclass(frozen=True)
class CodeRegenerated:
    code: str = field(repr=False)


@dataclass(frozen=True)
class BallotSealed:
    scrutin_id: ScrutinId
    tracking_code: TrackingCode = field(repr=False)


@dataclass(frozen=True)
class BallotCast:
    """Recorded; ``papers`` holds the signed receipt and the signed émargement to print."""

    papers: PrintReceipt = field(repr=False)


@dataclass(frozen=True)
class CastRefused:
    refusal: Refusal


@dataclass(frozen=True)
class BallotChallenged:
    """Spent and opened; ``papers`` holds the signed slip with the challenged ballot's bytes."""

    papers: PrintChallengeSlip = field(repr=False)


ResultEvent: TypeAlias = (
    LoginAccepted
    | LoginRefused
    | CaptchaIssued
    | VoteCodeAccepted
    | VoteCodeRefused
    | AssesseurAccepted
    | AssesseurRefused
    | TokenSent
    | RegenerationAuthorized
    | ReassortRefused
    | CodeRegenerated
    | BallotSealed
    | BallotCast
    | CastRefused
    | BallotChallenged
)

# ... and what the shell reports (the window sends these; no input: the idle clock runs on).


@dataclass(frozen=True)
class PapersNotPrinted:
    """The papers of an order did not print: written to the fallback folder, or lost. The
    Receipt (or ChallengeShown) page of that scrutin says to ask an assesseur."""

    scrutin_id: ScrutinId
    papers: PaperSet


@dataclass(frozen=True)
class CoreFailure:
    """A core call raised (a broken invariant, a store failure): the session ends at once and
    the page says to ask an assesseur."""


ShellEvent: TypeAlias = PapersNotPrinted | CoreFailure

Event: TypeAlias = UserEvent | ResultEvent | ShellEvent | Tick


# ---- effects ---------------------------------------------------------------------------------
# Commands: the session runs each and feeds its result event back into ``transition``.


@dataclass(frozen=True)
class VerifyCredentials:
    """-> LoginAccepted | LoginRefused. An unknown identifier costs the same KDF work."""

    identifier: str = field(repr=False)
    password: str = field(repr=False)


@dataclass(frozen=True)
class IssueCaptcha:
    """-> CaptchaIssued (a new image; the previous challenge is void)."""


@dataclass(frozen=True)
class CheckVoteCode:
    """-> VoteCodeAccepted | VoteCodeRefused. The CAPTCHA is checked (and spent) first."""

    voter_id: VoterId = field(repr=False)
    code: str = field(repr=False)
    captcha_id: str | None = field(repr=False)
    captcha_answer: str = field(repr=False)


@dataclass(frozen=True)
class CheckAssesseur:
    """-> AssesseurAccepted | AssesseurRefused."""

    credential: str = field(repr=False)


@dataclass(frozen=True)
class SendReassortToken:
    """-> TokenSent | ReassortRefused."""

    voter_id: VoterId = field(repr=False)
    answer: str = field(repr=False)
    numen: str = field(repr=False)
    channel: Channel
    language: Language


@dataclass(frozen=True)
class VerifyReassortAnswers:
    """-> RegenerationAuthorized | ReassortRefused (supervised: the assesseur is authenticated)."""

    voter_id: VoterId = field(repr=False)
    answer: str = field(repr=False)
    numen: str = field(repr=False)


@dataclass(frozen=True)
class RedeemToken:
    """-> RegenerationAuthorized | ReassortRefused."""

    voter_id: VoterId = field(repr=False)
    text: str = field(repr=False)


@dataclass(frozen=True)
class RegenerateCode:
    """-> CodeRegenerated | ReassortRefused (a grant not issued in this session, or lapsed)."""

    grant: RegenerationGrant


@dataclass(frozen=True)
class SealBallot:
    """-> BallotSealed. The session keeps the one-shot pending ballot until cast or challenge."""

    scrutin_id: ScrutinId
    choice: ListId = field(repr=False)


@dataclass(frozen=True)
class CastBallot:
    """-> BallotCast | CastRefused: envelope, émargement + sealed ballot in one transaction,
    signed receipt."""

    voter_id: VoterId = field(repr=False)
    scrutin_id: ScrutinId


@dataclass(frozen=True)
class ChallengeBallot:
    """-> BallotChallenged: the pending ballot is opened, signed on a slip, and spent."""

    scrutin_id: ScrutinId


@dataclass(frozen=True)
class DiscardBallot:
    """Drop the pending ballot, if any (no result)."""


@dataclass(frozen=True)
class Log:
    """Log a catalog event (no result). Only safe fields: a disposition and a scrutin id."""

    event: LogEvent
    disposition: str


@dataclass(frozen=True)
class Audit:
    """Append a field-less audit event (no result)."""

    event: AuditEvent


# Outputs: the session runs what it must and hands these to the shell.


@dataclass(frozen=True)
class ResetSession:
    """Forget the voter: the session drops its pending ballot, grants and CAPTCHA; the shell
    clears every input field, viewer and page history."""


@dataclass(frozen=True)
class PrintReceipt:
    """Print the proof of deposit and the émargement certificate (``kiosk.receipts``).

    Everything is signed in the core (the kiosk key never leaves it): ``receipt`` for the proof
    of deposit's QR code, ``emargement`` for the certificate's. The shell only renders and prints.
    ``sync``: ``DEPOSITED`` when the server took the ballot at the cast, else ``PENDING``.
    """

    election_title: str
    scrutin_title: str
    cast_at: datetime
    receipt: SignedReceipt = field(repr=False)
    emargement: Emargement = field(repr=False)  # names the voter
    sync: SyncState = SyncState.PENDING

    def deposit_proof(self) -> DepositProof:
        return DepositProof(
            self.election_title, self.scrutin_title, self.cast_at, self.receipt, self.sync
        )

    def emargement_certificate(self) -> EmargementCertificate:
        return EmargementCertificate(self.election_title, self.scrutin_title, self.emargement)


@dataclass(frozen=True)
class PrintChallengeSlip:
    """Print the challenge slip: the kiosk-signed slip with the challenged ballot's bytes
    (``printed``), and the name of the choice that ballot encrypts."""

    election_title: str
    scrutin_title: str
    challenged_at: datetime
    choice_name: str = field(repr=False)
    printed: PrintedSlip = field(repr=False)

    @property
    def slip(self) -> ChallengeSlip:
        return self.printed.slip

    def challenge_slip(self) -> ChallengedBallotSlip:
        return ChallengedBallotSlip(
            self.election_title,
            self.scrutin_title,
            self.choice_name,
            self.challenged_at,
            self.printed,
        )


Command: TypeAlias = (
    VerifyCredentials
    | IssueCaptcha
    | CheckVoteCode
    | CheckAssesseur
    | SendReassortToken
    | VerifyReassortAnswers
    | RedeemToken
    | RegenerateCode
    | SealBallot
    | CastBallot
    | ChallengeBallot
    | DiscardBallot
    | Log
    | Audit
)
Output: TypeAlias = ResetSession | PrintReceipt | PrintChallengeSlip
Effect: TypeAlias = Command | Output
Step: TypeAlias = tuple[State, tuple[Effect, ...]]


# ---- time helpers for the pages --------------------------------------------------------------


def remaining(until: datetime, now: datetime) -> timedelta:
    """What a countdown shows: never negative."""
    return max(until - now, timedelta(0))


def closing_countdown(closes_at: datetime, now: datetime) -> tuple[int, int, int]:
    """ "Fermeture du vote dans" days, hours, minutes (rounded down)."""
    minutes = int(remaining(closes_at, now).total_seconds()) // 60
    return minutes // (24 * 60), minutes // 60 % 24, minutes % 60


# ---- the transition --------------------------------------------------------------------------


def transition(state: State, event: Event, now: datetime, rules: FlowRules = DEFAULT_RULES) -> Step:
    """The next state and the effects to run, for ``event`` at ``now``; an event the current
    screen does not expect (a stale click, a result for another screen) changes nothing."""
    if isinstance(event, Tick):
        return _tick(state, now, rules)
    if isinstance(event, CoreFailure):
        return _incident(state, now)
    if isinstance(event, PapersNotPrinted):
        return _not_printed(state, event), ()
    if isinstance(state, InactivityWarning):
        if isinstance(event, _USER_EVENTS):
            return _touch(state.interrupted, now), ()
        return state, ()
    if isinstance(event, _USER_EVENTS):
        if isinstance(state, (*_ACTIVE, Welcome)):
            state = _touch(state, now)
        if isinstance(event, SetDisplay):
            return _with_display(state, event.display), ()
        if isinstance(event, Quit):
            return _quit(state, now, rules)
    match state:
        case Welcome():
            return _welcome(state, event, now)
        case Credentials():
            return _credentials(state, event, now, rules)
        case VoteCode():
            return _vote_code(state, event, now, rules)
        case ReassortChoice():
            return _reassort_choice(state, event, now, rules)
        case AssesseurAuth():
            return _assesseur_auth(state, event, now, rules)
        case ReassortQuestion():
            return _reassort_question(state, event, now, rules)
        case ReassortTokenSent():
            return _token_entry(state, event, now, rules)
        case RegenerateWarning():
            return _regenerate_warning(state, event, now, rules)
        case NewCodeShown():
            return _new_code(state, event, now, rules)
        case ScrutinList():
            return _scrutin_list(state, event)
        case Gallery():
            return _gallery(state, event)
        case Confirm():
            return _confirm(state, event, now)
        case ChallengeShown():
            return _challenge_shown(state, event)
        case Receipt():
            return _receipt(state, event)
        case Refused():
            return _refused(state, event, rules)
        case Locked() | Finished():
            if isinstance(event, Continue | Back):
                return initial_state(rules), (ResetSession(),)
            return state, ()


# ---- time ------------------------------------------------------------------------------------


def _tick(state: State, now: datetime, rules: FlowRules) -> Step:
    match state:
        case Welcome():
            # No warning: nothing is lost. A display someone chose goes back to the default.
            idle_limit = rules.inactivity_warning + rules.inactivity_reset
            if state.last_input is not None and now - state.last_input >= idle_limit:
                return initial_state(rules), (ResetSession(),)
            return state, ()
        case Finished():
            if now >= state.at + rules.finished_visible:
                return initial_state(rules), (ResetSession(),)
            return state, ()
        case NewCodeShown():
            if now >= state.hide_at:
                return _to_vote_code(state.display, now, state.voter, rules, Notice.CODE_HIDDEN)
            return state, ()
        case InactivityWarning():
            if now >= state.reset_at:
                return _timed_out(state.interrupted, rules)
            return state, ()
        case _:
            idle = now - state.last_input
            if idle >= rules.inactivity_warning + rules.inactivity_reset:
                return _timed_out(state, rules)
            if idle >= rules.inactivity_warning:
                reset_at = state.last_input + rules.inactivity_warning + rules.inactivity_reset
                return InactivityWarning(state, reset_at), ()
            return state, ()


def _timed_out(state: Active, rules: FlowRules) -> Step:
    effects: list[Effect] = [DiscardBallot(), ResetSession()]
    if _has_voter(state):
        effects += [
            Audit(AuditEvent.SESSION_TIMED_OUT),
            Log(LogEvent.VOTER_SESSION, "timed_out"),
        ]
    return initial_state(rules), tuple(effects)


def _has_voter(state: State) -> bool:
    return isinstance(
        state,
        VoteCode
        | ReassortChoice
        | AssesseurAuth
        | ReassortQuestion
        | ReassortTokenSent
        | RegenerateWarning
        | NewCodeShown
        | ScrutinList
        | Gallery
        | Confirm
        | ChallengeShown
        | Receipt,
    ) or (isinstance(state, Refused) and state.booth is not None)


def _touch(state: _Touched, now: datetime) -> _Touched:
    return replace(state, last_input=now)


def _incident(state: State, now: datetime) -> Step:
    """End the session whatever the screen, and say to ask an assesseur (``CoreFailure``)."""
    if isinstance(state, Refused) and state.notice is Notice.INCIDENT and state.booth is None:
        return state, ()  # already there: a second failure changes nothing
    shown = state.interrupted if isinstance(state, InactivityWarning) else state
    effects: list[Effect] = [DiscardBallot(), ResetSession()]
    if _has_voter(shown):
        effects.append(Log(LogEvent.VOTER_SESSION, "incident"))
    return Refused(shown.display, now, None, Notice.INCIDENT), tuple(effects)


def _not_printed(state: State, event: PapersNotPrinted) -> State:
    """The ``NOT_PRINTED`` notice on the page of those papers; elsewhere (stale) nothing."""
    match state:
        case InactivityWarning():  # the warning stays: a report is no input
            return replace(state, interrupted=_printed_notice(state.interrupted, event))
        case Receipt() | ChallengeShown():
            return _printed_notice(state, event)
        case _:
            return state


def _printed_notice(state: Active, event: PapersNotPrinted) -> Active:
    kind = PaperSet.RECEIPT if isinstance(state, Receipt) else PaperSet.CHALLENGE_SLIP
    if (
        isinstance(state, Receipt | ChallengeShown)
        and event.papers is kind
        and event.scrutin_id == state.scrutin.scrutin_id
    ):
        return replace(state, notice=Notice.NOT_PRINTED)
    return state


def _with_display(state: State, display: Display) -> State:
    if isinstance(state, InactivityWarning):  # not reached: input resumes first
        return state
    return replace(state, display=display)


def _quit(state: State, now: datetime, rules: FlowRules) -> Step:
    match state:
        case Welcome() | Finished() | InactivityWarning():
            return state, ()
        case Credentials() | Locked():
            return initial_state(rules), (ResetSession(),)
        case Refused() if state.booth is None:
            return initial_state(rules), (ResetSession(),)
        case _:
            disposition = "finished" if isinstance(state, ScrutinList | Receipt) else "quit"
            return Finished(state.display, now), (
                DiscardBallot(),
                ResetSession(),
                Log(LogEvent.VOTER_SESSION, disposition),
            )


# ---- before the vote code --------------------------------------------------------------------


def _welcome(state: Welcome, event: Event, now: datetime) -> Step:
    if isinstance(event, Start):
        return Credentials(state.display, now), (Log(LogEvent.VOTER_SESSION, "started"),)
    return state, ()


def _credentials(state: Credentials, event: Event, now: datetime, rules: FlowRules) -> Step:
    match event:
        case Back():  # the same person: their display stays, until the welcome times out
            return Welcome(state.display, now), (ResetSession(),)
        case SubmitCredentials(identifier=identifier, password=password):
            if not identifier.strip() or not password:
                return replace(state, notice=Notice.INCOMPLETE, retry_at=None), ()
            return state, (VerifyCredentials(identifier, password),)
        case LoginAccepted(voter=voter):
            return _to_vote_code(state.display, now, voter, rules)
        case LoginRefused(refusal=refusal):
            if refusal.notice is Notice.LOCKED:
                return _locked(state.display, now, LockedCredential.LOGIN)
            if refusal.notice in (Notice.POLLS_NOT_OPEN, Notice.VOTING_CLOSED):
                return Refused(state.display, now, None, refusal.notice), ()
            return replace(state, notice=refusal.notice, retry_at=refusal.retry_at), ()
        case _:
            return state, ()


def _to_vote_code(
    display: Display, now: datetime, voter: VoterRef, rules: FlowRules, notice: Notice | None = None
) -> Step:
    offered = (rules.token_delivery and bool(voter.channels)) or rules.supervised_reassort
    return VoteCode(display, now, voter, notice=notice, reassort_offered=offered), _captcha(rules)


def _captcha(rules: FlowRules) -> tuple[Effect, ...]:
    return (IssueCaptcha(),) if rules.captcha else ()


def _locked(display: Display, now: datetime, credential: LockedCredential) -> Step:
    return Locked(display, now, credential), (
        DiscardBallot(),
        ResetSession(),
        Log(LogEvent.VOTER_SESSION, "locked"),
    )


def _vote_code(state: VoteCode, event: Event, now: datetime, rules: FlowRules) -> Step:
    match event:
        case Back():
            return Credentials(state.display, now), (ResetSession(),)
        case SubmitVoteCode(code=code, captcha_answer=answer):
            if rules.captcha and state.captcha is None:
                return state, ()  # the image is on its way
            if not code.strip() or (rules.captcha and not answer.strip()):
                return replace(state, notice=Notice.INCOMPLETE, retry_at=None), ()
            captcha_id = state.captcha.challenge_id if state.captcha is not None else None
            return state, (CheckVoteCode(state.voter.voter_id, code, captcha_id, answer),)
        case RefreshCaptcha():
            return state, _captcha(rules)
        case CaptchaIssued(image=image) if rules.captcha:
            return replace(state, captcha=image), ()
        case RequestReassort() if state.reassort_offered:
            return _reassort_choice_for(state.display, now, state.voter, rules), ()
        case VoteCodeAccepted(scrutins=scrutins, closes_at=closes_at):
            booth = Booth(state.voter, scrutins, closes_at)
            return ScrutinList(state.display, now, booth), ()
        case VoteCodeRefused(refusal=refusal):
            if refusal.notice is Notice.LOCKED:
                return _locked(state.display, now, LockedCredential.VOTE_CODE)
            # Every attempt spent the image: a new one comes with the message.
            refused = replace(state, captcha=None, notice=refusal.notice, retry_at=refusal.retry_at)
            return refused, _captcha(rules)
        case _:
            return state, ()


def _reassort_choice_for(
    display: Display, now: datetime, voter: VoterRef, rules: FlowRules
) -> ReassortChoice:
    delivery = rules.token_delivery and bool(voter.channels)
    return ReassortChoice(display, now, voter, delivery, rules.supervised_reassort)


def _reassort_choice(state: ReassortChoice, event: Event, now: datetime, rules: FlowRules) -> Step:
    match event:
        case Back():
            return _to_vote_code(state.display, now, state.voter, rules)
        case ChooseReassort(mode=ReassortMode.QUESTION) if state.token_delivery:
            return ReassortQuestion(state.display, now, state.voter, supervised=False), ()
        case ChooseReassort(mode=ReassortMode.HAVE_TOKEN) if state.token_delivery:
            return ReassortTokenSent(state.display, now, state.voter), ()
        case ChooseReassort(mode=ReassortMode.SUPERVISED) if state.supervised:
            return AssesseurAuth(state.display, now, state.voter), ()
        case _:
            return state, ()


def _assesseur_auth(state: AssesseurAuth, event: Event, now: datetime, rules: FlowRules) -> Step:
    match event:
        case Back():
            return _reassort_choice_for(state.display, now, state.voter, rules), ()
        case SubmitAssesseur(credential=credential):
            if not credential:
                return replace(state, notice=Notice.INCOMPLETE, retry_at=None), ()
            return state, (CheckAssesseur(credential),)
        case AssesseurAccepted():
            return ReassortQuestion(state.display, now, state.voter, supervised=True), ()
        case AssesseurRefused(refusal=refusal):
            # The assesseur's credential, not the voter's: a lock shows here, the voter stays.
            return replace(state, notice=refusal.notice, retry_at=refusal.retry_at), ()
        case _:
            return state, ()


def _reassort_question(
    state: ReassortQuestion, event: Event, now: datetime, rules: FlowRules
) -> Step:
    match event:
        case Back():
            return _reassort_choice_for(state.display, now, state.voter, rules), ()
        case SubmitReassortAnswers(answer=answer, numen=numen, channel=channel):
            if not answer.strip() or not numen.strip():
                return replace(state, notice=Notice.INCOMPLETE, retry_at=None), ()
            voter_id = state.voter.voter_id
            if state.supervised:
                return state, (VerifyReassortAnswers(voter_id, answer, numen),)
            if channel is None or state.voter.channel(channel) is None:
                return replace(state, notice=Notice.NO_CHANNEL, retry_at=None), ()
            language = state.display.language
            return state, (SendReassortToken(voter_id, answer, numen, channel, language),)
        case TokenSent(delivery=delivery) if not state.supervised:
            return ReassortTokenSent(state.display, now, state.voter, sent=delivery), ()
        case RegenerationAuthorized(grant=grant) if state.supervised:
            return RegenerateWarning(state.display, now, state.voter, grant), ()
        case ReassortRefused(refusal=refusal):
            if refusal.notice is Notice.LOCKED:
                return _locked(state.display, now, LockedCredential.REASSORT)
            return replace(state, notice=refusal.notice, retry_at=refusal.retry_at), ()
        case _:
            return state, ()


def _token_entry(state: ReassortTokenSent, event: Event, now: datetime, rules: FlowRules) -> Step:
    match event:
        case Back():
            return _to_vote_code(state.display, now, state.voter, rules)
        case SubmitToken(text=text):
            if not text.strip():
                return replace(state, notice=Notice.INCOMPLETE, retry_at=None), ()
            return state, (RedeemToken(state.voter.voter_id, text),)
        case RegenerationAuthorized(grant=grant):
            return RegenerateWarning(state.display, now, state.voter, grant), ()
        case ReassortRefused(refusal=refusal):
            if refusal.notice is Notice.LOCKED:
                return _locked(state.display, now, LockedCredential.REASSORT)
            return replace(state, notice=refusal.notice, retry_at=refusal.retry_at), ()
        case _:
            return state, ()


def _regenerate_warning(
    state: RegenerateWarning, event: Event, now: datetime, rules: FlowRules
) -> Step:
    match event:
        case Back():
            return _to_vote_code(state.display, now, state.voter, rules)
        case Regenerate():
            return state, (RegenerateCode(state.grant),)
        case CodeRegenerated(code=code):
            hide_at = now + rules.code_visible
            return NewCodeShown(state.display, state.voter, code, now, hide_at), ()
        case ReassortRefused(refusal=refusal):
            return _to_vote_code(state.display, now, state.voter, rules, refusal.notice)
        case _:
            return state, ()


def _new_code(state: NewCodeShown, event: Event, now: datetime, rules: FlowRules) -> Step:
    if isinstance(event, Continue | Back):
        return _to_vote_code(state.display, now, state.voter, rules)
    return state, ()


# ---- voting ----------------------------------------------------------------------------------


def _scrutin_list(state: ScrutinList, event: Event) -> Step:
    if isinstance(event, ChooseScrutin):
        entry = state.booth.entry(event.scrutin_id)
        if entry is None:
            return state, ()
        if entry.voted:
            return replace(state, notice=Notice.ALREADY_VOTED), ()
        return Gallery(state.display, state.last_input, state.booth, entry), ()
    return state, ()


def _gallery(state: Gallery, event: Event) -> Step:
    lists = state.scrutin.options[:-1]  # the last option is the blank vote: no documents
    match event:
        case Back():
            return ScrutinList(state.display, state.last_input, state.booth), ()
        case ArmSelection():
            return replace(state, armed=True), ()
        case OpenDocument(list_id=list_id, kind=kind) if list_id in lists:
            return replace(state, document=DocumentRef(list_id, kind)), ()
        case CloseDocument():
            return replace(state, document=None), ()
        case Select(option=option) if state.armed and option in state.scrutin.options:
            sealing = replace(state, selected=option, document=None)
            return sealing, (SealBallot(state.scrutin.scrutin_id, option),)
        case BallotSealed(scrutin_id=scrutin_id, tracking_code=code) if (
            state.selected is not None and scrutin_id == state.scrutin.scrutin_id
        ):
            confirm = Confirm(
                state.display, state.last_input, state.booth, state.scrutin, state.selected, code
            )
            return confirm, ()
        case _:
            return state, ()


def _choose_again(state: Confirm | ChallengeShown) -> Gallery:
    return Gallery(state.display, state.last_input, state.booth, state.scrutin)


def _confirm(state: Confirm, event: Event, now: datetime) -> Step:
    scrutin = state.scrutin
    match event:
        case Back():
            return _choose_again(state), (DiscardBallot(),)
        case CastVote():
            return state, (CastBallot(state.booth.voter.voter_id, scrutin.scrutin_id),)
        case ChallengeVote():
            return state, (ChallengeBallot(scrutin.scrutin_id),)
        case BallotCast(papers=papers):
            booth = state.booth.with_voted(scrutin.scrutin_id)
            voted = replace(scrutin, voted=True)
            return Receipt(state.display, now, booth, voted, papers), (papers,)
        case CastRefused(refusal=refusal):
            booth = state.booth
            if refusal.notice is Notice.ALREADY_VOTED:  # on this kiosk, by another session
                booth = booth.with_voted(scrutin.scrutin_id)
            return Refused(state.display, now, booth, refusal.notice), (DiscardBallot(),)
        case BallotChallenged(papers=papers):
            challenged = ChallengeShown(
                state.display, now, state.booth, scrutin, papers.slip.tracking_code
            )
            return challenged, (papers,)
        case _:
            return state, ()


def _challenge_shown(state: ChallengeShown, event: Event) -> Step:
    if isinstance(event, Continue | Back):
        return _choose_again(state), ()
    return state, ()


def _receipt(state: Receipt, event: Event) -> Step:
    match event:
        case Continue() | Back():
            return ScrutinList(state.display, state.last_input, state.booth), ()
        case PrintAgain():  # printed again: the shell reports again if it fails again
            return replace(state, notice=None), (state.papers,)
        case _:
            return state, ()


def _refused(state: Refused, event: Event, rules: FlowRules) -> Step:
    if not isinstance(event, Continue | Back):
        return state, ()
    if state.booth is not None and state.notice in (Notice.ALREADY_VOTED, Notice.NOT_ELIGIBLE):
        return ScrutinList(state.display, state.last_input, state.booth), ()
    return initial_state(rules), (DiscardBallot(), ResetSession())
