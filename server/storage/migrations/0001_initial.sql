-- Isoloir central server, schema 1 (docs/server.md, "Schema"). The same file runs on SQLite
-- and PostgreSQL: only portable SQL (TEXT, INTEGER, BIGINT, BYTEA, CHECK, UNIQUE, REFERENCES).
-- A shipped migration never changes: a later schema is a new file, 0002_<name>.sql.
-- Times are RFC 3339 UTC text to the second (kiosk.clock.isoformat_utc), so they sort as text.
-- The history table, schema_migration, is created by the runner (server/storage/migrations.py).

-- The one election this database serves: bound at the first start, refused for another.
CREATE TABLE election (
    singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
    election_id  TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    bound_at     TEXT NOT NULL CHECK (length(bound_at) = 20)
);

-- Kiosks enrolled with this server. public_key is the Ed25519 key the signed package lists for
-- kiosk_id; every signed request is checked against it.
CREATE TABLE kiosk (
    kiosk_id     TEXT PRIMARY KEY,
    public_key   BYTEA NOT NULL CHECK (length(public_key) = 32),
    enrolled_at  TEXT NOT NULL CHECK (length(enrolled_at) = 20),
    status       TEXT NOT NULL CHECK (status IN ('active', 'revoked'))
);

-- One-time enrollment tokens. Only a hash of the token is kept (the administrator saw it once);
-- used_at is set by the enrollment that spends it.
CREATE TABLE enrollment_token (
    token_hash  BYTEA PRIMARY KEY CHECK (length(token_hash) = 32),
    kiosk_id    TEXT NOT NULL,
    issued_at   TEXT NOT NULL CHECK (length(issued_at) = 20),
    expires_at  TEXT NOT NULL CHECK (length(expires_at) = 20),
    used_at     TEXT CHECK (used_at IS NULL OR length(used_at) = 20)
);
CREATE INDEX enrollment_token_by_kiosk ON enrollment_token (kiosk_id);

-- Nonces of accepted signed requests: the primary key makes the replay check one atomic insert.
-- Rows older than twice the allowed clock skew can never match a fresh request and are pruned.
CREATE TABLE request_nonce (
    kiosk_id  TEXT NOT NULL REFERENCES kiosk (kiosk_id),
    nonce     BYTEA NOT NULL CHECK (length(nonce) = 16),
    seen_at   TEXT NOT NULL CHECK (length(seen_at) = 20),
    PRIMARY KEY (kiosk_id, nonce)
);
CREATE INDEX request_nonce_by_time ON request_nonce (seen_at);

-- Émargement: who voted in which scrutin, once. No envelope id, board position or time: nothing
-- here points at a ballot.
CREATE TABLE emargement (
    voter_id    TEXT NOT NULL,
    scrutin_id  TEXT NOT NULL,
    kiosk_id    TEXT NOT NULL REFERENCES kiosk (kiosk_id),
    PRIMARY KEY (voter_id, scrutin_id)
);

-- The answer given for each uploaded envelope, so that a retried upload gets the same answer.
-- envelope_sha256 tells a retry (same bytes) from a different envelope reusing an id.
CREATE TABLE envelope_receipt (
    envelope_id      BYTEA PRIMARY KEY CHECK (length(envelope_id) = 16),
    kiosk_id         TEXT NOT NULL REFERENCES kiosk (kiosk_id),
    scrutin_id       TEXT NOT NULL,
    envelope_sha256  BYTEA NOT NULL CHECK (length(envelope_sha256) = 32),
    outcome          TEXT NOT NULL CHECK (outcome IN ('accepted', 'rejected')),
    reason           TEXT,
    CHECK ((outcome = 'accepted' AND reason IS NULL)
        OR (outcome = 'rejected' AND reason IS NOT NULL))
);

-- Envelopes refused because their voter had voted in that scrutin already: the conflict report.
-- They were never counted; the voter id is kept for the report only.
CREATE TABLE emargement_conflict (
    envelope_id  BYTEA PRIMARY KEY REFERENCES envelope_receipt (envelope_id),
    voter_id     TEXT NOT NULL,
    scrutin_id   TEXT NOT NULL,
    kiosk_id     TEXT NOT NULL REFERENCES kiosk (kiosk_id),
    detected_at  TEXT NOT NULL CHECK (length(detected_at) = 20)
);
CREATE INDEX emargement_conflict_by_voter ON emargement_conflict (voter_id, scrutin_id);

-- The public bulletin board (docs/protocol.md §15.2): append-only, hash-chained, no voter
-- reference and no time. Rows are only ever inserted; entry_hash chains each to the previous.
CREATE TABLE board_entry (
    seq              BIGINT PRIMARY KEY CHECK (seq >= 1),
    scrutin_id       TEXT NOT NULL,
    ballot           BYTEA NOT NULL,
    tracking_code    TEXT NOT NULL UNIQUE,
    kiosk_id         TEXT NOT NULL REFERENCES kiosk (kiosk_id),
    kiosk_signature  BYTEA NOT NULL CHECK (length(kiosk_signature) = 64),
    prev_hash        BYTEA NOT NULL CHECK (length(prev_hash) = 64),
    entry_hash       BYTEA NOT NULL UNIQUE CHECK (length(entry_hash) = 64)
);

-- The board's head: one row, updated in the same transaction as each append. Appenders update
-- it first, so its row lock (PostgreSQL) or the write lock (SQLite) makes appends one at a time.
CREATE TABLE board_head (
    singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
    entry_count  BIGINT NOT NULL CHECK (entry_count >= 0),
    head_hash    BYTEA NOT NULL CHECK (length(head_hash) = 64)
);
