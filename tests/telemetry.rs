//! The `tracing` events of a call, checked with a real subscriber: one `WARN` per retry with
//! its fields, one `ERROR` on giving up, nothing on a first-try success.

use resilient::{Transient, retry};
use tracing::Level;

mod common;
#[path = "common/events.rs"]
mod events;
use events::{Recorded, recorded};

#[derive(Debug, thiserror::Error, Transient)]
enum Error {
    #[error("slow down")]
    #[transient(throttled, retry_after = 0)]
    Throttled(std::time::Duration),
    #[error("unavailable")]
    #[transient]
    Unavailable,
}

#[retry(max_attempts = 3, backoff = "fixed", initial_delay = "100ms", jitter = "none")]
async fn call(failures: &mut u32, throttle_first: bool) -> Result<(), Error> {
    if *failures == 0 {
        return Ok(());
    }
    *failures -= 1;
    if throttle_first && *failures == 1 {
        Err(Error::Throttled(std::time::Duration::from_millis(250)))
    } else {
        Err(Error::Unavailable)
    }
}

fn events_of(failures: u32, throttle_first: bool) -> Vec<Recorded> {
    recorded(|runtime| {
        let mut failures = failures;
        let _ = runtime.block_on(call(&mut failures, throttle_first));
    })
}

#[test]
fn a_first_try_success_logs_nothing() {
    assert!(events_of(0, false).is_empty());
}

#[test]
fn each_retry_is_a_warn_event_with_its_fields() {
    let events = events_of(2, true);
    assert_eq!(events.len(), 2, "{events:?}");
    let throttled = &events[0];
    assert_eq!(throttled.level, Level::WARN);
    let expected = [
        ("policy", "inline"),
        ("operation", "telemetry::call"),
        ("attempt", "1"),
        ("max_attempts", "3"),
        ("delay_ms", "250"),
        ("throttled", "true"),
        ("error", "slow down"),
    ];
    for (field, value) in expected {
        assert_eq!(throttled.fields.get(field).map(String::as_str), Some(value), "{field} in {throttled:?}");
    }
    let second = &events[1];
    assert_eq!(second.fields["attempt"], "2");
    assert_eq!(second.fields["delay_ms"], "100");
    assert_eq!(second.fields["throttled"], "false");
    assert_eq!(second.fields["error"], "unavailable");
}

#[retry(policy = "telemetry-missing")]
async fn names_a_missing_policy() -> Result<(), Error> {
    Ok(())
}

#[test]
fn a_missing_policy_is_one_warning_per_name() {
    // A name one letter off: the warning suggests it.
    let close = resilient::Registry::builder().policy("telemetry-mising", resilient::Policy::DEFAULT);
    resilient::install(close.build().unwrap());
    let events = recorded(|runtime| {
        for _ in 0..3 {
            runtime.block_on(names_a_missing_policy()).unwrap();
        }
    });
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].level, Level::WARN);
    assert_eq!(events[0].fields["policy"], "telemetry-missing");
    let message = &events[0].fields["message"];
    assert!(message.contains("no policy named `telemetry-missing`"), "{events:?}");
    assert!(message.ends_with("using its defaults; did you mean `telemetry-mising`?"), "{message}");
}

#[test]
fn giving_up_is_one_error_event() {
    let events = events_of(5, false);
    let levels: Vec<Level> = events.iter().map(|e| e.level).collect();
    assert_eq!(levels, [Level::WARN, Level::WARN, Level::ERROR]);
    let gave_up = &events[2].fields;
    assert_eq!(gave_up["attempts"], "3");
    assert_eq!(gave_up["elapsed_ms"], "200");
    assert_eq!(gave_up["reason"], "attempts exhausted");
    assert_eq!(gave_up["error"], "unavailable");
    assert_eq!(gave_up["operation"], "telemetry::call");
}

/// Each attempt hangs for 10 s, then fails: a remote call that times out on its own.
#[retry(max_attempts = 3, backoff = "fixed", initial_delay = "1s", jitter = "none")]
async fn hangs_then_fails() -> Result<(), Error> {
    tokio::time::sleep(std::time::Duration::from_secs(10)).await;
    Err(Error::Unavailable)
}

#[test]
fn elapsed_ms_on_giving_up_covers_every_attempt_the_first_included() {
    let events = recorded(|runtime| assert!(runtime.block_on(hangs_then_fails()).is_err()));
    let gave_up = &events.last().expect("a give-up event").fields;
    // Three attempts of 10 s and two waits of 1 s.
    assert_eq!(gave_up["elapsed_ms"], "32000", "{events:?}");
}

#[test]
fn outside_a_tokio_runtime_a_call_that_has_to_wait_says_why_it_gave_up() {
    let events = recorded(|_runtime| {
        let mut failures = 2;
        assert!(common::block_on_elsewhere(call(&mut failures, false)).is_err());
    });
    let levels: Vec<Level> = events.iter().map(|e| e.level).collect();
    assert_eq!(levels, [Level::ERROR, Level::ERROR], "{events:?}");
    let message = &events[0].fields["message"];
    assert!(message.contains("not running inside a tokio runtime"), "{message}");
    assert!(message.contains("`#[tokio::main]`"), "names the fix: {message}");
    assert_eq!(events[0].fields["operation"], "telemetry::call");
    let gave_up = &events[1].fields;
    assert_eq!(gave_up["reason"], "no tokio runtime to wait in");
    assert_eq!(gave_up["attempts"], "1");
    assert_eq!(gave_up["error"], "unavailable");
}

/// Its attempt waits 5 ms on another runtime's timer, longer than its timeout. (Its error
/// type can hold a `Rejected`: without one, no timeout would be applied anywhere.)
#[retry(max_attempts = 2, attempt_timeout = "1ms")]
async fn timed_attempt_that_waits() -> Result<(), common::Error> {
    common::sleep_elsewhere(std::time::Duration::from_millis(5)).await;
    Ok(())
}

#[test]
fn outside_a_tokio_runtime_an_untimed_attempt_says_why_once() {
    let events = recorded(|_runtime| {
        for _ in 0..2 {
            assert!(common::block_on_elsewhere(timed_attempt_that_waits()).is_ok());
        }
    });
    assert_eq!(events.len(), 1, "once per process: {events:?}");
    assert_eq!(events[0].level, Level::ERROR);
    assert_eq!(events[0].fields.get("timeout_ms").map(String::as_str), Some("1"), "{events:?}");
    let message = &events[0].fields["message"];
    assert!(message.contains("attempt timeout of 1ms cannot be kept outside a tokio runtime"), "{message}");
    assert!(message.contains("`enable_time()`"), "names the fix: {message}");
}

/// A handle taken by value, under `#[tracing::instrument]`: `#[retry]` renames the body's
/// `self`, but not the fields named after it.
#[derive(Clone, Debug)]
struct Handle {
    id: u32,
}

impl Handle {
    #[tracing::instrument(level = "info")]
    #[retry(max_attempts = 2, backoff = "immediate")]
    async fn send(self) -> Result<(), Error> {
        tracing::info!(?self, %self.id, "sending");
        Ok(())
    }
}

#[test]
fn fields_named_after_self_keep_the_name() {
    let recorded = recorded(|runtime| runtime.block_on(Handle { id: 7 }.send()).unwrap());
    let names: Vec<Vec<&str>> =
        recorded.iter().map(|record| record.fields.keys().map(String::as_str).collect()).collect();
    assert_eq!(names, [vec!["self", "span"], vec!["message", "self", "self.id"]], "{recorded:?}");
    assert_eq!(recorded[0].fields["self"], "Handle { id: 7 }");
    assert_eq!(recorded[1].fields["self.id"], "7");
}
