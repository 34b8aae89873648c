"""Réassort: a new vote code after the secret question and NUMEN (docs/voter-flow.md, "Réassort").

At an online kiosk the voter answers the secret question and types the NUMEN; both are checked
with the package's KDF (both always, so the time does not tell which one was wrong), and a
one-time token (8 characters of an unambiguous alphabet, valid 15 minutes) goes to the voter's
personal e-mail or phone through a ``Notifier``, never to the identifier's own address. The
voter types the token, or shows its QR payload to the kiosk camera; the token buys one
``RegenerationGrant``, and ``regenerate`` makes the new code, stores only its hash (the old code
is void at once) and returns it to be shown for 120 s.

At an offline kiosk an assesseur authenticates (``AssesseurCheck``), then the voter answers the
same two questions; success buys the grant directly.

Tokens live in this kiosk process's memory (``ReassortTokens``), as digests, and die with it: a
restart only means asking for a new token. Failed answers and wrong tokens count against the
voter's ``reassort`` lockout, which is in the store.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import os
import random
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from enum import Enum
from pathlib import Path
from typing import Final, Protocol
from zoneinfo import ZoneInfo

from kiosk.audit import AuditEvent, AuditValue
from kiosk.config import Language
from kiosk.election.kdf import KdfParams, SecretHash, SecretKind, hash_secret, verify_secret
from kiosk.election.model import Voter, VoterId
from kiosk.voting.lockout import (
    CredentialGuard,
    reassort_subject,
    refusal_after_failure,
    vote_code_subject,
)
from kiosk.voting.model import (
    Channel,
    ChannelOption,
    Notice,
    Refusal,
    RegenerationGrant,
    TokenDelivery,
)

# No 0/O, 1/I/L: a token is read off a phone and typed.
TOKEN_ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # noqa: S105 - an alphabet
TOKEN_LENGTH: Final = 8  # 31^8: about 40 bits, against at most ten tries
TOKEN_TTL: Final = timedelta(minutes=15)
TOKEN_RESEND_AFTER: Final = timedelta(minutes=2)
TOKEN_QR_PREFIX: Final = "isoloir-reassort/1 "  # noqa: S105 - a payload header
QR_ATTACHMENT_NAME: Final = "isoloir-jeton-qr.png"
GRANT_TTL: Final = timedelta(minutes=10)
VOTE_CODE_ALPHABET: Final = TOKEN_ALPHABET
VOTE_CODE_LENGTH: Final = 12  # about 59 bits, shown as XXXX-XXXX-XXXX
_TOKEN_TAG: Final = b"isoloir/reassort-token/v1\x00"
_SEPARATORS = re.compile(r"[\s\-]+")


# ---- tokens and codes ------------------------------------------------------------------------


def generate_token(rng: random.Random) -> str:
    return "".join(rng.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def format_token(token: str) -> str:
    """The printed form: two groups of four, ``ABCD-EFGH``."""
    return f"{token[:4]}-{token[4:]}"


def token_qr_payload(token: str) -> str:
    """What the message's QR code holds; the kiosk camera reads it back into ``SubmitToken``."""
    return TOKEN_QR_PREFIX + format_token(token)


def parse_token_input(text: str) -> str | None:
    """A token as typed (case, spaces and dashes forgiven) or as scanned; None if it cannot be."""
    candidate = text.strip()
    if candidate.startswith(TOKEN_QR_PREFIX):
        candidate = candidate[len(TOKEN_QR_PREFIX) :]
    compact = _SEPARATORS.sub("", candidate).upper()
    if len(compact) != TOKEN_LENGTH or any(c not in TOKEN_ALPHABET for c in compact):
        return None
    return compact


def generate_vote_code(rng: random.Random) -> str:
    """A new vote code, grouped for copying: ``XXXX-XXXX-XXXX`` (the KDF ignores the dashes)."""
    raw = "".join(rng.choice(VOTE_CODE_ALPHABET) for _ in range(VOTE_CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, VOTE_CODE_LENGTH, 4))


class TokenVerdict(Enum):
    VALID = "valid"
    INVALID = "invalid"
    EXPIRED = "expired"


@dataclass(frozen=True)
class IssuedToken:
    token: str = field(repr=False)  # compact form, ``TOKEN_LENGTH`` characters
    expires_at: datetime


@dataclass(frozen=True)
class _Pending:
    digest: bytes
    channel: Channel
    issued_at: datetime
    expires_at: datetime


class ReassortTokens:
    """Outstanding tokens of this kiosk process: one per voter at most, kept as digests.

    In memory on purpose (docs/voter-flow.md): a token is worth nothing without the voter's
    password login on this same kiosk, lives 15 minutes, and a restart just voids it.
    """

    def __init__(self, ttl: timedelta = TOKEN_TTL, resend_after: timedelta = TOKEN_RESEND_AFTER):
        self._ttl = ttl
        self._resend_after = resend_after
        self._pending: dict[VoterId, _Pending] = {}

    def __repr__(self) -> str:
        return f"ReassortTokens(outstanding={len(self._pending)})"

    @property
    def ttl(self) -> timedelta:
        return self._ttl

    def resend_at(self, voter_id: VoterId, now: datetime) -> datetime | None:
        """When a new token may be sent, if a recent one is still outstanding."""
        self._purge(now)
        pending = self._pending.get(voter_id)
        if pending is None or now >= pending.issued_at + self._resend_after:
            return None
        return pending.issued_at + self._resend_after

    def issue(
        self, voter_id: VoterId, channel: Channel, now: datetime, rng: random.Random
    ) -> IssuedToken:
        """A new token for ``voter_id``; the previous one, if any, is void."""
        token = generate_token(rng)
        expires_at = now + self._ttl
        self._pending[voter_id] = _Pending(_token_digest(token), channel, now, expires_at)
        return IssuedToken(token, expires_at)

    def revoke(self, voter_id: VoterId) -> None:
        self._pending.pop(voter_id, None)

    def redeem(self, voter_id: VoterId, token: str, now: datetime) -> tuple[TokenVerdict, Channel]:
        """Check and, when valid, spend ``voter_id``'s token. The channel comes with VALID."""
        pending = self._pending.get(voter_id)
        if pending is None or not hmac.compare_digest(pending.digest, _token_digest(token)):
            return TokenVerdict.INVALID, Channel.EMAIL
        del self._pending[voter_id]
        if now >= pending.expires_at:
            return TokenVerdict.EXPIRED, pending.channel
        return TokenVerdict.VALID, pending.channel

    def _purge(self, now: datetime) -> None:
        for voter_id in [v for v, p in self._pending.items() if now >= p.expires_at]:
            del self._pending[voter_id]


def _token_digest(token: str) -> bytes:
    return hashlib.sha256(_TOKEN_TAG + token.encode("ascii")).digest()


# ---- delivery --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenNotice:
    """What a token message says, without its text: enough for the central server to compose
    the very same message itself (``compose_token_message``) to the roll's address. The
    ``ServerNotifier`` sends only this, so that a kiosk key cannot make the server's relay
    carry text of its own choosing (docs/server.md, "Réassort delivery")."""

    voter_id: VoterId
    language: Language
    token: str = field(repr=False)  # compact form
    expires_at: datetime


@dataclass(frozen=True)
class OutgoingMessage:
    channel: Channel
    to: str = field(repr=False)  # personal e-mail address or phone number
    subject: str
    body: str = field(repr=False)  # holds the token
    sent_at: datetime
    # The token again, compact, for a QR code attachment (e-mail only; an SMS stays text).
    qr_token: str | None = field(default=None, repr=False)
    # What the message was composed from (``compose_token_message``); None for other text.
    notice: TokenNotice | None = field(default=None, repr=False)


class Notifier(Protocol):
    """Hands a message to a delivery system: True once accepted, False on an expected failure.

    The demo's ``FileMailbox``; an online kiosk's ``kiosk.sync.notifier.ServerNotifier``, through
    the central server's SMTP or SMS gateway (docs/server.md, "Réassort delivery").
    """

    def send(self, message: OutgoingMessage) -> bool: ...


class FileMailbox:
    """Writes each message as one ``.eml`` file into ``folder`` (the demo's mailbox).

    A file appears complete or not at all (written aside, then renamed), readable by its owner
    only: it holds a token. An e-mail carrying a ``qr_token`` also gets the token's QR code as a
    PNG attachment (``token_qr.token_qr_png``) to show to the kiosk camera, unless
    ``attach_qr`` is off; the message is then multipart, its text the first part.
    """

    def __init__(
        self,
        folder: Path,
        sender: str = "no-reply@isoloir.invalid",
        *,
        attach_qr: bool = True,
    ) -> None:
        self._folder = Path(folder)
        self._sender = sender
        self._attach_qr = attach_qr

    def __repr__(self) -> str:
        return f"FileMailbox({str(self._folder)!r})"

    @property
    def folder(self) -> Path:
        return self._folder

    def send(self, message: OutgoingMessage) -> bool:
        mail = EmailMessage()
        mail["From"] = self._sender
        mail["To"] = message.to
        mail["Subject"] = message.subject
        mail["Date"] = email.utils.format_datetime(message.sent_at)
        mail["Message-ID"] = email.utils.make_msgid(domain="isoloir.invalid")
        mail["X-Isoloir-Channel"] = message.channel.value
        mail.set_content(message.body)
        if self._attach_qr and message.qr_token is not None and message.channel is Channel.EMAIL:
            # Imported here: token_qr builds on this module's token format.
            from kiosk.voting.token_qr import token_qr_png

            mail.add_attachment(
                token_qr_png(message.qr_token),
                maintype="image",
                subtype="png",
                filename=QR_ATTACHMENT_NAME,
            )
        stamp = message.sent_at.strftime("%Y%m%dT%H%M%S")
        name = f"{stamp}-{secrets.token_hex(4)}-{message.channel.value}.eml"
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            descriptor, partial = tempfile.mkstemp(prefix=".sending-", dir=self._folder)
            try:
                with os.fdopen(descriptor, "wb") as out:
                    out.write(bytes(mail))
                os.replace(partial, self._folder / name)
            except BaseException:
                Path(partial).unlink(missing_ok=True)
                raise
        except OSError:
            return False
        return True

    def messages(self) -> list[Path]:
        """Delivered files, oldest first."""
        if not self._folder.is_dir():
            return []
        return sorted(p for p in self._folder.glob("*.eml") if not p.name.startswith("."))


def compose_token_message(
    channel: Channel, to: str, notice: TokenNotice, now: datetime, time_zone: str
) -> OutgoingMessage:
    """The token message, from the fixed templates (French or English): the kiosk's composer,
    and the central server's, which relays nothing else (``server.messaging.desk``)."""
    until = notice.expires_at.astimezone(ZoneInfo(time_zone)).strftime("%H:%M")
    printed = format_token(notice.token)
    payload = token_qr_payload(notice.token)
    if notice.language == "en":
        subject = "Resetting your vote code"
        if channel is Channel.SMS:
            body = f"Isoloir: your reset token is {printed}, valid until {until}."
        else:
            body = (
                "Hello,\n\nYou asked for a new vote code at a voting kiosk.\n\n"
                f"Your one-time reset token: {printed}\nValid until {until} ({time_zone}).\n\n"
                f"Type it at the kiosk, or show it this QR code content: {payload}\n\n"
                "If you did not ask for it, ignore this message and tell the polling station.\n"
            )
    else:
        subject = "Réassort de votre code de vote"
        if channel is Channel.SMS:
            body = f"Isoloir : votre jeton de réassort est {printed}, valable jusqu'à {until}."
        else:
            body = (
                "Bonjour,\n\nVous avez demandé le réassort de votre code de vote à une borne.\n\n"
                f"Votre jeton à usage unique : {printed}\n"
                f"Valable jusqu'à {until} (heure de {time_zone}).\n\n"
                f"Saisissez-le à la borne, ou présentez ce contenu de QR code : {payload}\n\n"
                "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message et "
                "prévenez le bureau de vote.\n"
            )
    qr_token = notice.token if channel is Channel.EMAIL else None
    return OutgoingMessage(channel, to, subject, body, now, qr_token, notice)


# ---- channels --------------------------------------------------------------------------------


def delivery_address(voter: Voter, channel: Channel) -> str | None:
    """Where a token for ``voter`` may go by ``channel``: never the identifier's own mailbox."""
    if channel is Channel.EMAIL:
        address = voter.personal_email
        if not address or address.strip().casefold() == voter.identifier.strip().casefold():
            return None
        return address.strip()
    return voter.phone.strip() if voter.phone and voter.phone.strip() else None


def channel_options(voter: Voter) -> tuple[ChannelOption, ...]:
    """The channels this voter can receive a token on, with masked destinations to show."""
    options = []
    for channel in (Channel.EMAIL, Channel.SMS):
        address = delivery_address(voter, channel)
        if address is not None:
            options.append(ChannelOption(channel, mask_destination(channel, address)))
    return tuple(options)


def mask_destination(channel: Channel, address: str) -> str:
    """``pe•••1@courriel.example``, ``+33••••••00``: enough for the voter to recognize it."""
    if channel is Channel.EMAIL and "@" in address:
        local, _, domain = address.rpartition("@")
        shown = local[:2] + "•••" + (local[-1] if len(local) > 3 else "")
        return f"{shown}@{domain}"
    return address[:3] + "•" * max(len(address) - 5, 3) + address[-2:]


# ---- assesseur -------------------------------------------------------------------------------


class AssesseurCheck(Protocol):
    """True when ``credential`` authenticates an assesseur of this polling station.

    The admin part implements it (PIN or card); until then any callable of this shape will do.
    """

    def __call__(self, credential: str) -> bool: ...


# ---- the desk --------------------------------------------------------------------------------


class ReassortStore(Protocol):
    """The part of ``KioskStore`` the réassort needs."""

    def voter(self, voter_id: VoterId) -> Voter | None: ...

    def replace_vote_code(
        self, voter_id: VoterId, code: SecretHash | None, *, method: str
    ) -> None: ...

    def append_audit(self, event: AuditEvent, **fields: AuditValue) -> object: ...


@dataclass(frozen=True)
class NewVoteCode:
    code: str = field(repr=False)


class ReassortDesk:
    """Runs the réassort rules against the store, the lockout, the tokens and the notifier."""

    def __init__(
        self,
        store: ReassortStore,
        kdf: KdfParams,
        guard: CredentialGuard,
        *,
        tokens: ReassortTokens | None = None,
        notifier: Notifier | None = None,
        rng: random.Random | None = None,
        time_zone: str = "Europe/Paris",
        grant_ttl: timedelta = GRANT_TTL,
    ) -> None:
        self._store = store
        self._kdf = kdf
        self._guard = guard
        self._tokens = tokens if tokens is not None else ReassortTokens()
        self._notifier = notifier
        self._rng = rng if rng is not None else secrets.SystemRandom()
        self._time_zone = time_zone
        self._grant_ttl = grant_ttl

    @property
    def delivers_tokens(self) -> bool:
        return self._notifier is not None

    def request_token(
        self,
        voter_id: VoterId,
        answer: str,
        numen: str,
        channel: Channel,
        now: datetime,
        language: Language = "fr",
    ) -> TokenDelivery | Refusal:
        """Check the answers, then send a new token by ``channel``."""
        if self._notifier is None:
            return Refusal(Notice.UNAVAILABLE)
        voter = self._voter(voter_id)
        address = delivery_address(voter, channel)
        if address is None:
            return Refusal(Notice.NO_CHANNEL)
        resend_at = self._tokens.resend_at(voter_id, now)
        if resend_at is not None:
            return Refusal(Notice.TOO_SOON, resend_at)
        refused = self._check_answers(voter, answer, numen, now)
        if refused is not None:
            return refused
        issued = self._tokens.issue(voter_id, channel, now, self._rng)
        notice = TokenNotice(voter_id, language, issued.token, issued.expires_at)
        message = compose_token_message(channel, address, notice, now, self._time_zone)
        if not self._notifier.send(message):
            self._tokens.revoke(voter_id)
            return Refusal(Notice.NOT_SENT)
        self._store.append_audit(AuditEvent.REASSORT_TOKEN_SENT, channel=channel.value)
        return TokenDelivery(channel, mask_destination(channel, address), issued.expires_at)

    def verify_answers(
        self, voter_id: VoterId, answer: str, numen: str, now: datetime
    ) -> RegenerationGrant | Refusal:
        """The supervised réassort, once an assesseur has authenticated."""
        voter = self._voter(voter_id)
        refused = self._check_answers(voter, answer, numen, now)
        if refused is not None:
            return refused
        return self._grant(voter_id, "supervised", now)

    def redeem_token(
        self, voter_id: VoterId, text: str, now: datetime
    ) -> RegenerationGrant | Refusal:
        """A typed or scanned token: a grant for the right, unexpired one (which is spent);
        a wrong one counts against the voter's réassort lockout."""
        subject = reassort_subject(voter_id)
        gate = self._guard.gate(subject, now)
        if not gate.open:
            return gate.refusal()
        token = parse_token_input(text)
        verdict, channel = (
            self._tokens.redeem(voter_id, token, now)
            if token is not None
            else (TokenVerdict.INVALID, Channel.EMAIL)
        )
        if verdict is TokenVerdict.EXPIRED:
            return Refusal(Notice.EXPIRED_TOKEN)
        if verdict is TokenVerdict.INVALID:
            gate_after = self._guard.record_failure(subject, now)
            return refusal_after_failure(gate_after, Notice.WRONG_TOKEN)
        self._guard.record_success(subject)
        return self._grant(voter_id, f"token-{channel.value}", now)

    def regenerate(self, grant: RegenerationGrant) -> NewVoteCode:
        """Make, store and return a new vote code; the old one is void from now on.

        The caller checks that ``grant`` was issued in this session and has not lapsed.
        """
        code = generate_vote_code(self._rng)
        secret = hash_secret(SecretKind.VOTE_CODE, code, self._kdf)
        self._store.replace_vote_code(grant.voter_id, secret, method=grant.method)
        self._guard.forgive(vote_code_subject(grant.voter_id))
        return NewVoteCode(code)

    def _check_answers(
        self, voter: Voter, answer: str, numen: str, now: datetime
    ) -> Refusal | None:
        subject = reassort_subject(voter.id)
        gate = self._guard.gate(subject, now)
        if not gate.open:
            return gate.refusal()
        # Both, always: the time taken does not tell which of the two was wrong.
        answer_ok = verify_secret(SecretKind.SECRET_ANSWER, answer, voter.secret_answer, self._kdf)
        numen_ok = verify_secret(SecretKind.NUMEN, numen, voter.numen, self._kdf)
        if answer_ok and numen_ok:
            self._guard.record_success(subject)
            return None
        gate_after = self._guard.record_failure(subject, now)
        return refusal_after_failure(gate_after, Notice.WRONG_ANSWERS)

    def _grant(self, voter_id: VoterId, method: str, now: datetime) -> RegenerationGrant:
        return RegenerationGrant(
            f"{self._rng.getrandbits(128):032x}", voter_id, method, now + self._grant_ttl
        )

    def _voter(self, voter_id: VoterId) -> Voter:
        voter = self._store.voter(voter_id)
        if voter is None:  # the session only names voters it found in this store
            raise LookupError("the session's voter is not on the roll")
        return voter
