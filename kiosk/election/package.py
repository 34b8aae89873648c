"""Reading, verifying, writing and signing election packages (docs/election-package.md).

A package is a folder or a .zip holding exactly:

    manifest.json   canonical JSON of the manifest (what the organizer signs)
    manifest.sig    the 64-byte Ed25519 signature of manifest.json
    <roll>          the voter roll, named and hashed in the manifest
    <assets>        every logo and PDF, named and hashed in the manifest

``load`` returns an ``ElectionPackage`` only when every check passes; otherwise it raises
``PackageError`` with the exact reason. Nothing else is accepted: an unlisted file, a symlink,
a non-canonical manifest or an unknown schema is refused.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.election import safezip, signing
from kiosk.election.codec import (
    PackageFormatError,
    manifest_to_json,
    parse_manifest,
    parse_roll,
    roll_to_json,
)
from kiosk.election.model import ElectionPackage, Manifest, Organizer, Voter
from kiosk.encoding import EncodingError, canonical_json, strict_json_loads

MANIFEST: Final = "manifest.json"
SIGNATURE: Final = "manifest.sig"
_FINGERPRINT_TAG: Final = b"isoloir/package-fingerprint/v1\x00"
_MAX_MANIFEST_BYTES: Final = 4 << 20


class PackageError(ValueError):
    """A package refused; ``str()`` is the exact reason, fit to show an administrator."""


def fingerprint(manifest_bytes: bytes) -> str:
    """Four groups of four base32 characters (80 bits) of a tagged SHA-256 of the manifest."""
    digest = hashlib.sha256(_FINGERPRINT_TAG + manifest_bytes).digest()
    text = base64.b32encode(digest[:10]).decode("ascii")
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


def load(
    source: Path,
    *,
    staging_parent: Path | None = None,
    limits: safezip.Limits = safezip.Limits(),
    expected_organizer_key: bytes | None = None,
) -> ElectionPackage:
    """Verify and parse the package at ``source`` (a folder or a .zip).

    A zip is extracted into a fresh staging folder (under ``staging_parent``), read, and the
    staging folder removed: nothing is written anywhere else.
    """
    if source.is_symlink():
        raise PackageError(f"{source}: a package may not be a symbolic link")
    if source.is_dir():
        return _load_dir(source, limits, expected_organizer_key)
    if not source.is_file():
        raise PackageError(f"{source}: no such package (expected a folder or a .zip file)")
    staging = Path(tempfile.mkdtemp(prefix="isoloir-staging-", dir=staging_parent))
    try:
        try:
            safezip.extract(source, staging, limits)
        except PackageFormatError as exc:
            raise PackageError(str(exc)) from None
        return _load_dir(staging, limits, expected_organizer_key)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _load_dir(root: Path, limits: safezip.Limits, expected_key: bytes | None) -> ElectionPackage:
    files = _regular_files(root, limits)
    for required in (MANIFEST, SIGNATURE):
        if required not in files:
            raise PackageError(f"missing {required}")
    manifest_bytes = _read(root, MANIFEST, _MAX_MANIFEST_BYTES)
    signature = _read(root, SIGNATURE, 64)
    try:
        parsed = strict_json_loads(manifest_bytes, MANIFEST)
        canonical = canonical_json(parsed)
    except EncodingError as exc:
        raise PackageError(str(exc)) from None
    if canonical != manifest_bytes:
        raise PackageError(f"{MANIFEST}: not in canonical form (was it edited by hand?)")
    try:
        manifest = parse_manifest(parsed)
    except PackageFormatError as exc:
        raise PackageError(str(exc)) from None
    if len(signature) != 64 or not signing.verify(
        manifest.organizer.public_key, signature, manifest_bytes
    ):
        raise PackageError(f"{SIGNATURE}: bad signature: the manifest was not signed by its organizer key")
    if expected_key is not None and manifest.organizer.public_key != expected_key:
        raise PackageError("organizer key differs from the expected one")

    unexpected = sorted(files - set(manifest.assets) - {MANIFEST, SIGNATURE})
    if unexpected:
        raise PackageError(f"unexpected file {unexpected[0]!r}: not listed in the manifest")
    assets: dict[str, bytes] = {}
    for path, digest in sorted(manifest.assets.items()):
        if path not in files:
            raise PackageError(f"missing asset {path!r}")
        data = _read(root, path, limits.max_file_bytes)
        if hashlib.sha256(data).hexdigest() != digest:
            raise PackageError(f"hash mismatch for {path!r}: the file differs from the signed manifest")
        assets[path] = data
    try:
        roll = parse_roll(strict_json_loads(assets[manifest.roll_path], manifest.roll_path), manifest)
    except (EncodingError, PackageFormatError) as exc:
        raise PackageError(str(exc)) from None
    return ElectionPackage(
        manifest=manifest,
        manifest_bytes=manifest_bytes,
        signature=signature,
        fingerprint=fingerprint(manifest_bytes),
        roll=roll,
        assets=assets,
    )


def _regular_files(root: Path, limits: safezip.Limits) -> set[str]:
    """Package-relative names of every file under ``root``; refuses links and special files."""
    names: set[str] = set()
    total = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            full = Path(dirpath, name)
            rel = full.relative_to(root).as_posix()
            if full.is_symlink():
                raise PackageError(f"{rel!r}: symbolic links are refused")
            if name in filenames:
                st = full.lstat()
                if not full.is_file():
                    raise PackageError(f"{rel!r}: not a regular file")
                if st.st_size > limits.max_file_bytes:
                    raise PackageError(f"{rel!r}: {st.st_size} bytes, more than {limits.max_file_bytes}")
                total += st.st_size
                names.add(rel)
        if len(names) > limits.max_entries:
            raise PackageError(f"more than {limits.max_entries} files")
    if total > limits.max_total_bytes:
        raise PackageError(f"package holds {total} bytes, more than {limits.max_total_bytes}")
    return names


def _read(root: Path, rel: str, max_bytes: int) -> bytes:
    with open(root.joinpath(*rel.split("/")), "rb") as source:
        data = source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PackageError(f"{rel!r}: larger than {max_bytes} bytes")
    return data


# ---- writing ----------------------------------------------------------------------------------


def build(
    manifest: Manifest,
    roll: tuple[Voter, ...],
    assets: Mapping[str, bytes],
    organizer_key: Ed25519PrivateKey,
) -> ElectionPackage:
    """Hash the roll and assets into ``manifest``, sign it, and return the package in memory.

    ``manifest.assets`` is recomputed; the organizer public key must match ``organizer_key``.
    """
    roll_bytes = canonical_json(roll_to_json(manifest.election_id, roll))
    files = {**assets, manifest.roll_path: roll_bytes}
    manifest = replace(
        manifest,
        voter_count=len(roll),
        organizer=Organizer(manifest.organizer.name, signing.public_bytes(organizer_key)),
        assets={path: hashlib.sha256(data).hexdigest() for path, data in sorted(files.items())},
    )
    return sign(manifest, roll, files, organizer_key)


def sign(
    manifest: Manifest,
    roll: tuple[Voter, ...],
    files: Mapping[str, bytes],
    organizer_key: Ed25519PrivateKey,
) -> ElectionPackage:
    if manifest.organizer.public_key != signing.public_bytes(organizer_key):
        raise PackageError("the signing key is not the organizer key named in the manifest")
    manifest_bytes = canonical_json(manifest_to_json(manifest))
    # Parse our own output back: a package we write must be one we would accept.
    try:
        checked = parse_manifest(strict_json_loads(manifest_bytes, MANIFEST))
    except (EncodingError, PackageFormatError) as exc:
        raise PackageError(str(exc)) from None
    return ElectionPackage(
        manifest=checked,
        manifest_bytes=manifest_bytes,
        signature=organizer_key.sign(manifest_bytes),
        fingerprint=fingerprint(manifest_bytes),
        roll=roll,
        assets=dict(files),
    )


def resign(package: ElectionPackage, manifest: Manifest, organizer_key: Ed25519PrivateKey) -> ElectionPackage:
    """A package with an amended manifest (e.g. the election key after the ceremony), signed anew."""
    return sign(manifest, package.roll, package.assets, organizer_key)


def write(package: ElectionPackage, destination: Path) -> None:
    """Write ``package`` as a folder, or as a .zip when ``destination`` ends in .zip.

    Written to a temporary sibling first and renamed, so a crash never leaves half a package.
    """
    if destination.exists():
        raise PackageError(f"{destination}: exists already; choose a new name")
    destination.parent.mkdir(parents=True, exist_ok=True)
    files = {MANIFEST: package.manifest_bytes, SIGNATURE: package.signature, **package.assets}
    partial = destination.with_name(destination.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial) if partial.is_dir() else partial.unlink()
    if destination.suffix == ".zip":
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for path, data in sorted(files.items()):
                info = zipfile.ZipInfo(path, date_time=(2000, 1, 1, 0, 0, 0))
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
    else:
        for path, data in files.items():
            target = partial.joinpath(*path.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    os.replace(partial, destination)
