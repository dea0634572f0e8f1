DROP TABLE blocklist_suggestions;
ALTER TABLE domain_blocks DROP COLUMN source;
DROP TABLE blocklist_subscriptions;
