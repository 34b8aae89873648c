"""Which kiosk sent a request, and whether to believe it (docs/server.md, "Signed requests").

Checks run cheapest and least revealing first, and only a request that passes them all leaves a
trace (its nonce):

1. the four signature headers, each in its one form (``unsigned``, ``bad_signature_headers``);
2. the kiosk: listed in the package, enrolled, active, its enrolled key still the package's
   (``unknown_kiosk``, ``kiosk_not_enrolled``, ``kiosk_revoked``);
3. the Ed25519 signature over the request's canonical text (``bad_signature``);
4. the timestamp within ±max_clock_skew of the server clock (``stale_request``);
5. the nonce, new for this kiosk: one atomic insert (``replayed_request``).

Only a request whose signature checks out learns why its timestamp or nonce was refused. Nonces
are kept twice the skew: a request older than that fails step 4 whatever its nonce.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk.clock import Clock, isoformat_utc
from kiosk.election.model import ElectionPackage, KioskId
from kiosk.sync.signing import (
    RequestSignature,
    SignatureHeaderError,
    parse_headers,
    verify_request,
)
from server.errors import ErrorCode, Refusal
from server.log import ServerEvent, log_event
from server.storage import kiosks
from server.storage.database import Database, DatabaseError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignedRequest:
    """What the signature covers, as the server received it."""

    method: str
    target: str  # raw path, then ?query when there is one
    body: bytes
    headers: Mapping[str, str | None]  # the four signature headers by name; None when absent

    def __repr__(self) -> str:
        return f"SignedRequest({self.method} {self.target})"


@dataclass(frozen=True)
class AuthenticatedKiosk:
    kiosk_id: KioskId
    enrolled_at: str


class Authenticator:
    def __init__(
        self,
        database: Database,
        package: ElectionPackage,
        clock: Clock,
        max_clock_skew: timedelta,
    ) -> None:
        self._database = database
        self._election_id = package.manifest.election_id
        self._package_keys = {kiosk.id: kiosk.public_key for kiosk in package.manifest.kiosks}
        self._clock = clock
        self._max_skew = max_clock_skew
        self._prune_lock = threading.Lock()
        self._next_prune = clock.now()

    def package_key(self, kiosk_id: str) -> bytes | None:
        return self._package_keys.get(KioskId(kiosk_id))

    def authenticate(self, request: SignedRequest) -> AuthenticatedKiosk | Refusal:
        """The enrolled kiosk that signed ``request``, its nonce now recorded; or why not."""
        try:
            signature = parse_headers(request.headers)
        except SignatureHeaderError as exc:
            code = ErrorCode.UNSIGNED if exc.missing else ErrorCode.BAD_SIGNATURE_HEADERS
            return Refusal(401, code, str(exc))
        kiosk_id = signature.kiosk_id
        package_key = self.package_key(kiosk_id)
        if package_key is None:
            return Refusal(
                401, ErrorCode.UNKNOWN_KIOSK, f"the election package lists no kiosk {kiosk_id!r}"
            )
        with self._database.transaction(single=True) as tx:
            record = kiosks.find_kiosk(tx, kiosk_id)
        if record is None or not record.enrolled:  # known from a bundle only: not enrolled
            return Refusal(
                401,
                ErrorCode.KIOSK_NOT_ENROLLED,
                f"kiosk {kiosk_id!r} is not enrolled with this server (enroll it with a token)",
            )
        if record.status is kiosks.KioskStatus.REVOKED:
            return Refusal(403, ErrorCode.KIOSK_REVOKED, f"kiosk {kiosk_id!r} has been revoked")
        if not hmac.compare_digest(record.public_key, package_key):
            return Refusal(
                401,
                ErrorCode.UNKNOWN_KIOSK,
                f"kiosk {kiosk_id!r} enrolled a key the election package no longer lists; "
                "enroll it again",
            )
        checked = self.check_signed(request, signature, record.public_key)
        if isinstance(checked, Refusal):
            return checked
        now = self._clock.now()
        with self._database.transaction(write=True, single=True) as tx:
            fresh = kiosks.record_nonce(tx, kiosk_id, signature.nonce, isoformat_utc(now))
        if not fresh:
            return Refusal(
                401,
                ErrorCode.REPLAYED_REQUEST,
                "this request was received before (its nonce is spent); sign each request anew",
            )
        self._prune(now)
        return AuthenticatedKiosk(kiosk_id, record.enrolled_at)

    def signature_for(
        self, request: SignedRequest, kiosk_id: KioskId, public_key: bytes
    ) -> RequestSignature | Refusal:
        """Steps 1, 3 and 4 for a kiosk not enrolled yet, whose key the caller vouches for
        (enrollment: the package's key). Stores nothing; the caller records the nonce."""
        try:
            signature = parse_headers(request.headers)
        except SignatureHeaderError as exc:
            code = ErrorCode.UNSIGNED if exc.missing else ErrorCode.BAD_SIGNATURE_HEADERS
            return Refusal(401, code, str(exc))
        if signature.kiosk_id != kiosk_id:
            return Refusal(
                401,
                ErrorCode.BAD_SIGNATURE,
                f"the request is signed as kiosk {signature.kiosk_id!r}, not {kiosk_id!r}",
            )
        return self.check_signed(request, signature, public_key)

    def check_signed(
        self, request: SignedRequest, signature: RequestSignature, public_key: bytes
    ) -> RequestSignature | Refusal:
        """Steps 3 and 4: the signature by ``public_key``, then the timestamp. Stores nothing."""
        if not verify_request(
            public_key,
            signature,
            election_id=self._election_id,
            method=request.method,
            target=request.target,
            body=request.body,
        ):
            return Refusal(
                401,
                ErrorCode.BAD_SIGNATURE,
                f"the signature does not match this request and kiosk {signature.kiosk_id!r}'s "
                "key (altered in transit, another key, or another election)",
            )
        now = self._clock.now()
        skew = signature.timestamp - int(now.timestamp())
        if abs(skew) > self._max_skew.total_seconds():
            direction = "ahead of" if skew > 0 else "behind"
            return Refusal(
                401,
                ErrorCode.STALE_REQUEST,
                f"the request's timestamp is {abs(skew)} s {direction} the server clock "
                f"(at most {int(self._max_skew.total_seconds())} s either way): "
                "check the kiosk's clock, then sign the request anew",
            )
        return signature

    def nonce_retention(self) -> timedelta:
        return 2 * self._max_skew

    def _prune(self, now: datetime) -> None:
        """Forget nonces that can no longer match, at most once per skew period and process,
        in a transaction of its own (never inside a request's)."""
        if now < self._next_prune or not self._prune_lock.acquire(blocking=False):
            return
        try:
            self._next_prune = now + self._max_skew
            with self._database.transaction(write=True) as tx:
                count = kiosks.prune_nonces(tx, isoformat_utc(now - self.nonce_retention()))
            if count:
                log_event(logger, ServerEvent.NONCES_PRUNED, count=count)
        except DatabaseError:
            log_event(logger, ServerEvent.NONCES_PRUNED, logging.WARNING, disposition="failed")
        finally:
            self._prune_lock.release()
