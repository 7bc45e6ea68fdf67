//! `#[retry(policy = "...")]` follows the installed registry: each install is seen by the next
//! call, and a name with no policy runs under the defaults.

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::Duration;

use resilient::{Backoff, Jitter, Policy, Registry, retry};

mod common;
use common::Unavailable;

#[retry(policy = "named-test")]
async fn always_fails(calls: &AtomicU32) -> Result<(), Unavailable> {
    calls.fetch_add(1, SeqCst);
    Err(Unavailable)
}

#[retry(policy = "no-such-policy")]
async fn unknown_policy(calls: &AtomicU32) -> Result<(), Unavailable> {
    calls.fetch_add(1, SeqCst);
    Err(Unavailable)
}

fn attempts(n: u32) -> Policy {
    Policy::builder()
        .max_attempts(n)
        .backoff(Backoff::Fixed)
        .jitter(Jitter::None)
        .initial_delay(Duration::from_millis(10))
        .build()
        .unwrap()
}

async fn calls_made(f: impl AsyncFn(&AtomicU32) -> Result<(), Unavailable>) -> u32 {
    let calls = AtomicU32::new(0);
    assert_eq!(f(&calls).await, Err(Unavailable));
    calls.load(SeqCst)
}

/// One test, because the registry is process-wide.
#[tokio::test(start_paused = true)]
async fn calls_follow_the_installed_registry() {
    // Nothing installed: the built-in defaults (3 attempts).
    assert_eq!(calls_made(always_fails).await, 3);

    resilient::install(Registry::builder().policy("named-test", attempts(5)).defaults(attempts(2)).build().unwrap());
    assert_eq!(calls_made(always_fails).await, 5);
    // A name the registry lacks runs under its defaults.
    assert_eq!(calls_made(unknown_policy).await, 2);

    resilient::install(Registry::builder().policy("named-test", attempts(1)).build().unwrap());
    assert_eq!(calls_made(always_fails).await, 1, "the next call sees the new registry");
    assert_eq!(calls_made(unknown_policy).await, 3);
}
