//! Installing a registry equal to the installed one keeps nothing: a process that reloads an
//! unchanged file on a timer, or on every signal, does not grow. A registry that changes
//! something is installed, and the next call follows it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

use resilient::{Registry, retry};

mod common;
use common::{Unavailable, design_example_fixed};

/// Counts the bytes this thread holds: allocated and not yet freed.
struct CountingAllocator;

thread_local! {
    static HELD: Cell<isize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // `try_with`: the allocator also serves threads that are tearing down.
        let _ = HELD.try_with(|held| held.set(held.get() + layout.size() as isize));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = HELD.try_with(|held| held.set(held.get() - layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// DESIGN.md's example (its breaker window made long enough for its attempt timeout), and two
/// more policies.
fn config() -> String {
    let design = design_example_fixed();
    format!(
        "{design}\n[policies.search]\nmax_attempts = 4\ninitial_delay = \"1ms\"\n\n[policies.storage]\nmax_attempts = 5\n"
    )
}

#[retry(policy = "search")]
fn search(calls: &AtomicU32) -> Result<(), Unavailable> {
    calls.fetch_add(1, SeqCst);
    Err(Unavailable)
}

fn attempts_made() -> u32 {
    let calls = AtomicU32::new(0);
    assert_eq!(search(&calls), Err(Unavailable));
    calls.load(SeqCst)
}

fn install(config: &str) {
    resilient::install(Registry::from_toml_str(config).unwrap());
}

/// One test: the installed registry is process-wide.
#[test]
fn an_unchanged_registry_is_not_installed_again_and_a_changed_one_is() {
    let config = config();
    install(&config);
    assert_eq!(attempts_made(), 4);

    let before = HELD.with(Cell::get);
    (0..100).for_each(|_| install(&config));
    let kept = HELD.with(Cell::get) - before;
    assert_eq!(kept, 0, "100 installs of an unchanged registry kept {kept} bytes");

    install(&config.replace("max_attempts = 4", "max_attempts = 6"));
    assert_eq!(attempts_made(), 6, "a changed registry is installed");
    install(&config);
    assert_eq!(attempts_made(), 4, "and so is the first one again");
}
