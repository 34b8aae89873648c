-- Migration 0002: the server's reason code for a refused ballot (docs/store.md, "Outbox states").
-- NULL unless the server refused the ballot; a code such as 'already_voted', never free text.
ALTER TABLE outbox ADD COLUMN reason TEXT CHECK (reason IS NULL OR length(reason) BETWEEN 1 AND 64);
