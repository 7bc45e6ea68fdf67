//! Counters per call site and per policy, and the snapshot [`Stats`] that reads them.
//!
//! A call site's counters are sharded: each thread writes its own row of them, so calls on
//! many threads never contend on one cache line, and no call (a retry included) pays for a
//! locked instruction. The failure path is hot too: in an outage every thread retries at once.

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::rejected::to_the_millisecond;

/// Shards per sharded counter: enough that the threads of a typical machine each get one.
pub(crate) const SHARDS: usize = 16;

/// Whole cache lines, so that two shards never share one.
#[repr(align(64))]
#[derive(Debug)]
struct Padded<R>(R);

/// A row of counters, all zero at first: one counter, or a call site's.
pub(crate) trait Row {
    /// Every counter zero.
    const ZERO: Self;
}

impl Row for AtomicU64 {
    const ZERO: Self = AtomicU64::new(0);
}

/// Counters that threads add to without contending, and that are read by summing: a row of
/// them (`R`) for each of the [`SHARDS`] slots, and one for the threads beyond.
///
/// A thread that holds one of the slots is its row's only writer, so it adds with a plain load
/// and store (no locked instruction, no shared cache line). Threads beyond that share the
/// overflow row, with an atomic add.
#[derive(Debug)]
pub(crate) struct Sharded<R = AtomicU64> {
    shards: [Padded<R>; SHARDS],
    overflow: Padded<R>,
}

/// Which slots are held, one bit each.
static HELD: AtomicU32 = AtomicU32::new(0);

const UNASSIGNED: usize = usize::MAX;
const NONE_FREE: usize = SHARDS;

thread_local! {
    /// This thread's slot. No destructor, so reading it is a plain thread-local load.
    static SLOT: Cell<usize> = const { Cell::new(UNASSIGNED) };
    /// Releases the slot when the thread exits; touched once, when the slot is claimed.
    static RELEASE: Release = const { Release };
}

struct Release;

impl Drop for Release {
    fn drop(&mut self) {
        give_back(SLOT.try_with(Cell::get).unwrap_or(UNASSIGNED));
    }
}

/// Frees slot `index` (if it is one) for other threads; this thread uses the overflow cell from
/// now on.
fn give_back(index: usize) {
    if index < SHARDS {
        HELD.fetch_and(!(1 << index), Relaxed);
    }
    let _ = SLOT.try_with(|slot| slot.set(NONE_FREE));
}

/// This thread's slot: an index below [`SHARDS`] that no other live thread holds, or
/// [`SHARDS`] when every slot is taken.
#[inline(always)]
pub(crate) fn shard() -> usize {
    let index = SLOT.with(Cell::get);
    if index != UNASSIGNED { index } else { assign() }
}

#[cold]
fn assign() -> usize {
    let index = claim();
    SLOT.with(|slot| slot.set(index));
    // Register the release; a thread already tearing down keeps the overflow cell instead.
    if index < SHARDS && RELEASE.try_with(|_| ()).is_err() {
        give_back(index);
        return NONE_FREE;
    }
    index
}

#[cold]
fn claim() -> usize {
    let mut held = HELD.load(Relaxed);
    loop {
        let free = (!held).trailing_zeros() as usize;
        if free >= SHARDS {
            return NONE_FREE;
        }
        match HELD.compare_exchange_weak(held, held | (1 << free), Relaxed, Relaxed) {
            Ok(_) => return free,
            Err(actual) => held = actual,
        }
    }
}

impl<R: Row> Sharded<R> {
    pub(crate) const fn new() -> Self {
        Sharded { shards: [const { Padded(R::ZERO) }; SHARDS], overflow: Padded(R::ZERO) }
    }

    /// Adds `n` to the `counter` of this thread's row.
    #[inline(always)]
    pub(crate) fn add(&self, counter: impl Fn(&R) -> &AtomicU64, n: u64) {
        // `move`: borrowed, `n` would be written to memory on every call, for the path out of
        // line to read.
        self.update(move |row, add| add(counter(row), n));
    }

    /// Adds to counters of this thread's row: `update` is given the row, and how to add to
    /// one of its counters. One test on the way through: whether this thread holds a slot. A
    /// thread that has none yet and one that found none free both take the way out of line.
    #[inline(always)]
    pub(crate) fn update(&self, update: impl FnOnce(&R, fn(&AtomicU64, u64))) {
        match self.shards.get(SLOT.with(Cell::get)) {
            Some(own) => update(&own.0, add_as_only_writer),
            None => self.update_without_slot(update),
        }
    }

    /// Claims this thread a slot if it has never asked for one, else adds to the overflow row.
    #[cold]
    #[inline(never)]
    fn update_without_slot(&self, update: impl FnOnce(&R, fn(&AtomicU64, u64))) {
        match self.shards.get(shard()) {
            Some(own) => update(&own.0, add_as_only_writer),
            None => update(&self.overflow.0, add_shared),
        }
    }

    /// The `counter` summed over the rows.
    pub(crate) fn sum_of(&self, counter: impl Fn(&R) -> &AtomicU64) -> u64 {
        // Wrapping, as each row's additions are.
        self.shards
            .iter()
            .chain([&self.overflow])
            .map(|padded| counter(&padded.0).load(Relaxed))
            .fold(0, u64::wrapping_add)
    }
}

impl Sharded {
    /// Adds one.
    #[inline(always)]
    pub(crate) fn increment(&self) {
        self.add(|counter| counter, 1);
    }

    /// The total.
    pub(crate) fn sum(&self) -> u64 {
        self.sum_of(|counter| counter)
    }
}

/// Adds `n` to `counter`, of which this thread is the only writer: no locked instruction.
#[inline(always)]
fn add_as_only_writer(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Relaxed).wrapping_add(n), Relaxed);
}

/// Adds `n` to `counter`, which other threads write too.
fn add_shared(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Relaxed);
}

/// The counters of one `#[retry]` call site, sharded by thread. Attempts, the happy path's one
/// write, apart from the rest: each of the two rows a thread writes fills one cache line.
#[derive(Debug)]
pub(crate) struct SiteCounters {
    /// Every attempt, the first of each call included.
    attempts: Sharded,
    failures: Sharded<FailureRow>,
}

/// One thread's counts at a call site of what follows a failed attempt or a refusal.
#[derive(Debug)]
pub(crate) struct FailureRow {
    pub(crate) retries: AtomicU64,
    pub(crate) throttled_retries: AtomicU64,
    /// Calls that returned an error (given up, permanent, rejected, nested).
    pub(crate) failed_calls: AtomicU64,
    /// Calls that returned a retriable error: attempts, deadline, budget or breaker ran out.
    pub(crate) give_ups: AtomicU64,
    /// Calls refused by an open circuit breaker without calling the operation.
    pub(crate) rejections: AtomicU64,
    /// Retries refused by an empty retry budget.
    pub(crate) budget_refusals: AtomicU64,
    /// Calls that retried at least once, and their total elapsed time in nanoseconds.
    pub(crate) retried_calls: AtomicU64,
    pub(crate) retried_elapsed_ns: AtomicU64,
}

// One cache line: a counter added to this row would make it two, which works but costs memory.
const _: () = assert!(size_of::<Padded<FailureRow>>() == 64);

impl Row for FailureRow {
    const ZERO: Self = FailureRow {
        retries: AtomicU64::new(0),
        throttled_retries: AtomicU64::new(0),
        failed_calls: AtomicU64::new(0),
        give_ups: AtomicU64::new(0),
        rejections: AtomicU64::new(0),
        budget_refusals: AtomicU64::new(0),
        retried_calls: AtomicU64::new(0),
        retried_elapsed_ns: AtomicU64::new(0),
    };
}

impl SiteCounters {
    pub(crate) const fn new() -> Self {
        SiteCounters { attempts: Sharded::new(), failures: Sharded::new() }
    }

    /// Counts an attempt starting.
    #[inline(always)]
    pub(crate) fn attempt(&self) {
        self.attempts.increment();
    }

    /// Adds one to `counter`, in this thread's row.
    #[inline(always)]
    pub(crate) fn bump(&self, counter: impl Fn(&FailureRow) -> &AtomicU64) {
        self.failures.add(counter, 1);
    }

    /// Counts a call refused by an open circuit breaker. Out of line, as refusals are rare: it
    /// is counted from the code generated for each call site, where inlined it took registers
    /// from the happy path (26 instructions more a call, under a named policy).
    #[cold]
    #[inline(never)]
    pub(crate) fn refused(&self) {
        self.failures.update(|row, add| {
            add(&row.rejections, 1);
            add(&row.failed_calls, 1);
        });
    }

    /// Counts a call that retried and took `elapsed` in all.
    pub(crate) fn retried_call_took(&self, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.failures.update(|row, add| {
            add(&row.retried_calls, 1);
            add(&row.retried_elapsed_ns, nanos);
        });
    }

    /// `counter` summed over every thread's row.
    pub(crate) fn total(&self, counter: impl Fn(&FailureRow) -> &AtomicU64) -> u64 {
        self.failures.sum_of(counter)
    }

    pub(crate) fn snapshot(&self, policy: &'static str, operation: &'static str) -> OperationStats {
        // Read the failure-path counters first: a call counted there has counted its attempts
        // already, so `successes` never goes negative while calls run.
        let failed_calls = self.total(|row| &row.failed_calls);
        let retries = self.total(|row| &row.retries);
        let rejections = self.total(|row| &row.rejections);
        // Every call counts its first attempt when it starts, refused or not.
        let started = self.attempts.sum();
        let calls = started.saturating_sub(retries);
        let attempts = started.saturating_sub(rejections);
        OperationStats {
            policy,
            operation,
            calls,
            attempts,
            retries,
            throttled_retries: self.total(|row| &row.throttled_retries),
            successes: calls.saturating_sub(failed_calls),
            failures: failed_calls,
            give_ups: self.total(|row| &row.give_ups),
            rejections,
            budget_refusals: self.total(|row| &row.budget_refusals),
            retried_calls: self.total(|row| &row.retried_calls),
            retried_elapsed: Duration::from_nanos(self.total(|row| &row.retried_elapsed_ns)),
        }
    }
}

/// The counters of one operation (a `#[retry]` function, or those of one name in one module)
/// under its policy, since the process started. [`Stats`] shows them read after a call.
///
/// ```
/// for operation in &resilient::stats().operations {
///     // The share of calls that needed a retry, per `#[retry]` function:
///     let retried = operation.retried_calls as f64 / operation.calls.max(1) as f64;
///     println!("{} ({}): {:.0}% retried", operation.operation, operation.policy, retried * 100.0);
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OperationStats {
    /// The policy name (`inline` for an inline policy).
    pub policy: &'static str,
    /// `module::path::function`, or the name `#[retry(operation = "...")]` gives.
    pub operation: &'static str,
    /// Calls started.
    pub calls: u64,
    /// Attempts made, first attempts included (a call refused by an open breaker makes none).
    pub attempts: u64,
    /// Retries begun: failed attempts followed by a wait for the next. A retry that a circuit
    /// breaker, opened by other calls during the wait, then refuses is counted here and in
    /// `rejections`, but not in `attempts`; otherwise `attempts` is `calls` plus `retries`,
    /// less the calls refused outright.
    pub retries: u64,
    /// Retries after a throttled error.
    pub throttled_retries: u64,
    /// Calls that did not return an error (calls still running or cancelled included).
    pub successes: u64,
    /// Calls that returned an error, for whatever reason.
    pub failures: u64,
    /// Calls that returned a retriable error because attempts, the deadline, the retry budget
    /// or the circuit breaker ran out.
    pub give_ups: u64,
    /// Calls refused by an open circuit breaker without calling the operation.
    pub rejections: u64,
    /// Retries refused by an empty retry budget (each also ends its call as a give-up).
    pub budget_refusals: u64,
    /// Calls that retried at least once and have finished.
    pub retried_calls: u64,
    /// The total elapsed time of those calls.
    pub retried_elapsed: Duration,
}

impl OperationStats {
    /// Adds `other`'s counts to these: another call site of the same policy and operation.
    pub(crate) fn absorb(&mut self, other: &OperationStats) {
        // Destructured, so that a counter added later cannot be left out here.
        let OperationStats {
            policy: _,
            operation: _,
            calls,
            attempts,
            retries,
            throttled_retries,
            successes,
            failures,
            give_ups,
            rejections,
            budget_refusals,
            retried_calls,
            retried_elapsed,
        } = other;
        self.calls += calls;
        self.attempts += attempts;
        self.retries += retries;
        self.throttled_retries += throttled_retries;
        self.successes += successes;
        self.failures += failures;
        self.give_ups += give_ups;
        self.rejections += rejections;
        self.budget_refusals += budget_refusals;
        self.retried_calls += retried_calls;
        self.retried_elapsed = self.retried_elapsed.saturating_add(*retried_elapsed);
    }
}

/// One line: the operation, its policy, then each counter by name, as in
/// ``shop::stock (policy `inventory`): calls 3, attempts 5, retries 2 (throttled 0), ...``.
impl fmt::Display for OperationStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let OperationStats {
            policy,
            operation,
            calls,
            attempts,
            retries,
            throttled_retries,
            successes,
            failures,
            give_ups,
            rejections,
            budget_refusals,
            retried_calls,
            retried_elapsed,
        } = self;
        write!(
            f,
            "{operation} (policy `{policy}`): calls {calls}, attempts {attempts}, retries {retries} (throttled {throttled_retries}), \
             successes {successes}, failures {failures}, give-ups {give_ups}, rejections {rejections}, \
             budget refusals {budget_refusals}, retried calls {retried_calls} ({} in all)",
            to_the_millisecond(*retried_elapsed)
        )
    }
}

/// The state of a circuit breaker, in its [`BreakerStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
///
/// ```
/// use resilient::BreakerState;
///
/// assert_eq!(BreakerState::HalfOpen.to_string(), "half-open"); // as the breaker's events say it
/// ```
pub enum BreakerState {
    /// Calls go through; outcomes are counted.
    Closed,
    /// Calls are rejected until the break is over.
    Open,
    /// One probe call goes through; its outcome closes or re-opens the breaker.
    HalfOpen,
}

/// `closed`, `open` or `half-open`, the words of the breaker's `tracing` events.
impl fmt::Display for BreakerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half-open",
        })
    }
}

/// A circuit breaker's state and transitions, since the process started. [`Stats`] shows them
/// read after a call.
///
/// ```
/// for breaker in &resilient::stats().breakers {
///     if breaker.state != resilient::BreakerState::Closed {
///         eprintln!("{breaker}"); // circuit breaker of policy `graph`: open (opened 1, ...)
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BreakerStats {
    /// The policy name.
    pub policy: &'static str,
    /// The state now.
    pub state: BreakerState,
    /// Transitions to open (from closed or from a failed probe).
    pub opened: u64,
    /// Transitions to half-open.
    pub half_opened: u64,
    /// Transitions to closed (a successful probe).
    pub closed: u64,
}

/// One line, as in ``circuit breaker of policy `inventory`: closed (opened 2, half-opened 2,
/// closed 1)``.
impl fmt::Display for BreakerStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let BreakerStats { policy, state, opened, half_opened, closed } = self;
        write!(
            f,
            "circuit breaker of policy `{policy}`: {state} (opened {opened}, half-opened {half_opened}, closed {closed})"
        )
    }
}

/// A snapshot of every counter: per operation, and per circuit breaker. See
/// [`stats`](crate::stats).
///
/// ```
/// use resilient::{BreakerState, CircuitBreakerSettings, Policy, Registry, Transient, retry};
///
/// #[derive(Debug, Transient)]
/// enum Error {
///     #[transient]
///     Unavailable,
///     #[transient(delegate)]
///     Rejected(resilient::Rejected),
/// }
/// impl From<resilient::Rejected> for Error {
///     fn from(rejected: resilient::Rejected) -> Self {
///         Error::Rejected(rejected)
///     }
/// }
///
/// #[retry(policy = "inventory")]
/// fn count_stock(calls: &mut u32) -> Result<u32, Error> {
///     *calls += 1;
///     if *calls == 1 { Err(Error::Unavailable) } else { Ok(42) }
/// }
///
/// let immediate = Policy::builder().max_attempts(2).backoff(resilient::Backoff::Immediate).build()?;
/// resilient::install(
///     Registry::builder()
///         .policy("inventory", immediate)
///         .circuit_breaker("inventory", CircuitBreakerSettings::default())
///         .build()?,
/// );
/// assert_eq!(count_stock(&mut 0).unwrap(), 42);
///
/// let stats = resilient::stats();
/// let operation = stats.operation(concat!(module_path!(), "::count_stock")).unwrap();
/// assert_eq!((operation.policy, operation.calls, operation.attempts), ("inventory", 1, 2));
/// assert_eq!((operation.retries, operation.successes, operation.retried_calls), (1, 1, 1));
/// let breaker = stats.breaker("inventory").unwrap();
/// assert_eq!((breaker.state, breaker.opened), (BreakerState::Closed, 0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// One entry per policy and operation, sorted by policy then operation. `#[retry]`
    /// functions that share both (implementations of one trait method in one module) are
    /// counted together, as their events and metrics are labelled alike, unless one is named
    /// apart with `#[retry(operation = "...")]`.
    pub operations: Vec<OperationStats>,
    /// One entry per policy name with a circuit breaker in a registry installed so far (the
    /// newest breaker of each name), sorted by policy.
    pub breakers: Vec<BreakerStats>,
}

impl Stats {
    /// The counters of `operation` (`module::path::function`), if it is a `#[retry]` function
    /// (under the first policy by name, if functions of that name use several).
    ///
    /// ```
    /// let stats = resilient::stats();
    /// // A function `fetch` in this module, if it has `#[retry]` and was called:
    /// if let Some(fetch) = stats.operation(concat!(module_path!(), "::fetch")) {
    ///     println!("{} retries in {} calls", fetch.retries, fetch.calls);
    /// }
    /// ```
    pub fn operation(&self, operation: &str) -> Option<&OperationStats> {
        self.operations.iter().find(|stats| stats.operation == operation)
    }

    /// The breaker of `policy`, if an installed registry gave it one.
    ///
    /// ```
    /// use resilient::{BreakerState, CircuitBreakerSettings, Registry};
    ///
    /// let registry = Registry::builder().circuit_breaker("stats-doc", CircuitBreakerSettings::default()).build()?;
    /// resilient::install(registry);
    /// let breaker = resilient::stats().breaker("stats-doc").cloned().unwrap();
    /// assert_eq!((breaker.state, breaker.opened), (BreakerState::Closed, 0));
    /// # Ok::<(), resilient::ConfigError>(())
    /// ```
    pub fn breaker(&self, policy: &str) -> Option<&BreakerStats> {
        self.breakers.iter().find(|stats| stats.policy == policy)
    }
}

/// One line per operation, then one per circuit breaker, in the order of the snapshot; nothing
/// for an empty snapshot. For a log line or a debug page; the `metrics` feature exports the
/// same counters to a metrics system.
///
/// ```
/// use resilient::{Transient, retry};
///
/// #[derive(Debug, Transient)]
/// #[transient]
/// struct Busy;
///
/// #[retry(max_attempts = 2, backoff = "immediate")]
/// fn reserve(tries: &mut u32) -> Result<u32, Busy> {
///     *tries += 1;
///     if *tries == 1 { Err(Busy) } else { Ok(*tries) }
/// }
///
/// reserve(&mut 0).unwrap();
/// let line = resilient::stats().operation(concat!(module_path!(), "::reserve")).unwrap().to_string();
/// // Ends with the time the retried calls took, to the millisecond: "(1ms in all)".
/// assert!(line.contains("::reserve (policy `inline`): calls 1, attempts 2, retries 1 (throttled 0), \
///     successes 1, failures 0, give-ups 0, rejections 0, budget refusals 0, retried calls 1 ("));
/// println!("{}", resilient::stats());
/// ```
impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let operations = self.operations.iter().map(|operation| operation as &dyn fmt::Display);
        let breakers = self.breakers.iter().map(|breaker| breaker as &dyn fmt::Display);
        for (index, line) in operations.chain(breakers).enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{line}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sharded_counts_add_up_across_threads() {
        let _alone = SLOT_TESTS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        static COUNTER: Sharded = Sharded::new();
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| (0..10_000).for_each(|_| COUNTER.increment()));
            }
        });
        assert_eq!(COUNTER.sum(), 80_000);
    }

    #[test]
    fn live_threads_hold_different_slots_and_free_them_on_exit() {
        let _alone = SLOT_TESTS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // The threads of the slot test that ran before may still hold their slots: a scoped
        // thread gives its slot back in a thread-local destructor, which can run after
        // `scope` has returned. Wait for two free slots, one for each thread here.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while HELD.load(Relaxed).count_ones() as usize > SHARDS - 2 && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        let first = shard();
        assert!(first < SHARDS, "a slot is free for this thread");
        assert_eq!(first, shard(), "a thread keeps its slot");
        let (tx, rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let other = std::thread::spawn(move || {
            tx.send(shard()).unwrap();
            done_rx.recv().unwrap();
        });
        let second = rx.recv().unwrap();
        assert_ne!(first, second, "two live threads never share a slot");
        done_tx.send(()).unwrap();
        other.join().unwrap();
        assert_eq!(HELD.load(Relaxed) & (1 << second), 0, "an exited thread's slot is free again");
    }

    #[test]
    fn a_sites_rows_add_up_across_more_threads_than_slots() {
        static COUNTERS: SiteCounters = SiteCounters::new();
        on_more_threads_than_slots(|| {
            COUNTERS.attempt();
            COUNTERS.bump(|row| &row.retries);
            COUNTERS.retried_call_took(Duration::from_millis(2));
            COUNTERS.refused();
        });
        let calls = 40 * ROUNDS as u64;
        assert_eq!(COUNTERS.attempts.sum(), calls);
        let totals = [
            COUNTERS.total(|row| &row.retries),
            COUNTERS.total(|row| &row.rejections),
            COUNTERS.total(|row| &row.failed_calls),
            COUNTERS.total(|row| &row.retried_calls),
        ];
        assert_eq!(totals, [calls; 4]);
        assert_eq!(COUNTERS.total(|row| &row.retried_elapsed_ns), calls * 2_000_000);
    }

    #[test]
    fn more_threads_than_slots_still_count_exactly() {
        static COUNTER: Sharded = Sharded::new();
        on_more_threads_than_slots(|| COUNTER.increment());
        assert_eq!(COUNTER.sum(), 40 * ROUNDS as u64);
    }

    #[test]
    fn a_snapshot_displays_one_line_per_operation_then_per_breaker() {
        let operation = |operation, calls| OperationStats {
            policy: "inventory",
            operation,
            calls,
            attempts: 7,
            retries: 3,
            throttled_retries: 1,
            successes: 4,
            failures: 1,
            give_ups: 1,
            rejections: 0,
            budget_refusals: 2,
            retried_calls: 2,
            retried_elapsed: Duration::from_micros(1_234_500),
        };
        let breaker =
            BreakerStats { policy: "inventory", state: BreakerState::HalfOpen, opened: 2, half_opened: 1, closed: 0 };
        let stats = Stats {
            operations: vec![operation("shop::stock", 5), operation("shop::order", 1)],
            breakers: vec![breaker],
        };
        assert_eq!(
            stats.to_string(),
            "shop::stock (policy `inventory`): calls 5, attempts 7, retries 3 (throttled 1), successes 4, \
             failures 1, give-ups 1, rejections 0, budget refusals 2, retried calls 2 (1s 235ms in all)\n\
             shop::order (policy `inventory`): calls 1, attempts 7, retries 3 (throttled 1), successes 4, \
             failures 1, give-ups 1, rejections 0, budget refusals 2, retried calls 2 (1s 235ms in all)\n\
             circuit breaker of policy `inventory`: half-open (opened 2, half-opened 1, closed 0)"
        );
        assert_eq!(Stats::default().to_string(), "");
        assert_eq!([BreakerState::Closed, BreakerState::Open].map(|state| state.to_string()), ["closed", "open"]);
    }

    /// Taken by the tests whose threads claim slots and by the one that watches a slot freed,
    /// which would otherwise find every slot taken, or see its slot claimed again at once by
    /// another test's thread.
    static SLOT_TESTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// How many times each of the 40 threads counts (fewer under Miri, a thousand times slower).
    const ROUNDS: usize = if cfg!(miri) { 100 } else { 1000 };

    /// Runs `count` [`ROUNDS`] times on each of 40 threads, more than there are slots, started
    /// together so that the overflow row is written by many threads at once.
    fn on_more_threads_than_slots(count: impl Fn() + Sync) {
        let _alone = SLOT_TESTS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let barrier = std::sync::Barrier::new(40);
        std::thread::scope(|scope| {
            for _ in 0..40 {
                scope.spawn(|| {
                    barrier.wait();
                    (0..ROUNDS).for_each(|_| count());
                });
            }
        });
    }
}
