//! The circuit breaker through `#[retry]`, under the paused clock: it opens when ratio and
//! throughput are both met, rejects without calling the operation, lets exactly one probe
//! through when half-open, and the probe's outcome closes or re-opens it; a probe cancelled or
//! panicking has none, and the next call probes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
use std::time::Duration;

use resilient::{BreakerState, CircuitBreakerSettings, Policy, Registry, Rejected, retry};

mod common;
use common::Error;

/// A service that fails while `down` is set, and panics while `panics` is.
#[derive(Default)]
struct Service {
    down: AtomicBool,
    panics: AtomicBool,
    calls: AtomicU32,
}

impl Service {
    async fn handle(&self) -> Result<(), Error> {
        self.calls.fetch_add(1, SeqCst);
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!self.panics.load(SeqCst), "the service panics, on purpose: a probe that panics");
        if self.down.load(SeqCst) { Err(Error::Unavailable) } else { Ok(()) }
    }
}

#[retry(policy = "breaker")]
async fn call(service: &Service) -> Result<(), Error> {
    service.handle().await
}

fn install() {
    let policy = Policy::builder().max_attempts(1).build().unwrap();
    let breaker = CircuitBreakerSettings {
        failure_ratio: 0.5,
        minimum_throughput: 4,
        sampling_window: Duration::from_secs(10),
        break_duration: Duration::from_secs(5),
    };
    resilient::install(
        Registry::builder().policy("breaker", policy).circuit_breaker("breaker", breaker).build().unwrap(),
    );
}

fn state() -> BreakerState {
    Registry::default().stats().breaker("breaker").expect("the breaker has been used").state
}

/// One test: the breaker of a policy name is process-wide.
#[tokio::test(start_paused = true)]
async fn the_breaker_opens_rejects_probes_and_closes() {
    install();
    let service = Arc::new(Service::default());

    // 2 successes, then failures: 4 outcomes with 2 failures reach 0.5 at the 4th.
    assert_eq!(call(&service).await, Ok(()));
    assert_eq!(call(&service).await, Ok(()));
    service.down.store(true, SeqCst);
    assert_eq!(call(&service).await, Err(Error::Unavailable));
    assert_eq!(state(), BreakerState::Closed, "3 outcomes: below the throughput");
    assert_eq!(call(&service).await, Err(Error::Unavailable));
    assert_eq!(state(), BreakerState::Open);

    // Open: rejected without calling the service, with the time until the probe.
    let calls = service.calls.load(SeqCst);
    let rejected = call(&service).await;
    assert_eq!(
        rejected,
        Err(Error::Rejected(Rejected::CircuitOpen { policy: "breaker", retry_in: Duration::from_secs(5) }))
    );
    assert_eq!(service.calls.load(SeqCst), calls, "an open breaker does not call the operation");

    // Half-open after the break: many concurrent callers, one probe. It fails: open again.
    tokio::time::advance(Duration::from_secs(5)).await;
    let callers: Vec<_> = (0..20)
        .map(|_| {
            tokio::spawn({
                let service = Arc::clone(&service);
                async move { call(&service).await }
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for caller in callers {
        outcomes.push(caller.await.unwrap());
    }
    assert_eq!(service.calls.load(SeqCst), calls + 1, "exactly one probe reached the service");
    assert_eq!(outcomes.iter().filter(|o| **o == Err(Error::Unavailable)).count(), 1);
    assert_eq!(outcomes.iter().filter(|o| matches!(o, Err(Error::Rejected(_)))).count(), 19);
    assert_eq!(state(), BreakerState::Open, "a failed probe re-opens");

    // The service recovers. After the next break, a probe cut off mid-attempt, then one that
    // panics, leave no outcome: the breaker stays half-open, and the next call probes.
    service.down.store(false, SeqCst);
    tokio::time::advance(Duration::from_secs(5)).await;
    let cancelled = tokio::time::timeout(Duration::from_millis(1), call(&service)).await;
    assert!(cancelled.is_err(), "the probe was cut off mid-attempt");
    assert_eq!(state(), BreakerState::HalfOpen);
    service.panics.store(true, SeqCst);
    let panicked = tokio::spawn({
        let service = Arc::clone(&service);
        async move { call(&service).await }
    });
    assert!(panicked.await.unwrap_err().is_panic());
    service.panics.store(false, SeqCst);
    assert_eq!(state(), BreakerState::HalfOpen);
    // The probe succeeds and closes the breaker.
    assert_eq!(call(&service).await, Ok(()));
    assert_eq!(state(), BreakerState::Closed);
    assert_eq!(call(&service).await, Ok(()));

    let stats = Registry::default().stats();
    let breaker = stats.breaker("breaker").unwrap();
    assert_eq!((breaker.opened, breaker.half_opened, breaker.closed), (2, 2, 1));
    let operation = stats.operation("circuit_breaker::call").unwrap();
    assert_eq!(operation.rejections, 20);
}
