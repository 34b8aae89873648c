-- Migration 0004: failed admin-console sign-ins under names no account has (docs/store.md,
-- "Operators"). They are counted, delayed and locked exactly like an account's failures, and
-- kept across restarts like them, so that neither the answer, the delays nor the writes tell
-- whether a name exists. A row is keyed by HMAC-SHA256(secret, case-folded typed name), never
-- by the name itself (it may be a PIN typed into the name field); the secret is this store's,
-- drawn when the migration runs.
CREATE TABLE operator_name_secret (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    secret     BLOB NOT NULL CHECK (length(secret) = 32)
);
INSERT INTO operator_name_secret (singleton, secret) VALUES (1, randomblob(32));
CREATE TABLE operator_unknown_name (
    name_key      TEXT PRIMARY KEY CHECK (length(name_key) = 64),
    failures      INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    locked_until  TEXT,
    locked        INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1))
) WITHOUT ROWID;
