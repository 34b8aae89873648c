-- Isoloir central server, schema 3 (docs/server.md, "Réassort delivery"): the rate limits of
-- réassort messages, shared by every app process. Portable SQL only, as 0001.

-- A limit of N messages per window for one subject is N slots, each holding when it was last
-- used; sending claims a slot missing or last used a whole window ago, by one conditional
-- statement (server/storage/message_quota.py). subject: for a destination, the hex SHA-256 of
-- the channel and normalized address (never the address); for a kiosk, its id. Rows older than
-- the longest window are pruned. Nothing here names a voter, a message or a token.
CREATE TABLE message_quota (
    scope    TEXT NOT NULL CHECK (scope IN ('destination', 'kiosk')),
    subject  TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 64),
    slot     INTEGER NOT NULL CHECK (slot >= 0),
    used_at  TEXT NOT NULL CHECK (length(used_at) = 20),
    PRIMARY KEY (scope, subject, slot)
);
CREATE INDEX message_quota_by_time ON message_quota (used_at);
