//! Future sizes and heap allocations per call, for every variant of the happy-path benchmark.
//! Prints a Markdown table.
//!
//! `cargo bench -p resilient-benches --bench sizes`

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use resilient_benches::{Client, TowerAttempts, ready, runtime};
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

/// A row for an async variant: the size of the future `call` makes, against `plain`, and the
/// allocations of polling it to completion.
fn async_row<F: Future>(name: &str, plain: usize, call: impl Fn() -> F) -> usize {
    let size = size_of_val(&call());
    row(name, Some(size), plain, allocations_per_call(|| drop(ready(call()))));
    size
}

/// [`async_row`] for a call that has to wait, driven to completion by `runtime`. The calls
/// run in one task, so that the runtime's own allocations for a task are not counted.
fn driven_row<F: Future>(runtime: &tokio::runtime::Runtime, name: &str, plain: usize, call: impl Fn() -> F) -> usize {
    let size = size_of_val(&call());
    let allocations = runtime.block_on(async {
        drop(call().await);
        let before = ALLOCATIONS.load(Relaxed);
        for _ in 0..CALLS {
            drop(call().await);
        }
        (ALLOCATIONS.load(Relaxed) - before) as f64 / CALLS as f64
    });
    row(name, Some(size), plain, allocations);
    size
}

fn main() {
    resilient_benches::install_policies();
    let client = Client::default();
    let id = black_box("message-id");
    println!("| variant | future size | heap allocations per call |");
    println!("| --- | --- | --- |");
    let plain = size_of_val(&client.plain(id));
    async_row("plain async fn", plain, || client.plain(id));
    async_row("resilient inline", plain, || client.inline(id));
    async_row("resilient named", plain, || client.named(id));
    async_row("resilient named + breaker + budget", plain, || client.guarded(id));
    async_row("resilient named + attempt timeout + deadline", plain, || client.timed(id));
    let awaiting = async_row("plain async fn with an await point", plain, || client.plain_awaiting(id));
    async_row("resilient inline, with an await point", awaiting, || client.inline_awaiting(id));
    async_row("backon", plain, || client.backon(id));
    async_row("tokio-retry", plain, || client.tokio_retry(id));
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
    let runtime = runtime();
    let waiting = driven_row(&runtime, "plain async fn that waits once", plain, || client.plain_yielding(id));
    driven_row(&runtime, "resilient inline, waits once", waiting, || client.inline_yielding(id));
    driven_row(&runtime, "tokio::time::timeout, waits once", waiting, || client.tokio_timeout_yielding(id));
    driven_row(&runtime, "resilient named + attempt timeout + deadline, waits once", waiting, || {
        client.timed_yielding(id)
    });
    row("plain fn (blocking)", None, plain, allocations_per_call(|| drop(client.plain_blocking(id))));
    row("resilient inline (blocking)", None, plain, allocations_per_call(|| drop(client.inline_blocking(id))));
    row("backon blocking", None, plain, allocations_per_call(|| drop(client.backon_blocking(id))));
}
