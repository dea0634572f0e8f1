DROP TABLE rsvp_polls;
