"""Reading files whose size has a ceiling, without ever reading more than the ceiling and a byte."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO


class TooLargeError(ValueError):
    """A file or stream holding more bytes than its reader accepts."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


def read_at_most(source: BinaryIO, limit: int) -> bytes:
    """What is left of ``source``; ``TooLargeError`` if that is more than ``limit`` bytes."""
    data = source.read(limit + 1)
    if len(data) > limit:
        raise TooLargeError(limit)
    return data


def read_file_at_most(path: Path | str, limit: int, *, follow_symlinks: bool = True) -> bytes:
    """The bytes of the file at ``path``; ``TooLargeError`` if it holds more than ``limit``.

    ``OSError`` as ``open`` raises it; with ``follow_symlinks=False`` a link is refused when it
    is opened (``O_NOFOLLOW``), so a file swapped for a link after a check is refused too.
    """
    with open(path, "rb", opener=None if follow_symlinks else _open_no_follow) as source:
        return read_at_most(source, limit)


def _open_no_follow(name: str, flags: int) -> int:
    return os.open(name, flags | os.O_NOFOLLOW)
