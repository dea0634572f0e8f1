-- Posts (ActivityStreams objects: Note now, Event later), local and remote.
-- Ids are assigned by kuvend, time-ordered (see storage::posts::new_post_id).
CREATE TABLE posts (
    id BIGINT PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    ap_type TEXT NOT NULL,
    author_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    local BOOLEAN NOT NULL,
    visibility TEXT NOT NULL,
    content TEXT NOT NULL,
    source TEXT,
    summary TEXT,
    sensitive BOOLEAN NOT NULL DEFAULT FALSE,
    language TEXT,
    url TEXT,
    in_reply_to_ap_id TEXT,
    in_reply_to_id BIGINT REFERENCES posts (id) ON DELETE SET NULL,
    to_json TEXT NOT NULL DEFAULT '[]',
    cc_json TEXT NOT NULL DEFAULT '[]',
    replies_count BIGINT NOT NULL DEFAULT 0,
    likes_count BIGINT NOT NULL DEFAULT 0,
    boosts_count BIGINT NOT NULL DEFAULT 0,
    published_at TIMESTAMP NOT NULL,
    edited_at TIMESTAMP,
    deleted_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX posts_author ON posts (author_id, id);
CREATE INDEX posts_in_reply_to_id ON posts (in_reply_to_id);
CREATE INDEX posts_in_reply_to_ap_id ON posts (in_reply_to_ap_id);

CREATE TABLE post_tags (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (post_id, tag)
);
CREATE INDEX post_tags_tag ON post_tags (tag, post_id);

CREATE TABLE post_mentions (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, actor_id)
);
CREATE INDEX post_mentions_actor ON post_mentions (actor_id, post_id);

-- Likes and boosts (Announce), by anyone of anything we store.
CREATE TABLE reactions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    activity_ap_id TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (kind, actor_id, post_id)
);

-- Delivery health per remote instance (host[:port]).
CREATE TABLE instances (
    domain TEXT PRIMARY KEY,
    failing_since TIMESTAMP,
    unavailable BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at TIMESTAMP NOT NULL
);
