-- Isoloir central server, schema 6 (docs/server.md, "Schema" and "Privacy"): the tables that name
-- a voter or an envelope id are stored in the order of their keys, not in arrival order.
-- Portable SQL only, as 0001.

-- Before this schema, emargement, envelope_receipt and emargement_conflict were SQLite rowid
-- tables: the n-th émargement row (its rowid) was written in the same transaction, in the same
-- order, as board seq n, so reading the file linked a voter to a ballot. Each is rebuilt with
-- its natural key as its storage order: the runner (server/storage/migrations.py) turns the
-- marker comment that ends a CREATE TABLE below into SQLite's clause for a table stored in its
-- primary-key b-tree, with no hidden row number; PostgreSQL reads it as a comment and keeps a
-- heap, whose physical order (ctid) and xmin still follow the writes: see docs/server.md for
-- what an operator can do about it. The rows are kept: copied aside, the tables dropped (the
-- conflicts first, they reference the answers), created again keyed, the rows copied back in
-- key order (so on PostgreSQL the rebuilt heap is in key order too), the copies dropped.

CREATE TABLE emargement_copy_0006 (
    voter_id    TEXT NOT NULL,
    scrutin_id  TEXT NOT NULL,
    kiosk_id    TEXT NOT NULL
);
INSERT INTO emargement_copy_0006 (voter_id, scrutin_id, kiosk_id)
    SELECT voter_id, scrutin_id, kiosk_id FROM emargement;

CREATE TABLE envelope_receipt_copy_0006 (
    envelope_id      BYTEA NOT NULL,
    kiosk_id         TEXT NOT NULL,
    scrutin_id       TEXT NOT NULL,
    envelope_sha256  BYTEA NOT NULL,
    outcome          TEXT NOT NULL,
    reason           TEXT,
    answer           TEXT
);
INSERT INTO envelope_receipt_copy_0006
    (envelope_id, kiosk_id, scrutin_id, envelope_sha256, outcome, reason, answer)
    SELECT envelope_id, kiosk_id, scrutin_id, envelope_sha256, outcome, reason, answer
    FROM envelope_receipt;

CREATE TABLE emargement_conflict_copy_0006 (
    envelope_id  BYTEA NOT NULL,
    voter_id     TEXT NOT NULL,
    scrutin_id   TEXT NOT NULL,
    kiosk_id     TEXT NOT NULL,
    detected_at  TEXT NOT NULL
);
INSERT INTO emargement_conflict_copy_0006
    (envelope_id, voter_id, scrutin_id, kiosk_id, detected_at)
    SELECT envelope_id, voter_id, scrutin_id, kiosk_id, detected_at FROM emargement_conflict;

DROP TABLE emargement_conflict;
DROP TABLE envelope_receipt;
DROP TABLE emargement;

-- Émargement: who voted in which scrutin, once. No envelope id, board position or time, and
-- (schema 6) no row number: rows are stored by (voter_id, scrutin_id).
CREATE TABLE emargement (
    voter_id    TEXT NOT NULL,
    scrutin_id  TEXT NOT NULL,
    kiosk_id    TEXT NOT NULL REFERENCES kiosk (kiosk_id),
    PRIMARY KEY (voter_id, scrutin_id)
) /* isoloir:keyed */;

-- The answer given for each uploaded envelope, stored by envelope id (random).
CREATE TABLE envelope_receipt (
    envelope_id      BYTEA NOT NULL CHECK (length(envelope_id) = 16),
    kiosk_id         TEXT NOT NULL REFERENCES kiosk (kiosk_id),
    scrutin_id       TEXT NOT NULL,
    envelope_sha256  BYTEA NOT NULL CHECK (length(envelope_sha256) = 32),
    outcome          TEXT NOT NULL CHECK (outcome IN ('accepted', 'rejected')),
    reason           TEXT,
    answer           TEXT,
    PRIMARY KEY (envelope_id),
    CHECK ((outcome = 'accepted' AND reason IS NULL)
        OR (outcome = 'rejected' AND reason IS NOT NULL))
) /* isoloir:keyed */;

-- Envelopes refused because their voter had voted in that scrutin already, stored by envelope id.
CREATE TABLE emargement_conflict (
    envelope_id  BYTEA NOT NULL REFERENCES envelope_receipt (envelope_id),
    voter_id     TEXT NOT NULL,
    scrutin_id   TEXT NOT NULL,
    kiosk_id     TEXT NOT NULL REFERENCES kiosk (kiosk_id),
    detected_at  TEXT NOT NULL CHECK (length(detected_at) = 20),
    PRIMARY KEY (envelope_id)
) /* isoloir:keyed */;
CREATE INDEX emargement_conflict_by_voter ON emargement_conflict (voter_id, scrutin_id);

INSERT INTO emargement (voter_id, scrutin_id, kiosk_id)
    SELECT voter_id, scrutin_id, kiosk_id FROM emargement_copy_0006
    ORDER BY voter_id, scrutin_id;
INSERT INTO envelope_receipt
    (envelope_id, kiosk_id, scrutin_id, envelope_sha256, outcome, reason, answer)
    SELECT envelope_id, kiosk_id, scrutin_id, envelope_sha256, outcome, reason, answer
    FROM envelope_receipt_copy_0006 ORDER BY envelope_id;
INSERT INTO emargement_conflict (envelope_id, voter_id, scrutin_id, kiosk_id, detected_at)
    SELECT envelope_id, voter_id, scrutin_id, kiosk_id, detected_at
    FROM emargement_conflict_copy_0006 ORDER BY envelope_id;

DROP TABLE emargement_conflict_copy_0006;
DROP TABLE envelope_receipt_copy_0006;
DROP TABLE emargement_copy_0006;
