-- Earlier versions of a post (issue 16 item 2: edits keep a history of
-- media changes). Written before each local edit and each remote Update, so
-- GET /api/v1/statuses/:id/history lists every version, media included.
CREATE TABLE post_edits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    -- The version's HTML, as it was shown (already sanitised if remote).
    content TEXT NOT NULL,
    -- Its content warning.
    summary TEXT,
    sensitive BOOLEAN NOT NULL,
    -- Its media as a JSON array of {url, preview_url, description, ...}
    -- (bounded: at most 16 items, as stored on the post).
    media_json TEXT NOT NULL DEFAULT '[]',
    -- When this version was made (its publication or previous edit).
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX post_edits_post ON post_edits (post_id, id);

-- An event's banner: one of its post's media attachments (issue 16 item 2).
ALTER TABLE events ADD COLUMN banner_media_id BIGINT;
