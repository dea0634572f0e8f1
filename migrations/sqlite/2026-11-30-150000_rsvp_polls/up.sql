-- The RSVP polls sent to Mastodon users (issue 12 item 2): a direct
-- Question (a post of ap_type 'Question') sent by the organisation to
-- someone who replied to one of its events and mentioned it. One poll per
-- event and person, ever: a second reply gets none.
CREATE TABLE rsvp_polls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    poll_post_id BIGINT NOT NULL UNIQUE REFERENCES posts (id) ON DELETE CASCADE,
    event_post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    -- The option names exactly as sent, a JSON array in the order going,
    -- maybe, not going: a vote's name must match one of them exactly.
    options TEXT NOT NULL,
    -- The poll's endTime (the event's start): no vote is taken after it.
    ends_at TIMESTAMP NOT NULL,
    -- The option index voted (0 going, 1 maybe, 2 not going), if any:
    -- what votersCount and each option's totalItems are served from.
    vote BIGINT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (event_post_id, actor_id)
);
