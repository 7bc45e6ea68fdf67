//! One layer of retries: a `#[retry]` call inside another one's attempt makes one attempt.

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

use resilient::retry;

mod common;
use common::Unavailable;

#[retry(max_attempts = 3, initial_delay = "10ms")]
async fn inner(calls: &AtomicU32) -> Result<(), Unavailable> {
    calls.fetch_add(1, SeqCst);
    tokio::task::yield_now().await;
    Err(Unavailable)
}

#[retry(max_attempts = 3, initial_delay = "10ms")]
async fn middle(calls: &AtomicU32) -> Result<(), Unavailable> {
    inner(calls).await
}

#[retry(max_attempts = 3, initial_delay = "10ms")]
async fn outer(calls: &AtomicU32) -> Result<(), Unavailable> {
    middle(calls).await
}

#[retry(max_attempts = 3, initial_delay = "10ms", nested = "retry")]
async fn inner_that_retries(calls: &AtomicU32) -> Result<(), Unavailable> {
    calls.fetch_add(1, SeqCst);
    Err(Unavailable)
}

#[retry(max_attempts = 3, initial_delay = "10ms")]
async fn outer_of_retrying(calls: &AtomicU32) -> Result<(), Unavailable> {
    inner_that_retries(calls).await
}

#[retry(max_attempts = 3, initial_delay = "1ms")]
fn blocking_inner(calls: &AtomicU32) -> Result<(), Unavailable> {
    calls.fetch_add(1, SeqCst);
    Err(Unavailable)
}

#[retry(max_attempts = 3, initial_delay = "10ms")]
async fn async_outer_of_blocking(calls: &AtomicU32) -> Result<(), Unavailable> {
    blocking_inner(calls)
}

#[tokio::test(start_paused = true)]
async fn three_layers_of_three_attempts_make_three_calls() {
    let calls = AtomicU32::new(0);
    assert_eq!(outer(&calls).await, Err(Unavailable));
    assert_eq!(calls.load(SeqCst), 3);
    // On its own, the inner function still retries.
    let calls = AtomicU32::new(0);
    let _ = inner(&calls).await;
    assert_eq!(calls.load(SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn nested_retry_opts_out() {
    let calls = AtomicU32::new(0);
    let _ = outer_of_retrying(&calls).await;
    assert_eq!(calls.load(SeqCst), 9);
}

#[tokio::test(start_paused = true)]
async fn a_blocking_call_inside_an_async_attempt_is_nested_too() {
    let calls = AtomicU32::new(0);
    let _ = async_outer_of_blocking(&calls).await;
    assert_eq!(calls.load(SeqCst), 3);
}
