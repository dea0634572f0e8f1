-- The instance's operators among the logins (issue 15, reports reach
-- staff): their organisations get the `admin.report` notifications.
ALTER TABLE users ADD COLUMN instance_admin BOOLEAN NOT NULL DEFAULT FALSE;
