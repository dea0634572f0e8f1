DROP INDEX posts_reblog_of;
DROP INDEX posts_reblog_once;
ALTER TABLE posts DROP COLUMN reblog_of_id;
