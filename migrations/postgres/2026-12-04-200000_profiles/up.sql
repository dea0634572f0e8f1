-- Issue 16: profile images and fields. `image_url` is a remote actor's
-- header; local actors point at their uploads (media_attachments ids);
-- `fields_json` holds [{name, value_text, value_html, verified_at}].
-- Alt texts live on the uploads (media_attachments.description): actors
-- may have at most 32 columns without diesel's slower 64-column feature.
ALTER TABLE actors ADD COLUMN image_url TEXT NULL;
ALTER TABLE actors ADD COLUMN avatar_media_id BIGINT NULL;
ALTER TABLE actors ADD COLUMN header_media_id BIGINT NULL;
ALTER TABLE actors ADD COLUMN fields_json TEXT NOT NULL DEFAULT '[]';
