-- Public listings leave out posts by remote actors on given domains
-- (issue 15: silenced, suspended, not allow-listed), and an organisation's
-- domain blocks hide actors by domain: both look actors up by exact domain.
CREATE INDEX actors_domain ON actors (domain);
