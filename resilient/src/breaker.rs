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
/// let breaker = CircuitBreakerSettings { failure_ratio: 0.25, break_duration: Duration::from_secs(5), ..Default::default() };
/// assert_eq!(breaker.minimum_throughput, 20);
/// ```
#[derive(Debug, Clone, PartialEq)]
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

/// Buckets per sampling window: outcomes leave the window a tenth of it at a time.
const BUCKETS: u64 = 10;
const TAG_BITS: u32 = 24;
const COUNT_BITS: u32 = 64 - TAG_BITS;
const COUNT_MASK: u64 = (1 << COUNT_BITS) - 1;

/// Counts per time bucket over the sampling window, sharded by thread like the other counters
/// so that recording an outcome never contends across threads. Each cell packs the bucket's
/// epoch (low bits of its index in time) with its count, so a stale bucket is reset in place.
#[derive(Debug)]
struct Buckets {
    width: u64,
    cells: [[std::sync::atomic::AtomicU64; BUCKETS as usize]; crate::counters::SHARDS],
}

impl Buckets {
    fn new(window: Duration) -> Self {
        let width = (window.as_nanos() as u64 / BUCKETS).max(1);
        Buckets { width, cells: std::array::from_fn(|_| std::array::from_fn(|_| std::sync::atomic::AtomicU64::new(0))) }
    }

    fn tag(epoch: u64) -> u64 {
        epoch & ((1 << TAG_BITS) - 1)
    }

    fn add(&self, now: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        let epoch = now / self.width;
        let cell = &self.cells[crate::counters::shard()][(epoch % BUCKETS) as usize];
        let tag = Self::tag(epoch);
        let mut current = cell.load(Relaxed);
        loop {
            if current >> COUNT_BITS == tag {
                cell.fetch_add(1, Relaxed);
                return;
            }
            // The bucket holds an older epoch: start it afresh with this outcome.
            match cell.compare_exchange_weak(current, (tag << COUNT_BITS) | 1, Relaxed, Relaxed) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// Outcomes in the window ending at `now`, not counting buckets before `floor` (the epoch
    /// at which the breaker last closed).
    fn sum(&self, now: u64, floor: u64) -> u64 {
        use std::sync::atomic::Ordering::Relaxed;
        let now_epoch = now / self.width;
        let oldest = (now_epoch + 1).saturating_sub(BUCKETS).max(floor);
        (oldest..=now_epoch)
            .map(|epoch| {
                let tag = Self::tag(epoch);
                self.cells
                    .iter()
                    .map(|shard| shard[(epoch % BUCKETS) as usize].load(Relaxed))
                    .filter(|cell| cell >> COUNT_BITS == tag)
                    .map(|cell| cell & COUNT_MASK)
                    .sum::<u64>()
            })
            .sum()
    }
}

// The state and the probe in one atomic byte, so that every transition is one compare-and-swap
// and two callers can never both hold the probe.
const CLOSED: u8 = 0;
const OPEN: u8 = 1;
/// Half-open, the probe free (its last holder was cancelled).
const HALF_OPEN: u8 = 2;
/// Half-open, the probe taken.
const PROBING: u8 = 3;

/// May a call go through the breaker?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Yes.
    Admitted,
    /// Yes, as the one probe of a half-open breaker: its outcome decides.
    Probe,
    /// No: the breaker is open for this much longer (zero while another call probes).
    Rejected(Duration),
}

/// The state machine of one policy's circuit breaker. Times are nanoseconds on the caller's
/// clock since the breaker's origin (see `state::PolicyState::now`).
#[derive(Debug)]
pub(crate) struct Breaker {
    pub(crate) settings: CircuitBreakerSettings,
    state: std::sync::atomic::AtomicU8,
    opened_at: std::sync::atomic::AtomicU64,
    /// Buckets before this epoch were counted before the breaker last closed.
    floor: std::sync::atomic::AtomicU64,
    /// Outcomes that are not failures: successes and permanent errors.
    passes: Buckets,
    /// Transient and throttled failures.
    failures: Buckets,
    pub(crate) opened: std::sync::atomic::AtomicU64,
    pub(crate) half_opened: std::sync::atomic::AtomicU64,
    pub(crate) closed: std::sync::atomic::AtomicU64,
}

impl Breaker {
    pub(crate) fn new(settings: CircuitBreakerSettings) -> Self {
        use std::sync::atomic::{AtomicU8, AtomicU64};
        Breaker {
            passes: Buckets::new(settings.sampling_window),
            failures: Buckets::new(settings.sampling_window),
            settings,
            state: AtomicU8::new(CLOSED),
            opened_at: AtomicU64::new(0),
            floor: AtomicU64::new(0),
            opened: AtomicU64::new(0),
            half_opened: AtomicU64::new(0),
            closed: AtomicU64::new(0),
        }
    }

    pub(crate) fn state(&self) -> crate::BreakerState {
        match self.state.load(std::sync::atomic::Ordering::Acquire) {
            CLOSED => crate::BreakerState::Closed,
            OPEN => crate::BreakerState::Open,
            _ => crate::BreakerState::HalfOpen,
        }
    }

    /// Whether the breaker is closed: the happy path's one load.
    #[inline]
    pub(crate) fn is_closed(&self) -> bool {
        self.state.load(std::sync::atomic::Ordering::Acquire) == CLOSED
    }

    /// Whether a call may go through at `now`. Only an open breaker reads the time.
    pub(crate) fn admit(&self, now: impl FnOnce() -> u64) -> Admission {
        use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};
        match self.state.load(Acquire) {
            CLOSED => Admission::Admitted,
            OPEN => {
                let now = now();
                let reopens =
                    self.opened_at.load(Acquire).saturating_add(self.settings.break_duration.as_nanos() as u64);
                if now < reopens {
                    return Admission::Rejected(Duration::from_nanos(reopens - now));
                }
                if self.state.compare_exchange(OPEN, PROBING, AcqRel, Acquire).is_ok() {
                    self.half_opened.fetch_add(1, Relaxed);
                    self.transition_event("half-open");
                    return Admission::Probe;
                }
                Admission::Rejected(Duration::ZERO)
            }
            HALF_OPEN if self.state.compare_exchange(HALF_OPEN, PROBING, AcqRel, Acquire).is_ok() => Admission::Probe,
            _ => Admission::Rejected(Duration::ZERO),
        }
    }

    /// An attempt that did not fail the service (a success, or a permanent error: the caller's
    /// fault, not the service's).
    pub(crate) fn on_pass(&self, now: u64, probe: bool) {
        self.passes.add(now);
        if probe {
            self.close(now);
        }
    }

    /// A transient or throttled failure. Opens the breaker when the window holds at least
    /// `minimum_throughput` outcomes and the failure ratio reaches `failure_ratio`; a failed
    /// probe re-opens it.
    pub(crate) fn on_failure(&self, now: u64, probe: bool, policy: &str) {
        use std::sync::atomic::Ordering::{AcqRel, Acquire};
        self.failures.add(now);
        if probe {
            if self.state.compare_exchange(PROBING, OPEN, AcqRel, Acquire).is_ok() {
                self.opened_at.store(now, std::sync::atomic::Ordering::Release);
                self.opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.open_event(policy, "the probe failed", 1, 1);
            }
            return;
        }
        if self.state.load(Acquire) != CLOSED {
            return;
        }
        let floor = self.floor.load(Acquire);
        let failures = self.failures.sum(now, floor);
        let outcomes = failures + self.passes.sum(now, floor);
        let tripped = outcomes >= u64::from(self.settings.minimum_throughput)
            && failures as f64 >= self.settings.failure_ratio * outcomes as f64;
        if tripped && self.state.compare_exchange(CLOSED, OPEN, AcqRel, Acquire).is_ok() {
            self.opened_at.store(now, std::sync::atomic::Ordering::Release);
            self.opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.open_event(policy, "the failure ratio was reached", failures, outcomes);
        }
    }

    fn close(&self, now: u64) {
        use std::sync::atomic::Ordering::{AcqRel, Acquire, Release};
        // Outcomes from before the break belong to the outage, not to the recovered service.
        self.floor.store(now / self.passes.width + 1, Release);
        if self.state.compare_exchange(PROBING, CLOSED, AcqRel, Acquire).is_ok() {
            self.closed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.transition_event("closed");
        }
    }

    /// A probe that ended without an outcome (its call was cancelled): let another call probe.
    pub(crate) fn release_probe(&self) {
        use std::sync::atomic::Ordering::{AcqRel, Acquire};
        let _ = self.state.compare_exchange(PROBING, HALF_OPEN, AcqRel, Acquire);
    }

    fn open_event(&self, policy: &str, reason: &str, failures: u64, outcomes: u64) {
        tracing::warn!(
            target: "resilient",
            policy,
            failures,
            outcomes,
            break_ms = self.settings.break_duration.as_millis() as u64,
            "circuit breaker opened: {reason}"
        );
    }

    fn transition_event(&self, state: &str) {
        tracing::info!(target: "resilient", state, "circuit breaker {state}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn breaker(ratio: f64, throughput: u32) -> Breaker {
        Breaker::new(CircuitBreakerSettings {
            failure_ratio: ratio,
            minimum_throughput: throughput,
            sampling_window: Duration::from_secs(10),
            break_duration: Duration::from_secs(5),
        })
    }

    #[test]
    fn opens_exactly_when_ratio_and_throughput_are_both_met() {
        let b = breaker(0.5, 10);
        for t in 0..5 {
            b.on_pass(t * MS, false);
        }
        for t in 5..9 {
            b.on_failure(t * MS, false, "p");
            assert!(b.is_closed(), "{} outcomes are below the throughput", t + 1);
        }
        b.on_failure(9 * MS, false, "p");
        assert_eq!(b.state(), crate::BreakerState::Open, "10 outcomes, 5 failures: both met");

        let below_ratio = breaker(0.5, 10);
        for t in 0..6 {
            below_ratio.on_pass(t * MS, false);
        }
        for t in 6..10 {
            below_ratio.on_failure(t * MS, false, "p");
        }
        assert!(below_ratio.is_closed(), "10 outcomes but a ratio of 0.4");
    }

    #[test]
    fn the_window_slides() {
        let b = breaker(0.5, 4);
        b.on_failure(0, false, "p");
        b.on_failure(MS, false, "p");
        // 10 s later the two failures have left the window.
        b.on_pass(10_500 * MS, false);
        b.on_failure(10_600 * MS, false, "p");
        b.on_failure(10_700 * MS, false, "p");
        assert!(b.is_closed(), "3 outcomes in the window: the first two failures have left it");
        b.on_failure(10_800 * MS, false, "p");
        assert_eq!(b.state(), crate::BreakerState::Open, "3 failures of 4 outcomes");
    }

    #[test]
    fn half_open_lets_one_probe_through_and_its_outcome_decides() {
        let b = breaker(0.5, 2);
        b.on_failure(0, false, "p");
        b.on_failure(MS, false, "p");
        assert_eq!(b.admit(|| 2 * MS), Admission::Rejected(Duration::from_nanos(5_000 * MS - MS)));
        assert_eq!(b.admit(|| 5_001 * MS), Admission::Probe);
        assert_eq!(b.admit(|| 5_001 * MS), Admission::Rejected(Duration::ZERO), "one probe at a time");
        b.on_failure(5_002 * MS, true, "p");
        assert_eq!(b.state(), crate::BreakerState::Open, "a failed probe re-opens");
        assert!(matches!(b.admit(|| 6_000 * MS), Admission::Rejected(_)));
        assert_eq!(b.admit(|| 10_002 * MS), Admission::Probe);
        b.on_pass(10_003 * MS, true);
        assert!(b.is_closed(), "a successful probe closes");
        // The outage's failures no longer count.
        b.on_failure(10_004 * MS, false, "p");
        assert!(b.is_closed());
        assert_eq!(
            (b.opened.load(std::sync::atomic::Ordering::Relaxed), b.closed.load(std::sync::atomic::Ordering::Relaxed)),
            (2, 1)
        );
    }

    #[test]
    fn a_cancelled_probe_lets_another_call_probe() {
        let b = breaker(0.5, 1);
        b.on_failure(0, false, "p");
        assert_eq!(b.admit(|| 6_000 * MS), Admission::Probe);
        b.release_probe();
        assert_eq!(b.admit(|| 6_000 * MS), Admission::Probe);
    }
}
