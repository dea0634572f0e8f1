-- Reports (issue 15 item 5): by one of our accounts through the API, or by
-- another instance's Flag. The reporter is an actor either way: the local
-- organisation a staff member acts as, or the remote (instance) actor that
-- signed the Flag.
CREATE TABLE reports (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reporter_actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    -- The login that filed it through the API; NULL for a Flag.
    reporter_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    target_actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    -- Post ids (ours, of the target), as a JSON array of numbers.
    status_ids TEXT NOT NULL DEFAULT '[]',
    -- spam, legal, violation or other.
    category TEXT NOT NULL,
    -- Plain text, bounded by limits (never HTML).
    comment TEXT NOT NULL DEFAULT '',
    -- A Flag was queued to the target's instance.
    forwarded BOOLEAN NOT NULL,
    -- The incoming Flag's id, so a redelivered Flag is one report.
    flag_ap_id TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    resolved_note TEXT
);
CREATE INDEX reports_unresolved ON reports (resolved_at, id);

-- An admin.report notification names its report.
ALTER TABLE notifications ADD COLUMN report_id BIGINT REFERENCES reports (id) ON DELETE CASCADE;

-- When a delivery to the instance last succeeded (item 7); kept to within
-- ten minutes, so that a healthy instance costs no extra write per delivery.
ALTER TABLE instances ADD COLUMN last_success_at TIMESTAMP;

-- Pruning (item 7) reads finished deliveries and received activity ids by age.
CREATE INDEX deliveries_finished_age ON deliveries (updated_at) WHERE state <> 'pending';
CREATE INDEX activities_received_age ON activities (created_at) WHERE local = FALSE;
