-- Instance domain policy (issue 15). Domains are stored normalised
-- (lower case, punycode, no trailing dot, port only if given; see
-- federation::domain_policy::normalize_domain); an entry covers the domain
-- and every subdomain of it. A later part adds a nullable `source` column
-- (the subscribed block list an entry came from).
CREATE TABLE domain_blocks (
    domain TEXT PRIMARY KEY NOT NULL,
    -- suspend | silence | noop
    severity TEXT NOT NULL,
    reject_media BOOLEAN NOT NULL DEFAULT 0,
    -- Shown on /api/v1/instance/domain_blocks.
    public_comment TEXT,
    -- For the operators only.
    private_comment TEXT,
    created_at TIMESTAMP NOT NULL
);
-- federation.mode = "allowlist": only these domains are federated with.
CREATE TABLE domain_allows (
    domain TEXT PRIMARY KEY NOT NULL,
    created_at TIMESTAMP NOT NULL
);
-- Who may follow a local organisation (kuvend admin org update
-- --followers-from): absent means anyone.
CREATE TABLE org_follow_policies (
    actor_id BIGINT PRIMARY KEY NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    -- anyone | allowlist
    followers_from TEXT NOT NULL
);
