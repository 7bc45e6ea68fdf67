//! A circuit breaker's events name the policy: an operator reading "circuit breaker closed"
//! must know which one. (A test binary of its own: events are recorded by a subscriber, and no
//! other test may meanwhile ask the same call sites with none.)

use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
use std::time::Duration;

use resilient::{CircuitBreakerSettings, Policy, Registry, retry};
use tracing::Level;

mod common;
use common::{Error, Unavailable};
#[path = "common/events.rs"]
mod events;

static DOWN: AtomicBool = AtomicBool::new(true);

#[retry(policy = "graph")]
async fn call() -> Result<(), Error> {
    if DOWN.load(SeqCst) { Err(Error::Unavailable) } else { Ok(()) }
}

static HOMELESS_CALLS: AtomicU32 = AtomicU32::new(0);

/// Its error type cannot hold a `Rejected`, so its breaker cannot refuse it anything.
#[retry(policy = "homeless")]
async fn homeless() -> Result<(), Unavailable> {
    HOMELESS_CALLS.fetch_add(1, SeqCst);
    Err(Unavailable)
}

/// Installs, once for the binary's tests, policies `graph` and `homeless`: one attempt each,
/// and a breaker that two failures open for 5 s.
fn install() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let breaker = CircuitBreakerSettings {
            failure_ratio: 0.5,
            minimum_throughput: 2,
            sampling_window: Duration::from_secs(10),
            break_duration: Duration::from_secs(5),
        };
        let policy = Policy::builder().max_attempts(1).build().unwrap();
        let mut registry = Registry::builder();
        for name in ["graph", "homeless"] {
            registry = registry.policy(name, policy.clone()).circuit_breaker(name, breaker.clone());
        }
        resilient::install(registry.build().unwrap());
    });
}

#[test]
fn each_transition_is_an_event_naming_the_policy() {
    install();
    let events = events::recorded(|runtime| {
        runtime.block_on(async {
            assert!(call().await.is_err());
            assert!(call().await.is_err()); // 2 failures of 2 outcomes: open
            tokio::time::advance(Duration::from_secs(5)).await;
            DOWN.store(false, SeqCst);
            call().await.unwrap(); // the probe: half-open, then closed
        });
    });

    let transitions: Vec<_> = events
        .iter()
        .filter(|event| event.fields.get("message").is_some_and(|m| m.starts_with("circuit breaker")))
        .collect();
    assert_eq!(transitions.len(), 3, "{events:#?}");
    assert!(
        transitions.iter().all(|event| event.fields.get("policy").map(String::as_str) == Some("graph")),
        "{transitions:#?}"
    );
    assert_eq!(transitions[0].level, Level::WARN);
    assert!(transitions[0].fields["message"].starts_with("circuit breaker opened"), "{transitions:#?}");
    let half_open_then_closed = [(Level::INFO, "half-open"), (Level::INFO, "closed")];
    for (event, (level, state)) in transitions[1..].iter().zip(half_open_then_closed) {
        assert_eq!((event.level, event.fields.get("state").map(String::as_str)), (level, Some(state)), "{event:?}");
    }
}

#[test]
fn a_breaker_whose_calls_cannot_hold_its_refusal_lets_them_through_and_says_how_to_mend_that_once() {
    install();
    let events = events::recorded(|runtime| {
        runtime.block_on(async {
            for _ in 0..4 {
                assert_eq!(homeless().await, Err(Unavailable));
            }
        });
    });

    assert_eq!(HOMELESS_CALLS.load(SeqCst), 4, "the open breaker refused no call");
    let unrefused: Vec<_> =
        events.iter().filter(|event| event.fields.get("message").is_some_and(|m| m.contains("cannot hold"))).collect();
    assert_eq!(unrefused.len(), 1, "once, though the breaker was open for two calls: {events:#?}");
    assert_eq!(unrefused[0].level, Level::ERROR);
    assert_eq!(
        unrefused[0].fields["message"],
        "policy `homeless` has a circuit breaker, but the error type of `breaker_events::homeless` cannot hold a \
         `resilient::Rejected`, so an open breaker lets its calls through; add a variant \
         `Rejected(#[from] resilient::Rejected)` marked `#[transient(delegate)]`, or, if its calls need no \
         breaker, write `circuit_breaker = false` under `[policies.homeless]`"
    );
}
