DROP TABLE group_posts;
