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

    /// The problem with this window under `policy`, if it is shorter than twice the attempt
    /// timeout: then a slow outage is never seen whole.
    pub(crate) fn window_problem(&self, policy: &crate::Policy) -> Option<String> {
        let timeout = policy.attempt_timeout()?;
        (self.sampling_window < timeout * 2).then(|| {
            format!(
                "the sampling window ({}) is shorter than twice the attempt timeout ({}), so a slow outage is never seen whole; make `sampling_window` at least {}",
                resilient_policy::format_duration(self.sampling_window),
                resilient_policy::format_duration(timeout),
                resilient_policy::format_duration(timeout * 2)
            )
        })
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
    /// One row per counter slot, plus one shared by threads without a slot.
    cells: [[std::sync::atomic::AtomicU64; BUCKETS as usize]; crate::counters::SHARDS + 1],
}

/// The start of a quiet period (no failure in the window).
#[derive(Debug, Default)]
struct Quiet {
    /// When it began; `None` until the first pass of a new breaker reads the clock once.
    since: Option<u64>,
    passes_before: u64,
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
        self.add_n(now, 1);
    }

    /// Every cell of `other`, a window of the same width: its counts, in the same buckets.
    fn copy_from(&self, other: &Buckets) {
        use std::sync::atomic::Ordering::Relaxed;
        for (row, other_row) in self.cells.iter().zip(&other.cells) {
            for (cell, other_cell) in row.iter().zip(other_row) {
                cell.store(other_cell.load(Relaxed), Relaxed);
            }
        }
    }

    /// Adds `n` outcomes to the bucket of `now`.
    fn add_n(&self, now: u64, n: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        let epoch = now / self.width;
        let slot = crate::counters::shard();
        let cell = &self.cells[slot][(epoch % BUCKETS) as usize];
        let tag = Self::tag(epoch) << COUNT_BITS;
        let fresh = |current: u64| if current & !COUNT_MASK == tag { current + n } else { tag | n };
        if slot < crate::counters::SHARDS {
            // This thread is the row's only writer.
            cell.store(fresh(cell.load(Relaxed)), Relaxed);
        } else {
            let _ = cell.fetch_update(Relaxed, Relaxed, |current| Some(fresh(current)));
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
    /// The policy name, for the breaker's events.
    policy: &'static str,
    pub(crate) settings: CircuitBreakerSettings,
    state: std::sync::atomic::AtomicU8,
    opened_at: std::sync::atomic::AtomicU64,
    /// Buckets before this epoch were counted before the breaker last closed.
    floor: std::sync::atomic::AtomicU64,
    /// Outcomes that are not failures: successes and permanent errors.
    passes: Buckets,
    /// Whether the window may hold a failure. While it holds none, a pass only increments
    /// `quiet_passes` (no clock read): the ratio cannot move until a failure comes, and the
    /// failure that ends the quiet period accounts for them (see `on_failure`).
    active: std::sync::atomic::AtomicBool,
    quiet_passes: crate::counters::Sharded,
    /// When the quiet period began, and `quiet_passes` then.
    quiet: std::sync::Mutex<Quiet>,
    /// Whether the first quiet period's start is known.
    started: std::sync::atomic::AtomicBool,
    /// When the last failure was recorded.
    last_failure: std::sync::atomic::AtomicU64,
    /// Transient and throttled failures.
    failures: Buckets,
    pub(crate) opened: std::sync::atomic::AtomicU64,
    pub(crate) half_opened: std::sync::atomic::AtomicU64,
    pub(crate) closed: std::sync::atomic::AtomicU64,
}

impl Breaker {
    pub(crate) fn new(policy: &'static str, settings: CircuitBreakerSettings) -> Self {
        use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64};
        Breaker {
            policy,
            passes: Buckets::new(settings.sampling_window),
            failures: Buckets::new(settings.sampling_window),
            active: AtomicBool::new(false),
            quiet_passes: crate::counters::Sharded::new(),
            quiet: std::sync::Mutex::new(Quiet::default()),
            started: AtomicBool::new(false),
            last_failure: AtomicU64::new(0),
            settings,
            state: AtomicU8::new(CLOSED),
            opened_at: AtomicU64::new(0),
            floor: AtomicU64::new(0),
            opened: AtomicU64::new(0),
            half_opened: AtomicU64::new(0),
            closed: AtomicU64::new(0),
        }
    }

    /// A breaker under new settings that goes on from `previous`, the one a reload replaces
    /// (its policy's breaker or budget settings changed): an open breaker stays open until
    /// its break ends, and the transitions counted so far carry on. A reload during an
    /// outage, to tune the budget or lengthen the break, must not let the outage's traffic
    /// through a fresh, closed breaker. A probe still running under `previous` reports
    /// there, so here the probe is free again. The outcomes in the window carry on too while
    /// the window keeps its length (a reload that tunes the budget, the ratio or the break):
    /// a closed breaker an outage is filling opens when it would have. A window of another
    /// length starts empty, as its buckets do not line up with the old ones.
    pub(crate) fn succeeding(previous: &Breaker, settings: CircuitBreakerSettings) -> Breaker {
        use std::sync::atomic::Ordering::{Acquire, Relaxed};
        let same_window = settings.sampling_window == previous.settings.sampling_window;
        let breaker = Breaker::new(previous.policy, settings);
        if same_window {
            breaker.carry_window(previous);
        }
        let state = match previous.state.load(Acquire) {
            PROBING => HALF_OPEN,
            state => state,
        };
        breaker.state.store(state, Relaxed);
        breaker.opened_at.store(previous.opened_at.load(Acquire), Relaxed);
        for (count, before) in [
            (&breaker.opened, &previous.opened),
            (&breaker.half_opened, &previous.half_opened),
            (&breaker.closed, &previous.closed),
        ] {
            count.store(before.load(Relaxed), Relaxed);
        }
        breaker
    }

    /// Copies `previous`'s window of outcomes, bucket layout and all, and its quiet period:
    /// the passes counted since its window last held a failure. Outcomes `previous` records
    /// while this runs, or after, stay with it.
    fn carry_window(&self, previous: &Breaker) {
        use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
        self.passes.copy_from(&previous.passes);
        self.failures.copy_from(&previous.failures);
        self.floor.store(previous.floor.load(Acquire), Relaxed);
        self.last_failure.store(previous.last_failure.load(Relaxed), Relaxed);
        let quiet = previous.quiet.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // This breaker's quiet count starts from zero: the current quiet period's passes.
        let quiet_passes = previous.quiet_passes.sum().saturating_sub(quiet.passes_before);
        self.quiet_passes.add(|counter| counter, quiet_passes);
        *self.quiet.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) =
            Quiet { since: quiet.since, passes_before: 0 };
        self.started.store(previous.started.load(Relaxed), Relaxed);
        self.active.store(previous.active.load(Acquire), Release);
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
                    self.transition_event(crate::BreakerState::HalfOpen);
                    return Admission::Probe;
                }
                Admission::Rejected(Duration::ZERO)
            }
            HALF_OPEN if self.state.compare_exchange(HALF_OPEN, PROBING, AcqRel, Acquire).is_ok() => Admission::Probe,
            _ => Admission::Rejected(Duration::ZERO),
        }
    }

    /// An attempt that did not fail the service (a success, or a permanent error: the caller's
    /// fault, not the service's). Reads the time only while the window holds a failure, or for
    /// a probe.
    #[inline]
    pub(crate) fn on_pass(&self, now: impl FnOnce() -> u64, probe: bool) {
        use std::sync::atomic::Ordering::{Acquire, Relaxed};
        if !probe && !self.active.load(Acquire) {
            self.quiet_passes.increment();
            if !self.started.load(Relaxed) {
                self.start(now);
            }
            return;
        }
        let now = now();
        self.passes.add(now);
        if probe {
            self.close(now);
        } else if self.last_failure.load(Relaxed).saturating_add(self.settings.sampling_window.as_nanos() as u64) <= now
        {
            self.fall_quiet(now);
        }
    }

    /// The first pass of a new breaker: when its quiet period began.
    #[cold]
    fn start(&self, now: impl FnOnce() -> u64) {
        let mut quiet = self.quiet.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        quiet.since.get_or_insert_with(now);
        self.started.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// The last failure has left the window: stop timing passes until the next failure.
    #[cold]
    fn fall_quiet(&self, now: u64) {
        let mut quiet = self.quiet.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.active.swap(false, std::sync::atomic::Ordering::AcqRel) {
            *quiet = Quiet { since: Some(now), passes_before: self.quiet_passes.sum() };
        }
    }

    /// A failure ends a quiet period: the passes counted during it go into the window. They
    /// happened between its start and now; when it began longer than a window ago, the share
    /// that falls in the window is estimated as if they were evenly spread.
    #[cold]
    fn wake(&self, now: u64) {
        let mut quiet = self.quiet.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.active.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        let total = self.quiet_passes.sum();
        let passes = total - quiet.passes_before;
        // Another thread may have begun the quiet period with a reading of the clock taken
        // after this thread's `now`: the passes then all fall at `now`.
        let since = quiet.since.unwrap_or(now).min(now);
        // The window as `sum` counts it: whole buckets.
        let window_start = (now / self.passes.width + 1).saturating_sub(BUCKETS) * self.passes.width;
        // Spread the passes evenly over the quiet period, and keep the share in the window.
        let from = since.max(window_start);
        let per_nano = passes as f64 / (now - since).max(1) as f64;
        let mut placed = 0.0;
        for epoch in from / self.passes.width..=now / self.passes.width {
            let start = (epoch * self.passes.width).max(from);
            let end = ((epoch + 1) * self.passes.width).min(now).max(start);
            let cumulative = placed + per_nano * (end - start) as f64;
            let count = (cumulative.round() - placed.round()) as u64;
            placed = cumulative;
            if count > 0 {
                self.passes.add_n(start, count);
            }
        }
        if since == now && passes > 0 {
            // All at once (the clock did not move): they are all in the window.
            self.passes.add_n(now, passes);
        }
        *quiet = Quiet { since: Some(now), passes_before: total };
        self.active.store(true, std::sync::atomic::Ordering::Release);
    }

    /// A transient or throttled failure. Opens the breaker when the window holds at least
    /// `minimum_throughput` outcomes and the failure ratio reaches `failure_ratio`; a failed
    /// probe re-opens it.
    pub(crate) fn on_failure(&self, now: u64, probe: bool) {
        use std::sync::atomic::Ordering::{AcqRel, Acquire};
        if !self.active.load(Acquire) {
            self.wake(now);
        }
        self.last_failure.fetch_max(now, std::sync::atomic::Ordering::Relaxed);
        self.failures.add(now);
        if probe {
            if self.state.compare_exchange(PROBING, OPEN, AcqRel, Acquire).is_ok() {
                self.opened_at.store(now, std::sync::atomic::Ordering::Release);
                self.opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.open_event("the probe failed", 1, 1);
            }
            return;
        }
        if self.state.load(Acquire) != CLOSED {
            return;
        }
        let floor = self.floor.load(Acquire);
        let failures = self.failures.sum(now, floor);
        let outcomes = failures + self.passes.sum(now, floor);
        // The ratio as a quotient, not `failures >= failure_ratio * outcomes`: a quotient is
        // rounded once, to the double nearest the true ratio, which is then the very double
        // the configured ratio parses to when the two are equal; the product rounds up past
        // the count at some (7 of 100 failures against 0.07 read 7 < 7.000000000000001).
        // `outcomes` is at least `minimum_throughput`, at least 1, before the division.
        let tripped = outcomes >= u64::from(self.settings.minimum_throughput)
            && failures as f64 / outcomes as f64 >= self.settings.failure_ratio;
        if tripped && self.state.compare_exchange(CLOSED, OPEN, AcqRel, Acquire).is_ok() {
            self.opened_at.store(now, std::sync::atomic::Ordering::Release);
            self.opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.open_event("the failure ratio was reached", failures, outcomes);
        }
    }

    fn close(&self, now: u64) {
        use std::sync::atomic::Ordering::{AcqRel, Acquire, Release};
        // Outcomes from before the break belong to the outage, not to the recovered service.
        self.floor.store(now / self.passes.width + 1, Release);
        if self.state.compare_exchange(PROBING, CLOSED, AcqRel, Acquire).is_ok() {
            self.closed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.transition_event(crate::BreakerState::Closed);
        }
    }

    /// A probe that ended without an outcome (its call was cancelled): let another call probe.
    pub(crate) fn release_probe(&self) {
        use std::sync::atomic::Ordering::{AcqRel, Acquire};
        let _ = self.state.compare_exchange(PROBING, HALF_OPEN, AcqRel, Acquire);
    }

    fn open_event(&self, reason: &str, failures: u64, outcomes: u64) {
        tracing::warn!(
            target: "resilient",
            policy = self.policy,
            failures,
            outcomes,
            break_ms = self.settings.break_duration.as_millis() as u64,
            "circuit breaker opened: {reason}"
        );
    }

    /// The state as `BreakerState` displays it, the words of the statistics too.
    fn transition_event(&self, state: crate::BreakerState) {
        tracing::info!(target: "resilient", policy = self.policy, state = %state, "circuit breaker {state}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn breaker(ratio: f64, throughput: u32) -> Breaker {
        Breaker::new(
            "p",
            CircuitBreakerSettings {
                failure_ratio: ratio,
                minimum_throughput: throughput,
                sampling_window: Duration::from_secs(10),
                break_duration: Duration::from_secs(5),
            },
        )
    }

    #[test]
    fn opens_exactly_when_ratio_and_throughput_are_both_met() {
        let b = breaker(0.5, 10);
        for t in 0..5 {
            b.on_pass(|| t * MS, false);
        }
        for t in 5..9 {
            b.on_failure(t * MS, false);
            assert!(b.is_closed(), "{} outcomes are below the throughput", t + 1);
        }
        b.on_failure(9 * MS, false);
        assert_eq!(b.state(), crate::BreakerState::Open, "10 outcomes, 5 failures: both met");

        let below_ratio = breaker(0.5, 10);
        for t in 0..6 {
            below_ratio.on_pass(|| t * MS, false);
        }
        for t in 6..10 {
            below_ratio.on_failure(t * MS, false);
        }
        assert!(below_ratio.is_closed(), "10 outcomes but a ratio of 0.4");
    }

    #[test]
    fn a_failure_ratio_met_exactly_opens_whatever_its_rounding() {
        // 0.07 × 100, 0.14 × 50 and 0.28 × 25 round up in floating point, past 7.
        for (ratio, outcomes) in [(0.07, 100), (0.14, 50), (0.28, 25), (0.5, 20), (1.0, 3)] {
            let b = breaker(ratio, outcomes);
            let failures = (ratio * f64::from(outcomes)).round() as u64;
            let mut t = 0;
            for _ in failures..u64::from(outcomes) {
                b.on_pass(|| t * MS, false);
                t += 1;
            }
            for _ in 1..failures {
                b.on_failure(t * MS, false);
                t += 1;
            }
            assert!(b.is_closed(), "{ratio}: an outcome short of the throughput");
            b.on_failure(t * MS, false);
            assert_eq!(b.state(), crate::BreakerState::Open, "{failures} failures of {outcomes} reach {ratio}");
        }
    }

    #[test]
    fn a_successor_stays_open_with_the_same_break_and_frees_a_running_probe() {
        let b = breaker(0.5, 2);
        b.on_failure(0, false);
        b.on_failure(MS, false);
        let longer = CircuitBreakerSettings { break_duration: Duration::from_secs(8), ..b.settings.clone() };
        let next = Breaker::succeeding(&b, longer.clone());
        assert_eq!(next.state(), crate::BreakerState::Open);
        assert_eq!(next.opened.load(std::sync::atomic::Ordering::Relaxed), 1, "the transitions carry on");
        // Opened at 1 ms: the new break of 8 s ends at 8001 ms.
        assert_eq!(next.admit(|| 2 * MS), Admission::Rejected(Duration::from_nanos(7_999 * MS)));
        assert_eq!(next.admit(|| 8_001 * MS), Admission::Probe);

        // A probe held under the old breaker reports there: the successor's probe is free.
        assert_eq!(b.admit(|| 5_001 * MS), Admission::Probe);
        let after_probe = Breaker::succeeding(&b, longer);
        assert_eq!(after_probe.state(), crate::BreakerState::HalfOpen);
        assert_eq!(after_probe.admit(|| 5_002 * MS), Admission::Probe);
    }

    #[test]
    fn a_successor_with_the_same_window_keeps_its_outcomes() {
        // 4 of 10 outcomes failed, below the ratio of a half: the breaker is closed but filling.
        let b = breaker(0.5, 10);
        (0..6).for_each(|i| b.on_pass(|| i * MS, false));
        (6..10).for_each(|i| b.on_failure(i * MS, false));
        assert!(b.is_closed());
        // A reload tunes only the break: the 10 outcomes stay in the window, and the next
        // two failures make 6 of 12.
        let next = Breaker::succeeding(
            &b,
            CircuitBreakerSettings { break_duration: Duration::from_secs(9), ..b.settings.clone() },
        );
        next.on_failure(10 * MS, false);
        assert!(next.is_closed(), "5 of 11");
        next.on_failure(11 * MS, false);
        assert_eq!(next.state(), crate::BreakerState::Open, "6 of 12");

        // Passes counted while the window held no failure carry on as well.
        let quiet = breaker(0.5, 4);
        (0..3).for_each(|i| quiet.on_pass(|| i * MS, false));
        let next = Breaker::succeeding(&quiet, quiet.settings.clone());
        (3..5).for_each(|i| next.on_failure(i * MS, false));
        assert!(next.is_closed(), "2 of 5: the 3 quiet passes count");
        next.on_failure(5 * MS, false);
        assert_eq!(next.state(), crate::BreakerState::Open, "3 of 6");

        // Another window length starts empty.
        let longer = CircuitBreakerSettings { sampling_window: Duration::from_secs(20), ..b.settings.clone() };
        let fresh = Breaker::succeeding(&b, longer);
        (10..19).for_each(|i| fresh.on_failure(i * MS, false));
        assert!(fresh.is_closed(), "9 outcomes, below the minimum throughput of 10");
    }

    #[test]
    fn the_window_slides() {
        let b = breaker(0.5, 4);
        b.on_failure(0, false);
        b.on_failure(MS, false);
        // 10 s later the two failures have left the window.
        b.on_pass(|| 10_500 * MS, false);
        b.on_failure(10_600 * MS, false);
        b.on_failure(10_700 * MS, false);
        assert!(b.is_closed(), "3 outcomes in the window: the first two failures have left it");
        b.on_failure(10_800 * MS, false);
        assert_eq!(b.state(), crate::BreakerState::Open, "3 failures of 4 outcomes");
    }

    #[test]
    fn half_open_lets_one_probe_through_and_its_outcome_decides() {
        let b = breaker(0.5, 2);
        b.on_failure(0, false);
        b.on_failure(MS, false);
        assert_eq!(b.admit(|| 2 * MS), Admission::Rejected(Duration::from_nanos(5_000 * MS - MS)));
        assert_eq!(b.admit(|| 5_001 * MS), Admission::Probe);
        assert_eq!(b.admit(|| 5_001 * MS), Admission::Rejected(Duration::ZERO), "one probe at a time");
        b.on_failure(5_002 * MS, true);
        assert_eq!(b.state(), crate::BreakerState::Open, "a failed probe re-opens");
        assert!(matches!(b.admit(|| 6_000 * MS), Admission::Rejected(_)));
        assert_eq!(b.admit(|| 10_002 * MS), Admission::Probe);
        b.on_pass(|| 10_003 * MS, true);
        assert!(b.is_closed(), "a successful probe closes");
        // The outage's failures no longer count.
        b.on_failure(10_004 * MS, false);
        assert!(b.is_closed());
        assert_eq!(
            (b.opened.load(std::sync::atomic::Ordering::Relaxed), b.closed.load(std::sync::atomic::Ordering::Relaxed)),
            (2, 1)
        );
    }

    #[test]
    fn passes_of_a_quiet_period_count_when_the_next_failure_comes() {
        let b = breaker(0.5, 4);
        b.on_pass(|| 1_000 * MS, false);
        for t in 2..=3 {
            b.on_pass(|| panic!("a quiet breaker reads the clock only once, at its first pass: {t}"), false);
        }
        b.on_failure(4_000 * MS, false);
        b.on_failure(5_000 * MS, false);
        assert!(b.is_closed(), "2 failures of 5 outcomes");
        b.on_failure(6_000 * MS, false);
        assert_eq!(b.state(), crate::BreakerState::Open, "3 failures of 6 outcomes");
    }

    #[test]
    fn a_failure_timed_before_the_quiet_period_began_still_counts_its_passes() {
        // Threads read the clock before they report: a failure can carry an earlier time than
        // the pass that began the quiet period on another thread.
        let b = breaker(0.5, 2);
        b.on_pass(|| 2_000 * MS, false);
        b.on_failure(1_000 * MS, false);
        assert_eq!(b.state(), crate::BreakerState::Open, "1 failure of 2 outcomes: the pass is counted");
    }

    #[test]
    fn a_quiet_period_longer_than_the_window_counts_its_share() {
        let b = breaker(0.5, 4);
        // 101 passes over 100 s, then failures: about 10 of the passes fall in the 10 s window.
        b.on_pass(|| 0, false);
        (1..=100).for_each(|_| b.on_pass(|| unreachable!(), false));
        for n in 0..9 {
            b.on_failure(100_500 * MS + n, false);
        }
        assert!(b.is_closed(), "9 failures against about 10 passes");
        b.on_failure(100_500 * MS + 9, false);
        assert_eq!(b.state(), crate::BreakerState::Open, "10 failures against about 10 passes");
    }

    #[test]
    fn the_window_falls_quiet_again_when_its_failures_leave() {
        let b = breaker(0.5, 100);
        b.on_failure(0, false);
        b.on_pass(|| 5_000 * MS, false);
        b.on_pass(|| 10_000 * MS, false);
        b.on_pass(|| panic!("quiet again: no clock"), false);
    }

    #[test]
    fn a_cancelled_probe_lets_another_call_probe() {
        let b = breaker(0.5, 1);
        b.on_failure(0, false);
        assert_eq!(b.admit(|| 6_000 * MS), Admission::Probe);
        b.release_probe();
        assert_eq!(b.admit(|| 6_000 * MS), Admission::Probe);
    }
}
