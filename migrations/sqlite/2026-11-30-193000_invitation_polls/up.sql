-- The polls sent with an invitation to an invitee whose software has no
-- invitations (issue 13 item 3): a direct Question (a post of ap_type
-- 'Question') from the inviting organisation to the invitee, options
-- accept and decline. One poll per invitation.
CREATE TABLE invitation_polls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    invitation_id BIGINT NOT NULL UNIQUE REFERENCES coalition_invitations (id) ON DELETE CASCADE,
    poll_post_id BIGINT NOT NULL UNIQUE REFERENCES posts (id) ON DELETE CASCADE,
    -- The option names exactly as sent, a JSON array in the order accept,
    -- decline: a vote's name must match one of them exactly.
    options TEXT NOT NULL,
    -- The option index voted (0 accept, 1 decline), once a vote counted.
    vote BIGINT,
    created_at TIMESTAMP NOT NULL
);
