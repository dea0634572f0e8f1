-- A disabled login keeps its posts' authorship but can no longer log in,
-- and its tokens stop working on their next request.
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMP;
