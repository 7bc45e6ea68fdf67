//! A `tracing` subscriber may itself make `#[retry]` calls (a layer that ships events to a
//! collector, say). Logging an unknown policy name must not hold a lock such a call needs.

use std::sync::mpsc;
use std::time::Duration;

use resilient::{Registry, retry};
use tracing_subscriber::layer::{Context, SubscriberExt};

mod common;
use common::Error;

/// Ships an event; its policy is missing too, so it is looked up, and reported, as well.
#[retry(policy = "log-shipper")]
fn ship() -> Result<(), Error> {
    Ok(())
}

#[retry(policy = "missing")]
fn work() -> Result<u32, Error> {
    Ok(7)
}

/// Ships every `resilient` event, but not the events of its own shipping.
struct Shipper;

thread_local! {
    static SHIPPING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Shipper {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "resilient" && !SHIPPING.replace(true) {
            ship().unwrap();
            SHIPPING.set(false);
        }
    }
}

#[test]
fn a_subscriber_can_retry_while_an_unknown_name_is_reported() {
    resilient::install(Registry::default());
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let subscriber = tracing_subscriber::registry().with(Shipper);
        let result = tracing::subscriber::with_default(subscriber, work);
        let _ = done.send(result);
    });
    // A bound, so that a deadlock is reported rather than hung.
    let result = finished.recv_timeout(Duration::from_secs(60)).expect("the call deadlocked");
    assert_eq!(result, Ok(7));
}
