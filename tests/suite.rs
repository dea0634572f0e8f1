//! The integration suite, as one test binary: each file under tests/ is a
//! module here. One binary links the crate once, where a binary per file
//! linked it a dozen times (gigabytes of debug objects on a fresh machine;
//! CI once ran out of disk doing that).
//!
//! Tests may unwrap: a panic is how a test fails.
#![allow(clippy::unwrap_used)]

mod common;

mod authorized_fetch;
mod blocklists;
mod calendars;
mod campaign_fixes;
mod cli;
mod client_api;
mod coalition_address;
mod coalition_campaigns;
mod coalition_invitation_reach;
mod coalition_invitations;
mod coalition_membership;
mod coalition_relay;
mod coalition_relay_e2e;
mod coalition_threads;
mod coalitions;
mod coalitions_api;
mod crash_recovery;
mod documents;
mod domain_policy;
mod event_pages;
mod events;
mod events_api;
mod fanout_crash;
mod fetch_limits;
mod fixtures;
mod follows;
mod idempotency;
mod inbox_security;
mod instance_health;
mod interop_fedify;
mod interop_mastodon_py;
mod limits;
mod local;
mod media;
mod media_proxy;
mod media_s3;
mod nodeinfo_software;
mod oauth_forms;
mod org_blocks;
mod posts;
mod relay_receive;
mod remote_events;
mod reports;
mod rfc9421;
mod roles;
mod rsvp;
mod rsvp_join;
mod rsvp_join_api;
mod rsvp_poll;
mod rsvp_reach;
mod rsvp_reminders;
mod rsvp_staff;
mod scale_out;
mod security_headers;
mod ssrf;
mod suspension;
mod visibility;
mod xss;
