//! A reload that tunes a policy keeps the outcomes its closed breaker has seen: an outage that
//! was filling the window opens the breaker when it would have, not `minimum_throughput`
//! outcomes later.

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::Duration;

use resilient::{BreakerState, CircuitBreakerSettings, Policy, Registry, RetryBudgetSettings, retry};

mod common;
use common::Error;

#[retry(policy = "filling")]
async fn call(calls: &AtomicU32) -> Result<(), Error> {
    calls.fetch_add(1, SeqCst);
    Err(Error::Unavailable)
}

/// One attempt per call; a breaker that opens at half of at least 6 outcomes.
fn install(break_duration: Duration, budget_ratio: f64) {
    let breaker = CircuitBreakerSettings {
        failure_ratio: 0.5,
        minimum_throughput: 6,
        sampling_window: Duration::from_secs(10),
        break_duration,
    };
    let registry = Registry::builder()
        .policy("filling", Policy::builder().max_attempts(1).build().unwrap())
        .circuit_breaker("filling", breaker)
        .retry_budget("filling", RetryBudgetSettings { ratio: budget_ratio, min_per_second: 1 })
        .build()
        .unwrap();
    resilient::install(registry);
}

fn state() -> BreakerState {
    Registry::default().stats().breaker("filling").expect("the breaker has been used").state
}

#[tokio::test(start_paused = true)]
async fn a_reload_keeps_the_outcomes_in_a_closed_breakers_window() {
    let calls = AtomicU32::new(0);
    install(Duration::from_secs(5), 0.1);
    for _ in 0..4 {
        assert_eq!(call(&calls).await, Err(Error::Unavailable));
    }
    assert_eq!(state(), BreakerState::Closed, "4 outcomes, below the minimum of 6");

    // The budget is tuned, then the break: each reload replaces the breaker, which keeps the
    // 4 failures, so the sixth failure opens it.
    install(Duration::from_secs(5), 0.2);
    assert_eq!(call(&calls).await, Err(Error::Unavailable));
    install(Duration::from_secs(30), 0.2);
    assert_eq!(state(), BreakerState::Closed, "5 outcomes");
    assert_eq!(call(&calls).await, Err(Error::Unavailable));
    assert_eq!(state(), BreakerState::Open, "6 failures of 6 outcomes");
    assert_eq!(calls.load(SeqCst), 6);
}
