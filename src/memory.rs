//! Keeping the process small after a burst of work. glibc's allocator gives
//! each thread that allocates its own arena (up to eight per core) and keeps
//! freed memory in them; tokio's blocking threads, where SQLite and password
//! hashing run, each get one. In `kuvend-bench` the server stayed ~80 MB above
//! idle a minute after the load. Two arenas, and a trim when the server has
//! been quiet, bring it back. (mimalloc, tried instead, kept more.)
//!
//! The one module that calls C, hence the one exception to `unsafe_code`.
#![allow(unsafe_code)]

use std::time::Duration;

/// How often the trimmer looks whether memory can go back to the system.
const TRIM_INTERVAL: Duration = Duration::from_secs(10);

/// Limits glibc to two malloc arenas. Call at start-up, before threads exist.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before any
    // other thread runs.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Gives free heap memory back to the system every few seconds.
pub async fn trim_periodically() {
    let mut interval = tokio::time::interval(TRIM_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: malloc_trim is thread-safe and only releases free memory.
        // It walks the free lists (well under a millisecond on a server this
        // size), so it runs on a blocking thread.
        let _ = tokio::task::spawn_blocking(|| unsafe { libc::malloc_trim(0) }).await;
    }
}
