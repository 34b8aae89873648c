"""Writes that survive a crash or a power cut: data fsynced, then the folder entry fsynced."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_directory(folder: Path) -> None:
    """Make a file's creation or rename in ``folder`` survive a power loss."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_new_file(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Create ``path`` (never overwriting) with ``data`` and fsync it; the caller syncs folders."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as sink:
        sink.write(data)
        sink.flush()
        os.fsync(sink.fileno())


def fsync_tree(root: Path) -> None:
    """fsync every folder under ``root`` (files were synced as they were written)."""
    for dirpath, _dirnames, _filenames in os.walk(root):
        fsync_directory(Path(dirpath))
