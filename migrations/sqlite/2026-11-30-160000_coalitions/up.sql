-- Coalitions (issue 13): a coalition is a local actor of kind 'coalition'
-- (a Group on the wire) in the actors table, with its key pair, like an
-- organisation. What only coalitions have lives here, one row per
-- coalition actor.
CREATE TABLE coalitions (
    actor_id BIGINT PRIMARY KEY REFERENCES actors (id) ON DELETE CASCADE,
    -- Who may see the member list: 'public' (everyone) or 'members'
    -- (everyone else sees only the count).
    members_visible TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Who belongs to a coalition, local or remote, and as what. Only settled
-- memberships live here: invitations and join requests, with their own
-- states, go in their own table, which points at a row here once accepted.
CREATE TABLE coalition_members (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    coalition_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    -- 'admin' or 'member' (distinct from staff roles).
    role TEXT NOT NULL,
    -- Our Member URL (Mobilizon's Member object id): stable and fetchable,
    -- what answers, role changes and removals refer to.
    ap_id TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (coalition_id, member_id)
);
CREATE INDEX coalition_members_member ON coalition_members (member_id);
