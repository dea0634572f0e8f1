-- Issue 14 item 4 (review): the posts a known remote group's timeline
-- lists because they address it (to/cc/audience) or mention it, so that
-- GET /api/v1/timelines/group/:id is an index range, not a scan of every
-- post's addressing. Filled when a post is stored; boosts by the group are
-- found by their own index (posts by author).
CREATE TABLE group_posts (
    group_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, post_id)
);
CREATE INDEX group_posts_post ON group_posts (post_id);
-- The posts stored before that address a remote group (to, cc or the
-- FEP-1b12 audience), each addressee matched by the actors' ap_id index:
-- the cost grows with the posts' addressees, not posts times groups...
INSERT INTO group_posts (group_id, post_id)
SELECT a.id, p.id
FROM posts p
CROSS JOIN LATERAL (
    SELECT json_array_elements_text(p.to_json::json)
    UNION ALL SELECT json_array_elements_text(p.cc_json::json)
    UNION ALL SELECT p.audience WHERE p.audience IS NOT NULL
) AS t(addressee)
JOIN actors a ON a.ap_id = t.addressee
WHERE p.reblog_of_id IS NULL AND a.ap_type = 'Group' AND NOT a.local
ON CONFLICT DO NOTHING;
-- ...or mentioning one.
INSERT INTO group_posts (group_id, post_id)
SELECT a.id, m.post_id FROM post_mentions m JOIN actors a ON a.id = m.actor_id
WHERE a.ap_type = 'Group' AND NOT a.local
ON CONFLICT DO NOTHING;
