//! The happy path (first attempt succeeds) allocates nothing, a thread that retries allocates
//! a call's clock state once, and an annotated async fn's future is at most 64 bytes larger
//! than the same fn unannotated.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use resilient::retry;

mod common;
use common::Unavailable;

/// Counts the allocations made by this thread.
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|count| count.set(count.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn allocations_during<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = ALLOCATIONS.with(Cell::get);
    let value = f();
    (ALLOCATIONS.with(Cell::get) - before, value)
}

/// Polls a future that completes without waiting, with no runtime at all.
fn poll_once<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the happy path does not wait"),
    }
}

struct Client {
    base: u64,
    /// Calls of `flaky`: odd calls fail.
    flaky_calls: Cell<u32>,
}

impl Client {
    async fn plain(&self, id: &str) -> Result<u64, Unavailable> {
        std::future::ready(()).await;
        Ok(self.base + id.len() as u64)
    }

    #[retry(max_attempts = 3, initial_delay = "50ms")]
    async fn inline(&self, id: &str) -> Result<u64, Unavailable> {
        std::future::ready(()).await;
        Ok(self.base + id.len() as u64)
    }

    #[retry(policy = "happy-path")]
    async fn named(&self, id: &str) -> Result<u64, Unavailable> {
        std::future::ready(()).await;
        Ok(self.base + id.len() as u64)
    }

    /// The same without an await point: its future holds only the arguments.
    async fn plain_ready(&self, id: &str) -> Result<u64, Unavailable> {
        Ok(self.base + id.len() as u64)
    }

    #[retry(max_attempts = 3, initial_delay = "50ms")]
    async fn inline_ready(&self, id: &str) -> Result<u64, Unavailable> {
        Ok(self.base + id.len() as u64)
    }

    #[retry]
    fn blocking(&self, id: &str) -> Result<u64, Unavailable> {
        Ok(self.base + id.len() as u64)
    }

    /// Fails, then succeeds at once on the retry.
    #[retry(max_attempts = 2, backoff = "immediate")]
    async fn retried(&self) -> Result<u32, Unavailable> {
        let call = self.flaky_calls.get();
        self.flaky_calls.set(call + 1);
        if call % 2 == 0 { Err(Unavailable) } else { Ok(call) }
    }

    /// A deadline: the call's clock starts with the call, even when the first attempt succeeds.
    #[retry(max_attempts = 3, max_elapsed = "10s")]
    async fn with_deadline(&self, id: &str) -> Result<u64, Unavailable> {
        std::future::ready(()).await;
        Ok(self.base + id.len() as u64)
    }

    /// Waits once, as a remote call waits for its I/O, then answers: the call's clock starts
    /// when the attempt first waits.
    #[retry(max_attempts = 3)]
    async fn waits_once(&self, id: &str) -> Result<u64, Unavailable> {
        let mut waited = false;
        std::future::poll_fn(|_| if std::mem::replace(&mut waited, true) { Poll::Ready(()) } else { Poll::Pending })
            .await;
        Ok(self.base + id.len() as u64)
    }
}

/// Polls a future until it completes, with no runtime at all.
fn poll_to_end<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            return output;
        }
    }
}

fn client(base: u64) -> Client {
    Client { base, flaky_calls: Cell::new(0) }
}

#[test]
fn the_happy_path_allocates_nothing() {
    let client = client(40);
    // The first call of a named site fills its policy cache; that is the slow path.
    assert_eq!(poll_once(client.named("ab")).unwrap(), 42);
    for _ in 0..3 {
        let (inline, value) = allocations_during(|| poll_once(client.inline("ab")));
        assert_eq!((inline, value.unwrap()), (0, 42));
        let (named, value) = allocations_during(|| poll_once(client.named("ab")));
        assert_eq!((named, value.unwrap()), (0, 42));
        let (blocking, value) = allocations_during(|| client.blocking("ab"));
        assert_eq!((blocking, value.unwrap()), (0, 42));
    }
    // The counter itself works: a Box is one allocation.
    assert_eq!(allocations_during(|| Box::new(1)).0, 1);
}

#[test]
fn a_thread_that_retries_allocates_the_clock_state_once() {
    let client = client(40);
    // The first retried call allocates the clock state; later calls on the thread reuse it.
    assert_eq!(allocations_during(|| poll_once(client.retried())), (1, Ok(1)));
    for call in [3, 5, 7] {
        assert_eq!(allocations_during(|| poll_once(client.retried())), (0, Ok(call)));
    }
    // A policy with a deadline needs the clock from the start of every call: the same state.
    for _ in 0..3 {
        let (allocations, value) = allocations_during(|| poll_once(client.with_deadline("ab")));
        assert_eq!((allocations, value.unwrap()), (0, 42));
    }
    // So does a call whose attempt has to wait, from then on.
    for _ in 0..3 {
        let (allocations, value) = allocations_during(|| poll_to_end(client.waits_once("ab")));
        assert_eq!((allocations, value.unwrap()), (0, 42));
    }
}

#[test]
fn the_future_grows_by_at_most_64_bytes() {
    let client = client(0);
    let plain = size_of_val(&client.plain("id"));
    let inline = size_of_val(&client.inline("id"));
    let named = size_of_val(&client.named("id"));
    println!(
        "future sizes: plain {plain} B, inline policy {inline} B (+{}), named policy {named} B (+{})",
        inline - plain,
        named - plain
    );
    assert!(inline <= plain + 64, "inline: {inline} > {plain} + 64");
    assert!(named <= plain + 64, "named: {named} > {plain} + 64");
    // A body that never awaits: the plain future is only its arguments, while the annotated
    // one awaits its attempts and so keeps the arguments across an await.
    let (plain, inline) = (size_of_val(&client.plain_ready("id")), size_of_val(&client.inline_ready("id")));
    println!("never awaiting: plain {plain} B, inline policy {inline} B (+{})", inline - plain);
    assert!(inline <= plain + 64, "inline, never awaiting: {inline} > {plain} + 64");
}
