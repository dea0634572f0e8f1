DROP TABLE media_cache;
DROP TABLE media_attachments;
