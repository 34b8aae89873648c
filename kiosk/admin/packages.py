"""Choosing an election package at the admin console: preview first, load after confirmation.

A package comes from a file (.zip) or folder, from a removable-media folder (the first package
found in it: a sub-folder holding ``manifest.json``, or a ``.zip``, by name), or from the
central server (``GET /v1/package``: signed by an enrolled kiosk, or with the kiosk's enrollment
token, since the package holds the roll). Each is verified whole (the organizer's signature, every
hash, the roll: ``kiosk.election.package.load``) and shown with its fingerprint, which the
operator compares with the official one before loading. Previewing stores nothing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path

from kiosk.election import package as election_package
from kiosk.election.model import ElectionId, ElectionPackage
from kiosk.election.package import PackageError
from kiosk.sync.client import DownloadedPackage, ServerFailure
from kiosk.sync.failures import describe_failure


class PackageSource(Enum):
    FILE = "file"  # a .zip or a package folder named by the operator
    MEDIA = "media"  # the first package found in a removable-media folder
    SERVER = "server"  # downloaded from the central server


@dataclass(frozen=True)
class PackagePreview:
    """A verified package, not loaded yet: what the operator checks before confirming."""

    source: PackageSource
    location: str  # the file or folder, or the server's URL
    fingerprint: str
    election_id: ElectionId
    title: str
    voters: int
    scrutins: int
    kiosks: int  # kiosks the package lists (0: any kiosk may load it)
    opens_at: datetime
    closes_at: datetime
    package: ElectionPackage = field(repr=False)


def preview_path(path: Path, *, staging_dir: Path | None = None) -> PackagePreview:
    """A package file or folder (``FILE``), or a removable-media folder (``MEDIA``) in which
    the first package is taken. ``PackageError`` naming what is wrong otherwise."""
    if path.is_dir() and not (path / election_package.MANIFEST).exists():
        found = first_package_in(path)
        if found is None:
            raise PackageError(
                f"{path}: no election package here (a folder holding manifest.json, or a .zip)"
            )
        loaded = election_package.load(found, staging_parent=staging_dir)
        return _preview(loaded, PackageSource.MEDIA, str(found))
    loaded = election_package.load(path, staging_parent=staging_dir)
    return _preview(loaded, PackageSource.FILE, str(path))


def first_package_in(folder: Path) -> Path | None:
    """The first entry of ``folder``, by name, that looks like a package: a sub-folder holding
    ``manifest.json`` or a ``.zip`` file. Hidden entries (``.Trash``...) are skipped."""
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        raise PackageError(f"{folder}: cannot list it ({exc.strerror})") from None
    for entry in entries:
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        if entry.is_dir() and (entry / election_package.MANIFEST).is_file():
            return entry
        if entry.is_file() and entry.suffix.lower() == ".zip":
            return entry
    return None


def preview_download(
    answer: DownloadedPackage | ServerFailure, server_url: str, *, staging_dir: Path | None = None
) -> PackagePreview:
    """A package the server sent (``SERVER``), verified like a file; ``PackageError`` says why
    not, a server failure included."""
    if isinstance(answer, ServerFailure):
        raise PackageError(
            f"cannot download the package from {server_url}: {describe_failure(answer)}"
        )
    if staging_dir is not None:
        staging_dir.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="isoloir-download-", dir=staging_dir))
    try:
        archive = folder / "package.zip"
        fd = os.open(archive, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as sink:
            sink.write(answer.data)
        loaded = election_package.load(archive, staging_parent=folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if answer.stated_fingerprint is not None and answer.stated_fingerprint != loaded.fingerprint:
        raise PackageError(
            f"the server announced package {answer.stated_fingerprint} but sent "
            f"{loaded.fingerprint}; nothing was loaded"
        )
    return _preview(loaded, PackageSource.SERVER, server_url)


def render_preview(preview: PackagePreview) -> str:
    """The preview as text (``isoloir admin load-package``)."""
    return "\n".join(
        [
            f"Source:      {preview.source.value} ({preview.location})",
            f"Election:    {preview.election_id} — {preview.title}",
            f"Fingerprint: {preview.fingerprint} (compare it with the official one)",
            f"Roll:        {preview.voters} voters, {preview.scrutins} scrutins",
            f"Kiosks:      {preview.kiosks or 'any'}",
            f"Voting:      {preview.opens_at.isoformat()} to {preview.closes_at.isoformat()}",
        ]
    )


def _preview(loaded: ElectionPackage, source: PackageSource, location: str) -> PackagePreview:
    manifest = loaded.manifest
    return PackagePreview(
        source=source,
        location=location,
        fingerprint=loaded.fingerprint,
        election_id=manifest.election_id,
        title=manifest.title,
        voters=len(loaded.roll),
        scrutins=len(manifest.scrutins),
        kiosks=len(manifest.kiosks),
        opens_at=manifest.window.opens_at,
        closes_at=manifest.window.closes_at,
        package=loaded,
    )
