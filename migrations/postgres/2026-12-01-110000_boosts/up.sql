-- Boosts as Mastodon models them (issue 14 item 2): a boost is a row of its
-- own in posts (ap_type 'Announce', ap_id = the Announce's id, author = the
-- booster, empty content) pointing at the original. A remote group's relay
-- of a member's post is stored so, and shown as the group's boost.
-- NULL for every ordinary post, so existing rows stay as they are.
ALTER TABLE posts ADD COLUMN reblog_of_id BIGINT REFERENCES posts (id) ON DELETE CASCADE;
-- One account boosts one post once: the same post relayed twice, or in two
-- shapes (Announce{Create} and Announce{Object}), is stored once.
CREATE UNIQUE INDEX posts_reblog_once ON posts (author_id, reblog_of_id)
    WHERE reblog_of_id IS NOT NULL;
-- The boosts of a post: found when it is deleted (they go with it) and when
-- a home feed is checked for a post it already shows.
CREATE INDEX posts_reblog_of ON posts (reblog_of_id) WHERE reblog_of_id IS NOT NULL;
