//! The `metrics` feature: `export_metrics` publishes the same numbers as `Registry::stats`.

#![cfg(feature = "metrics")]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use metrics::{Counter, CounterFn, Gauge, GaugeFn, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use resilient::{Transient, retry};

/// Records the last value of every counter and gauge, by name and labels.
#[derive(Default)]
struct Capture(Arc<Mutex<BTreeMap<String, f64>>>);

struct Cell(String, Arc<Mutex<BTreeMap<String, f64>>>);

impl CounterFn for Cell {
    fn increment(&self, value: u64) {
        *self.1.lock().unwrap().entry(self.0.clone()).or_default() += value as f64;
    }
    fn absolute(&self, value: u64) {
        self.1.lock().unwrap().insert(self.0.clone(), value as f64);
    }
}

impl GaugeFn for Cell {
    fn increment(&self, value: f64) {
        *self.1.lock().unwrap().entry(self.0.clone()).or_default() += value;
    }
    fn decrement(&self, value: f64) {
        *self.1.lock().unwrap().entry(self.0.clone()).or_default() -= value;
    }
    fn set(&self, value: f64) {
        self.1.lock().unwrap().insert(self.0.clone(), value);
    }
}

impl Capture {
    fn cell(&self, key: &Key) -> Arc<Cell> {
        let labels: Vec<String> = key.labels().map(|label| format!("{}={}", label.key(), label.value())).collect();
        Arc::new(Cell(format!("{}{{{}}}", key.name(), labels.join(",")), Arc::clone(&self.0)))
    }
}

impl Recorder for Capture {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.cell(key))
    }
    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.cell(key))
    }
    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

#[retry(max_attempts = 3, initial_delay = "1ms")]
fn flaky(fail: bool) -> Result<(), Unavailable> {
    if fail { Err(Unavailable) } else { Ok(()) }
}

#[test]
fn exported_metrics_match_the_stats() {
    for fail in [false, true, false] {
        let _ = flaky(fail);
    }
    let capture = Capture::default();
    let values = Arc::clone(&capture.0);
    metrics::with_local_recorder(&capture, resilient::export_metrics);
    let values = values.lock().unwrap();
    let labels = "{policy=inline,operation=metrics::flaky}";
    let value = |name: &str| values.get(&format!("{name}{labels}")).copied();
    assert_eq!(value("resilient_calls_total"), Some(3.0));
    assert_eq!(value("resilient_attempts_total"), Some(5.0));
    assert_eq!(value("resilient_retries_total"), Some(2.0));
    assert_eq!(value("resilient_successes_total"), Some(2.0));
    assert_eq!(value("resilient_give_ups_total"), Some(1.0));
    assert!(value("resilient_retried_elapsed_seconds_total").unwrap() > 0.0);
}
