DROP TABLE blocklist_suggestions;
-- SQLite cannot drop a column that is a foreign key: rebuild the table.
CREATE TABLE domain_blocks_old (
    domain TEXT PRIMARY KEY NOT NULL,
    severity TEXT NOT NULL,
    reject_media BOOLEAN NOT NULL DEFAULT 0,
    public_comment TEXT,
    private_comment TEXT,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO domain_blocks_old
    SELECT domain, severity, reject_media, public_comment, private_comment, created_at
    FROM domain_blocks;
DROP TABLE domain_blocks;
ALTER TABLE domain_blocks_old RENAME TO domain_blocks;
DROP TABLE blocklist_subscriptions;
