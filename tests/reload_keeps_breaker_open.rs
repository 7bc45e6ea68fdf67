//! A reload that changes a policy's retry budget or its breaker's settings, as operations do
//! in the middle of an outage, keeps an open breaker open: the outage's traffic does not go
//! through a fresh, closed one. A closed breaker keeps the outcomes in its window, so an
//! outage that was filling it opens it when it would have.

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::Duration;

use resilient::{BreakerState, CircuitBreakerSettings, Policy, Registry, Rejected, RetryBudgetSettings, retry};

mod common;
use common::Error;

#[retry(policy = "tuned")]
async fn call(calls: &AtomicU32) -> Result<(), Error> {
    calls.fetch_add(1, SeqCst);
    Err(Error::Unavailable)
}

fn install(break_duration: Duration, budget_ratio: f64) {
    let breaker = CircuitBreakerSettings {
        failure_ratio: 0.5,
        minimum_throughput: 2,
        sampling_window: Duration::from_secs(10),
        break_duration,
    };
    let budget = RetryBudgetSettings { ratio: budget_ratio, min_per_second: 1 };
    let registry = Registry::builder()
        .policy("tuned", Policy::builder().max_attempts(1).build().unwrap())
        .circuit_breaker("tuned", breaker)
        .retry_budget("tuned", budget)
        .build()
        .unwrap();
    resilient::install(registry);
}

fn breaker() -> resilient::BreakerStats {
    Registry::default().stats().breaker("tuned").expect("the breaker has been used").clone()
}

fn open(retry_in: Duration) -> Result<(), Error> {
    Err(Error::Rejected(Rejected::CircuitOpen { policy: "tuned", retry_in }))
}

#[tokio::test(start_paused = true)]
async fn an_open_breaker_stays_open_across_reloads_that_tune_it() {
    let calls = AtomicU32::new(0);
    install(Duration::from_secs(5), 0.1);
    assert_eq!(call(&calls).await, Err(Error::Unavailable));
    // A reload between the two failures keeps the first in the window: the second makes two
    // failures of two outcomes, the minimum, and opens the breaker.
    install(Duration::from_secs(5), 0.15);
    assert_eq!(call(&calls).await, Err(Error::Unavailable));
    assert_eq!(breaker().state, BreakerState::Open, "two failures of two outcomes");

    // The budget is tuned: the breaker is still open, and still refuses without a call.
    install(Duration::from_secs(5), 0.2);
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(call(&calls).await, open(Duration::from_secs(4)));
    assert_eq!(calls.load(SeqCst), 2);

    // The break is lengthened to 10 s: it ends 10 s after the breaker opened, not at 5 s.
    install(Duration::from_secs(10), 0.2);
    tokio::time::advance(Duration::from_secs(5)).await;
    assert_eq!(call(&calls).await, open(Duration::from_secs(4)));
    assert_eq!(calls.load(SeqCst), 2);
    assert_eq!(breaker().state, BreakerState::Open);
    assert_eq!(breaker().opened, 1, "one opening, counted across the reloads");

    // After the longer break, one probe goes through; it fails, and the breaker opens again.
    tokio::time::advance(Duration::from_secs(4)).await;
    assert_eq!(call(&calls).await, Err(Error::Unavailable));
    assert_eq!(calls.load(SeqCst), 3);
    assert_eq!((breaker().state, breaker().opened, breaker().half_opened), (BreakerState::Open, 2, 1));
}
