//! `#[derive(Transient)]` classifies every variant as marked.

use std::io;
use std::time::Duration;

use resilient::{Classification, Rejected, Transient};

fn hint_of(classification: Classification) -> Option<Duration> {
    match classification {
        Classification::Throttled { retry_after } => retry_after,
        other => panic!("expected throttled, got {other:?}"),
    }
}

fn is_rate_limit(code: &u16) -> Classification {
    if *code == 429 { Classification::Throttled { retry_after: None } } else { Classification::Permanent }
}

#[derive(Debug, thiserror::Error, Transient)]
enum GraphError {
    #[error("throttled")]
    #[transient(throttled, retry_after = retry_after)]
    Throttled { retry_after: Option<Duration> },
    #[error("throttled for {0:?}")]
    #[transient(throttled, retry_after = 0)]
    ThrottledFor(Duration, &'static str),
    #[error("slow down")]
    #[transient(throttled)]
    SlowDown,
    #[error("service unavailable")]
    #[transient]
    Unavailable,
    #[error(transparent)]
    #[transient(delegate)]
    Io(#[from] io::Error),
    #[error("status {0}")]
    #[transient(with = is_rate_limit)]
    Status(u16),
    #[error("mailbox not found")]
    #[permanent]
    NotFound,
    #[error(transparent)]
    #[transient(delegate)]
    Rejected(#[from] Rejected),
}

#[test]
fn every_marking_classifies_its_variant() {
    let hint = Duration::from_secs(3);
    assert_eq!(hint_of(GraphError::Throttled { retry_after: Some(hint) }.classify()), Some(hint));
    assert_eq!(hint_of(GraphError::Throttled { retry_after: None }.classify()), None);
    assert_eq!(hint_of(GraphError::ThrottledFor(hint, "x").classify()), Some(hint));
    assert_eq!(hint_of(GraphError::SlowDown.classify()), None);
    assert_eq!(GraphError::Unavailable.classify(), Classification::Transient);
    assert_eq!(GraphError::Io(io::ErrorKind::ConnectionReset.into()).classify(), Classification::Transient);
    assert_eq!(GraphError::Io(io::ErrorKind::NotFound.into()).classify(), Classification::Permanent);
    assert_eq!(hint_of(GraphError::Status(429).classify()), None);
    assert_eq!(GraphError::Status(400).classify(), Classification::Permanent);
    assert_eq!(GraphError::NotFound.classify(), Classification::Permanent);
    let timed_out = Rejected::AttemptTimedOut { timeout: hint };
    assert_eq!(GraphError::from(timed_out).classify(), Classification::Transient);
}

#[derive(Debug, Transient)]
#[allow(dead_code)]
#[transient(default = permanent)]
enum DefaultPermanent {
    #[transient]
    Busy,
    Invalid,
    Forbidden {
        reason: String,
    },
}

#[derive(Debug, Transient)]
#[allow(dead_code)]
#[transient(default = transient)]
enum DefaultTransient {
    Glitch(u8),
    #[permanent]
    Fatal,
}

#[test]
fn the_enum_default_classifies_unmarked_variants() {
    assert_eq!(DefaultPermanent::Busy.classify(), Classification::Transient);
    assert_eq!(DefaultPermanent::Invalid.classify(), Classification::Permanent);
    assert_eq!(DefaultPermanent::Forbidden { reason: String::new() }.classify(), Classification::Permanent);
    assert_eq!(DefaultTransient::Glitch(1).classify(), Classification::Transient);
    assert_eq!(DefaultTransient::Fatal.classify(), Classification::Permanent);
}

#[derive(Debug, Transient)]
#[transient(throttled, retry_after = wait)]
struct Throttle {
    wait: Duration,
}

#[derive(Debug, Transient)]
#[permanent]
struct Invalid(#[allow(dead_code)] String);

#[derive(Debug, Transient)]
#[transient(delegate)]
struct Wrapper(io::Error);

#[test]
fn structs_are_classified_as_marked() {
    assert_eq!(hint_of(Throttle { wait: Duration::from_millis(5) }.classify()), Some(Duration::from_millis(5)));
    assert_eq!(Invalid(String::new()).classify(), Classification::Permanent);
    assert_eq!(Wrapper(io::ErrorKind::TimedOut.into()).classify(), Classification::Transient);
}

/// Generic error types: a delegated `T` must itself be `Transient`.
#[derive(Debug, Transient)]
enum Layered<T, M: std::fmt::Debug> {
    #[transient(delegate)]
    Inner(T),
    #[permanent]
    Message(M),
}

#[test]
fn generic_error_types_delegate_to_their_parameter() {
    let inner: Layered<io::Error, ()> = Layered::Inner(io::ErrorKind::BrokenPipe.into());
    assert_eq!(inner.classify(), Classification::Transient);
    assert_eq!(Layered::<io::Error, &str>::Message("x").classify(), Classification::Permanent);
}

/// An error type made `Clone` by sharing its I/O error.
#[derive(Debug, Clone, Transient)]
enum Shared {
    #[transient(delegate)]
    Io(std::sync::Arc<io::Error>),
}

#[test]
fn a_shared_error_delegates_through_its_arc() {
    let reset = Shared::Io(std::sync::Arc::new(io::ErrorKind::ConnectionReset.into()));
    assert_eq!(reset.clone().classify(), Classification::Transient);
}

#[derive(Debug, Transient)]
enum Empty {}

#[test]
fn an_empty_enum_derives() {
    fn assert_transient<T: Transient>() {}
    assert_transient::<Empty>();
}

/// An enum a `macro_rules!` writes, whose marks name its caller's function and field: under
/// macro hygiene the derive's own binding of the field must resolve where they are read.
macro_rules! status_error {
    ($name:ident, $classify:path, $hint:ident) => {
        #[derive(Debug, Transient)]
        enum $name {
            #[transient(with = $classify)]
            Status(u16),
            #[transient(throttled, retry_after = $hint)]
            Throttled { $hint: Option<Duration> },
        }
    };
}

status_error!(ApiError, is_rate_limit, wait);

#[test]
fn marks_written_by_a_macro_caller_classify() {
    assert_eq!(ApiError::Status(429).classify(), Classification::Throttled { retry_after: None });
    assert_eq!(ApiError::Status(404).classify(), Classification::Permanent);
    let second = Some(Duration::from_secs(1));
    assert_eq!(hint_of(ApiError::Throttled { wait: second }.classify()), second);
}
