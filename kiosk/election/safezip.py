"""Defensive extraction of a zipped election package into a staging folder.

A package may come from removable media or the network, so the archive is treated as hostile:
every entry is checked (name, type, declared and actual size, compression ratio) and nothing is
ever written outside ``staging``. Sizes are enforced while inflating, not trusted from headers.
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from kiosk.election.codec import PackageFormatError, package_path

_CHUNK = 1 << 16


@dataclass(frozen=True)
class Limits:
    max_entries: int = 10_000
    max_file_bytes: int = 64 << 20
    max_total_bytes: int = 512 << 20
    max_ratio: int = 100  # uncompressed / compressed; a 1000:1 bomb is far beyond it


DEFAULT_LIMITS: Final = Limits()


class UnsafeArchiveError(PackageFormatError):
    """An archive refused before or while extracting; the message says which entry and why."""


def extract(archive: Path, staging: Path, limits: Limits = DEFAULT_LIMITS) -> None:
    """Extract ``archive`` into the empty folder ``staging``, or raise with the reason."""
    if any(staging.iterdir()):
        raise ValueError("staging folder must be empty")
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            _check_directory(infos, limits, archive.stat().st_size)
            total = 0
            for info in infos:
                if info.is_dir():
                    continue
                total += _extract_one(zf, info, staging, limits, limits.max_total_bytes - total)
    except zipfile.BadZipFile as exc:
        raise UnsafeArchiveError(f"{archive.name}: not a readable zip archive ({exc})") from None
    except (EOFError, zlib.error) as exc:
        raise UnsafeArchiveError(f"{archive.name}: truncated or corrupt archive ({exc})") from None
    except NotImplementedError as exc:
        raise UnsafeArchiveError(f"{archive.name}: unsupported zip feature ({exc})") from None
    except UnicodeDecodeError:
        raise UnsafeArchiveError(f"{archive.name}: an entry name is not valid UTF-8") from None


def _check_directory(infos: list[zipfile.ZipInfo], limits: Limits, archive_bytes: int) -> None:
    if len(infos) > limits.max_entries:
        raise UnsafeArchiveError(
            f"archive holds {len(infos)} entries, more than {limits.max_entries}"
        )
    # Entries of an honest archive do not overlap: an inflated compressed size (that would pass
    # the ratio check below) or entries sharing their data (overlap bombs) add up to too much.
    declared = sum(info.compress_size for info in infos)
    if declared > archive_bytes:
        raise UnsafeArchiveError(
            f"archive entries declare {declared} compressed bytes, more than the {archive_bytes} "
            "bytes of the archive (overlapping or lying entries)"
        )
    seen: set[str] = set()
    parents: set[str] = set()  # folders implied by the entries' paths
    for info in infos:
        if not info.filename:  # zipfile cuts a name at NUL, so '\0evil' arrives empty
            raise UnsafeArchiveError("archive entry with an empty name (or one starting with NUL)")
        name = info.filename.rstrip("/") if info.is_dir() else info.filename
        try:
            package_path(name, "archive entry")
        except PackageFormatError:
            raise UnsafeArchiveError(f"archive entry {info.filename!r}: unsafe path") from None
        # Permission bits without a file type (Python's writestr) mean a plain file.
        file_type = stat.S_IFMT(info.external_attr >> 16)
        if file_type == stat.S_IFLNK:
            raise UnsafeArchiveError(f"archive entry {info.filename!r}: symbolic links are refused")
        if file_type not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise UnsafeArchiveError(f"archive entry {info.filename!r}: not a regular file")
        if info.flag_bits & 0x1:
            raise UnsafeArchiveError(
                f"archive entry {info.filename!r}: encrypted entries are refused"
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UnsafeArchiveError(
                f"archive entry {info.filename!r}: compression method {info.compress_type} "
                "is refused (only stored or deflated)"
            )
        folded = name.casefold()
        if folded in seen:
            raise UnsafeArchiveError(f"archive entry {info.filename!r}: appears twice")
        seen.add(folded)
        folders = name.split("/")[:-1]
        parents.update("/".join(folders[: i + 1]).casefold() for i in range(len(folders)))
        if info.file_size > limits.max_file_bytes:
            raise UnsafeArchiveError(
                f"archive entry {info.filename!r}: {info.file_size} bytes, "
                f"more than {limits.max_file_bytes}"
            )
        if info.file_size > max(info.compress_size, 1) * limits.max_ratio:
            raise UnsafeArchiveError(
                f"archive entry {info.filename!r}: compression ratio above {limits.max_ratio}:1 "
                "(zip bomb?)"
            )
    for info in infos:
        if not info.is_dir() and info.filename.casefold() in parents:
            raise UnsafeArchiveError(
                f"archive entry {info.filename!r}: is both a file and a folder of other entries"
            )


def _extract_one(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, staging: Path, limits: Limits, budget: int
) -> int:
    target = staging.joinpath(*info.filename.split("/"))
    root = staging.resolve()
    if root not in target.resolve().parents:
        raise UnsafeArchiveError(f"archive entry {info.filename!r}: escapes the staging folder")
    cap = min(limits.max_file_bytes, max(info.compress_size, 1) * limits.max_ratio, budget)
    written = 0
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with zf.open(info) as source, open(target, "xb") as sink:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                if written > cap:
                    raise UnsafeArchiveError(
                        f"archive entry {info.filename!r}: inflates past its limit (zip bomb?)"
                    )
                sink.write(chunk)
    except OSError as exc:  # e.g. a name too long for the file system
        raise UnsafeArchiveError(
            f"archive entry {info.filename!r}: cannot be extracted ({exc.strerror or exc})"
        ) from None
    return written
