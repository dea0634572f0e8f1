ALTER TABLE posts DROP COLUMN written_by_user_id;
DROP TABLE idempotency_keys;
DROP TABLE bookmarks;
DROP TABLE notifications;
DROP TABLE oauth_tokens;
DROP TABLE oauth_codes;
DROP TABLE oauth_apps;
DROP TABLE memberships;
DROP TABLE users;
