-- Issue 14 item 5 (review): which follows a coalition's campaigns made.
-- A campaign follows the coalition's remote members to hear their public
-- posts; only these follows are undone when the member leaves or the last
-- campaign ends, never one an operator made by hand. Existing rows were
-- not made by a campaign as far as we can tell: false keeps them.
ALTER TABLE follows ADD COLUMN by_campaign BOOLEAN NOT NULL DEFAULT FALSE;
