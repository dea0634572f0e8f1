-- The iCalendar SEQUENCE of an event (RFC 5545 §3.8.7.4): 0 when made,
-- one more at every change by its organiser or every changed copy from its
-- server, so a calendar that subscribed replaces its old copy.
ALTER TABLE events ADD COLUMN sequence BIGINT NOT NULL DEFAULT 0;
