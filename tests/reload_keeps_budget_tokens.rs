//! A reload that changes a policy's retry budget keeps the retry tokens healthy calls bought:
//! a budget that has seen no failure yet has counted its first attempts without turning them
//! into tokens, and those must not be lost to a reload that comes just before an outage.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};

use resilient::{Backoff, Policy, Registry, RetryBudgetSettings, retry};

mod common;
use common::Unavailable;

static DOWN: AtomicBool = AtomicBool::new(false);

#[retry(policy = "reloaded")]
async fn call(attempts: &AtomicU32) -> Result<(), Unavailable> {
    attempts.fetch_add(1, SeqCst);
    if DOWN.load(SeqCst) { Err(Unavailable) } else { Ok(()) }
}

/// Two attempts, no wait, and a budget of `ratio` of a retry per first attempt, with no reserve.
fn install(ratio: f64) {
    let policy = Policy::builder().max_attempts(2).backoff(Backoff::Immediate).build().unwrap();
    let budget = RetryBudgetSettings { ratio, min_per_second: 0 };
    resilient::install(
        Registry::builder().policy("reloaded", policy).retry_budget("reloaded", budget).build().unwrap(),
    );
}

#[tokio::test(start_paused = true)]
async fn a_reload_keeps_the_tokens_healthy_calls_bought() {
    install(0.1);
    let attempts = AtomicU32::new(0);
    for _ in 0..50 {
        call(&attempts).await.unwrap();
    }
    // Operations tune the budget: a new one takes over from the first (an unchanged one would
    // simply be kept).
    install(0.2);
    DOWN.store(true, SeqCst);
    attempts.store(0, SeqCst);
    for _ in 0..20 {
        assert!(call(&attempts).await.is_err());
    }
    // 50 first attempts at 0.1 bought 5 retries; the outage's 20 first attempts at 0.2 buy 4
    // more. Without the 5, only those 4.
    let retries = attempts.load(SeqCst) - 20;
    assert_eq!(retries, 9, "retries granted after the reload");
}
