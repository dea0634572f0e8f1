//! The integration suite, as one test binary: each file under tests/ is a
//! module here. One binary links the crate once, where a binary per file
//! linked it a dozen times (gigabytes of debug objects on a fresh machine;
//! CI once ran out of disk doing that).

mod common;

mod cli;
mod client_api;
mod crash_recovery;
mod documents;
mod fanout_crash;
mod fixtures;
mod follows;
mod inbox_security;
mod interop_fedify;
mod interop_mastodon_py;
mod posts;
mod scale_out;
