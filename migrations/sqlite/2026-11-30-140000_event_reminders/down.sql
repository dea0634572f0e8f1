DROP INDEX events_reminder_due;
ALTER TABLE events DROP COLUMN reminder_sent_at;
ALTER TABLE events DROP COLUMN reminder_minutes;
