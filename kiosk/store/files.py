"""File-system details of a store: its SQLite sidecar files."""

from __future__ import annotations

from pathlib import Path
from typing import Final

SIDECARS: Final = ("-wal", "-shm", "-journal")
"""SQLite's companions of a database file: the write-ahead log, its index, a rollback journal."""


def sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def existing_sidecars(path: Path) -> list[Path]:
    return [sidecar(path, s) for s in SIDECARS if sidecar(path, s).exists()]
