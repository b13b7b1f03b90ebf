//! EDGE: the C allocator's settings for a long-running daemon on a small office PC.
//!
//! glibc's malloc raises its mmap threshold each time a large block is freed (up to
//! 32 MB), after which fetched chunks and photos of 1–16 MB come from the heap and stay
//! there after `free`: a daemon that once drained a backlog kept ~80 MB for good. A fixed
//! threshold returns such blocks to the system at once, two arenas are plenty for a
//! process whose work is one database thread and a few network tasks, and a trim after a
//! burst hands back the freed pages inside the heap. Measured in docs/PERFORMANCE.md.
//! Other C libraries keep their defaults (both functions do nothing there).

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod glibc {
    /// Blocks from this size up are mapped on their own and unmapped when freed.
    const MMAP_THRESHOLD: libc::c_int = 128 * 1024;

    pub fn configure() {
        // SAFETY: mallopt only changes the allocator's parameters; a refused setting
        // (return 0) leaves glibc's default in place.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }

    pub fn release_free() {
        // SAFETY: malloc_trim takes each arena's lock; safe from any thread.
        unsafe {
            libc::malloc_trim(0);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod glibc {
    pub fn configure() {}
    pub fn release_free() {}
}

/// Sets the allocator up; call first thing in `main`, before any thread starts.
pub use glibc::configure;

/// Gives freed heap pages back to the system; call after a burst of work (a backlog
/// ingested), not in a hot loop: it walks every arena.
pub use glibc::release_free;
