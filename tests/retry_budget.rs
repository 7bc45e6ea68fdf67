//! The retry budget bounds retries to a share of first attempts: 100 always-failing calls of
//! a 3-attempt policy with `ratio = 0.1` make about 110 attempts, not 300.

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

use resilient::{Policy, Registry, RetryBudgetSettings, retry};

mod common;
use common::Unavailable;

#[retry(policy = "budgeted")]
async fn always_fails(attempts: &AtomicU32) -> Result<(), Unavailable> {
    attempts.fetch_add(1, SeqCst);
    Err(Unavailable)
}

#[tokio::test(start_paused = true)]
async fn the_budget_bounds_retries_to_a_share_of_first_attempts() {
    let policy = Policy::builder().max_attempts(3).build().unwrap();
    let budget = RetryBudgetSettings { ratio: 0.1, min_per_second: 0 };
    resilient::install(
        Registry::builder().policy("budgeted", policy).retry_budget("budgeted", budget).build().unwrap(),
    );

    let attempts = AtomicU32::new(0);
    for _ in 0..100 {
        assert!(always_fails(&attempts).await.is_err());
    }
    let made = attempts.load(SeqCst);
    println!("100 calls of 3 attempts under a 0.1 budget made {made} attempts");
    assert!((105..=115).contains(&made), "{made} attempts");

    let stats = Registry::default().stats();
    let operation = stats.operation("retry_budget::always_fails").unwrap();
    assert_eq!(operation.calls, 100);
    assert_eq!(operation.retries, u64::from(made) - 100);
    assert_eq!(operation.failures, 100);
    assert!(operation.budget_refusals >= 85, "{operation:?}");
}
