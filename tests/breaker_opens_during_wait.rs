//! A call that is waiting to retry when its policy's breaker opens (other calls' failures
//! opened it) is refused when its wait ends: an open breaker rejects without calling the
//! operation, a retry as much as a first attempt.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::Duration;

use resilient::{Backoff, BreakerState, CircuitBreakerSettings, Jitter, Policy, Registry, Rejected, retry};

mod common;
use common::Error;

/// A service that is down, and counts the calls it gets.
#[derive(Default)]
struct Service {
    calls: AtomicU32,
}

#[retry(policy = "opens-during-wait")]
async fn call(service: &Service) -> Result<(), Error> {
    service.calls.fetch_add(1, SeqCst);
    tokio::time::sleep(Duration::from_millis(10)).await;
    Err(Error::Unavailable)
}

fn install() {
    let policy = Policy::builder()
        .max_attempts(2)
        .backoff(Backoff::Fixed)
        .initial_delay(Duration::from_secs(1))
        .jitter(Jitter::None)
        .build()
        .unwrap();
    let breaker = CircuitBreakerSettings {
        failure_ratio: 0.5,
        minimum_throughput: 2,
        sampling_window: Duration::from_secs(10),
        break_duration: Duration::from_secs(5),
    };
    resilient::install(
        Registry::builder()
            .policy("opens-during-wait", policy)
            .circuit_breaker("opens-during-wait", breaker)
            .build()
            .unwrap(),
    );
}

#[tokio::test(start_paused = true)]
async fn a_retry_is_refused_by_a_breaker_that_opened_during_its_wait() {
    install();
    let service = Arc::new(Service::default());

    // The first call fails at 10 ms (one outcome: below the throughput) and waits until 1010 ms.
    let waiting = tokio::spawn({
        let service = Arc::clone(&service);
        async move { call(&service).await }
    });
    // Another call fails at 510 ms: two failures of two outcomes open the breaker, and it
    // returns its error at once instead of waiting for a breaker already open.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(call(&service).await, Err(Error::Unavailable));
    let stats = Registry::default().stats();
    assert_eq!(stats.breaker("opens-during-wait").unwrap().state, BreakerState::Open);

    // The first call's wait ends at 1010 ms, inside the break (510 ms to 5510 ms).
    let refused = waiting.await.unwrap();
    assert_eq!(
        refused,
        Err(Error::Rejected(Rejected::CircuitOpen {
            policy: "opens-during-wait",
            retry_in: Duration::from_millis(4500)
        }))
    );
    assert_eq!(service.calls.load(SeqCst), 2, "the refused retry did not call the service");

    let stats = Registry::default().stats();
    let operation = stats.operation(concat!(module_path!(), "::call")).unwrap();
    assert_eq!(
        (operation.calls, operation.attempts, operation.failures, operation.rejections),
        (2, 2, 2, 1),
        "the refused retry is a rejection, not an attempt"
    );
    assert_eq!(operation.give_ups, 2, "both calls gave up retrying because the breaker was open");
    assert_eq!(operation.retries, 1, "the refused retry was begun: its wait ran");
}
