-- Status pages show each author's post count and last post date: counted
-- from this index alone (an author with thousands of posts is a range of
-- small index entries, not thousands of table rows).
CREATE INDEX posts_author_counts ON posts (author_id, visibility, published_at)
WHERE deleted_at IS NULL;
