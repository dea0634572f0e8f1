DROP INDEX actors_suspended;
ALTER TABLE actors DROP COLUMN suspended_at;
