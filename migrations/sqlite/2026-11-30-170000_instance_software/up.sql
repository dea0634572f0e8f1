-- What software each instance runs, from its NodeInfo (issue 13: invitations
-- go as an Invite only to software that understands one). Cached here so an
-- instance is asked at most once per federation.software_cache_hours, or
-- once per federation.software_unknown_cache_minutes while it gives no usable
-- answer. Kept apart from failing_since / unavailable: a missing NodeInfo
-- says nothing about whether deliveries reach the instance.
-- software: NodeInfo software.name, lowercased; NULL when unknown.
ALTER TABLE instances ADD COLUMN software TEXT;
-- software.version, bounded; NULL when unknown or not given.
ALTER TABLE instances ADD COLUMN software_version TEXT;
-- When NodeInfo was last asked (NULL: never), whatever the answer.
ALTER TABLE instances ADD COLUMN software_checked_at TIMESTAMP;
