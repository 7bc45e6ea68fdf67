//! The runtime's own refusals.

use std::io;
use std::time::Duration;

use crate::{Classification, Transient};

/// An attempt the runtime refused or cut short, rather than one the operation failed.
///
/// The runtime can return it only through an error type that can hold it: add a variant
/// `Rejected(#[from] resilient::Rejected)` marked `#[transient(delegate)]` to your error enum.
/// `std::io::Error` holds one already (see its `From<Rejected>` below).
///
/// ```
/// use std::time::Duration;
/// use resilient::{Classification, Rejected, Transient};
///
/// let timed_out = Rejected::AttemptTimedOut { timeout: Duration::from_secs(2) };
/// assert_eq!(timed_out.to_string(), "attempt timed out after 2s");
/// assert_eq!(timed_out.classify(), Classification::Transient);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejected {
    /// The circuit breaker of the policy is open: the service is failing, so the operation
    /// was not called. Never retried within the same call: waiting out the breaker is the
    /// caller's decision.
    #[error("{}", circuit_open(policy, *retry_in))]
    CircuitOpen {
        /// The policy whose breaker is open.
        policy: &'static str,
        /// Time until the breaker lets a probe through; zero while another call is the probe.
        retry_in: Duration,
    },
    /// An attempt ran past the policy's `attempt_timeout` (or the time left before
    /// `max_elapsed`) and was cancelled. Transient: the next attempt may be faster.
    #[error("attempt timed out after {}", to_the_millisecond(*timeout))]
    AttemptTimedOut {
        /// The limit that ran out.
        timeout: Duration,
    },
}

fn circuit_open(policy: &str, retry_in: Duration) -> String {
    if retry_in.is_zero() {
        // The break is over and another call is the probe: its outcome decides.
        format!("circuit breaker of policy `{policy}` is half-open; another call is probing the service")
    } else {
        format!("circuit breaker of policy `{policy}` is open; next probe in {}", to_the_millisecond(retry_in))
    }
}

/// A duration for a message, rounded up to the millisecond. The durations a call reports are
/// measured on the clock to the nanosecond (the break's end less now, the time left before a
/// deadline), and "next probe in 14s 999ms 999us 877ns" says no more than "15s". Rounded up,
/// so that time still to wait never reads as none.
pub(crate) fn to_the_millisecond(duration: Duration) -> String {
    let millis = duration.as_nanos().div_ceil(1_000_000);
    resilient_policy::format_duration(Duration::from_millis(u64::try_from(millis).unwrap_or(u64::MAX)))
}

/// A rejection as an I/O error, so that a `#[retry]` function returning `io::Result<T>` can
/// have an attempt timeout or a circuit breaker. Its kind classifies as the rejection does: a
/// timed-out attempt is [`TimedOut`](io::ErrorKind::TimedOut) (transient), an open breaker
/// [`Other`](io::ErrorKind::Other) (permanent). The rejection itself is the inner error.
///
/// ```
/// use std::{io, time::Duration};
/// use resilient::{Rejected, Transient};
///
/// let error = io::Error::from(Rejected::AttemptTimedOut { timeout: Duration::from_secs(2) });
/// assert_eq!(error.kind(), io::ErrorKind::TimedOut);
/// assert_eq!(error.to_string(), "attempt timed out after 2s");
/// assert!(matches!(error.get_ref().and_then(|inner| inner.downcast_ref()), Some(Rejected::AttemptTimedOut { .. })));
/// ```
impl From<Rejected> for io::Error {
    fn from(rejected: Rejected) -> Self {
        let kind = match rejected {
            Rejected::CircuitOpen { .. } => io::ErrorKind::Other,
            Rejected::AttemptTimedOut { .. } => io::ErrorKind::TimedOut,
        };
        io::Error::new(kind, rejected)
    }
}

impl Transient for Rejected {
    fn classify(&self) -> Classification {
        match self {
            Rejected::CircuitOpen { .. } => Classification::Permanent,
            Rejected::AttemptTimedOut { .. } => Classification::Transient,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_circuit_is_never_retried_within_the_call() {
        let open = Rejected::CircuitOpen { policy: "graph", retry_in: Duration::from_millis(1500) };
        assert_eq!(open.classify(), Classification::Permanent);
        assert_eq!(open.to_string(), "circuit breaker of policy `graph` is open; next probe in 1s 500ms");
        let probing = Rejected::CircuitOpen { policy: "graph", retry_in: Duration::ZERO };
        assert_eq!(
            probing.to_string(),
            "circuit breaker of policy `graph` is half-open; another call is probing the service"
        );
    }

    #[test]
    fn as_an_io_error_a_rejection_classifies_as_itself() {
        let rejections = [
            Rejected::CircuitOpen { policy: "graph", retry_in: Duration::from_secs(3) },
            Rejected::AttemptTimedOut { timeout: Duration::from_secs(2) },
        ];
        for rejected in rejections {
            let error = io::Error::from(rejected.clone());
            assert_eq!(error.classify(), rejected.classify(), "{rejected:?}");
            assert_eq!(error.to_string(), rejected.to_string());
            assert_eq!(error.get_ref().and_then(|inner| inner.downcast_ref::<Rejected>()), Some(&rejected));
        }
    }

    #[test]
    fn durations_measured_to_the_nanosecond_read_to_the_millisecond() {
        let open = Rejected::CircuitOpen { policy: "graph", retry_in: Duration::from_nanos(14_999_999_877) };
        assert_eq!(open.to_string(), "circuit breaker of policy `graph` is open; next probe in 15s");
        let almost_over = Rejected::CircuitOpen { policy: "graph", retry_in: Duration::from_nanos(1) };
        assert_eq!(almost_over.to_string(), "circuit breaker of policy `graph` is open; next probe in 1ms");
        let timed_out = Rejected::AttemptTimedOut { timeout: Duration::from_nanos(1_234_567_891) };
        assert_eq!(timed_out.to_string(), "attempt timed out after 1s 235ms");
        let longest = Rejected::AttemptTimedOut { timeout: Duration::MAX };
        assert!(longest.to_string().starts_with("attempt timed out after "), "no overflow");
    }
}
