DROP TABLE coalition_relays;
ALTER TABLE coalitions DROP COLUMN relay_cap;
ALTER TABLE coalitions DROP COLUMN relay;
