"""Numbered schema migrations, the same files for SQLite and PostgreSQL (docs/server.md).

``migrations/NNNN_name.sql`` run in order, each in its own transaction with the row that records
it in ``schema_migration`` (version, name, SHA-256 of the file, time). The rules are the kiosk
store's (docs/store.md, "Migrations"): numbers run 1..n without gaps; a shipped file never
changes, so a recorded hash that differs from the shipped file's means the history cannot be
trusted and the server refuses to start; a database whose schema is newer than this program's is
refused rather than guessed at.

The runner creates ``schema_migration`` itself (it must exist before the first file runs), under
a lock: SQLite's write lock (``BEGIN IMMEDIATE``) or a PostgreSQL transaction-level advisory lock,
so that several server processes starting at once apply each migration exactly once. Only the
runner knows the engines apart; the migration files do not, with one exception it translates:
a ``CREATE TABLE`` that ends with the comment ``/* isoloir:keyed */`` is, on SQLite, created
``WITHOUT ROWID`` (stored in its primary-key b-tree, no hidden row number that would keep the
arrival order); PostgreSQL reads the marker as the comment it is (docs/server.md, "Privacy").
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Final

from kiosk.clock import Clock, isoformat_utc
from kiosk.migrations import Migration, load_shipped
from server.log import ServerEvent, log_event
from server.storage.database import Backend, Database, DatabaseError, Transaction

SCHEMA_VERSION: Final = 6
"""The schema this program writes; equal to the number of the last migration file."""

HISTORY_TABLE: Final = "schema_migration"
_CREATE_HISTORY: Final = """
CREATE TABLE schema_migration (
    version     INTEGER PRIMARY KEY CHECK (version >= 1),
    name        TEXT NOT NULL,
    sha256      TEXT NOT NULL CHECK (length(sha256) = 64),
    applied_at  TEXT NOT NULL
)"""
# pg_advisory_xact_lock's key: any constant; this one spells "isoloir" in ASCII.
_POSTGRES_LOCK_KEY: Final = 0x69736F6C6F6972
KEYED_MARKER: Final = "/* isoloir:keyed */"
"""Ends a ``CREATE TABLE`` to be stored by its primary key: ``WITHOUT ROWID`` on SQLite."""

logger = logging.getLogger(__name__)


class MigrationError(DatabaseError):
    """The database's migration history does not match this program's migrations."""


@cache
def shipped() -> tuple[Migration, ...]:
    """Every migration shipped with this program, in order; a broken set is a packaging bug."""
    return load_shipped("server.storage", SCHEMA_VERSION)


def for_backend(statement: str, backend: Backend) -> str:
    """The statement as ``backend`` runs it: only the keyed-table marker differs."""
    statement = statement.removesuffix(";").rstrip()
    if KEYED_MARKER not in statement:
        return statement
    code = "\n".join(line for line in statement.splitlines() if not line.lstrip().startswith("--"))
    if not (code.lstrip().startswith("CREATE TABLE") and statement.endswith(KEYED_MARKER)):
        raise RuntimeError(f"{KEYED_MARKER} may only end a CREATE TABLE: {statement[:60]!r}")
    if backend is Backend.SQLITE:
        return statement.removesuffix(KEYED_MARKER) + "WITHOUT ROWID"
    return statement


def migrate(database: Database, clock: Clock) -> list[Migration]:
    """Apply every pending migration, each in its own transaction; the ones applied now."""
    applied: list[Migration] = []
    while True:
        with database.transaction(write=True) as tx:
            if tx.backend is Backend.POSTGRESQL:
                tx.query_one("SELECT pg_advisory_xact_lock(?)", (_POSTGRES_LOCK_KEY,))
            if not tx.table_exists(HISTORY_TABLE):
                tx.execute(_CREATE_HISTORY)
            current = _checked_version(tx, database)
            if current == SCHEMA_VERSION:
                return applied
            migration = shipped()[current]
            for statement in migration.statements():
                tx.execute(for_backend(statement, tx.backend))
            tx.execute(
                "INSERT INTO schema_migration (version, name, sha256, applied_at)"
                " VALUES (?, ?, ?, ?)",
                (migration.version, migration.name, migration.sha256, isoformat_utc(clock.now())),
            )
        applied.append(migration)
        log_event(
            logger,
            ServerEvent.SCHEMA_MIGRATION,
            from_version=migration.version - 1,
            to_version=migration.version,
            backend=database.backend.value,
        )


def check(database: Database) -> int:
    """The schema version after checking the history; ``MigrationError`` unless it is current."""
    with database.transaction() as tx:
        version = _checked_version(tx, database) if tx.table_exists(HISTORY_TABLE) else 0
    if version != SCHEMA_VERSION:
        raise MigrationError(
            f"{database.url}: schema version {version}, this server needs {SCHEMA_VERSION} "
            "(run: isoloir server migrate --db URL)"
        )
    return version


def _checked_version(tx: Transaction, database: Database) -> int:
    """How many shipped migrations the history records, each by its shipped name and hash."""
    rows = tx.query("SELECT version, name, sha256 FROM schema_migration ORDER BY version")
    known = shipped()
    for position, (version, name, digest) in enumerate(rows, start=1):
        if not isinstance(version, int) or version > len(known):
            raise MigrationError(
                f"{database.url}: schema version {version!r} was written by a newer Isoloir "
                f"(this one knows up to {SCHEMA_VERSION}); refusing to touch it"
            )
        migration = known[version - 1]
        if version != position:
            raise MigrationError(
                f"{database.url}: migration {known[position - 1].file_name} is not recorded"
            )
        if name != migration.name or digest != migration.sha256:
            raise MigrationError(
                f"{database.url}: migration {migration.file_name} is recorded with another "
                "name or hash than the file this program ships; the schema history cannot be "
                "trusted"
            )
    return len(rows)
