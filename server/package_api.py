"""``GET /v1/package``: the election package this server was started with, as a zip
(docs/server.md, "Package download").

Not public: the package carries the roll (identifiers, names, personal addresses, phone
numbers, secret questions, and salted hashes of every voter's password, vote code, answer and
NUMEN at the package's KDF cost), which no one outside the election's kiosks may take home to
guess at. The server sends it only to

- an enrolled kiosk of this election, by a request it signs (``server.auth``: replay refused);
- or a kiosk being set up, which has no package yet, hence nothing to sign with, showing an
  unexpired, unused enrollment token issued for a kiosk of this election, in
  ``Authorization: Isoloir-Enrollment <token>``. The token is checked against its stored hash
  and not spent: enrollment spends it, once the package is loaded.

Anything else gets a 401 saying which of the two it needs. The zip is built once, in memory,
from the verified package the server holds, with fixed entry dates, so that every download is
the same bytes; ``X-Isoloir-Fingerprint`` carries the fingerprint, for display.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable, Mapping
from typing import Annotated, Final

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response
from starlette.types import Scope

from kiosk.clock import Clock, isoformat_utc
from kiosk.election import package as election_package
from kiosk.election.model import ElectionPackage
from kiosk.sync.signing import HEADER_KIOSK, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP
from server.auth import Authenticator, SignedRequest
from server.enrollment import canonical_token, token_hash
from server.errors import ApiError, ErrorBody, ErrorCode, Refusal
from server.storage import kiosks
from server.storage.database import Database

PACKAGE_PATH: Final = "/v1/package"
FINGERPRINT_HEADER: Final = "X-Isoloir-Fingerprint"
ZIP_MEDIA_TYPE: Final = "application/zip"
ENROLLMENT_SCHEME: Final = "Isoloir-Enrollment"
"""``Authorization: Isoloir-Enrollment <token>``: a kiosk being set up (docs/server.md)."""

_NEITHER: Final = (
    "the election package holds the voter roll: send a request signed by an enrolled kiosk of "
    f"this election, or a kiosk's enrollment token as 'Authorization: {ENROLLMENT_SCHEME} <token>'"
)


def package_zip(package: ElectionPackage) -> bytes:
    """The package's files (manifest, signature, roll, assets) in a zip, byte for byte stable."""
    files: Mapping[str, bytes] = {
        election_package.MANIFEST: package.manifest_bytes,
        election_package.SIGNATURE: package.signature,
        **package.assets,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in sorted(files.items()):
            info = zipfile.ZipInfo(path, date_time=(2000, 1, 1, 0, 0, 0))
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


class PackageAccess:
    """Who may download the package: an enrolled kiosk's signed request, or a valid enrollment
    token of a kiosk of this election (looked at, never spent)."""

    def __init__(self, database: Database, authenticator: Authenticator, clock: Clock) -> None:
        self._database = database
        self._authenticator = authenticator
        self._clock = clock

    def check(self, request: SignedRequest, authorization: str | None) -> Refusal | None:
        """None when the request may have the package; else why not (401, or 403 revoked)."""
        if authorization is not None:
            return self.check_token(authorization)
        if all(value is None for value in request.headers.values()):
            return Refusal(401, ErrorCode.UNSIGNED, _NEITHER)
        authenticated = self._authenticator.authenticate(request)
        return authenticated if isinstance(authenticated, Refusal) else None

    def check_token(self, authorization: str) -> Refusal | None:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != ENROLLMENT_SCHEME.lower():
            return Refusal(
                401,
                ErrorCode.TOKEN_INVALID,
                f"Authorization: expected '{ENROLLMENT_SCHEME} <token>'",
            )
        canonical = canonical_token(token)
        if canonical is None:
            return Refusal(401, ErrorCode.TOKEN_INVALID, "not an enrollment token")
        with self._database.transaction(single=True) as tx:
            record = kiosks.find_token(tx, token_hash(canonical))
        now = isoformat_utc(self._clock.now())
        if record is None:
            return Refusal(401, ErrorCode.TOKEN_INVALID, "no such enrollment token on this server")
        if self._authenticator.package_key(record.kiosk_id) is None:
            return Refusal(
                401,
                ErrorCode.TOKEN_WRONG_KIOSK,
                "this enrollment token was issued for a kiosk this election's package does not "
                "list",
            )
        if record.used_at is not None:
            return Refusal(
                401,
                ErrorCode.TOKEN_USED,
                f"this enrollment token was used at {record.used_at}; an enrolled kiosk signs "
                "its package download instead",
            )
        if record.expires_at <= now:
            return Refusal(
                401,
                ErrorCode.TOKEN_EXPIRED,
                f"this enrollment token expired at {record.expires_at} "
                "(ask the administrator for a new one)",
            )
        return None


def package_router(
    package: ElectionPackage, access: PackageAccess, request_target: Callable[[Scope], str]
) -> APIRouter:
    """``request_target``: the signed target of a request, as ``server.app`` reads it."""
    router = APIRouter()
    data = package_zip(package)
    etag = f'"{hashlib.sha256(data).hexdigest()[:32]}"'
    file_name = f"{package.manifest.election_id}.zip"

    @router.get(
        PACKAGE_PATH,
        tags=["kiosks"],
        summary="The election package, as a zip: to an enrolled kiosk (signed request) or with "
        "a kiosk's enrollment token",
        response_class=Response,
        responses={
            200: {"content": {ZIP_MEDIA_TYPE: {"schema": {"type": "string"}}}},
            401: {"model": ErrorBody},
            403: {"model": ErrorBody},
            503: {"model": ErrorBody},
        },
    )
    def download_package(
        request: Request,
        authorization: Annotated[
            str | None,
            Header(description=f"'{ENROLLMENT_SCHEME} <token>': a kiosk not enrolled yet"),
        ] = None,
        kiosk: Annotated[str | None, Header(alias=HEADER_KIOSK)] = None,
        timestamp: Annotated[str | None, Header(alias=HEADER_TIMESTAMP)] = None,
        nonce: Annotated[str | None, Header(alias=HEADER_NONCE)] = None,
        signature: Annotated[str | None, Header(alias=HEADER_SIGNATURE)] = None,
    ) -> Response:
        signed = SignedRequest(
            request.method,
            request_target(request.scope),
            b"",
            {
                HEADER_KIOSK: kiosk,
                HEADER_TIMESTAMP: timestamp,
                HEADER_NONCE: nonce,
                HEADER_SIGNATURE: signature,
            },
        )
        refusal = access.check(signed, authorization)
        if refusal is not None:
            raise ApiError(refusal)
        return Response(
            data,
            media_type=ZIP_MEDIA_TYPE,
            headers={
                FINGERPRINT_HEADER: package.fingerprint,
                "ETag": etag,
                "Content-Disposition": f'attachment; filename="{file_name}"',
                "Cache-Control": "no-store",
            },
        )

    return router
