"""Numbered schema migrations: ``migrations/NNNN_name.sql``, in order, each in one transaction.

Rules (docs/store.md, "Migrations"): numbers run 0001, 0002, ... without gaps; a shipped file
never changes; ``SCHEMA_VERSION`` is the last number, and a store whose schema is newer than it
is refused rather than guessed at.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

import sqlcipher3

SCHEMA_VERSION: Final = 2
"""The schema this program writes; equal to the number of the last migration file."""

_FILE_NAME: Final = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def file_name(self) -> str:
        return f"{self.version:04d}_{self.name}.sql"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()

    def statements(self) -> list[str]:
        return split_statements(self.sql)


@cache
def shipped() -> tuple[Migration, ...]:
    """Every migration shipped with this program, in order; a broken set is a packaging bug."""
    folder = resources.files("kiosk.store").joinpath("migrations")
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match is None:
            if entry.name.endswith(".sql"):
                raise RuntimeError(f"migration file {entry.name!r} is not named NNNN_name.sql")
            continue
        found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {versions}")
    if versions[-1:] != [SCHEMA_VERSION]:
        raise RuntimeError(
            f"SCHEMA_VERSION is {SCHEMA_VERSION} but the last migration is {versions[-1:]}"
        )
    return tuple(found)


def split_statements(sql: str) -> list[str]:
    """Split a script into single statements (triggers included), so that they can run inside
    one explicit transaction: ``executescript`` would commit on its own."""
    statements: list[str] = []
    current: list[str] = []
    for char in sql:
        current.append(char)
        if char == ";":
            text = "".join(current)
            if sqlcipher3.complete_statement(text):
                statements.append(text.strip())
                current = []
    rest = "\n".join(
        line for line in "".join(current).splitlines() if not line.strip().startswith("--")
    )
    if rest.strip():
        raise RuntimeError(f"migration ends with an unterminated statement: {rest.strip()[:60]!r}")
    return statements
