//! Circuit breaker settings: when a policy stops calling a service that is failing.

use std::time::Duration;

/// The settings of a policy's circuit breaker (`[policies.NAME.circuit_breaker]`).
///
/// Closed → open when, within `sampling_window`, at least `minimum_throughput` outcomes were
/// seen and the share of transient or throttled failures reaches `failure_ratio`; open →
/// half-open after `break_duration`; half-open lets one probe through.
///
/// ```
/// use std::time::Duration;
/// use resilient::CircuitBreakerSettings;
///
/// let mut breaker = CircuitBreakerSettings::default();
/// breaker.failure_ratio = 0.25;
/// breaker.break_duration = Duration::from_secs(5);
/// assert_eq!(breaker.minimum_throughput, 20);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CircuitBreakerSettings {
    /// The share of transient or throttled failures, in (0, 1], that opens the breaker.
    pub failure_ratio: f64,
    /// The outcomes needed within the window before the ratio counts.
    pub minimum_throughput: u32,
    /// The sliding window over which outcomes are counted.
    pub sampling_window: Duration,
    /// How long the breaker stays open before it lets a probe through.
    pub break_duration: Duration,
}

impl Default for CircuitBreakerSettings {
    /// Opens at 50 % failures over at least 20 calls in 30 s; stays open 15 s.
    fn default() -> Self {
        CircuitBreakerSettings {
            failure_ratio: 0.5,
            minimum_throughput: 20,
            sampling_window: Duration::from_secs(30),
            break_duration: Duration::from_secs(15),
        }
    }
}

impl CircuitBreakerSettings {
    /// Every rule broken, as `(key, message)`.
    pub(crate) fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if !(self.failure_ratio > 0.0 && self.failure_ratio <= 1.0) {
            problems.push((
                "failure_ratio",
                format!("expected a number in (0, 1], found {}; e.g. `failure_ratio = 0.5`", self.failure_ratio),
            ));
        }
        if self.minimum_throughput == 0 {
            problems.push((
                "minimum_throughput",
                "expected an integer >= 1, found 0; e.g. `minimum_throughput = 20`".to_owned(),
            ));
        }
        for (key, value) in [("sampling_window", self.sampling_window), ("break_duration", self.break_duration)] {
            if value.is_zero() {
                problems.push((key, format!("expected a duration above zero, found \"0s\"; e.g. `{key} = \"30s\"`")));
            }
        }
        problems
    }
}
