"""``GET /v1/package``: the election package this server was started with, as a zip
(docs/server.md, "Package download").

Public and unsigned: a kiosk being set up has no package yet, so no election id to sign a
request with, and needs none: the package is signed by its organizer, the kiosk verifies that
signature and the administrator compares the fingerprint (sent in ``X-Isoloir-Fingerprint`` too)
with the official one before loading. The package is public anyway (it is part of the published
election record). The zip is built once, in memory, from the verified package the server holds,
with fixed entry dates, so that every download is the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Mapping
from typing import Final

from fastapi import APIRouter
from fastapi.responses import Response

from kiosk.election import package as election_package
from kiosk.election.model import ElectionPackage

PACKAGE_PATH: Final = "/v1/package"
FINGERPRINT_HEADER: Final = "X-Isoloir-Fingerprint"
ZIP_MEDIA_TYPE: Final = "application/zip"


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


def package_router(package: ElectionPackage) -> APIRouter:
    router = APIRouter()
    data = package_zip(package)
    etag = f'"{hashlib.sha256(data).hexdigest()[:32]}"'
    file_name = f"{package.manifest.election_id}.zip"

    @router.get(
        PACKAGE_PATH,
        tags=["kiosks"],
        summary="The election package this server serves, as a zip (signed by its organizer)",
        response_class=Response,
        responses={200: {"content": {ZIP_MEDIA_TYPE: {"schema": {"type": "string"}}}}},
    )
    def download_package() -> Response:
        return Response(
            data,
            media_type=ZIP_MEDIA_TYPE,
            headers={
                FINGERPRINT_HEADER: package.fingerprint,
                "ETag": etag,
                "Content-Disposition": f'attachment; filename="{file_name}"',
                "Cache-Control": "no-cache",
            },
        )

    return router
