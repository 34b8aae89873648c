"""The kiosk's encrypted store (SQLCipher 4): package, roll, émargement, sealed ballots, audit.

    key = StoreKey.from_key_file(path)            # or StoreKey.from_passphrase(text)
    with KioskStore.open(store_path, key, clock) as store:
        store.record_cast(voter_id, scrutin_id, envelope_id, envelope)
    with KioskStore.open(store_path, key, clock, read_only=True) as store:   # inspection
        print(store.status().audit_head)

See docs/store.md for the tables, the key options, the errors and the crash guarantees.
"""

from kiosk.store.errors import (
    AlreadyVotedError,
    CorruptStoreError,
    KeyFileError,
    MigrationMismatchError,
    NewerSchemaError,
    OlderSchemaError,
    PackageConflictError,
    StoreBusyError,
    StoreError,
    StoreExistsError,
    StoreFileError,
    StoreMissingError,
    StoreStateError,
    WrongKeyError,
)
from kiosk.store.keys import StoreKey, create_key_file, kiosk_key_seed
from kiosk.store.records import (
    POLLS_TRANSITIONS,
    KioskIdentity,
    LockoutRecord,
    OperatorAttempt,
    OperatorRecord,
    OutboxCounts,
    OutboxEntry,
    PollsState,
    StoredPackage,
    StoreStatus,
    SyncState,
)
from kiosk.store.schema import SCHEMA_VERSION
from kiosk.store.store import (
    DEFAULT_BUSY_TIMEOUT,
    ENVELOPE_ID_BYTES,
    OPERATOR_SUBJECT_KIND,
    KioskStore,
    parse_kiosk_id,
    public_key_fingerprint,
)

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "ENVELOPE_ID_BYTES",
    "OPERATOR_SUBJECT_KIND",
    "POLLS_TRANSITIONS",
    "SCHEMA_VERSION",
    "AlreadyVotedError",
    "CorruptStoreError",
    "KeyFileError",
    "KioskIdentity",
    "KioskStore",
    "LockoutRecord",
    "MigrationMismatchError",
    "NewerSchemaError",
    "OlderSchemaError",
    "OperatorAttempt",
    "OperatorRecord",
    "OutboxCounts",
    "OutboxEntry",
    "PackageConflictError",
    "PollsState",
    "StoreBusyError",
    "StoreError",
    "StoreExistsError",
    "StoreFileError",
    "StoreKey",
    "StoreMissingError",
    "StoreStateError",
    "StoreStatus",
    "StoredPackage",
    "SyncState",
    "WrongKeyError",
    "create_key_file",
    "kiosk_key_seed",
    "parse_kiosk_id",
    "public_key_fingerprint",
]
