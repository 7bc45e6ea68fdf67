//! A circuit breaker's transitions are `tracing` events that name the policy: an operator
//! reading "circuit breaker closed" must know which one. (A test binary of its own: events are
//! recorded by a subscriber, and no other test may meanwhile ask the same call sites with none.)

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use resilient::{CircuitBreakerSettings, Policy, Registry, retry};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

mod common;
use common::Error;

static DOWN: AtomicBool = AtomicBool::new(true);

#[retry(policy = "graph")]
async fn call() -> Result<(), Error> {
    if DOWN.load(SeqCst) { Err(Error::Unavailable) } else { Ok(()) }
}

/// Each event as its level, then ` name=value` for each field.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Events {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut fields = Fields(event.metadata().level().to_string());
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
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

    let events = Events::default();
    let subscriber = tracing_subscriber::registry().with(events.clone());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
    tracing::subscriber::with_default(subscriber, || {
        runtime.block_on(async {
            assert!(call().await.is_err());
            assert!(call().await.is_err()); // 2 failures of 2 outcomes: open
            tokio::time::advance(Duration::from_secs(5)).await;
            DOWN.store(false, SeqCst);
            call().await.unwrap(); // the probe: half-open, then closed
        });
    });

    let events = events.0.lock().unwrap();
    let transitions: Vec<&String> = events.iter().filter(|event| event.contains("circuit breaker")).collect();
    assert_eq!(transitions.len(), 3, "{events:#?}");
    assert!(transitions.iter().all(|event| event.contains(r#"policy="graph""#)), "{transitions:#?}");
    assert!(transitions[0].starts_with("WARN") && transitions[0].contains("opened"), "{transitions:#?}");
    assert!(transitions[1].starts_with("INFO") && transitions[1].contains("state=half-open"), "{transitions:#?}");
    assert!(transitions[2].starts_with("INFO") && transitions[2].contains("state=closed"), "{transitions:#?}");
}
