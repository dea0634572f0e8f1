-- Requests to join a coalition (issue 13 item 4), both directions: a
-- remote or local organisation asks one of our coalitions (which has
-- manual approval), or one of our organisations asks a remote coalition.
-- Kept apart from coalition_invitations: a request is the joiner's own
-- Join, answered by the coalition's admins, and must never be taken for
-- an invitation (a Join by an invitee accepts its invitation).
CREATE TABLE coalition_join_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    coalition_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    requester_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    -- The Join's id; becomes the Member URL once accepted (Mobilizon keys
    -- its Accept{Member} on it).
    ap_id TEXT NOT NULL UNIQUE,
    -- Plain text, bounded by the service.
    message TEXT NOT NULL,
    -- pending | accepted | rejected | withdrawn
    state TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- At most one pending request per coalition and requester.
CREATE UNIQUE INDEX coalition_join_requests_pending
    ON coalition_join_requests (coalition_id, requester_id)
    WHERE state = 'pending';
