"""Kiosk enrollment: one-time tokens, and a kiosk registering its key (docs/server.md).

An administrator issues a token for one kiosk id (``isoloir server enroll-token``); the token is
shown once and only its hash is stored. The kiosk then sends ``POST /v1/kiosks/enroll`` with the
token and its Ed25519 public key, signed by that key (proof that it holds it). The server
accepts when, in this order:

1. the package lists the kiosk id (``unknown_kiosk``) with exactly this key
   (``key_not_in_package``);
2. the request is signed by that key and fresh (``server.auth``: headers, signature, timestamp);
3. the token exists (``token_invalid``), is this kiosk's (``token_wrong_kiosk``), unused
   (``token_used``) and unexpired (``token_expired``);

then, in one transaction, spends the token, records the kiosk and the request's nonce (a replay
rolls all three back). Token refusals are detailed because only a holder of a kiosk key from the
signed package reaches them.

Tokens are 160 random bits written as 8 groups of 4 base32 characters; they are typed on a kiosk,
so case, dashes and spaces do not matter. High entropy makes a plain SHA-256 (tagged) enough to
store them: there is nothing to guess.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from kiosk.clock import Clock, isoformat_utc
from kiosk.election.model import ID_PATTERN, KioskId
from server.auth import Authenticator, SignedRequest
from server.errors import ErrorCode, Refusal
from server.log import ServerEvent, log_event
from server.storage import kiosks
from server.storage.database import Database

TOKEN_BYTES: Final = 20
DEFAULT_TTL: Final = timedelta(hours=24)
MAX_TTL: Final = timedelta(days=30)
_TOKEN_TAG: Final = b"isoloir/enrollment-token/v1\x00"
_TOKEN_TEXT: Final = re.compile(r"[A-Z2-7]{32}")
_TTL_TEXT: Final = re.compile(r"([1-9][0-9]{0,6})([smhd]?)")
_TTL_UNITS: Final = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}

logger = logging.getLogger(__name__)


class _Refused(Exception):
    """Rolls a transaction back with a refusal."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.detail)
        self.refusal = refusal


@dataclass(frozen=True)
class IssuedToken:
    token: str
    kiosk_id: KioskId
    expires_at: str

    def __repr__(self) -> str:  # the token is shown once, on the terminal, and nowhere else
        return f"IssuedToken(kiosk_id={self.kiosk_id!r}, expires_at={self.expires_at!r})"


@dataclass(frozen=True)
class Enrolled:
    kiosk_id: KioskId
    enrolled_at: str


def parse_ttl(text: str) -> timedelta:
    """``90``, ``90s``, ``30m``, ``24h`` or ``7d``, at most ``MAX_TTL``; else ``ValueError``."""
    match = _TTL_TEXT.fullmatch(text.strip())
    if match is None:
        raise ValueError("expected a duration such as 30m, 24h or 7d")
    ttl = timedelta(seconds=int(match[1]) * _TTL_UNITS[match[2]])
    if ttl > MAX_TTL:
        raise ValueError(f"at most {MAX_TTL.days} days")
    return ttl


def new_token() -> str:
    text = base64.b32encode(secrets.token_bytes(TOKEN_BYTES)).decode("ascii")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def canonical_token(text: str) -> str | None:
    """The token's 32 characters, upper-case, without separators; None if it is not a token."""
    compact = re.sub(r"[\s-]", "", text).upper()
    return compact if _TOKEN_TEXT.fullmatch(compact) else None


def token_hash(canonical: str) -> bytes:
    return hashlib.sha256(_TOKEN_TAG + canonical.encode("ascii")).digest()


def issue_token(database: Database, kiosk_id: str, ttl: timedelta, clock: Clock) -> IssuedToken:
    if not ID_PATTERN.fullmatch(kiosk_id):
        raise ValueError("not a kiosk id ([a-z0-9][a-z0-9._-]*, at most 64 characters)")
    if not timedelta(0) < ttl <= MAX_TTL:
        raise ValueError(f"a token lives between 1 s and {MAX_TTL.days} days")
    token = new_token()
    canonical = canonical_token(token)
    assert canonical is not None
    now = clock.now()
    expires_at = isoformat_utc(now + ttl)
    with database.transaction(write=True) as tx:
        kiosks.insert_token(
            tx, token_hash(canonical), KioskId(kiosk_id), isoformat_utc(now), expires_at
        )
    log_event(
        logger,
        ServerEvent.ENROLLMENT_TOKEN,
        disposition="issued",
        kiosk_id=kiosk_id,
        expires_at=expires_at,
    )
    return IssuedToken(token, KioskId(kiosk_id), expires_at)


class Enrollment:
    def __init__(self, database: Database, authenticator: Authenticator, clock: Clock) -> None:
        self._database = database
        self._authenticator = authenticator
        self._clock = clock

    def enroll(
        self, request: SignedRequest, kiosk_id: KioskId, public_key: bytes, token: str
    ) -> Enrolled | Refusal:
        result = self._enroll(request, kiosk_id, public_key, token)
        if isinstance(result, Refusal):
            log_event(
                logger,
                ServerEvent.KIOSK_ENROLL,
                logging.WARNING,
                disposition="refused",
                kiosk_id=kiosk_id,
                reason=result.code.value,
            )
        else:
            log_event(logger, ServerEvent.KIOSK_ENROLL, disposition="enrolled", kiosk_id=kiosk_id)
        return result

    def _enroll(
        self, request: SignedRequest, kiosk_id: KioskId, public_key: bytes, token: str
    ) -> Enrolled | Refusal:
        package_key = self._authenticator.package_key(kiosk_id)
        if package_key is None:
            return Refusal(
                403, ErrorCode.UNKNOWN_KIOSK, f"the election package lists no kiosk {kiosk_id!r}"
            )
        if public_key != package_key:
            return Refusal(
                403,
                ErrorCode.KEY_NOT_IN_PACKAGE,
                f"this public key is not the one the election package lists for {kiosk_id!r}",
            )
        signature = self._authenticator.signature_for(request, kiosk_id, public_key)
        if isinstance(signature, Refusal):
            return signature
        canonical = canonical_token(token)
        if canonical is None:
            return Refusal(403, ErrorCode.TOKEN_INVALID, "not an enrollment token")
        digest = token_hash(canonical)
        now = isoformat_utc(self._clock.now())
        try:
            with self._database.transaction(write=True) as tx:
                if not kiosks.spend_token(tx, digest, kiosk_id, now):
                    raise _Refused(_token_refusal(kiosks.find_token(tx, digest), kiosk_id, now))
                kiosks.upsert_kiosk(tx, kiosk_id, public_key, now)
                if not kiosks.record_nonce(tx, kiosk_id, signature.nonce, now):
                    raise _Refused(
                        Refusal(
                            401,
                            ErrorCode.REPLAYED_REQUEST,
                            "this request was received before (its nonce is spent)",
                        )
                    )
        except _Refused as refused:
            return refused.refusal
        return Enrolled(kiosk_id, now)


def _token_refusal(record: kiosks.TokenRecord | None, kiosk_id: KioskId, now: str) -> Refusal:
    if record is None:
        return Refusal(403, ErrorCode.TOKEN_INVALID, "no such enrollment token on this server")
    if record.kiosk_id != kiosk_id:
        return Refusal(
            403, ErrorCode.TOKEN_WRONG_KIOSK, "this enrollment token was issued for another kiosk"
        )
    if record.used_at is not None:
        return Refusal(
            403,
            ErrorCode.TOKEN_USED,
            f"this enrollment token was used at {record.used_at}; a token enrolls once "
            "(ask the administrator for a new one)",
        )
    if record.expires_at <= now:
        return Refusal(
            403,
            ErrorCode.TOKEN_EXPIRED,
            f"this enrollment token expired at {record.expires_at} "
            "(ask the administrator for a new one)",
        )
    raise AssertionError("spend_token refused a token that is valid")
