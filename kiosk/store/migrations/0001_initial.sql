-- Isoloir kiosk store, schema 1 (docs/store.md). A shipped migration never changes:
-- a later schema is a new file, 0002_<name>.sql, applied after this one in one transaction.

-- Filled by the migration runner: one row per applied migration.
CREATE TABLE schema_version (
    version     INTEGER PRIMARY KEY CHECK (version >= 1),
    name        TEXT NOT NULL,
    sha256      TEXT NOT NULL CHECK (length(sha256) = 64),
    applied_at  TEXT NOT NULL
);

-- The loaded election package: one row, exactly as signed.
CREATE TABLE election_package (
    singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
    election_id  TEXT NOT NULL,
    title        TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    manifest     BLOB NOT NULL,
    signature    BLOB NOT NULL CHECK (length(signature) = 64),
    loaded_at    TEXT NOT NULL
);

-- Every file of the package (logos, PDFs, the roll), checked against the manifest's hashes.
CREATE TABLE package_asset (
    path    TEXT PRIMARY KEY,
    sha256  TEXT NOT NULL CHECK (length(sha256) = 64),
    data    BLOB NOT NULL
);

CREATE TABLE scrutin (
    scrutin_id  TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    position    INTEGER NOT NULL UNIQUE
) WITHOUT ROWID;

-- The voter roll. Secrets are stored only as scrypt hashes: salt (16 bytes) || digest (32 bytes).
-- identifier_key is the login lookup: identifier.strip().casefold(), as unique as the package
-- codec makes identifiers (case-insensitively).
CREATE TABLE voter (
    voter_id            TEXT PRIMARY KEY,
    identifier          TEXT NOT NULL UNIQUE,
    identifier_key      TEXT NOT NULL UNIQUE CHECK (length(identifier_key) > 0),
    display_name        TEXT NOT NULL,
    password_hash       BLOB NOT NULL CHECK (length(password_hash) = 48),
    vote_code_hash      BLOB CHECK (vote_code_hash IS NULL OR length(vote_code_hash) = 48),
    secret_question     TEXT NOT NULL,
    secret_answer_hash  BLOB NOT NULL CHECK (length(secret_answer_hash) = 48),
    numen_hash          BLOB NOT NULL CHECK (length(numen_hash) = 48),
    personal_email      TEXT,
    phone               TEXT,
    station             TEXT
) WITHOUT ROWID;

-- Which scrutins each voter may vote in.
CREATE TABLE voter_scrutin (
    voter_id    TEXT NOT NULL REFERENCES voter (voter_id),
    scrutin_id  TEXT NOT NULL REFERENCES scrutin (scrutin_id),
    PRIMARY KEY (voter_id, scrutin_id)
) WITHOUT ROWID;
CREATE INDEX voter_scrutin_by_scrutin ON voter_scrutin (scrutin_id);

-- Failed-attempt counters, per credential (e.g. subject_kind 'voter', subject_id a voter id).
CREATE TABLE lockout (
    subject_kind  TEXT NOT NULL CHECK (length(subject_kind) > 0),
    subject_id    TEXT NOT NULL CHECK (length(subject_id) > 0),
    failures      INTEGER NOT NULL CHECK (failures >= 0),
    locked_until  TEXT,
    locked        INTEGER NOT NULL CHECK (locked IN (0, 1)),
    PRIMARY KEY (subject_kind, subject_id)
) WITHOUT ROWID;

-- Émargement: who voted in which scrutin, and when. Never linked to a ballot.
CREATE TABLE emargement (
    voter_id    TEXT NOT NULL,
    scrutin_id  TEXT NOT NULL,
    cast_at     TEXT NOT NULL,
    PRIMARY KEY (voter_id, scrutin_id),
    FOREIGN KEY (voter_id, scrutin_id) REFERENCES voter_scrutin (voter_id, scrutin_id)
) WITHOUT ROWID;

-- Sealed ballots waiting for (or past) upload. No voter, no time, no rowid: the only order is
-- that of the random envelope ids, so nothing here tells which émargement a ballot belongs to.
CREATE TABLE outbox (
    envelope_id  BLOB PRIMARY KEY CHECK (length(envelope_id) = 16),
    scrutin_id   TEXT NOT NULL REFERENCES scrutin (scrutin_id),
    envelope     BLOB NOT NULL,
    sync_state   TEXT NOT NULL DEFAULT 'pending'
                 CHECK (sync_state IN ('pending', 'exported', 'accepted', 'rejected'))
) WITHOUT ROWID;

-- The polls: one row.
CREATE TABLE polls (
    singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
    state       TEXT NOT NULL CHECK (state IN ('not_opened', 'open', 'paused', 'closed')),
    changed_at  TEXT
);
INSERT INTO polls (singleton, state, changed_at) VALUES (1, 'not_opened', NULL);

-- This kiosk's Ed25519 signing key: one row.
CREATE TABLE kiosk_key (
    singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
    kiosk_id     TEXT NOT NULL CHECK (length(kiosk_id) > 0),
    private_key  BLOB NOT NULL CHECK (length(private_key) = 32),
    public_key   BLOB NOT NULL CHECK (length(public_key) = 32),
    set_at       TEXT NOT NULL
);

-- The audit journal, hash-chained (kiosk/audit.py). No vote content, no secret.
CREATE TABLE audit_journal (
    seq        INTEGER PRIMARY KEY CHECK (seq >= 1),
    at         TEXT NOT NULL,
    event      TEXT NOT NULL,
    fields     TEXT NOT NULL,
    prev_hash  BLOB NOT NULL CHECK (length(prev_hash) = 32),
    hash       BLOB NOT NULL UNIQUE CHECK (length(hash) = 32)
);

-- What is written once is never rewritten: the journal, émargements and sealed ballots.
CREATE TRIGGER audit_journal_no_update BEFORE UPDATE ON audit_journal
BEGIN
    SELECT RAISE(ABORT, 'the audit journal is append-only');
END;
CREATE TRIGGER audit_journal_no_delete BEFORE DELETE ON audit_journal
BEGIN
    SELECT RAISE(ABORT, 'the audit journal is append-only');
END;
CREATE TRIGGER emargement_no_update BEFORE UPDATE ON emargement
BEGIN
    SELECT RAISE(ABORT, 'an émargement is never changed');
END;
CREATE TRIGGER emargement_no_delete BEFORE DELETE ON emargement
BEGIN
    SELECT RAISE(ABORT, 'an émargement is never removed');
END;
CREATE TRIGGER outbox_sealed BEFORE UPDATE OF envelope_id, scrutin_id, envelope ON outbox
BEGIN
    SELECT RAISE(ABORT, 'a sealed ballot is never changed; only its sync state moves');
END;
CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
BEGIN
    SELECT RAISE(ABORT, 'a sealed ballot is never removed');
END;
