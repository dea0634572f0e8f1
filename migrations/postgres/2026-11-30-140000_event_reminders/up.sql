-- The reminder participants get before an event (issue 12 item 3): how
-- many minutes before the start (0 = none; 24 h unless the organiser says
-- otherwise), and when it was sent. The sender claims an event by setting
-- reminder_sent_at only where it is still NULL, so it goes out once even
-- with several processes on one database.
ALTER TABLE events ADD COLUMN reminder_minutes BIGINT NOT NULL DEFAULT 1440;
ALTER TABLE events ADD COLUMN reminder_sent_at TIMESTAMP;
-- Remote events already stored are reminded of by their own server.
UPDATE events SET reminder_minutes = 0
    WHERE post_id IN (SELECT id FROM posts WHERE NOT local);
-- What the reminder task reads every minute: events not yet reminded of,
-- by start.
CREATE INDEX events_reminder_due ON events (starts_at)
    WHERE reminder_sent_at IS NULL AND reminder_minutes > 0;
