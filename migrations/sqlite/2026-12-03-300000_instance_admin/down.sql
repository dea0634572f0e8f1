ALTER TABLE users DROP COLUMN instance_admin;
