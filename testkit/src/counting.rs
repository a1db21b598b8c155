//! A counting global allocator. Counters are per thread, so tests that run
//! in parallel threads do not see each other's allocations, and a measured
//! region counts exactly what the code under test allocated.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    // `const` initialization: no lazy setup that could itself allocate
    // from inside the allocator.
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

/// Forwards to the system allocator and counts, per thread, allocation
/// calls (a `realloc` counts as one) and live bytes with their peak.
pub struct Counting;

fn note(allocs: u64, delta: i64) {
    // `try_with`: a thread being torn down may still free memory.
    let _ = ALLOCS.try_with(|a| a.set(a.get() + allocs));
    let _ = LIVE.try_with(|l| {
        let now = l.get() + delta;
        l.set(now);
        let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
    });
}

// SAFETY: every call is forwarded unchanged to `System`; the counters are
// thread-local cells that never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(1, layout.size() as i64);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(1, layout.size() as i64);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(0, -(layout.size() as i64));
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(1, new_size as i64 - layout.size() as i64);
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocation calls made by this thread so far.
pub fn allocs() -> u64 {
    ALLOCS.with(Cell::get)
}

/// Bytes this thread allocated and has not freed (may be negative if it
/// frees memory another thread allocated).
pub fn live() -> i64 {
    LIVE.with(Cell::get)
}

/// Restarts peak tracking from the current live bytes.
pub fn reset_peak() {
    let now = live();
    PEAK.with(|p| p.set(now));
}

/// Highest live byte count since the last [`reset_peak`].
pub fn peak() -> i64 {
    PEAK.with(Cell::get)
}
