"""The kiosk's encrypted store (SQLCipher 4): package, roll, émargement, sealed ballots, audit.

    key = StoreKey.from_key_file(path)            # or StoreKey.from_passphrase(text)
    with KioskStore.open(store_path, key, clock) as store:
        store.record_cast(voter_id, scrutin_id, envelope_id, envelope)

See docs/store.md for the tables, the key options, the errors and the crash guarantees.
"""

from kiosk.store.errors import (
    AlreadyVotedError,
    CorruptStoreError,
    KeyFileError,
    NewerSchemaError,
    PackageConflictError,
    StoreError,
    StoreExistsError,
    StoreMissingError,
    StoreStateError,
    WrongKeyError,
)
from kiosk.store.keys import StoreKey, create_key_file
from kiosk.store.records import (
    POLLS_TRANSITIONS,
    KioskIdentity,
    LockoutRecord,
    OutboxCounts,
    OutboxEntry,
    PollsState,
    StoredPackage,
    StoreStatus,
    SyncState,
)
from kiosk.store.schema import SCHEMA_VERSION
from kiosk.store.store import ENVELOPE_ID_BYTES, KioskStore, public_key_fingerprint

__all__ = [
    "ENVELOPE_ID_BYTES",
    "POLLS_TRANSITIONS",
    "SCHEMA_VERSION",
    "AlreadyVotedError",
    "CorruptStoreError",
    "KeyFileError",
    "KioskIdentity",
    "KioskStore",
    "LockoutRecord",
    "NewerSchemaError",
    "OutboxCounts",
    "OutboxEntry",
    "PackageConflictError",
    "PollsState",
    "StoreError",
    "StoreExistsError",
    "StoreKey",
    "StoreMissingError",
    "StoreStateError",
    "StoreStatus",
    "StoredPackage",
    "SyncState",
    "WrongKeyError",
    "create_key_file",
    "public_key_fingerprint",
]
