ALTER TABLE events DROP COLUMN banner_media_id;
DROP TABLE post_edits;
