//! 100 000 calls that reach the service, on 8 worker threads through one circuit breaker, with
//! random outcomes: no deadlock, no panic, and transitions that add up.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use resilient::{BreakerState, CircuitBreakerSettings, Policy, Registry, RetryBudgetSettings, retry};

mod common;
use common::Error;

/// A cheap deterministic generator per task (splitmix64): the outcomes are random but
/// reproducible.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[retry(policy = "stressed")]
async fn call(roll: u64, attempts: &AtomicU64) -> Result<(), Error> {
    attempts.fetch_add(1, Relaxed);
    if roll % 7 == 0 {
        tokio::task::yield_now().await;
    }
    match roll % 10 {
        0..=5 => Ok(()),
        6 => Err(Error::BadRequest),
        _ => Err(Error::Unavailable),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn many_threads_through_one_breaker() {
    let policy = Policy::builder().max_attempts(2).initial_delay(Duration::from_micros(50)).build().unwrap();
    let breaker = CircuitBreakerSettings {
        failure_ratio: 0.3,
        minimum_throughput: 20,
        sampling_window: Duration::from_millis(5),
        break_duration: Duration::from_micros(20),
    };
    let budget = RetryBudgetSettings { ratio: 0.2, min_per_second: 100 };
    resilient::install(
        Registry::builder()
            .policy("stressed", policy)
            .circuit_breaker("stressed", breaker)
            .retry_budget("stressed", budget)
            .build()
            .unwrap(),
    );
    static ATTEMPTS: AtomicU64 = AtomicU64::new(0);
    const CALLS_PER_TASK: u64 = 100_000 / 64 + 1;
    let tasks: Vec<_> = (0..64u64)
        .map(|task| {
            tokio::spawn(async move {
                let mut rng = task;
                let (mut ok, mut failed, mut rejected) = (0u64, 0u64, 0u64);
                // A fixed count of calls that reach the service, not of calls made: rejected calls
                // take a few hundred nanoseconds, so a fixed count of calls could end within a
                // few break durations, and how often the breaker opened would measure the
                // host's speed rather than the breaker.
                while ok + failed < CALLS_PER_TASK {
                    match call(next(&mut rng), &ATTEMPTS).await {
                        Ok(()) => ok += 1,
                        Err(Error::Rejected(_)) => {
                            rejected += 1;
                            // As a real client backs off: a task that never yields would keep
                            // its worker from the probe that is waiting to close the breaker.
                            tokio::task::yield_now().await;
                        }
                        Err(_) => failed += 1,
                    }
                }
                (ok, failed, rejected)
            })
        })
        .collect();
    let (mut ok, mut failed, mut rejected) = (0, 0, 0);
    for task in tasks {
        let (o, f, r) =
            tokio::time::timeout(Duration::from_secs(120), task).await.expect("no deadlock").expect("no panic");
        (ok, failed, rejected) = (ok + o, failed + f, rejected + r);
    }
    let stats = Registry::default().stats();
    let breaker = stats.breaker("stressed").unwrap();
    let operation = stats.operation("breaker_stress::call").unwrap();
    println!("ok {ok}, failed {failed}, rejected {rejected}; breaker {breaker:?}");
    assert_eq!(ok + failed, 64 * CALLS_PER_TASK);
    assert_eq!(operation.calls, ok + failed + rejected);
    assert_eq!(operation.rejections, rejected);
    assert_eq!(operation.attempts, ATTEMPTS.load(Relaxed), "rejected calls make no attempt");
    // Here it opens 600 to 900 times, on two free cores or sharing one with a busy process.
    assert!(breaker.opened > 100, "a 40% failure rate keeps opening a breaker set at 30%: {breaker:?}");
    assert!(rejected > 0, "an open breaker rejects calls");
    // Closed -> open, open -> half-open, half-open -> closed or open, never anything else: so
    // every half-open follows an open, and every open but the one in force was followed by a
    // half-open.
    assert!(breaker.closed > 0 && breaker.closed <= breaker.half_opened, "{breaker:?}");
    let open_now = u64::from(breaker.state == BreakerState::Open);
    assert_eq!(breaker.opened, breaker.half_opened + open_now, "transitions that do not add up: {breaker:?}");
}
