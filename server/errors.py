"""Every refusal the API can answer, as ``{"error": code, "detail": message}`` (docs/server.md).

Expected refusals are values (``Refusal``) until the edge, where ``ApiError`` carries them to the
exception handlers of ``server.app``. Codes are stable: kiosks act on them; details are for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class ErrorCode(StrEnum):
    # Any endpoint
    INVALID_REQUEST = "invalid_request"  # 422: the body or parameters are not the documented ones
    NOT_FOUND = "not_found"  # 404
    METHOD_NOT_ALLOWED = "method_not_allowed"  # 405
    BODY_TOO_LARGE = "body_too_large"  # 413
    UNAVAILABLE = "unavailable"  # 503: the database cannot be reached; retry later
    INTERNAL = "internal"  # 500: a bug; the server log has the exception type
    # Signed requests (docs/server.md, "Signed requests")
    UNSIGNED = "unsigned"  # 401: a signature header is missing
    BAD_SIGNATURE_HEADERS = "bad_signature_headers"  # 401: a header is not in its one form
    UNKNOWN_KIOSK = "unknown_kiosk"  # 401/403: the package lists no such kiosk
    KIOSK_NOT_ENROLLED = "kiosk_not_enrolled"  # 401
    KIOSK_REVOKED = "kiosk_revoked"  # 403
    BAD_SIGNATURE = "bad_signature"  # 401: not signed by the kiosk's key, or altered
    STALE_REQUEST = "stale_request"  # 401: timestamp too far from the server clock
    REPLAYED_REQUEST = "replayed_request"  # 401: this nonce was seen from this kiosk
    # Enrollment
    KEY_NOT_IN_PACKAGE = "key_not_in_package"  # 403
    # (Error codes, not secrets: S105 reads "token" in their names.)
    TOKEN_INVALID = "token_invalid"  # noqa: S105 - 403: no such token
    TOKEN_WRONG_KIOSK = "token_wrong_kiosk"  # noqa: S105 - 403: issued for another kiosk
    TOKEN_USED = "token_used"  # noqa: S105 - 403
    TOKEN_EXPIRED = "token_expired"  # noqa: S105 - 403
    # Réassort messages (docs/server.md, "Réassort delivery")
    CHANNEL_NOT_CONFIGURED = "channel_not_configured"  # 503: no relay for that channel here
    DESTINATION_NOT_IN_ROLL = "destination_not_in_roll"  # 403: no voter's réassort address
    RATE_LIMITED = "rate_limited"  # 429: too many messages to the destination or from the kiosk
    DELIVERY_UNAVAILABLE = "delivery_unavailable"  # 503: the relay cannot be reached now
    DELIVERY_FAILED = "delivery_failed"  # 502: the relay refused the message
    # The public board page's lookups (server/web, docs/server.md "Public board page")
    INVALID_TRACKING_CODE = "invalid_tracking_code"  # 400: not 32 base32 characters
    UNSUPPORTED_FILE = "unsupported_file"  # 415: not a PNG, JPEG or PDF sent as multipart
    UNREADABLE_FILE = "unreadable_file"  # 422: a broken image or PDF, or too many pixels
    NO_RECEIPT = "no_receipt"  # 422: no valid receipt QR code in the file
    TOO_MANY_REQUESTS = "too_many_requests"  # 429: this address sent too many uploads


@dataclass(frozen=True)
class Refusal:
    """An expected refusal: the HTTP status, a stable code and a message fit for an operator."""

    status: int
    code: ErrorCode
    detail: str
    retry_after: int | None = None  # seconds, sent as Retry-After (429, 503)


class ApiError(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.detail)
        self.refusal = refusal


class ErrorBody(BaseModel):
    """The body of every answer that is not a success."""

    model_config = ConfigDict(frozen=True)

    error: ErrorCode
    detail: str
