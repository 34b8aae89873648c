"""Values shared by the voter flow and the services that run its effects (docs/voter-flow.md).

Plain, frozen, pure: no store, no crypto, no I/O. Every field that holds something of a voter
(name, question, destination, code, choice) is kept out of ``repr``, so that a state or an event
printed into a traceback says which screen it is, never whose.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from kiosk.config import Language
from kiosk.election.model import ListId, ScrutinId, VoterId


@dataclass(frozen=True)
class Display:
    """How the screens look for this voter: chosen on the welcome screen, reset after them."""

    language: Language = "fr"
    large_text: bool = False
    high_contrast: bool = False


class Notice(StrEnum):
    """Every message a page may show about the last attempt (one translated text each)."""

    INCOMPLETE = "incomplete"  # a required field is empty: nothing was checked or counted
    WRONG_CREDENTIALS = "wrong_credentials"  # identifier OR password: never says which
    WAIT = "wait"  # too many failures: try again at ``retry_at``
    LOCKED = "locked"  # too many failures: an assesseur must unlock
    POLLS_NOT_OPEN = "polls_not_open"
    VOTING_CLOSED = "voting_closed"  # outside the election's voting window
    WRONG_CAPTCHA = "wrong_captcha"  # wrong or expired: a new image is shown
    WRONG_VOTE_CODE = "wrong_vote_code"
    VOTE_CODE_INVALIDATED = "vote_code_invalidated"  # "obtenez un réassort de votre code"
    CODE_HIDDEN = "code_hidden"  # the 120 s are over: the new code is gone for good
    WRONG_ASSESSEUR = "wrong_assesseur"
    WRONG_ANSWERS = "wrong_answers"  # secret answer OR NUMEN: never says which
    NO_CHANNEL = "no_channel"  # no personal e-mail / phone for this channel
    NOT_SENT = "not_sent"  # the message could not be handed over: ask for a supervised reset
    TOO_SOON = "too_soon"  # a token was sent moments ago: check your messages
    WRONG_TOKEN = "wrong_token"  # noqa: S105 - the name of a notice, not a secret
    # Or an authorization that lapsed: start the réassort again.
    EXPIRED_TOKEN = "expired_token"  # noqa: S105 - the name of a notice, not a secret
    UNAVAILABLE = "unavailable"  # this kiosk offers no such réassort
    ALREADY_VOTED = "already_voted"
    NOT_ELIGIBLE = "not_eligible"
    # The shell could not print the papers (written to the fallback folder, or lost): the vote
    # is recorded, but the voter has no paper proof of it without an assesseur's help.
    NOT_PRINTED = "not_printed"
    # A core call failed (a broken invariant, a store failure): the session ended; whether the
    # last action took effect is for an assesseur to check, never for the page to claim.
    INCIDENT = "incident"


@dataclass(frozen=True)
class Refusal:
    """An expected failure as a value: what to tell the voter, and when to try again."""

    notice: Notice
    retry_at: datetime | None = None


class Channel(StrEnum):
    """How a réassort token reaches the voter: never the identifier's own mailbox."""

    EMAIL = "email"
    SMS = "sms"


@dataclass(frozen=True)
class ChannelOption:
    channel: Channel
    destination: str = field(repr=False)  # masked, e.g. "pe•••1@courriel.example"


@dataclass(frozen=True)
class VoterRef:
    """What the session knows of the voter between login and finish: no secret, no hash."""

    voter_id: VoterId = field(repr=False)
    display_name: str = field(repr=False)
    secret_question: str = field(repr=False)
    channels: tuple[ChannelOption, ...] = field(repr=False)

    def channel(self, channel: Channel) -> ChannelOption | None:
        return next((c for c in self.channels if c.channel is channel), None)


@dataclass(frozen=True)
class ScrutinEntry:
    scrutin_id: ScrutinId
    title: str
    options: tuple[ListId, ...]  # ballot order: every list, then blank
    voted: bool


@dataclass(frozen=True)
class Booth:
    """An authenticated voter with the scrutins open to them (after the vote code)."""

    voter: VoterRef
    scrutins: tuple[ScrutinEntry, ...]
    closes_at: datetime

    def entry(self, scrutin_id: ScrutinId) -> ScrutinEntry | None:
        return next((s for s in self.scrutins if s.scrutin_id == scrutin_id), None)

    def with_voted(self, scrutin_id: ScrutinId) -> Booth:
        return replace(
            self,
            scrutins=tuple(
                replace(s, voted=True) if s.scrutin_id == scrutin_id else s for s in self.scrutins
            ),
        )


@dataclass(frozen=True)
class CaptchaImage:
    """A challenge to show: the answer never leaves the captcha service."""

    challenge_id: str = field(repr=False)
    png: bytes = field(repr=False)
    expires_at: datetime


@dataclass(frozen=True)
class RegenerationGrant:
    """The right to regenerate one voter's vote code once, after a successful réassort check."""

    grant_id: str = field(repr=False)
    voter_id: VoterId = field(repr=False)
    method: str  # "token-email", "token-sms" or "supervised": journaled with the new code
    expires_at: datetime


@dataclass(frozen=True)
class TokenDelivery:
    """A réassort token was handed to the notifier."""

    channel: Channel
    destination: str = field(repr=False)  # masked
    expires_at: datetime


class ReassortMode(StrEnum):
    QUESTION = "question"  # secret question + NUMEN, then a token by e-mail or SMS
    # The token arrived: type it or show its QR code.
    HAVE_TOKEN = "have_token"  # noqa: S105 - the name of a mode, not a secret
    SUPERVISED = "supervised"  # an assesseur authenticates, then question + NUMEN


class DocumentKind(StrEnum):
    PROFESSION_DE_FOI = "profession_de_foi"
    BALLOT = "ballot"


@dataclass(frozen=True)
class DocumentRef:
    # Privacy: which list's documents a voter reads hints at their vote.
    list_id: ListId = field(repr=False)
    kind: DocumentKind


class PaperSet(StrEnum):
    """The papers of one print order."""

    RECEIPT = "receipt"  # the proof of deposit and the émargement certificate of a cast
    CHALLENGE_SLIP = "challenge_slip"  # the slip of a challenged ballot


class LockedCredential(StrEnum):
    """Which step locked: the page says which help to ask for, never whether a voter exists."""

    LOGIN = "login"
    VOTE_CODE = "vote_code"
    REASSORT = "reassort"
