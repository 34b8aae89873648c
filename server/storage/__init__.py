"""The server's storage: one schema, SQLite or PostgreSQL (docs/server.md, "Storage").

``database`` is the thin adapter over both engines, ``migrations`` applies and checks the
numbered SQL files in ``migrations/``, and the other modules hold the queries of one subject.
"""

from server.storage.database import (
    Backend,
    ConstraintViolation,
    Database,
    DatabaseError,
    DatabaseUnavailable,
    DatabaseUrl,
    DatabaseUrlError,
    Transaction,
    parse_database_url,
)
from server.storage.migrations import SCHEMA_VERSION, MigrationError, check, migrate

__all__ = [
    "SCHEMA_VERSION",
    "Backend",
    "ConstraintViolation",
    "Database",
    "DatabaseError",
    "DatabaseUnavailable",
    "DatabaseUrl",
    "DatabaseUrlError",
    "MigrationError",
    "Transaction",
    "check",
    "migrate",
    "parse_database_url",
]
