-- Issue 14 item 5: campaign hashtags a coalition names. Members' public
-- posts carrying one are relayed and listed on the campaign page. tag is
-- normalised as local tags are (lower case, no '#', the hashtag rule).
CREATE TABLE coalition_campaigns (
    coalition_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (coalition_id, tag)
);
-- "Which coalitions campaign on this tag?" is asked for every incoming
-- tagged post.
CREATE INDEX coalition_campaigns_tag ON coalition_campaigns (tag);
