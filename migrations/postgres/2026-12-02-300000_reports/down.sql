DROP INDEX activities_received_age;
DROP INDEX deliveries_finished_age;
ALTER TABLE instances DROP COLUMN last_success_at;
ALTER TABLE notifications DROP COLUMN report_id;
DROP TABLE reports;
