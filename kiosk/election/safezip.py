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

from kiosk.election.codec import PackageFormatError, package_path

_CHUNK = 1 << 16


@dataclass(frozen=True)
class Limits:
    max_entries: int = 10_000
    max_file_bytes: int = 64 << 20
    max_total_bytes: int = 512 << 20
    max_ratio: int = 100  # uncompressed / compressed; a 1000:1 bomb is far beyond it


class UnsafeArchiveError(PackageFormatError):
    """An archive refused before or while extracting; the message says which entry and why."""


def extract(archive: Path, staging: Path, limits: Limits = Limits()) -> None:
    """Extract ``archive`` into the empty folder ``staging``, or raise with the reason."""
    if any(staging.iterdir()):
        raise ValueError("staging folder must be empty")
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            _check_directory(infos, limits)
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


def _check_directory(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(infos) > limits.max_entries:
        raise UnsafeArchiveError(f"archive holds {len(infos)} entries, more than {limits.max_entries}")
    seen: set[str] = set()
    for info in infos:
        name = info.filename.rstrip("/") if info.is_dir() else info.filename
        try:
            package_path(name, "archive entry")
        except PackageFormatError:
            raise UnsafeArchiveError(f"archive entry {info.filename!r}: unsafe path") from None
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UnsafeArchiveError(f"archive entry {info.filename!r}: symbolic links are refused")
        if mode and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise UnsafeArchiveError(f"archive entry {info.filename!r}: not a regular file")
        if info.flag_bits & 0x1:
            raise UnsafeArchiveError(f"archive entry {info.filename!r}: encrypted entries are refused")
        folded = name.casefold()
        if folded in seen:
            raise UnsafeArchiveError(f"archive entry {info.filename!r}: appears twice")
        seen.add(folded)
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


def _extract_one(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, staging: Path, limits: Limits, budget: int
) -> int:
    target = staging.joinpath(*info.filename.split("/"))
    root = staging.resolve()
    if root not in target.resolve().parents:
        raise UnsafeArchiveError(f"archive entry {info.filename!r}: escapes the staging folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    cap = min(limits.max_file_bytes, max(info.compress_size, 1) * limits.max_ratio, budget)
    written = 0
    with zf.open(info) as source, open(target, "xb") as sink:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > cap:
                raise UnsafeArchiveError(
                    f"archive entry {info.filename!r}: inflates past its limit (zip bomb?)"
                )
            sink.write(chunk)
    return written
