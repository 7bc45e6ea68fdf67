//! Future sizes and heap allocations per call, for every variant of the happy-path benchmark.
//! Prints a Markdown table.
//!
//! `cargo bench -p resilient-benches --bench sizes`

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use resilient_benches::{Client, TowerAttempts, ready};
use tower::{Service, ServiceExt};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const CALLS: usize = 10_000;

/// Allocations per call, over many calls after a warm-up call.
fn allocations_per_call(mut call: impl FnMut()) -> f64 {
    call();
    let before = ALLOCATIONS.load(Relaxed);
    (0..CALLS).for_each(|_| call());
    (ALLOCATIONS.load(Relaxed) - before) as f64 / CALLS as f64
}

fn row(name: &str, size: Option<usize>, plain: usize, allocations: f64) {
    let size = size.map_or("-".to_owned(), |size| format!("{size} B (+{})", size as isize - plain as isize));
    println!("| {name} | {size} | {allocations} |");
}

fn main() {
    resilient_benches::install_policies();
    let client = Client::default();
    let id = black_box("message-id");
    let plain = size_of_val(&client.plain(id));
    println!("| variant | future size | heap allocations per call |");
    println!("| --- | --- | --- |");
    row("plain async fn", Some(plain), plain, allocations_per_call(|| drop(ready(client.plain(id)))));
    row(
        "resilient inline",
        Some(size_of_val(&client.inline(id))),
        plain,
        allocations_per_call(|| drop(ready(client.inline(id)))),
    );
    row(
        "resilient named",
        Some(size_of_val(&client.named(id))),
        plain,
        allocations_per_call(|| drop(ready(client.named(id)))),
    );
    row(
        "resilient named + breaker + budget",
        Some(size_of_val(&client.guarded(id))),
        plain,
        allocations_per_call(|| drop(ready(client.guarded(id)))),
    );
    let awaiting = size_of_val(&client.plain_awaiting(id));
    row(
        "plain async fn with an await point",
        Some(awaiting),
        plain,
        allocations_per_call(|| drop(ready(client.plain_awaiting(id)))),
    );
    row(
        "resilient inline, with an await point",
        Some(size_of_val(&client.inline_awaiting(id))),
        awaiting,
        allocations_per_call(|| drop(ready(client.inline_awaiting(id)))),
    );
    row(
        "backon",
        Some(size_of_val(&client.backon(id))),
        plain,
        allocations_per_call(|| drop(ready(client.backon(id)))),
    );
    row(
        "tokio-retry",
        Some(size_of_val(&client.tokio_retry(id))),
        plain,
        allocations_per_call(|| drop(ready(client.tokio_retry(id)))),
    );
    let mut tower = tower::retry::Retry::new(TowerAttempts(2), tower::service_fn(|id: &'static str| client.plain(id)));
    let tower_size = size_of_val(&tower.call(id));
    row(
        "tower retry",
        Some(tower_size),
        plain,
        allocations_per_call(|| {
            ready(tower.ready()).ok();
            drop(ready(tower.call(id)));
        }),
    );
    row("plain fn (blocking)", None, plain, allocations_per_call(|| drop(client.plain_blocking(id))));
    row("resilient inline (blocking)", None, plain, allocations_per_call(|| drop(client.inline_blocking(id))));
    row("backon blocking", None, plain, allocations_per_call(|| drop(client.backon_blocking(id))));
}
