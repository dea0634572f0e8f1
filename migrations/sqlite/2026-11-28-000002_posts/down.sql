DROP TABLE instances;
DROP TABLE reactions;
DROP TABLE post_mentions;
DROP TABLE post_tags;
DROP TABLE posts;
