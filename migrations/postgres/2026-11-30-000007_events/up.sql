-- An event is a post whose ap_type is 'Event' (so it has visibility,
-- replies, likes, boosts and shows in timelines) plus this row.
-- Times are stored in UTC with the IANA zone they were given in and the
-- wall time as typed, so a change of the zone's rules later still shows
-- what the organiser meant. participant_count and capacity are here for
-- RSVPs (issue 12), which will count into participant_count.
CREATE TABLE events (
    post_id BIGINT PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP,
    timezone TEXT NOT NULL,
    start_local TEXT NOT NULL,
    end_local TEXT,
    place_name TEXT,
    street_address TEXT,
    locality TEXT,
    country TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    online_url TEXT,
    category TEXT,
    capacity BIGINT,
    join_mode TEXT NOT NULL DEFAULT 'free',
    external_url TEXT,
    status TEXT NOT NULL DEFAULT 'scheduled',
    previous_start TIMESTAMP,
    status_reason TEXT,
    participant_count BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMP NOT NULL
);
-- Upcoming and past listings of an organisation's events, by start.
CREATE INDEX events_starts_at ON events (starts_at);
