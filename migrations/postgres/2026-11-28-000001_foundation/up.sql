-- Actors of every kind (organisations, coalitions, people, the instance actor),
-- local and remote, in one table: the kind is a column, not a table.
CREATE TABLE actors (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    ap_type TEXT NOT NULL,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL,
    domain TEXT NOT NULL,
    local BOOLEAN NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    profile_url TEXT,
    icon_url TEXT,
    inbox_url TEXT NOT NULL,
    shared_inbox_url TEXT,
    outbox_url TEXT,
    followers_url TEXT,
    following_url TEXT,
    public_key_id TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    private_key_pem TEXT,
    manually_approves_followers BOOLEAN NOT NULL DEFAULT FALSE,
    discoverable BOOLEAN NOT NULL DEFAULT TRUE,
    published_at TIMESTAMP NOT NULL,
    fetched_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX actors_handle ON actors (username_key, domain);
CREATE INDEX actors_public_key_id ON actors (public_key_id);

CREATE TABLE follows (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    follower_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    followee_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    follow_ap_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (follower_id, followee_id)
);
CREATE INDEX follows_followee ON follows (followee_id, state);
CREATE INDEX follows_follow_ap_id ON follows (follow_ap_id);

-- Activities we sent (with the body as sent) and ids of activities we received
-- (for idempotency; body NULL).
CREATE TABLE activities (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    local BOOLEAN NOT NULL,
    body TEXT,
    created_at TIMESTAMP NOT NULL
);

-- One row per (outgoing activity, target inbox): the persistent delivery queue.
CREATE TABLE deliveries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    activity_id BIGINT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    inbox_url TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_status INTEGER,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (activity_id, inbox_url)
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
