-- Isoloir central server, schema 4 (docs/server.md, "Removable media"): kiosks known from an
-- imported bundle only. Portable SQL only, as 0001.

-- An offline kiosk's ballots arrive in a bundle (isoloir server import-bundle), checked against
-- the package's key for that kiosk; the board, the émargement and the answers name the kiosk, so
-- it needs a row here, without being enrolled. enrolled = 0: known from a bundle only, and every
-- signed request from it is refused as not enrolled until it enrolls with a token (which sets 1).
ALTER TABLE kiosk ADD COLUMN enrolled INTEGER NOT NULL DEFAULT 1 CHECK (enrolled IN (0, 1));
