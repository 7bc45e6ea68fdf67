//! `max_elapsed` through `#[retry]`, at its boundary: no wait starts that would end *past* the
//! deadline, so under the paused clock a schedule that lands exactly on it makes one attempt
//! more than one that would overshoot it.

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::Duration;

use resilient::retry;
use tokio::time::Instant;

mod common;
use common::Error;

#[retry(max_attempts = 10, backoff = "fixed", initial_delay = "500ms", jitter = "none", max_elapsed = "1s")]
async fn lands_on_the_deadline(calls: &AtomicU32) -> Result<(), Error> {
    calls.fetch_add(1, SeqCst);
    Err(Error::Unavailable)
}

#[retry(max_attempts = 10, backoff = "fixed", initial_delay = "400ms", jitter = "none", max_elapsed = "1s")]
async fn would_overshoot_the_deadline(calls: &AtomicU32) -> Result<(), Error> {
    calls.fetch_add(1, SeqCst);
    Err(Error::Unavailable)
}

#[retry(
    max_attempts = 10,
    backoff = "fixed",
    initial_delay = "500ms",
    jitter = "none",
    max_elapsed = "1s",
    attempt_timeout = "200ms"
)]
async fn lands_on_the_deadline_with_a_timeout(calls: &AtomicU32) -> Result<(), Error> {
    calls.fetch_add(1, SeqCst);
    Err(Error::Unavailable)
}

/// The calls `f` makes and the time it takes, under the paused clock.
async fn calls_and_time(f: impl AsyncFn(&AtomicU32) -> Result<(), Error>) -> (u32, Duration) {
    let calls = AtomicU32::new(0);
    let start = Instant::now();
    assert_eq!(f(&calls).await, Err(Error::Unavailable), "the last error is returned");
    (calls.load(SeqCst), start.elapsed())
}

#[tokio::test(start_paused = true)]
async fn a_wait_that_ends_at_the_deadline_starts() {
    // Attempts at 0, 500 and 1000 ms; the next wait would end at 1500 ms.
    assert_eq!(calls_and_time(lands_on_the_deadline).await, (3, Duration::from_millis(1000)));
}

#[tokio::test(start_paused = true)]
async fn a_wait_that_would_end_past_the_deadline_does_not() {
    // Attempts at 0, 400 and 800 ms; the next wait would end at 1200 ms.
    assert_eq!(calls_and_time(would_overshoot_the_deadline).await, (3, Duration::from_millis(800)));
}

#[tokio::test(start_paused = true)]
async fn with_an_attempt_timeout_the_attempt_at_the_deadline_would_have_no_time() {
    // The attempt at 1000 ms would be cut to the time left, none: the call returns at 500 ms.
    assert_eq!(calls_and_time(lands_on_the_deadline_with_a_timeout).await, (2, Duration::from_millis(500)));
}
