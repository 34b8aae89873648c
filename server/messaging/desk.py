"""The rules of sending a voter's réassort token (docs/server.md, "Réassort delivery").

The kiosk sends no text and no address: the channel, the voter id, the language, the token and
its expiry. The server composes the message from the fixed templates
(``kiosk.voting.reassort.compose_token_message``) to the voter's réassort address on its roll,
so that a kiosk key cannot turn the server's relay into a channel for text of its own.

In this order, the first failure answered (after the signature and the body's schema):

1. the expiry is ahead of the server's clock, by at most the token's lifetime and the clock
   skew the signatures allow (422 ``invalid_request``);
2. a relay serves the channel (503 ``channel_not_configured``);
3. the voter is on the package's roll and has a réassort address for that channel
   (``kiosk.voting.reassort.delivery_address``: never a voter's login identifier) (403
   ``destination_not_in_roll``);
4. one slot of the destination's quota, then one of the kiosk's, in one transaction (429
   ``rate_limited``, with the time a slot frees);
5. the relay takes the message: 202; or it cannot (503 ``delivery_unavailable``) or will not
   (502 ``delivery_failed``), and both claims are given back: only a relayed message counts.

The database transaction never spans the relay's network time (an SQLite write lock held for
seconds would stall every kiosk). Nothing of the message is stored: the quota rows hold a digest
of the destination (a pseudonym: whoever has the roll can recompute it) and a time, pruned once
older than the longest window. Logs carry the channel, kiosk id, backend and reason code only.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from prometheus_client import CollectorRegistry, Counter

from kiosk.clock import Clock, isoformat_utc
from kiosk.election.model import ElectionPackage, KioskId, Voter, VoterId
from kiosk.voting.model import Channel
from kiosk.voting.reassort import (
    TOKEN_TTL,
    TokenNotice,
    compose_token_message,
    delivery_address,
)
from server.errors import ErrorCode, Refusal
from server.log import ServerEvent, log_event
from server.messaging.senders import (
    DEMO_SENDER,
    DeliveryFailure,
    DirectoryOutbox,
    FailureKind,
    Sender,
    SmsGatewaySender,
    SmtpSender,
)
from server.messaging.settings import DeliverySettings, RateLimit
from server.storage import message_quota
from server.storage.database import Database, DatabaseError
from server.storage.message_quota import QuotaFull, QuotaScope, SlotClaim

DEFAULT_MAX_CLOCK_SKEW: Final = timedelta(minutes=5)
_DESTINATION_TAG: Final = b"isoloir/message-destination/v1\x00"
_PHONE_SEPARATORS: Final = re.compile(r"[\s().-]")
_PHONE: Final = re.compile(r"\+?[0-9]{6,15}")

logger = logging.getLogger(__name__)


def normalize_destination(channel: Channel, text: str) -> str | None:
    """The form destinations are compared, counted and (for SMS) sent in; None if it is not
    one: an e-mail address trimmed and case-folded, a phone number as ``+`` and digits."""
    if channel is Channel.EMAIL:
        address = text.strip()
        local, at, domain = address.rpartition("@")
        if not at or not local or not domain or any(c.isspace() for c in address):
            return None
        return address.casefold()
    phone = _PHONE_SEPARATORS.sub("", text)
    return phone if _PHONE.fullmatch(phone) else None


def destination_digest(channel: Channel, normalized: str) -> str:
    data = _DESTINATION_TAG + channel.value.encode("ascii") + b"\x00" + normalized.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def senders_for(settings: DeliverySettings) -> dict[Channel, Sender]:
    """The relay of each channel: the real one when set, else the demo folder when set."""
    senders: dict[Channel, Sender] = {}
    outbox = (
        DirectoryOutbox(
            settings.outbox,
            sender=settings.smtp.sender if settings.smtp is not None else DEMO_SENDER,
            sms_sender=settings.sms_gateway.sender if settings.sms_gateway is not None else None,
        )
        if settings.outbox is not None
        else None
    )
    if settings.smtp is not None:
        senders[Channel.EMAIL] = SmtpSender(settings.smtp)
    elif outbox is not None:
        senders[Channel.EMAIL] = outbox
    if settings.sms_gateway is not None:
        senders[Channel.SMS] = SmsGatewaySender(settings.sms_gateway)
    elif outbox is not None:
        senders[Channel.SMS] = outbox
    return senders


class _QuotaFullError(Exception):
    def __init__(self, full: QuotaFull) -> None:
        super().__init__(full.scope.value)
        self.full = full


@dataclass(frozen=True)
class Relayed:
    channel: Channel
    accepted_at: str  # RFC 3339 UTC, the server's clock


class MessageDesk:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        package: ElectionPackage,
        settings: DeliverySettings,
        *,
        senders: Mapping[Channel, Sender] | None = None,
        registry: CollectorRegistry | None = None,
        max_clock_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
    ) -> None:
        self._database = database
        self._clock = clock
        self._voters: dict[VoterId, Voter] = {voter.id: voter for voter in package.roll}
        self._time_zone = package.manifest.time_zone
        self._longest_expiry = TOKEN_TTL + max_clock_skew
        self._senders = dict(senders) if senders is not None else senders_for(settings)
        self._limits = {
            QuotaScope.DESTINATION: settings.per_destination,
            QuotaScope.KIOSK: settings.per_kiosk,
        }
        self._retention = max(settings.per_destination.window, settings.per_kiosk.window)
        self._prune_lock = threading.Lock()
        self._next_prune = clock.now()
        self.outcomes = Counter(
            "isoloir_messages",
            "Réassort messages by channel and outcome (sent, rate_limited, failed, ...)",
            ["channel", "outcome"],
            registry=registry if registry is not None else CollectorRegistry(),
        )

    def backends(self) -> dict[Channel, str]:
        return {channel: sender.backend for channel, sender in self._senders.items()}

    def relay(self, kiosk_id: KioskId, channel: Channel, notice: TokenNotice) -> Relayed | Refusal:
        """Compose ``notice``'s message to the voter's réassort address on the roll, then hand
        it to the channel's relay. Raises ``DatabaseUnavailable`` as every endpoint does."""
        invalid = self._invalid(notice)
        if invalid is not None:
            return self._refused(
                kiosk_id, channel, "refused", Refusal(422, ErrorCode.INVALID_REQUEST, invalid)
            )
        sender = self._senders.get(channel)
        if sender is None:
            return self._refused(
                kiosk_id,
                channel,
                "not_configured",
                Refusal(
                    503,
                    ErrorCode.CHANNEL_NOT_CONFIGURED,
                    f"this server has no relay for {channel.value} messages",
                ),
            )
        voter = self._voters.get(notice.voter_id)
        address = delivery_address(voter, channel) if voter is not None else None
        destination = None if address is None else normalize_destination(channel, address)
        if address is None or destination is None:
            return self._refused(
                kiosk_id,
                channel,
                "refused",
                Refusal(
                    403,
                    ErrorCode.DESTINATION_NOT_IN_ROLL,
                    f"no voter on the roll with this id has a {channel.value} réassort address",
                ),
            )
        now = self._clock.now()
        claims = self._claim(kiosk_id, channel, destination, now)
        if isinstance(claims, QuotaFull):
            return self._refused(kiosk_id, channel, "rate_limited", self._rate_limited(claims, now))
        # SMS goes out normalized; e-mail as the roll writes it, trimmed.
        outgoing = compose_token_message(
            channel,
            destination if channel is Channel.SMS else address,
            notice,
            now,
            self._time_zone,
        )
        try:
            failure = sender.send(outgoing)
        except BaseException:
            self._release(claims)  # a bug (500): the message was not sent either
            raise
        if failure is not None:
            self._release(claims)
            return self._failed(kiosk_id, channel, sender.backend, failure)
        self.outcomes.labels(channel.value, "sent").inc()
        log_event(
            logger,
            ServerEvent.MESSAGE_RELAY,
            disposition="sent",
            channel=channel.value,
            kiosk_id=kiosk_id,
            backend=sender.backend,
        )
        self._prune(now)
        return Relayed(channel, isoformat_utc(now))

    def _invalid(self, notice: TokenNotice) -> str | None:
        now = self._clock.now()
        if notice.expires_at.tzinfo is None:
            return "expires_at: not a UTC time"
        if not now < notice.expires_at <= now + self._longest_expiry:
            return (
                "expires_at: a token expires within "
                f"{_duration(self._longest_expiry)} of the server's clock"
            )
        return None

    # ---- quotas ----

    def _claim(
        self, kiosk_id: KioskId, channel: Channel, destination: str, now: datetime
    ) -> list[SlotClaim] | QuotaFull:
        """The destination's slot, then the kiosk's (always in this order: no deadlock)."""
        subjects = (
            (QuotaScope.DESTINATION, destination_digest(channel, destination)),
            (QuotaScope.KIOSK, str(kiosk_id)),
        )
        try:
            with self._database.transaction(write=True) as tx:
                claims: list[SlotClaim] = []
                for scope, subject in subjects:
                    limit = self._limits[scope]
                    taken = message_quota.claim(
                        tx,
                        scope,
                        subject,
                        limit.count,
                        isoformat_utc(now),
                        isoformat_utc(now - limit.window),
                    )
                    if isinstance(taken, QuotaFull):
                        raise _QuotaFullError(taken)  # rolls back the claims made before
                    claims.append(taken)
        except _QuotaFullError as full:
            return full.full
        return claims

    def _release(self, claims: list[SlotClaim]) -> None:
        try:
            with self._database.transaction(write=True) as tx:
                for claimed in claims:
                    message_quota.release(tx, claimed)
        except DatabaseError:
            # The message was not sent either way; the slots free themselves after the window.
            log_event(
                logger, ServerEvent.MESSAGE_RELAY, logging.WARNING, disposition="release_failed"
            )

    def _prune(self, now: datetime) -> None:
        """Forget quota rows past the longest window, at most once per window and process."""
        if now < self._next_prune or not self._prune_lock.acquire(blocking=False):
            return
        try:
            self._next_prune = now + self._retention
            with self._database.transaction(write=True) as tx:
                message_quota.prune(tx, isoformat_utc(now - self._retention))
        except DatabaseError:
            log_event(
                logger, ServerEvent.MESSAGE_RELAY, logging.WARNING, disposition="prune_failed"
            )
        finally:
            self._prune_lock.release()

    def _rate_limited(self, full: QuotaFull, now: datetime) -> Refusal:
        limit: RateLimit = self._limits[full.scope]
        oldest = datetime.fromisoformat(full.oldest_use.replace("Z", "+00:00"))
        retry_after = max(1, math.ceil((oldest + limit.window - now).total_seconds()))
        who = "this destination" if full.scope is QuotaScope.DESTINATION else "this kiosk"
        return Refusal(
            429,
            ErrorCode.RATE_LIMITED,
            f"{full.scope.value} limit: at most {limit.count} messages to {who} per "
            f"{_duration(limit.window)}; try again in {retry_after} s",
            retry_after=retry_after,
        )

    # ---- outcomes ----

    def _refused(
        self, kiosk_id: KioskId, channel: Channel, outcome: str, refusal: Refusal
    ) -> Refusal:
        self.outcomes.labels(channel.value, outcome).inc()
        log_event(
            logger,
            ServerEvent.MESSAGE_RELAY,
            disposition=outcome,
            channel=channel.value,
            kiosk_id=kiosk_id,
            reason=refusal.code.value,
        )
        return refusal

    def _failed(
        self, kiosk_id: KioskId, channel: Channel, backend: str, failure: DeliveryFailure
    ) -> Refusal:
        unavailable = failure.kind is FailureKind.UNREACHABLE
        self.outcomes.labels(channel.value, "unavailable" if unavailable else "failed").inc()
        log_event(
            logger,
            ServerEvent.MESSAGE_RELAY,
            logging.WARNING,
            disposition="unavailable" if unavailable else "failed",
            channel=channel.value,
            kiosk_id=kiosk_id,
            backend=backend,
            reason=failure.reason,
        )
        if unavailable:
            return Refusal(
                503,
                ErrorCode.DELIVERY_UNAVAILABLE,
                f"{failure.detail} [{failure.reason}]; the message was not sent",
            )
        return Refusal(
            502,
            ErrorCode.DELIVERY_FAILED,
            f"{failure.detail} [{failure.reason}]; the message was not sent",
        )


def _duration(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count > 1 else ''}"
    return f"{seconds} s"
