ALTER TABLE actors DROP COLUMN fields_json;
ALTER TABLE actors DROP COLUMN header_media_id;
ALTER TABLE actors DROP COLUMN avatar_media_id;
ALTER TABLE actors DROP COLUMN image_url;
