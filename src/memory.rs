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

/// Allocations from this size up are mapped and unmapped on their own.
const MMAP_THRESHOLD: usize = 4 << 20;

/// Serves every allocation of 4 MiB or more with its own mapping, returned
/// to the system when freed. Argon2 allocates about 19 MiB per password
/// check; glibc's default threshold rises to the size of the first such
/// block freed, after which each later one comes from the allocating
/// thread's arena and stays resident: 200 parallel wrong passwords left the
/// process more than 1 GB larger (measured in tests/limits.rs), though no
/// more than four hashes ran at once. A fixed threshold keeps them mapped:
/// one mapping and its page faults per hash, a few milliseconds against tens.
/// May be called at any time; later calls change nothing.
pub fn map_large_allocations() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter, under glibc's lock.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int);
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
