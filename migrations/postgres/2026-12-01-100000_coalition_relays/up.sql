-- Issue 14 item 1: a coalition relays its members' posts to its followers.
-- Relay settings: all | top-level | none, and the most posts relayed per
-- member and hour (0: no cap). Defaults keep existing coalitions valid.
ALTER TABLE coalitions ADD COLUMN relay TEXT NOT NULL DEFAULT 'top-level';
ALTER TABLE coalitions ADD COLUMN relay_cap BIGINT NOT NULL DEFAULT 20;

-- One row per post a coalition relayed: edits, deletes, likes and the
-- hourly cap find it here. raw is the member's activity exactly as
-- received (FEP-1b12: relayed unchanged). object_shape says whether some
-- instance got Announce{"<object id>"}, which a Delete must Undo.
CREATE TABLE coalition_relays (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    coalition_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    activity_ap_id TEXT NOT NULL,
    raw TEXT NOT NULL,
    object_shape BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (coalition_id, post_id)
);
CREATE INDEX coalition_relays_member ON coalition_relays (coalition_id, member_id, created_at);
