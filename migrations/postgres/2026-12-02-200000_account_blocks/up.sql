-- Issue 15 item 1 (organisation half): what a local account (an
-- organisation) blocks or mutes. One table for the three kinds, so every
-- list that hides blocked parties asks one place:
--   block        a remote actor (target_actor_id), its follows removed,
--                its replies and mentions hidden, its fetches refused;
--   domain_block every actor on a host (target) and its subdomains;
--   mute         an actor whose posts leave the home timeline and, when
--                `notifications`, whose notifications are hidden.
CREATE TABLE account_blocks (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    -- block | domain_block | mute
    kind TEXT NOT NULL,
    target_actor_id BIGINT REFERENCES actors (id) ON DELETE CASCADE,
    -- domain_block only: the LIKE pattern of the domain's subdomains
    -- ('%.example.org'), so that queries match them without string
    -- building that differs between the backends.
    subdomain_pattern TEXT,
    -- The actor's ap id or the lowercased domain: one row per account, kind
    -- and target.
    target TEXT NOT NULL,
    -- Mutes: whether the muted actor's notifications are hidden too.
    notifications BOOLEAN NOT NULL,
    -- Mutes: when the mute ends by itself (Mastodon's `duration`).
    expires_at TIMESTAMP,
    -- The Block activity sent (federation.send_blocks), for its Undo.
    activity_ap_id TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX account_blocks_target ON account_blocks (account_id, kind, target);
CREATE INDEX account_blocks_actor ON account_blocks (target_actor_id);
