-- The member's activity is embedded from the inbox's body when it is
-- relayed and kept in the sent Announce (activities.body); a second copy
-- per relay was never read.
ALTER TABLE coalition_relays DROP COLUMN raw;
