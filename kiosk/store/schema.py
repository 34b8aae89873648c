"""Numbered schema migrations: ``migrations/NNNN_name.sql``, in order, each in one transaction.

Rules (docs/store.md, "Migrations"; the loader is ``kiosk.migrations``, shared with the
server): numbers run 0001, 0002, ... without gaps; a shipped file never changes;
``SCHEMA_VERSION`` is the last number, and a store whose schema is newer than it is refused
rather than guessed at.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from kiosk.migrations import Migration, load_shipped, split_statements

__all__ = ["SCHEMA_VERSION", "Migration", "shipped", "split_statements"]

SCHEMA_VERSION: Final = 4
"""The schema this program writes; equal to the number of the last migration file."""


@cache
def shipped() -> tuple[Migration, ...]:
    """Every migration shipped with this program, in order; a broken set is a packaging bug."""
    return load_shipped("kiosk.store", SCHEMA_VERSION)
