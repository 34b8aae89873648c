"""Numbered SQL migration files shipped inside a package — the kiosk store's (kiosk/store) and
the central server's (server/storage) follow the same rules.

``migrations/NNNN_name.sql``, numbered 0001, 0002... without gaps; a shipped file never changes
(its SHA-256 is recorded where it was applied); the last number is the program's schema version.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from importlib import resources
from typing import Final

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


def load_shipped(package: str, schema_version: int) -> tuple[Migration, ...]:
    """Every migration in ``package``'s ``migrations`` folder, in order; numbered 1 to
    ``schema_version`` without gaps, else a ``RuntimeError`` (a packaging bug)."""
    folder = resources.files(package).joinpath("migrations")
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
    if versions != list(range(1, len(found) + 1)) or versions[-1:] != [schema_version]:
        raise RuntimeError(
            f"migrations must be numbered 1..{schema_version} without gaps, found {versions}"
        )
    return tuple(found)


def split_statements(sql: str) -> list[str]:
    """Single statements (triggers included), each with its final ``;``, so that each runs
    inside the migration's one explicit transaction (``executescript`` would commit on its own).
    SQLCipher's SQL is SQLite's, and the server's migrations are written to parse as SQLite's."""
    statements: list[str] = []
    current: list[str] = []
    for char in sql:
        current.append(char)
        if char == ";" and sqlite3.complete_statement("".join(current)):
            statements.append("".join(current).strip())
            current = []
    rest = [line for line in "".join(current).splitlines() if not line.strip().startswith("--")]
    if "".join(rest).strip():
        raise RuntimeError(f"migration ends with an unterminated statement: {rest[0][:60]!r}")
    return statements
