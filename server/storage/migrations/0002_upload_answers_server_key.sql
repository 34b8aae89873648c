-- Isoloir central server, schema 2 (docs/server.md, "Schema"): envelope upload and the signed
-- board head. Portable SQL only, as 0001.

-- The exact answer given for a stored envelope id (canonical JSON), so that a retried upload
-- gets the earlier answer byte for byte, whatever later versions change in the wording.
ALTER TABLE envelope_receipt ADD COLUMN answer TEXT;

-- The server's Ed25519 key, which signs the board head (GET /v1/board/head). Generated at the
-- first start unless the operator gives a key file (--server-key); one row.
CREATE TABLE server_key (
    singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
    private_key  BYTEA NOT NULL CHECK (length(private_key) = 32),
    public_key   BYTEA NOT NULL CHECK (length(public_key) = 32),
    created_at   TEXT NOT NULL CHECK (length(created_at) = 20)
);
