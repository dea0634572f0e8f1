-- Members-only threads (issue 14 item 3): a member's followers-only or
-- direct post to a coalition is re-sent by the coalition as its own post,
-- addressed to the members only. One row per (coalition, original): the
-- original (local or remote) and the coalition's copy (a local post of the
-- coalition). Replies find their thread through either column.
CREATE TABLE coalition_threads (
    coalition_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    original_post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    copy_post_id BIGINT NOT NULL UNIQUE REFERENCES posts (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (coalition_id, original_post_id)
);
CREATE INDEX coalition_threads_original ON coalition_threads (original_post_id);
