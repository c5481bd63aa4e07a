//! The process's memory: Rust's allocations go to mimalloc (the global allocator, set in
//! `main.rs`), SQLite's to glibc's malloc; both give memory back after a burst.
//!
//! glibc spent ~10 % of a push's CPU in `_int_malloc`, `_int_free` and `malloc_consolidate`,
//! most of it for hyper's 8 KiB read buffer of each request; mimalloc does not consolidate
//! (docs/performance.md, "Issue 22, SQLite").
//!
//! Each allocator keeps what was freed for reuse. After 2,000 slow clients had each held a
//! partial 60 KB body (~300 MB at the peak) the process still held 130–280 MB ten seconds
//! after they were gone, with either allocator. So:
//! - a tokio worker about to park (idle) has mimalloc collect its heap, at most once every
//!   [`COLLECT_EVERY`] (`serve`'s metrics upkeep wakes a worker every 5 s, so an idle
//!   gateway collects soon after a burst);
//! - a thread of its own calls glibc's `malloc_trim` every [`TRIM_EVERY`] (SQLite's page cache
//!   and statements); it costs a few milliseconds of that thread.
use std::cell::Cell;
use std::time::{Duration, Instant};

/// Least time between two collections of one worker's heap.
pub const COLLECT_EVERY: Duration = Duration::from_secs(1);

/// How often glibc's free memory is returned.
pub const TRIM_EVERY: Duration = Duration::from_secs(10);

thread_local! {
    /// When this thread last collected its mimalloc heap.
    static COLLECTED: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// The runtime's `on_thread_park` hook: a worker going idle returns the memory its heap holds
/// free, unless it did so less than [`COLLECT_EVERY`] ago (under load workers park often).
pub fn collect_when_idle() {
    let now = Instant::now();
    let due = COLLECTED.with(|last| {
        let due = last
            .get()
            .is_none_or(|at| now.duration_since(at) >= COLLECT_EVERY);
        if due {
            last.set(Some(now));
        }
        due
    });
    if due {
        // SAFETY: mi_collect takes no pointer; it frees this thread's unused mimalloc pages
        // (with `force`, also abandoned ones) and is safe to call from any thread at any time.
        unsafe { libmimalloc_sys::mi_collect(true) };
    }
}

/// Start the trimming thread (glibc only; elsewhere a no-op).
pub fn start_trimming() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let spawned = std::thread::Builder::new()
            .name("malloc-trim".into())
            .spawn(|| loop {
                std::thread::sleep(TRIM_EVERY);
                // SAFETY: malloc_trim(0) only releases free memory of glibc's own arenas
                // back to the kernel; it takes no pointer and is thread-safe (it locks
                // each arena).
                unsafe {
                    libc::malloc_trim(0);
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "could not start the malloc-trim thread");
        }
    }
}
