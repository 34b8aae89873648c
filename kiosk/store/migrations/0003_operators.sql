-- Migration 0003: the kiosk's operators (docs/store.md, "Operators").
-- An operator is an administrator or an assesseur who signs in to the admin console with a
-- name and a PIN. The PIN is stored only as salt (16 bytes) || scrypt digest (32 bytes), like
-- the roll's secrets, with its scrypt cost (N = 2^pin_log2_n, r = 8, p = 1). Failed PINs are
-- counted here, with the operator, rather than in `lockout`: loading another election package
-- clears `lockout` (the voters' counters), never these.
CREATE TABLE operator (
    name          TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 32),
    role          TEXT NOT NULL CHECK (role IN ('administrator', 'assesseur')),
    pin_hash      BLOB NOT NULL CHECK (length(pin_hash) = 48),
    pin_log2_n    INTEGER NOT NULL CHECK (pin_log2_n BETWEEN 1 AND 20),
    failures      INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    locked_until  TEXT,
    locked        INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    created_at    TEXT NOT NULL
) WITHOUT ROWID;
