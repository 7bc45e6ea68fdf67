//! A circuit breaker's transitions are `tracing` events that name the policy: an operator
//! reading "circuit breaker closed" must know which one. (A test binary of its own: events are
//! recorded by a subscriber, and no other test may meanwhile ask the same call sites with none.)

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::Duration;

use resilient::{CircuitBreakerSettings, Policy, Registry, retry};
use tracing::Level;

mod common;
use common::Error;
#[path = "common/events.rs"]
mod events;

static DOWN: AtomicBool = AtomicBool::new(true);

#[retry(policy = "graph")]
async fn call() -> Result<(), Error> {
    if DOWN.load(SeqCst) { Err(Error::Unavailable) } else { Ok(()) }
}

#[test]
fn each_transition_is_an_event_naming_the_policy() {
    let breaker = CircuitBreakerSettings {
        failure_ratio: 0.5,
        minimum_throughput: 2,
        sampling_window: Duration::from_secs(10),
        break_duration: Duration::from_secs(5),
    };
    let policy = Policy::builder().max_attempts(1).build().unwrap();
    resilient::install(Registry::builder().policy("graph", policy).circuit_breaker("graph", breaker).build().unwrap());

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
