-- Who answered an event of ours (issue 12): one row per event and actor,
-- whatever dialect they answered in (Mobilizon Join, Friendica Accept,
-- Smithereen TentativeJoin...). A later answer from the same actor replaces
-- the earlier one. events.participant_count is kept equal to the number of
-- 'going' rows, in the same transaction as every change here.
CREATE TABLE participants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    -- going, maybe, not_going, pending, rejected, waitlisted
    state TEXT NOT NULL,
    -- The answering activity's id as its sender gave it: our Accept/Reject
    -- embeds it, and an Undo names it.
    activity_ap_id TEXT NOT NULL,
    -- Its type as received (Join, TentativeJoin, Accept, TentativeAccept,
    -- Reject, TentativeReject): only Joins are answered.
    activity_kind TEXT NOT NULL,
    -- The participation message, plain text, bounded.
    message TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (event_post_id, actor_id)
);
CREATE INDEX participants_activity ON participants (activity_ap_id);
-- The waiting list, in order, and the counts per state.
CREATE INDEX participants_state ON participants (event_post_id, state, created_at);
