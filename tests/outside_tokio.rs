//! `#[retry]` async functions driven by another executor than tokio. tokio's timer cannot be
//! set there, so a call that has to wait returns its last error instead of panicking (or of
//! retrying at once, against a service that asked it to wait), and an attempt timeout is not
//! kept; what needs no timer works as under tokio.

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::Duration;

use resilient::{Rejected, retry};

mod common;
use common::{Error, block_on_elsewhere, sleep_elsewhere};

/// One attempt: the first of all fails, every later one answers how many there were.
fn fail_first(calls: &AtomicU32) -> Result<u32, Error> {
    match calls.fetch_add(1, SeqCst) {
        0 => Err(Error::Unavailable),
        n => Ok(n + 1),
    }
}

#[retry(max_attempts = 3, backoff = "fixed", initial_delay = "10ms", jitter = "none")]
async fn fails_once(calls: &AtomicU32) -> Result<u32, Error> {
    fail_first(calls)
}

#[retry(max_attempts = 2, backoff = "immediate")]
async fn fails_once_then_retries_at_once(calls: &AtomicU32) -> Result<u32, Error> {
    fail_first(calls)
}

/// Each attempt takes `took` on another runtime's timer, longer than its attempt timeout.
#[retry(max_attempts = 2, backoff = "fixed", initial_delay = "10ms", attempt_timeout = "1ms")]
async fn slower_than_its_timeout(took: Duration) -> Result<u32, Error> {
    sleep_elsewhere(took).await;
    Ok(7)
}

fn paused_tokio() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap()
}

#[test]
fn a_call_that_has_to_wait_returns_its_error_and_counts_a_give_up() {
    let calls = AtomicU32::new(0);
    assert_eq!(block_on_elsewhere(fails_once(&calls)), Err(Error::Unavailable));
    assert_eq!(calls.load(SeqCst), 1, "no attempt without its wait");
    let stats = resilient::Registry::default().stats();
    let op = stats.operation("outside_tokio::fails_once").expect("registered");
    assert_eq!((op.calls, op.retries, op.give_ups, op.failures), (1, 0, 1, 1));

    // The same call on tokio waits, and retries.
    calls.store(0, SeqCst);
    assert_eq!(paused_tokio().block_on(fails_once(&calls)), Ok(2));
}

#[test]
fn a_retry_without_a_wait_needs_no_timer() {
    let calls = AtomicU32::new(0);
    assert_eq!(block_on_elsewhere(fails_once_then_retries_at_once(&calls)), Ok(2));
}

#[test]
fn an_attempt_timeout_is_not_kept_and_the_attempt_finishes() {
    assert_eq!(block_on_elsewhere(slower_than_its_timeout(Duration::from_millis(5))), Ok(7));

    // On tokio, every attempt is cut off at its timeout. (The paused clock gets there at once;
    // the other timer's 10 s leave no chance of it answering first on a loaded machine.)
    let result = paused_tokio().block_on(slower_than_its_timeout(Duration::from_secs(10)));
    assert!(matches!(result, Err(Error::Rejected(Rejected::AttemptTimedOut { .. }))), "{result:?}");
}
