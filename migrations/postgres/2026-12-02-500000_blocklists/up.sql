-- Subscribed block lists (issue 15 item 3): a CSV in Mastodon's export
-- format, read from a URL or a local file, re-read daily.
CREATE TABLE blocklist_subscriptions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- An http(s) URL or a local file path, as given.
    url TEXT NOT NULL UNIQUE,
    -- auto (entries become blocks) | review (entries become suggestions)
    mode TEXT NOT NULL,
    -- The last successful read; NULL before the first.
    last_read_at TIMESTAMP,
    -- Entries in the list at the last successful read.
    entries BIGINT NOT NULL DEFAULT 0,
    -- Why the last read failed; NULL when it succeeded.
    last_error TEXT,
    created_at TIMESTAMP NOT NULL
);
-- The subscription a block was added by; NULL for a block added by hand
-- (which a list never changes nor removes).
ALTER TABLE domain_blocks ADD COLUMN source BIGINT
    REFERENCES blocklist_subscriptions (id) ON DELETE SET NULL;
-- Entries of a review-mode list waiting for the admin (accept or dismiss).
CREATE TABLE blocklist_suggestions (
    subscription_id BIGINT NOT NULL REFERENCES blocklist_subscriptions (id) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    -- suspend | silence | noop
    severity TEXT NOT NULL,
    reject_media BOOLEAN NOT NULL DEFAULT FALSE,
    public_comment TEXT,
    -- Dismissed suggestions stay (so a re-read does not offer them again)
    -- until the list drops them.
    dismissed BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (subscription_id, domain)
);
