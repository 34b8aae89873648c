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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk import durable
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
from kiosk.files import TooLargeError, read_file_at_most

MANIFEST: Final = "manifest.json"
SIGNATURE: Final = "manifest.sig"
_FINGERPRINT_TAG: Final = b"isoloir/package-fingerprint/v1\x00"
_MAX_MANIFEST_BYTES: Final = 4 << 20


class PackageError(ValueError):
    """A package refused; ``str()`` is the exact reason, fit to show an administrator."""


@dataclass(frozen=True)
class Draft:
    """A package before (or regardless of) its signature: every other check has passed."""

    manifest: Manifest
    manifest_bytes: bytes  # canonical JSON
    roll: tuple[Voter, ...]
    files: Mapping[str, bytes]  # every file manifest.assets names, roll included

    def __repr__(self) -> str:
        return f"Draft({self.manifest.election_id!r})"


def fingerprint(manifest_bytes: bytes) -> str:
    """Four groups of four base32 characters (80 bits) of a tagged SHA-256 of the manifest."""
    digest = hashlib.sha256(_FINGERPRINT_TAG + manifest_bytes).digest()
    text = base64.b32encode(digest[:10]).decode("ascii")
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


def load(
    source: Path,
    *,
    staging_parent: Path | None = None,
    limits: safezip.Limits = safezip.DEFAULT_LIMITS,
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
    if staging_parent is not None:
        staging_parent.mkdir(parents=True, exist_ok=True)
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
    if MANIFEST not in files:
        raise PackageError(f"missing {MANIFEST}")
    if SIGNATURE not in files:
        raise PackageError(f"missing {SIGNATURE} (not signed yet? run: isoloir election sign)")
    signature = _read(root, SIGNATURE, 64)
    draft = _read_draft(root, files, limits)
    if len(signature) != 64 or not signing.verify(
        draft.manifest.organizer.public_key, signature, draft.manifest_bytes
    ):
        raise PackageError(
            f"{SIGNATURE}: bad signature: the manifest was not signed by its organizer key"
        )
    if expected_key is not None and draft.manifest.organizer.public_key != expected_key:
        raise PackageError("organizer key differs from the expected one")
    return _signed(draft, signature)


def _read_draft(root: Path, files: set[str], limits: safezip.Limits) -> Draft:
    """Everything but the signature: canonical manifest, exact file set, hashes, roll."""
    if MANIFEST not in files:
        raise PackageError(f"missing {MANIFEST}")
    manifest_bytes = _read(root, MANIFEST, _MAX_MANIFEST_BYTES)
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
    unexpected = sorted(files - set(manifest.assets) - {MANIFEST, SIGNATURE})
    if unexpected:
        raise PackageError(f"unexpected file {unexpected[0]!r}: not listed in the manifest")
    assets: dict[str, bytes] = {}
    for path, digest in sorted(manifest.assets.items()):
        if path not in files:
            raise PackageError(f"missing asset {path!r}")
        data = _read(root, path, limits.max_file_bytes)
        if hashlib.sha256(data).hexdigest() != digest:
            raise PackageError(
                f"hash mismatch for {path!r}: the file differs from the signed manifest"
            )
        assets[path] = data
    try:
        roll_json = strict_json_loads(assets[manifest.roll_path], manifest.roll_path)
        roll = parse_roll(roll_json, manifest)
    except (EncodingError, PackageFormatError) as exc:
        raise PackageError(str(exc)) from None
    return Draft(manifest=manifest, manifest_bytes=manifest_bytes, roll=roll, files=assets)


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
                    raise PackageError(
                        f"{rel!r}: {st.st_size} bytes, more than {limits.max_file_bytes}"
                    )
                total += st.st_size
                names.add(rel)
        if len(names) > limits.max_entries:
            raise PackageError(f"more than {limits.max_entries} files")
    if total > limits.max_total_bytes:
        raise PackageError(f"package holds {total} bytes, more than {limits.max_total_bytes}")
    return names


def _read(root: Path, rel: str, max_bytes: int) -> bytes:
    # O_NOFOLLOW: a file swapped for a link after the listing is still refused.
    try:
        return read_file_at_most(root.joinpath(*rel.split("/")), max_bytes, follow_symlinks=False)
    except TooLargeError as exc:
        raise PackageError(f"{rel!r}: {exc}") from None
    except OSError as exc:
        raise PackageError(f"{rel!r}: cannot read ({exc.strerror})") from None


# ---- writing ----------------------------------------------------------------------------------


def make_draft(manifest: Manifest, roll: tuple[Voter, ...], files: Mapping[str, bytes]) -> Draft:
    """The canonical manifest bytes of ``manifest``, checked by parsing them back."""
    manifest_bytes = canonical_json(manifest_to_json(manifest))
    # A package we write must be one we would accept.
    try:
        checked = parse_manifest(strict_json_loads(manifest_bytes, MANIFEST))
    except (EncodingError, PackageFormatError) as exc:
        raise PackageError(str(exc)) from None
    return Draft(manifest=checked, manifest_bytes=manifest_bytes, roll=roll, files=dict(files))


def build(
    manifest: Manifest,
    roll: tuple[Voter, ...],
    assets: Mapping[str, bytes],
    organizer_key: Ed25519PrivateKey,
) -> ElectionPackage:
    """Hash the roll and assets into ``manifest``, sign it, and return the package in memory.

    ``manifest.assets``, ``voter_count`` and the organizer public key are filled in here.
    """
    roll_bytes = canonical_json(roll_to_json(manifest.election_id, roll))
    files = {**assets, manifest.roll_path: roll_bytes}
    manifest = replace(
        manifest,
        voter_count=len(roll),
        organizer=Organizer(manifest.organizer.name, signing.public_bytes(organizer_key)),
        assets={path: hashlib.sha256(data).hexdigest() for path, data in sorted(files.items())},
    )
    return sign_draft(make_draft(manifest, roll, files), organizer_key)


def sign_draft(draft: Draft, organizer_key: Ed25519PrivateKey) -> ElectionPackage:
    if draft.manifest.organizer.public_key != signing.public_bytes(organizer_key):
        raise PackageError("the signing key is not the organizer key named in the manifest")
    return _signed(draft, organizer_key.sign(draft.manifest_bytes))


def resign(
    package: ElectionPackage, manifest: Manifest, organizer_key: Ed25519PrivateKey
) -> ElectionPackage:
    """The package with an amended manifest (e.g. its election key), signed anew."""
    return sign_draft(make_draft(manifest, package.roll, package.assets), organizer_key)


def sign_folder(root: Path, organizer_key: Ed25519PrivateKey) -> ElectionPackage:
    """Check the package folder ``root`` (all but its signature), then write ``manifest.sig``."""
    if root.is_symlink() or not root.is_dir():
        raise PackageError(f"{root}: not a package folder (unzip a .zip package first)")
    limits = safezip.DEFAULT_LIMITS
    draft = _read_draft(root, _regular_files(root, limits), limits)
    signed = sign_draft(draft, organizer_key)
    partial = root / (SIGNATURE + ".partial")
    partial.unlink(missing_ok=True)
    durable.write_new_file(partial, signed.signature)
    os.replace(partial, root / SIGNATURE)
    durable.fsync_directory(root)
    return signed


def _signed(draft: Draft, signature: bytes) -> ElectionPackage:
    return ElectionPackage(
        manifest=draft.manifest,
        manifest_bytes=draft.manifest_bytes,
        signature=signature,
        fingerprint=fingerprint(draft.manifest_bytes),
        roll=draft.roll,
        assets=draft.files,
    )


def write_draft(draft: Draft, destination: Path) -> None:
    """Write an unsigned package folder (no ``manifest.sig``) for ``sign_folder``."""
    _write_files({MANIFEST: draft.manifest_bytes, **draft.files}, destination)


def write(package: ElectionPackage, destination: Path) -> None:
    """Write ``package`` as a folder, or as a .zip when ``destination`` ends in .zip.

    Written to a temporary sibling first and renamed, so a crash never leaves half a package.
    """
    _write_files(
        {MANIFEST: package.manifest_bytes, SIGNATURE: package.signature, **package.assets},
        destination,
    )


def _write_files(files: Mapping[str, bytes], destination: Path) -> None:
    if destination.exists():
        raise PackageError(f"{destination}: exists already; choose a new name")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial) if partial.is_dir() else partial.unlink()
    if destination.suffix == ".zip":
        with open(partial, "xb") as sink:
            with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for path, data in sorted(files.items()):
                    info = zipfile.ZipInfo(path, date_time=(2000, 1, 1, 0, 0, 0))
                    info.external_attr = 0o100644 << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    zf.writestr(info, data)
            sink.flush()
            os.fsync(sink.fileno())
    else:
        for path, data in files.items():
            target = partial.joinpath(*path.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            durable.write_new_file(target, data)
        durable.fsync_tree(partial)
    os.replace(partial, destination)
    durable.fsync_directory(destination.parent)
