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
            f"cannot open {path}: no such store (create one with `isoloir admin setup`)"
        )


class StoreExistsError(StoreError):
    def __init__(self, path: Path, what: str = "a file") -> None:
        super().__init__(
            f"cannot create {path}: {what} exists already; a store is never overwritten"
        )


class StoreFileError(StoreError):
    """The file system refused: a folder where the store should be, no permission, a full disk."""

    def __init__(self, path: Path, action: str, reason: str | None) -> None:
        super().__init__(f"cannot {action} {path}: {reason or 'the file system refused'}")


class StoreBusyError(StoreError):
    """Another connection held the write lock for longer than the busy timeout."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"the store {path} is in use by another program (the kiosk?); "
            "try again when it is closed"
        )


class WrongKeyError(StoreError):
    # A damaged first page fails exactly like a wrong key: SQLCipher cannot tell them apart.
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"cannot open {path}: wrong passphrase or key, not an Isoloir store, "
            "or the file is damaged"
        )


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


class OlderSchemaError(StoreError):
    """A read-only opening of a store that needs a migration, which only a writer may apply."""

    def __init__(self, path: Path, found: int, supported: int) -> None:
        super().__init__(
            f"cannot open {path} read-only: store schema {found} is older than this program's "
            f"{supported}; it must be opened read-write once (by the kiosk, or "
            "`isoloir admin load-package`) to be upgraded"
        )
        self.found = found
        self.supported = supported


class MigrationMismatchError(StoreError):
    """The store's record of an applied migration differs from the file this program ships."""

    def __init__(self, path: Path, migration: str, detail: str) -> None:
        super().__init__(
            f"cannot open {path}: migration {migration} {detail}; a store whose history differs "
            "from the shipped migrations is not trusted. The file was left untouched; open it "
            "with the Isoloir release that wrote it, or restore it from a backup copy"
        )
        self.migration = migration


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
