//! `Registry::stats()` counts per operation: calls, attempts, retries, throttled retries,
//! successes, failures, give-ups, and the elapsed time of calls that retried.

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::Duration;

use resilient::{Registry, Transient, retry};

#[derive(Debug, Transient)]
enum Error {
    #[transient]
    Unavailable,
    #[transient(throttled, retry_after = 0)]
    Throttled(Option<Duration>),
    #[permanent]
    NotFound,
}

#[retry(max_attempts = 3, backoff = "fixed", initial_delay = "100ms", jitter = "none")]
async fn scripted(script: &[u8], position: &AtomicU32) -> Result<(), Error> {
    let step = script[position.fetch_add(1, SeqCst) as usize];
    match step {
        b'o' => Ok(()),
        b't' => Err(Error::Throttled(Some(Duration::from_millis(300)))),
        b'p' => Err(Error::NotFound),
        _ => Err(Error::Unavailable),
    }
}

#[tokio::test(start_paused = true)]
async fn every_counter_of_an_operation() {
    // Call by call: ok at once; transient then ok; throttled, transient, transient (gives up);
    // permanent at once.
    for script in [&b"o"[..], b"uo", b"tuu", b"p"] {
        let position = AtomicU32::new(0);
        let _ = scripted(script, &position).await;
    }
    let stats = Registry::default().stats();
    let op = stats.operation("stats::scripted").expect("registered");
    assert_eq!(op.policy, "inline");
    assert_eq!(op.calls, 4);
    assert_eq!(op.attempts, 1 + 2 + 3 + 1);
    assert_eq!(op.retries, 3);
    assert_eq!(op.throttled_retries, 1);
    assert_eq!(op.successes, 2);
    assert_eq!(op.failures, 2);
    assert_eq!(op.give_ups, 1, "the permanent error is not a give-up");
    assert_eq!(op.rejections, 0);
    assert_eq!(op.retried_calls, 2);
    // "uo" waited 100 ms; "tuu" waited 300 ms and 100 ms, then gave up.
    assert_eq!(op.retried_elapsed, Duration::from_millis(100 + 400));
}

/// Fails once after hanging for 10 s, then succeeds after another 10 s.
#[retry(max_attempts = 3, backoff = "fixed", initial_delay = "1s", jitter = "none")]
async fn slow_then_ok(calls: &AtomicU32) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_secs(10)).await;
    if calls.fetch_add(1, SeqCst) == 0 { Err(Error::Unavailable) } else { Ok(()) }
}

#[tokio::test(start_paused = true)]
async fn the_elapsed_time_of_a_retried_call_includes_its_first_attempt() {
    let calls = AtomicU32::new(0);
    slow_then_ok(&calls).await.unwrap();
    let stats = Registry::default().stats();
    let op = stats.operation("stats::slow_then_ok").expect("registered");
    assert_eq!(op.retried_calls, 1);
    assert_eq!(op.retried_elapsed, Duration::from_secs(10 + 1 + 10));
}

/// Two implementations of one trait method in one module: the same operation name, the same
/// policy, two call sites.
trait Fetch {
    async fn fetch(&self, fail_first: bool, calls: &AtomicU32) -> Result<(), Error>;
}

struct Primary;
struct Replica;
struct Archive;

/// The body both implementations share.
fn attempt(fail_first: bool, calls: &AtomicU32) -> Result<(), Error> {
    if calls.fetch_add(1, SeqCst) == 0 && fail_first { Err(Error::Unavailable) } else { Ok(()) }
}

impl Fetch for Primary {
    #[retry(max_attempts = 2, backoff = "fixed", initial_delay = "1ms")]
    async fn fetch(&self, fail_first: bool, calls: &AtomicU32) -> Result<(), Error> {
        attempt(fail_first, calls)
    }
}

impl Fetch for Replica {
    #[retry(max_attempts = 2, backoff = "fixed", initial_delay = "1ms")]
    async fn fetch(&self, fail_first: bool, calls: &AtomicU32) -> Result<(), Error> {
        attempt(fail_first, calls)
    }
}

impl Fetch for Archive {
    /// Named apart, so its counters are its own.
    #[retry(max_attempts = 2, backoff = "fixed", initial_delay = "1ms", operation = "stats::Archive::fetch")]
    async fn fetch(&self, fail_first: bool, calls: &AtomicU32) -> Result<(), Error> {
        attempt(fail_first, calls)
    }
}

#[tokio::test(start_paused = true)]
async fn call_sites_with_the_same_policy_and_operation_are_counted_together() {
    Primary.fetch(true, &AtomicU32::new(0)).await.unwrap();
    for _ in 0..2 {
        Replica.fetch(false, &AtomicU32::new(0)).await.unwrap();
    }
    let stats = Registry::default().stats();
    let rows: Vec<_> = stats.operations.iter().filter(|op| op.operation == "stats::fetch").collect();
    assert_eq!(rows.len(), 1, "one row per policy and operation, as events and metrics label them: {rows:#?}");
    let op = rows[0];
    assert_eq!((op.calls, op.attempts, op.retries, op.successes, op.retried_calls), (3, 4, 1, 3, 1));
}

#[tokio::test(start_paused = true)]
async fn an_operation_named_in_the_attribute_is_counted_under_that_name() {
    Archive.fetch(true, &AtomicU32::new(0)).await.unwrap();
    let stats = Registry::default().stats();
    let archive = stats.operation("stats::Archive::fetch").expect("counted under its own name");
    assert_eq!((archive.calls, archive.attempts, archive.retries), (1, 2, 1));
}
