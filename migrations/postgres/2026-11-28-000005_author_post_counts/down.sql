DROP INDEX posts_author_counts;
