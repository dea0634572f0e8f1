-- Media (issue 16). An attachment: uploaded by a local account (its blobs
-- in the media store under generated keys), or a remote post's, known by
-- its remote_url only and shown through the media proxy.
CREATE TABLE media_attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The uploader, or the remote post's author.
    account_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    -- NULL until attached to a post (an upload not yet posted).
    post_id BIGINT REFERENCES posts (id) ON DELETE CASCADE,
    position INTEGER NOT NULL DEFAULT 0,
    -- image (gifv later).
    kind TEXT NOT NULL,
    -- processing, ready or failed.
    state TEXT NOT NULL,
    -- Keys in the media store (never from input); NULL for remote media and
    -- while processing.
    file_key TEXT,
    small_key TEXT,
    content_type TEXT,
    width INTEGER,
    height INTEGER,
    small_width INTEGER,
    small_height INTEGER,
    size_bytes BIGINT,
    blurhash TEXT,
    -- Alt text.
    description TEXT,
    focus_x REAL,
    focus_y REAL,
    remote_url TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX media_attachments_account ON media_attachments (account_id);
CREATE INDEX media_attachments_post ON media_attachments (post_id, position);

-- Remote media fetched through the proxy, processed and cached; the blob is
-- dropped after media.remote_cache_days unused (the row stays, so it is
-- fetched again on demand).
CREATE TABLE media_cache (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Hex SHA-256 of url.
    url_hash TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    file_key TEXT,
    small_key TEXT,
    content_type TEXT,
    size_bytes BIGINT NOT NULL DEFAULT 0,
    width INTEGER,
    height INTEGER,
    blurhash TEXT,
    fetched_at TIMESTAMP,
    last_used_at TIMESTAMP NOT NULL,
    -- The last failed fetch: not retried for a while.
    failed_at TIMESTAMP
);
CREATE INDEX media_cache_last_used ON media_cache (last_used_at);
