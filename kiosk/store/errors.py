"""Everything the store refuses, each with a message fit to show an administrator.

No message ever holds the key, the passphrase or any voter secret.
"""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """The base of every error the kiosk store raises on purpose."""


class StoreMissingError(StoreError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"cannot open {path}: no such store (create one with `isoloir admin init`)"
        )


class StoreExistsError(StoreError):
    def __init__(self, path: Path, what: str = "a file") -> None:
        super().__init__(
            f"cannot create {path}: {what} exists already; a store is never overwritten"
        )


class WrongKeyError(StoreError):
    def __init__(self, path: Path) -> None:
        super().__init__(f"cannot open {path}: wrong passphrase or key, or not an Isoloir store")


class CorruptStoreError(StoreError):
    def __init__(self, path: Path, problems: int, first: str) -> None:
        super().__init__(
            f"cannot open {path}: the integrity check found {problems} problem(s), "
            f"the first: {first}. The file was left untouched; restore it from a backup copy"
        )
        self.problems = problems


class NewerSchemaError(StoreError):
    def __init__(self, path: Path, found: int, supported: int) -> None:
        super().__init__(
            f"cannot open {path}: store schema {found} is newer than this program's {supported}; "
            "upgrade Isoloir"
        )
        self.found = found
        self.supported = supported


class KeyFileError(StoreError):
    """A store key file that cannot be used; the message names the file, never its content."""


class AlreadyVotedError(StoreError):
    def __init__(self, scrutin_id: str) -> None:
        super().__init__(
            f"this voter has already voted in scrutin {scrutin_id!r}; nothing was recorded"
        )
        self.scrutin_id = scrutin_id


class PackageConflictError(StoreError):
    """A different election package, refused because the store already holds ballots."""


class StoreStateError(StoreError):
    """An operation the store's current state forbids (polls not open, unknown voter, ...)."""
