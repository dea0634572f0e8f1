-- Issue 14 item 4 (review): the posts a known remote group's timeline
-- lists because they address it (to/cc) or mention it, so that
-- GET /api/v1/timelines/group/:id is an index range, not a scan of every
-- post's addressing. Filled when a post is stored; boosts by the group are
-- found by their own index (posts by author).
CREATE TABLE group_posts (
    group_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, post_id)
);
CREATE INDEX group_posts_post ON group_posts (post_id);
-- The posts stored before: addressed to a remote group...
INSERT OR IGNORE INTO group_posts (group_id, post_id)
SELECT a.id, p.id FROM posts p JOIN actors a
    ON a.ap_type = 'Group' AND NOT a.local
    AND (instr(p.to_json, '"' || a.ap_id || '"') > 0
         OR instr(p.cc_json, '"' || a.ap_id || '"') > 0)
WHERE p.reblog_of_id IS NULL;
-- ...or mentioning one.
INSERT OR IGNORE INTO group_posts (group_id, post_id)
SELECT a.id, m.post_id FROM post_mentions m JOIN actors a ON a.id = m.actor_id
WHERE a.ap_type = 'Group' AND NOT a.local;
