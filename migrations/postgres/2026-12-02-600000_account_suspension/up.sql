-- Account suspension (issue 15): a suspended actor, local or remote, is
-- hidden from every listing and refused at the inbox and on delivery; its
-- rows are kept so that unsuspending restores everything.
ALTER TABLE actors ADD COLUMN suspended_at TIMESTAMP;
CREATE INDEX actors_suspended ON actors (id) WHERE suspended_at IS NOT NULL;
