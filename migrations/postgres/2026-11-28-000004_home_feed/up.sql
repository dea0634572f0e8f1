-- Home timelines, written when a post arrives (fan-out on write): one row per
-- local account whose home timeline shows the post. Reading a page is then a
-- range scan of the primary key, whatever the account follows.
CREATE TABLE home_feed (
    owner_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    PRIMARY KEY (owner_id, post_id)
);
-- For ON DELETE CASCADE from posts.
CREATE INDEX home_feed_post ON home_feed (post_id);

-- What the home timeline showed until now: own posts of local accounts, and
-- posts by the accounts they follow, except direct messages.
INSERT INTO home_feed (owner_id, post_id)
SELECT posts.author_id, posts.id
FROM posts JOIN actors ON actors.id = posts.author_id
WHERE actors.local AND posts.visibility <> 'direct';
INSERT INTO home_feed (owner_id, post_id)
SELECT follows.follower_id, posts.id
FROM follows
JOIN actors ON actors.id = follows.follower_id
JOIN posts ON posts.author_id = follows.followee_id
WHERE actors.local AND follows.state = 'accepted' AND posts.visibility <> 'direct'
ON CONFLICT DO NOTHING;
