ALTER TABLE posts DROP COLUMN audience;
