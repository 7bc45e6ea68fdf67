//! A `tracing` layer that records every event and span a test's calls make, with its level and
//! fields. Shared by the tests of events (`tests/telemetry.rs`, `tests/breaker_events.rs`),
//! which include this file by path.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// One event (or span), with its level and its fields by name.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub level: Level,
    pub fields: BTreeMap<String, String>,
}

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Recorded>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: Subscriber> Layer<S> for Recorder {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(Recorded { level: *event.metadata().level(), fields });
    }

    /// A span is recorded as an event would be, with its name as the field `span`.
    fn on_new_span(&self, attributes: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        let mut fields = BTreeMap::from([("span".to_owned(), attributes.metadata().name().to_owned())]);
        attributes.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(Recorded { level: *attributes.metadata().level(), fields });
    }
}

/// The events recorded while `run` drives calls on a current-thread runtime with a paused clock.
pub fn recorded(run: impl FnOnce(&tokio::runtime::Runtime)) -> Vec<Recorded> {
    let recorder = Recorder::default();
    let subscriber = tracing_subscriber::registry().with(recorder.clone());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
    tracing::subscriber::with_default(subscriber, || run(&runtime));
    recorder.0.lock().unwrap().clone()
}
