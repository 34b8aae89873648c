-- Isoloir central server, schema 5 (docs/server.md, "Shared lockouts"): the failed-attempt
-- counters of voter credentials, shared by every kiosk. Portable SQL only, as 0001.

-- One row per credential with failures counted since its last success: the kiosks apply their
-- lockout policy (kiosk/voting/lockout.py) to (failures, last_failure_at), so that ten failures
-- spread over several kiosks lock the credential on all of them. subject_id: for a login, the
-- kiosk's digest of the identifier (never the identifier); for a vote code or a réassort, the
-- voter id. No password, code, answer or token ever reaches the server. A success deletes it.
CREATE TABLE credential_lockout (
    subject_kind     TEXT NOT NULL CHECK (subject_kind IN ('login', 'vote_code', 'reassort')),
    subject_id       TEXT NOT NULL CHECK (length(subject_id) BETWEEN 1 AND 64),
    failures         INTEGER NOT NULL CHECK (failures >= 1),
    last_failure_at  TEXT NOT NULL CHECK (length(last_failure_at) = 20),
    PRIMARY KEY (subject_kind, subject_id)
);
