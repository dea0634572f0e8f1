-- Invitations to coalitions (issue 13 item 2), in both directions: sent by
-- one of our coalitions (coalition local, invitee local or remote) and
-- received by one of our organisations (coalition remote, invitee local).
CREATE TABLE coalition_invitations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    coalition_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    invitee_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    -- The organisation that invited (the Invite's actor).
    inviter_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    -- The Invite's id. For ours, the pending Member URL, fetchable, which
    -- Mobilizon's answers name; for received ones, whatever the sender used.
    ap_id TEXT NOT NULL UNIQUE,
    -- Plain text, bounded by the service.
    message TEXT NOT NULL,
    -- pending | delivered | accepted | declined | revoked | expired | undeliverable
    state TEXT NOT NULL,
    -- Why it is in its state, when that needs saying (undeliverable).
    reason TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
-- At most one open invitation per coalition and invitee.
CREATE UNIQUE INDEX coalition_invitations_open
    ON coalition_invitations (coalition_id, invitee_id)
    WHERE state IN ('pending', 'delivered');
CREATE INDEX coalition_invitations_invitee ON coalition_invitations (invitee_id);
