//! `#[retry(classify = path)]`: the call site classifies its errors itself, for error types
//! that cannot implement `Transient` here (`anyhow::Error`, another crate's type, `String`), or
//! to overrule one that does.

use std::io;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::Duration;

use resilient::{Classification, Rejected, Transient, retry};
use tokio::time::Instant;

mod common;
use common::Error;

/// What an application on `anyhow` would write: the errors it knows by downcasting, the rest
/// permanent.
fn classify(error: &anyhow::Error) -> Classification {
    if let Some(rejected) = error.downcast_ref::<Rejected>() {
        return rejected.classify();
    }
    match error.downcast_ref::<io::Error>() {
        Some(error) => error.classify(),
        None => Classification::Permanent,
    }
}

/// Fails with `error` until the counter reaches `succeed_on`.
fn fails_with(calls: &AtomicU32, succeed_on: u32, error: impl Fn() -> anyhow::Error) -> anyhow::Result<u32> {
    let n = calls.fetch_add(1, SeqCst) + 1;
    if n >= succeed_on { Ok(n) } else { Err(error()) }
}

#[retry(max_attempts = 4, backoff = "fixed", initial_delay = "100ms", jitter = "none", classify = classify)]
async fn reset_until(calls: &AtomicU32, succeed_on: u32) -> anyhow::Result<u32> {
    fails_with(calls, succeed_on, || io::Error::from(io::ErrorKind::ConnectionReset).into())
}

#[retry(max_attempts = 4, backoff = "fixed", initial_delay = "100ms", jitter = "none", classify = classify)]
async fn refused_until(calls: &AtomicU32, succeed_on: u32) -> anyhow::Result<u32> {
    fails_with(calls, succeed_on, || anyhow::anyhow!("the request was refused"))
}

#[tokio::test(start_paused = true)]
async fn anyhow_errors_are_retried_as_the_classifier_says() {
    let calls = AtomicU32::new(0);
    let start = Instant::now();
    assert_eq!(reset_until(&calls, 3).await.unwrap(), 3);
    assert_eq!(start.elapsed(), Duration::from_millis(200), "two transient failures, two waits");

    let calls = AtomicU32::new(0);
    let error = refused_until(&calls, 3).await.unwrap_err();
    assert_eq!(error.to_string(), "the request was refused");
    assert_eq!(calls.load(SeqCst), 1, "a permanent error returns at once");
}

/// A classifier that knows nothing of `Rejected`: it calls every error permanent.
fn nothing_is_transient(_: &anyhow::Error) -> Classification {
    Classification::Permanent
}

#[retry(max_attempts = 3, backoff = "fixed", initial_delay = "10ms", attempt_timeout = "1s", classify = nothing_is_transient)]
async fn slow(calls: &AtomicU32) -> anyhow::Result<()> {
    calls.fetch_add(1, SeqCst);
    tokio::time::sleep(Duration::from_secs(60)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn timed_out_attempts_are_retried_whatever_the_classifier_says() {
    let calls = AtomicU32::new(0);
    let error = slow(&calls).await.unwrap_err();
    // `anyhow::Error` holds the rejection through its blanket `From`.
    assert_eq!(error.downcast_ref::<Rejected>(), Some(&Rejected::AttemptTimedOut { timeout: Duration::from_secs(1) }));
    assert_eq!(calls.load(SeqCst), 3);
}

/// The call site's classifier overrules the error type's own `Transient` impl.
#[retry(max_attempts = 2, backoff = "immediate", classify = |_: &Error| Classification::Transient)]
async fn bad_request_retried(calls: &AtomicU32) -> Result<(), Error> {
    calls.fetch_add(1, SeqCst);
    Err(Error::BadRequest)
}

#[tokio::test(start_paused = true)]
async fn the_call_site_overrules_the_error_type() {
    assert_eq!(Error::BadRequest.classify(), Classification::Permanent);
    let calls = AtomicU32::new(0);
    assert_eq!(bad_request_retried(&calls).await, Err(Error::BadRequest));
    assert_eq!(calls.load(SeqCst), 2);
}

/// A throttled classification with a server delay waits it, as from a `Transient` impl.
#[retry(
    max_attempts = 2,
    backoff = "fixed",
    initial_delay = "100ms",
    jitter = "none",
    classify = |_: &String| Classification::Throttled { retry_after: Some(Duration::from_secs(3)) }
)]
async fn throttled(calls: &AtomicU32) -> Result<u32, String> {
    let n = calls.fetch_add(1, SeqCst) + 1;
    if n >= 2 { Ok(n) } else { Err("slow down".to_owned()) }
}

#[tokio::test(start_paused = true)]
async fn a_throttled_classification_waits_the_server_delay() {
    let calls = AtomicU32::new(0);
    let start = Instant::now();
    assert_eq!(throttled(&calls).await, Ok(2));
    assert_eq!(start.elapsed(), Duration::from_secs(3));
}

/// A plain `fn` with a boxed error, classified by its text.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn busy_is_transient(error: &BoxError) -> Classification {
    if error.to_string().starts_with("busy") { Classification::Transient } else { Classification::Permanent }
}

#[retry(max_attempts = 2, backoff = "immediate", classify = busy_is_transient)]
fn blocking(calls: &AtomicU32, errors: &[&str]) -> Result<u32, BoxError> {
    let n = calls.fetch_add(1, SeqCst);
    match errors.get(n as usize) {
        Some(error) => Err((*error).into()),
        None => Ok(n + 1),
    }
}

#[test]
fn a_plain_fn_takes_a_classifier_too() {
    let calls = AtomicU32::new(0);
    assert_eq!(blocking(&calls, &["busy"]).unwrap(), 2);
    let calls = AtomicU32::new(0);
    assert_eq!(blocking(&calls, &["not found", "busy"]).unwrap_err().to_string(), "not found");
    assert_eq!(calls.load(SeqCst), 1);
}

/// `classify` is no policy key: it goes with a named policy, here the built-in `default`.
#[retry(policy = "default", classify = classify)]
async fn named(calls: &AtomicU32) -> anyhow::Result<u32> {
    reset_until(calls, u32::MAX).await
}

#[tokio::test(start_paused = true)]
async fn a_classifier_goes_with_a_named_policy() {
    let calls = AtomicU32::new(0);
    assert!(named(&calls).await.is_err());
    // `reset_until` is nested inside `named`'s attempts: one call each, three attempts.
    assert_eq!(calls.load(SeqCst), 3);
}
