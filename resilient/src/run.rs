//! The retry loop's decisions, asked step by step by the code `#[retry]` generates:
//!
//! ```text
//! let mut call = Call::begin(&SITE);                 // or Call::under(|| &POLICY) for an inline policy
//! loop {
//!     let result = match call.start_attempt(&SITE, holds_rejection) {
//!         Ok(()) => call.attempt(&SITE, holds_rejection, async { body }, |rejected| home(rejected)).await,
//!         Err(refusal) => return refusal.into_result(&SITE, home),   // the breaker is open
//!     };                                             // a plain fn: Ok(()) => run_attempt(|| body)
//!     if result.is_ok() {
//!         call.passed(&SITE);
//!         return result;                             // as the body left it, not moved through a step
//!     }
//!     match call.after(&SITE, result, display) {
//!         Step::Done(result) => return result,
//!         Step::Wait(delay) => call.wait(delay).await,    // or call.wait_blocking(delay)
//!     }
//! }
//! ```
//!
//! The body stays in the caller's function, so `return`, `?` and re-borrowing `&mut self` for
//! each attempt keep their meaning, and the caller's future stays `Send` when the body is.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use crate::backoff;
use crate::breaker::Admission;
use crate::registry::{CallSite, PolicyEntry};
use crate::telemetry::{self, ErrorText, GiveUp, NoHome};
use crate::{Classification, Nested, Rejected, Transient};

/// The clock a call reads: tokio's for `async fn` (so a paused test clock is exact), the
/// system's for plain `fn`. Both give standard instants (tokio's wraps one).
pub trait Clock {
    /// Now.
    fn now() -> Instant;
    /// Time since `start`.
    fn since(start: Instant) -> Duration {
        Self::now().saturating_duration_since(start)
    }
    /// Whether this thread can wait on this clock now. Asked only before a wait or before an
    /// attempt's timer is set, never for an attempt that finishes when first polled.
    fn can_wait() -> bool {
        true
    }

    /// Whether a call on this clock can cut an attempt off at its timeout: an async one can,
    /// a blocking one cannot, and needs no clock at its start for a timeout it never keeps.
    const LIMITS_ATTEMPTS: bool = true;
}

/// tokio's clock, for `async fn`.
#[derive(Debug)]
pub enum TokioClock {}

impl Clock for TokioClock {
    fn now() -> Instant {
        tokio::time::Instant::now().into_std()
    }

    /// tokio's timer needs a tokio runtime: outside one (`futures::executor::block_on`, another
    /// executor) making it panics. (A runtime built without `enable_time()` still panics there,
    /// with tokio's own message naming the fix: tokio 1.54 cannot be asked whether a runtime
    /// has its time driver. tokio-rs/tokio#8361 asks for `Handle::has_time_driver`, and the
    /// open pull request #8362 adds it: once released, this should ask it too.)
    fn can_wait() -> bool {
        tokio::runtime::Handle::try_current().is_ok()
    }
}

/// The system clock, for plain `fn`.
#[derive(Debug)]
pub enum StdClock {}

impl Clock for StdClock {
    fn now() -> Instant {
        Instant::now()
    }

    const LIMITS_ATTEMPTS: bool = false;
}

thread_local! {
    /// How many retrying attempts are running on this thread right now. An attempt raises it
    /// for as long as its body is being polled (or called), so a call begun inside that body
    /// (same task, same thread) knows it is nested. Spawned tasks are polled elsewhere and
    /// retry on their own, as they should.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Raises [`DEPTH`] until dropped, unwinding included.
struct InsideAttempt;

impl InsideAttempt {
    #[inline(always)]
    fn enter() -> Self {
        DEPTH.with(|depth| depth.set(depth.get() + 1));
        InsideAttempt
    }
}

impl Drop for InsideAttempt {
    #[inline(always)]
    fn drop(&mut self) {
        DEPTH.with(|depth| depth.set(depth.get() - 1));
    }
}

/// What the generated loop does next.
#[derive(Debug)]
pub enum Step<R> {
    /// Return this from the function.
    Done(R),
    /// Wait this long, then make another attempt.
    Wait(Duration),
}

/// The circuit breaker refused an attempt: the call ends without running its body again,
/// with the error [`into_result`](Self::into_result) makes.
#[derive(Debug)]
#[must_use = "a refused call returns the error its refusal makes"]
pub struct Refusal {
    /// How long until the breaker lets a probe through.
    retry_in: Duration,
}

impl Refusal {
    /// Counts the refusal, and makes the function's result: [`Rejected::CircuitOpen`] in its
    /// error type, through `home`.
    #[cold]
    pub fn into_result<T, E>(self, site: &'static CallSite, home: Option<fn(Rejected) -> E>) -> Result<T, E> {
        site.state.counters.refused();
        Err(rejection_into(home, Rejected::CircuitOpen { policy: site.policy_name(), retry_in: self.retry_in }))
    }
}

/// `rejected` in the function's error type. A call is refused, or its attempt timed, only when
/// that type can hold a [`Rejected`] (`home` is then `Some`).
pub fn rejection_into<E>(home: Option<fn(Rejected) -> E>, rejected: Rejected) -> E {
    match home {
        Some(home) => home(rejected),
        None => unreachable!("attempts are timed or refused only when the error type can hold a rejection"),
    }
}

/// Flags of a [`Call`], in one byte.
mod flag {
    /// Made inside another retrying call's attempt: one attempt only.
    pub const NESTED: u8 = 1;
    /// This call holds the probe of a half-open circuit breaker.
    pub const PROBE: u8 = 2;
    /// The last attempt ran out of its `attempt_timeout`. Cleared as a timed attempt starts.
    pub const TIMED_OUT: u8 = 4;
}

/// Where a call finds its policy. Generated code passes the call site's resolved entry for a
/// named policy, and for an inline one a closure that names the policy's constant: the entry
/// is then known to the compiler at every step (a stored address would be read back from the
/// caller's future after each await), which drops the checks for what the policy does not
/// have, and takes no room in the future.
pub trait PolicySource: Copy {
    /// The entry of the policy the call runs under.
    fn entry(self) -> &'static PolicyEntry;
}

impl PolicySource for &'static PolicyEntry {
    #[inline(always)]
    fn entry(self) -> &'static PolicyEntry {
        self
    }
}

impl<F: Fn() -> &'static PolicyEntry + Copy> PolicySource for F {
    #[inline(always)]
    fn entry(self) -> &'static PolicyEntry {
        self()
    }
}

/// The state of one call of an annotated function, across its attempts. Kept to 24 bytes (16
/// under an inline policy): it lives in the caller's future. The call site is not stored but
/// passed to each step by generated code, where it is the address of a `static`, a constant.
pub struct Call<C: Clock, S: PolicySource = &'static PolicyEntry> {
    source: S,
    progress: Progress<C>,
}

impl<C: Clock + fmt::Debug, S: PolicySource> fmt::Debug for Call<C, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call").field("entry", self.source.entry()).field("progress", &self.progress).finish()
    }
}

/// What a call has done so far, apart from its policy: the steps out of line take the policy's
/// entry as an argument, so that they are compiled once, not once per call site.
#[derive(Debug)]
struct Progress<C: Clock> {
    /// Attempts started so far.
    attempts: u32,
    flags: u8,
    /// The clock state, boxed (the thread's spare, when it has one): taken at the start for a
    /// policy with a deadline or an attempt timeout; otherwise when the first attempt first
    /// has to wait (async), or at the first failure. A policy with neither reads no clock and
    /// touches no clock state when the first attempt succeeds at once.
    clocked: Option<Pin<Box<Clocked>>>,
    clock: PhantomData<C>,
}

/// The time of one step of a call, read from the clock `C` when first asked for: a failure
/// needs it for the call's start, the breaker, the budget, the deadline and the give-up event,
/// and one read serves them all.
struct LazyNow<C: Clock> {
    now: Option<Instant>,
    clock: PhantomData<C>,
}

impl<C: Clock> Default for LazyNow<C> {
    fn default() -> Self {
        LazyNow { now: None, clock: PhantomData }
    }
}

impl<C: Clock> LazyNow<C> {
    fn get(&mut self) -> Instant {
        *self.now.get_or_insert_with(C::now)
    }
}

/// What a call needs once time matters.
struct Clocked {
    /// When the call started. Without a deadline or a timeout to start the clock with the call:
    /// when its first attempt first had to wait (async), or failed without waiting.
    start: Instant,
    /// The previous delay, for decorrelated jitter (set by the first retry).
    previous_delay: Duration,
    /// Whether the call's attempts are limited by its attempt timeout.
    limited: bool,
    /// The limit of the running attempt, for [`Rejected::AttemptTimedOut`].
    limit: Duration,
    /// When the running attempt runs out of time, until its timer is set to it. The timer is
    /// set only when the body first has to wait: an attempt that finishes in its first poll
    /// (the happy path) neither makes nor resets a timer.
    attempt_due: Option<Instant>,
    /// A reading of the clock taken in the step under way (the call's start, or the failure
    /// just handled) and not yet used. The attempt limit or the wait set next, before anything
    /// awaits, starts from it instead of reading the clock again: a timed call reads the clock
    /// once before its first attempt, and a wait ends exactly where the failure's deadline
    /// check put it.
    reading: Option<Instant>,
    /// One timer for the attempt timeouts and the waits, which never overlap; reset each time.
    timer: Option<tokio::time::Sleep>,
}

impl fmt::Debug for Clocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clocked").field("previous_delay", &self.previous_delay).field("limit", &self.limit).finish()
    }
}

thread_local! {
    /// The clock state of the last call on this thread that had one, kept for the next: a
    /// thread that retries again and again allocates it once, not once a call.
    static SPARE: Cell<Option<Pin<Box<Clocked>>>> = const { Cell::new(None) };
}

impl Clocked {
    /// Clock state for a call starting at `start`: this thread's spare if it has one, else a
    /// new one. `reading` is `start` if it was read in the step under way (and may serve the
    /// limit or wait set next), or `None`.
    fn start(start: Instant, reading: Option<Instant>) -> Pin<Box<Self>> {
        match SPARE.try_with(Cell::take) {
            Ok(Some(mut spare)) => {
                // Field by field: the timer (released with the spare) is most of the state's
                // size, and writing the whole state anew would copy it for nothing.
                // SAFETY: only fields that are not structurally pinned are written.
                let state = unsafe { spare.as_mut().get_unchecked_mut() };
                (state.start, state.limited, state.limit, state.attempt_due, state.reading) =
                    (start, false, Duration::ZERO, None, reading);
                spare
            }
            _ => Self::new_boxed(start, reading),
        }
    }

    /// A new clock state: the thread's first, or one made while another call holds the spare.
    /// Out of line, so that taking the spare, the usual case, needs no stack frame for the
    /// state built here.
    #[cold]
    #[inline(never)]
    fn new_boxed(start: Instant, reading: Option<Instant>) -> Pin<Box<Self>> {
        Box::pin(Clocked {
            start,
            previous_delay: Duration::ZERO,
            limited: false,
            limit: Duration::ZERO,
            attempt_due: None,
            reading,
            timer: None,
        })
    }

    /// Clock state for a call whose first attempt has to wait: its start is now, so that the
    /// elapsed time of a call that comes to retry covers that attempt. Out of line: only a body
    /// that waits gets here, and it has just returned to the runtime.
    #[cold]
    #[inline(never)]
    fn started_by_wait<C: Clock>() -> Pin<Box<Self>> {
        // The reading is kept as the start only: the failure, when it comes, is later.
        Self::start(C::now(), None)
    }

    /// Keeps `clocked` as this thread's spare. Its timer is dropped now rather than when the
    /// spare is reused: it holds on to the runtime that made it, which may be gone by then.
    #[inline(never)]
    fn release(mut clocked: Pin<Box<Self>>) {
        clocked.as_mut().timer_slot().set(None);
        // Unavailable only while the thread is exiting: the box is then simply freed.
        let _ = SPARE.try_with(|spare| spare.set(Some(clocked)));
    }

    /// Limits the attempt starting at `from` to `limit`. Its timer is set later, if at all
    /// ([`attempt_timer`](Self::attempt_timer)).
    fn limit_attempt(self: Pin<&mut Self>, from: Instant, limit: Duration) {
        // SAFETY: `limit` and `attempt_due` are not structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        (this.limited, this.limit, this.attempt_due) = (true, limit, Some(from + limit));
    }

    /// Keeps `now`, read in the step under way, for the limit or wait set next (`None`: nothing
    /// read).
    fn keep_reading(self: Pin<&mut Self>, now: Option<Instant>) {
        // SAFETY: `reading` is not structurally pinned.
        unsafe { self.get_unchecked_mut().reading = now };
    }

    /// Now: the step's reading if there is one not yet used, else the clock `C`'s.
    fn now<C: Clock>(self: Pin<&mut Self>) -> Instant {
        // SAFETY: `reading` is not structurally pinned.
        unsafe { self.get_unchecked_mut().reading.take() }.unwrap_or_else(C::now)
    }

    /// The timer's place, pinned.
    fn timer_slot(self: Pin<&mut Self>) -> Pin<&mut Option<tokio::time::Sleep>> {
        // SAFETY: `timer` is structurally pinned: it is never moved out of the pinned box, only
        // replaced in place through `Pin::set` or reset.
        unsafe { self.map_unchecked_mut(|clocked| &mut clocked.timer) }
    }

    /// The timer, set to go off at `deadline`.
    fn timer(self: Pin<&mut Self>, deadline: Instant) -> Pin<&mut tokio::time::Sleep> {
        let deadline = tokio::time::Instant::from_std(deadline);
        let mut timer = self.timer_slot();
        match timer.as_mut().as_pin_mut() {
            Some(sleep) => sleep.reset(deadline),
            None => timer.set(Some(tokio::time::sleep_until(deadline))),
        }
        timer.as_pin_mut().expect("set just above")
    }

    /// The running attempt's timer, set to the attempt's limit the first time it is asked for;
    /// `None` if the clock `C` cannot wait on this thread, and the attempt then runs untimed.
    fn attempt_timer<C: Clock>(mut self: Pin<&mut Self>) -> Option<Pin<&mut tokio::time::Sleep>> {
        // SAFETY: `attempt_due` and `limited` are not structurally pinned.
        let this = unsafe { self.as_mut().get_unchecked_mut() };
        match this.attempt_due.take() {
            Some(due) if C::can_wait() => Some(self.timer(due)),
            Some(_) => {
                this.limited = false;
                None
            }
            None => {
                Some(self.timer_slot().as_pin_mut().expect("an attempt's timer is set the first time its body waits"))
            }
        }
    }
}

impl<C: Clock> Call<C> {
    /// Starts a call at `site`, under the policy the site resolves to now.
    #[inline(always)]
    pub fn begin(site: &'static CallSite) -> Self {
        Self::under(site.entry())
    }
}

impl<C: Clock, S: PolicySource> Call<C, S> {
    /// Starts a call under the policy `source` gives: for an inline policy, a closure naming
    /// its constant, so that the compiler drops the checks for what the policy does not have.
    #[inline(always)]
    pub fn under(source: S) -> Self {
        let entry = source.entry();
        let nested = entry.policy.nested() == Nested::Single && DEPTH.with(Cell::get) > 0;
        // A plain `fn` keeps no attempt timeout: only a deadline needs its clock from the start.
        let timed = if C::LIMITS_ATTEMPTS { entry.timed } else { entry.policy.max_elapsed().is_some() };
        let clocked = if timed { Some(Progress::<C>::start_clock()) } else { None };
        if let Some(budget) = entry.shared.and_then(|shared| shared.budget.as_ref()) {
            budget.deposits.increment();
        }
        let flags = if nested { flag::NESTED } else { 0 };
        Call { source, progress: Progress { attempts: 0, flags, clocked, clock: PhantomData } }
    }

    /// Whether the next attempt is the last this call can make: owned arguments are moved
    /// into it instead of cloned.
    #[inline(always)]
    pub fn is_last_attempt(&self) -> bool {
        self.progress.attempts + 1 >= self.progress.max_attempts(self.source.entry())
    }

    /// Starts the next attempt: counts it and asks the circuit breaker, before every attempt.
    /// (A call that is retrying also asks before each wait, so as not to wait for a breaker
    /// that is open already; this asks again after the wait, in which the breaker may have
    /// opened.) A refusal needs an error type that can hold a [`Rejected`]
    /// (`holds_rejection`); without one the breaker cannot refuse, and that is logged once.
    #[inline(always)]
    pub fn start_attempt(&mut self, site: &'static CallSite, holds_rejection: bool) -> Result<(), Refusal> {
        site.state.counters.attempt();
        let progress = &mut self.progress;
        progress.attempts += 1;
        let Some(shared) = self.source.entry().shared else { return Ok(()) };
        let Some(breaker) = &shared.breaker else { return Ok(()) };
        if breaker.is_closed() {
            return Ok(());
        }
        match breaker.admit(|| shared.now::<C>()) {
            Admission::Admitted => Ok(()),
            Admission::Probe => {
                progress.flags |= flag::PROBE;
                Ok(())
            }
            Admission::Rejected(retry_in) if holds_rejection || report_no_home(site, NoHome::Breaker) => {
                if progress.attempts > 1 {
                    progress.refused_retry(site, retry_in);
                }
                Err(Refusal { retry_in })
            }
            Admission::Rejected(_) => Ok(()),
        }
    }

    /// Runs the started attempt of an async body, within the attempt timeout if there is one.
    /// It resolves to the body's own result, so that the generated loop can return a success
    /// as the body left it, without moving it through an outcome of its own.
    ///
    /// `timed_out` turns a [`Rejected::AttemptTimedOut`] into the function's error; it is a
    /// closure that captures nothing, and takes no room in the attempt. Without a home for
    /// rejections (`holds_rejection`), no timeout can be reported, so none is applied (and that
    /// is logged once).
    #[inline(always)]
    pub fn attempt<F, H>(
        &mut self,
        site: &'static CallSite,
        holds_rejection: bool,
        body: F,
        timed_out: H,
    ) -> Attempt<'_, C, F, H> {
        // The timeout first: an inline policy's is a constant, and without one the check folds away.
        let (policy, progress) = (&self.source.entry().policy, &mut self.progress);
        if let (Some(timeout), Some(clocked)) = (policy.attempt_timeout(), progress.clocked.as_mut()) {
            if holds_rejection || report_no_home(site, NoHome::Timeout) {
                // Only a timed attempt can time out: the mark of the last one goes here, off
                // the path of policies without a timeout.
                progress.flags &= !flag::TIMED_OUT;
                let now = clocked.as_mut().now::<C>();
                // The first attempt starts with the call, and no timeout is longer than the
                // deadline (validated); a later one may have less time left than its timeout.
                let limit = match policy.max_elapsed() {
                    Some(deadline) if progress.attempts > 1 => {
                        timeout.min(deadline.saturating_sub(now.saturating_duration_since(clocked.start)))
                    }
                    _ => timeout,
                };
                clocked.as_mut().limit_attempt(now, limit);
            }
        }
        Attempt { body, progress, timed_out }
    }

    /// Counts an attempt that returned `Ok`. The generated loop returns the result as it is,
    /// without passing it through [`after`](Self::after).
    #[inline(always)]
    pub fn passed(&mut self, site: &'static CallSite) {
        let entry = self.source.entry();
        if entry.shared.is_some() || self.progress.attempts > 1 {
            self.progress.succeeded(entry, site);
        }
    }

    /// Decides what follows a failed attempt: return the error, or wait and retry. (Given a
    /// success, counts it and returns it.) `display` formats the error for events.
    #[inline(always)]
    pub fn after<T, E: Transient>(
        &mut self,
        site: &'static CallSite,
        result: Result<T, E>,
        display: fn(&E, &mut fmt::Formatter<'_>) -> fmt::Result,
    ) -> Step<Result<T, E>> {
        self.after_classified(site, result, display, E::classify)
    }

    /// [`after`](Self::after), with the error classified by the call site's `classify` in
    /// place of its `Transient` impl.
    #[inline(always)]
    pub fn after_classified<T, E>(
        &mut self,
        site: &'static CallSite,
        result: Result<T, E>,
        display: fn(&E, &mut fmt::Formatter<'_>) -> fmt::Result,
        classify: impl FnOnce(&E) -> Classification,
    ) -> Step<Result<T, E>> {
        let error = match result {
            Ok(value) => {
                self.passed(site);
                return Step::Done(Ok(value));
            }
            Err(error) => error,
        };
        let entry = self.source.entry();
        match self.progress.after_failure(entry, site, classify(&error), &ErrorText(&error, display)) {
            Some(delay) => Step::Wait(delay),
            None => Step::Done(Err(error)),
        }
    }

    /// Waits before the next attempt (async), on the call's one timer: only the failure path
    /// pays for it, and the caller's future stays small. A zero delay does not touch the timer
    /// (whose resolution would turn it into a millisecond).
    pub fn wait(&mut self, delay: Duration) -> Wait<'_> {
        if delay.is_zero() {
            return Wait(None);
        }
        let clocked = self.progress.clocked.get_or_insert_with(Progress::<C>::start_clock);
        let from = clocked.as_mut().now::<C>();
        Wait(Some(clocked.as_mut().timer(from + delay)))
    }

    /// Waits before the next attempt (blocking).
    pub fn wait_blocking(&self, delay: Duration) {
        std::thread::sleep(delay);
    }
}

impl<C: Clock> Progress<C> {
    #[inline(always)]
    fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// This call's limit under `entry`: 1 when nested, `u32::MAX` when unbounded.
    #[inline(always)]
    fn max_attempts(&self, entry: &PolicyEntry) -> u32 {
        if self.has(flag::NESTED) { 1 } else { entry.policy.max_attempts().unwrap_or(u32::MAX) }
    }

    /// Clock state starting now. Out of line: the happy path of an untimed policy never needs it.
    #[inline(never)]
    fn start_clock() -> Pin<Box<Clocked>> {
        let now = C::now();
        Clocked::start(now, Some(now))
    }

    /// A successful attempt under `entry`, a policy with shared state, or after retries: out
    /// of line.
    #[inline(never)]
    fn succeeded(&mut self, entry: &PolicyEntry, site: &CallSite) {
        if let Some(shared) = entry.shared {
            if let Some(breaker) = &shared.breaker {
                breaker.on_pass(|| shared.now::<C>(), self.has(flag::PROBE));
            }
            self.flags &= !flag::PROBE;
        }
        if let (true, Some(clocked)) = (self.attempts > 1, &self.clocked) {
            site.state.counters.retried_call_took(C::since(clocked.start));
        }
    }

    /// A retry the breaker refused, having opened while the call waited: the call gives up
    /// retrying, as it would have before the wait had the breaker been open then, and returns
    /// [`Rejected::CircuitOpen`] (its [`Refusal`] counts the rejection and the failed call).
    #[cold]
    #[inline(never)]
    fn refused_retry(&self, site: &CallSite, retry_in: Duration) {
        let counters = &site.state.counters;
        counters.bump(|row| &row.give_ups);
        // A retrying call's clock started at its first failure at the latest.
        let elapsed = self.clocked.as_ref().map_or(Duration::ZERO, |clocked| C::since(clocked.start));
        counters.retried_call_took(elapsed);
        let rejection = Rejected::CircuitOpen { policy: site.policy_name(), retry_in };
        telemetry::giving_up(site, self.attempts - 1, elapsed, GiveUp::CircuitOpen, &rejection);
    }

    /// The failure path, out of line and free of `T` and `E`: the delay before the next
    /// attempt, or `None` to return the error. Reads the clock at most once.
    #[inline(never)]
    fn after_failure(
        &mut self,
        entry: &PolicyEntry,
        site: &CallSite,
        classification: Classification,
        error: &dyn fmt::Display,
    ) -> Option<Duration> {
        // An attempt that ran out of time is a transient failure, whatever its error says of
        // itself: an error type whose `From<Rejected>` lands in a permanent variant, or a
        // call-site classifier that does not look for `Rejected`, would otherwise end the call
        // and count a timeout as a success for the breaker. (The mark is cleared where the next
        // timed attempt starts, in `attempt`: checked here, it costs a retry nothing.)
        let classification = if self.has(flag::TIMED_OUT) { Classification::Transient } else { classification };
        let policy = &entry.policy;
        let (attempts, max_attempts) = (self.attempts, self.max_attempts(entry));
        let (nested, probe) = (self.has(flag::NESTED), self.has(flag::PROBE));
        let mut now = LazyNow::<C>::default();
        // Started here at the first failure of a call that had no need of the clock so far (an
        // untimed call whose first attempt did not wait).
        let clocked = self.clocked.get_or_insert_with(|| {
            let start = now.get();
            Clocked::start(start, Some(start))
        });
        let start = clocked.start;
        let shared = entry.shared;
        let breaker = shared.and_then(|shared| shared.breaker.as_ref().map(|breaker| (shared, breaker)));
        if let Some((shared, breaker)) = breaker {
            match classification {
                Classification::Permanent => breaker.on_pass(|| shared.nanos_at(now.get()), probe),
                _ => breaker.on_failure(shared.nanos_at(now.get()), probe),
            }
            self.flags &= !flag::PROBE;
        }
        let give_up = |reason, now: &mut LazyNow<C>| {
            let counters = &site.state.counters;
            counters.bump(|row| &row.failed_calls);
            if reason != GiveUp::Permanent {
                counters.bump(|row| &row.give_ups);
            }
            if reason == GiveUp::RetryBudget {
                counters.bump(|row| &row.budget_refusals);
            }
            // Read only if counted or reported, and then once (`LazyNow`).
            let mut elapsed = || now.get().saturating_duration_since(start);
            if attempts > 1 {
                counters.retried_call_took(elapsed());
            }
            // A nested call's error is its caller's to retry or report; a permanent error on
            // the first attempt is the caller's mistake, not a fault we gave up on.
            if !nested && (attempts > 1 || reason != GiveUp::Permanent) {
                telemetry::giving_up(site, attempts, elapsed(), reason, error);
            }
            None
        };
        let retry_after = match classification {
            Classification::Permanent => return give_up(GiveUp::Permanent, &mut now),
            Classification::Throttled { retry_after } => Some(retry_after),
            _ => None,
        };
        if attempts >= max_attempts {
            return give_up(GiveUp::AttemptsExhausted, &mut now);
        }
        // Decorrelated jitter grows from the previous delay, which is `initial_delay` at first.
        let previous = if attempts == 1 { policy.initial_delay() } else { clocked.previous_delay };
        let backoff = backoff::thread_delay(policy, attempts, previous);
        // SAFETY: `previous_delay` is not structurally pinned.
        unsafe { clocked.as_mut().get_unchecked_mut().previous_delay = backoff };
        let delay = match retry_after {
            Some(hint) => backoff::throttled_delay(policy, backoff, hint),
            None => backoff,
        };
        if let Some(deadline) = policy.max_elapsed() {
            // No wait starts that would end past the deadline (DESIGN.md, and backon's
            // `total_delay`): a wait that ends exactly at it may start, as a test under the
            // paused clock that counts attempts expects. With an attempt timeout, though, the
            // attempt after that wait would be cut to the time left, nothing: none starts. (A
            // blocking attempt is never cut off, so its policy's timeout changes nothing.)
            let wait_ends = now.get().saturating_duration_since(start).saturating_add(delay);
            let next_cut_to_nothing = C::LIMITS_ATTEMPTS && policy.attempt_timeout().is_some();
            if wait_ends > deadline || (wait_ends == deadline && next_cut_to_nothing) {
                return give_up(GiveUp::Deadline, &mut now);
            }
        }
        // The service is failing for everyone: stop retrying it. Or the call cannot wait here:
        // retrying at once instead would hammer a service that asked us to wait. (One give-up
        // for both: with a sixth call of `give_up`, the optimizer built its captures on every
        // failure, 28 instructions more on a zero-delay retry.)
        let open = breaker.is_some_and(|(_, breaker)| !breaker.is_closed());
        if open || (!delay.is_zero() && !C::can_wait()) {
            let reason = if open { GiveUp::CircuitOpen } else { report_no_runtime(site) };
            return give_up(reason, &mut now);
        }
        if let Some((shared, budget)) = shared.and_then(|shared| shared.budget.as_ref().map(|budget| (shared, budget)))
        {
            if !budget.try_withdraw(shared.nanos_at(now.get())) {
                return give_up(GiveUp::RetryBudget, &mut now);
            }
        }
        site.state.counters.bump(|row| &row.retries);
        if retry_after.is_some() {
            site.state.counters.bump(|row| &row.throttled_retries);
        }
        let reported_max = policy.max_attempts().unwrap_or(0);
        if telemetry::warn_enabled() {
            telemetry::retrying(site, attempts, reported_max, delay, retry_after.is_some(), error);
        }
        // The wait starts from this failure's reading, if it took one: the deadline check above
        // measured from it.
        clocked.as_mut().keep_reading(now.now);
        Some(delay)
    }
}

impl<C: Clock, S: PolicySource> Drop for Call<C, S> {
    #[inline(always)]
    fn drop(&mut self) {
        // A probe whose call was cancelled has no outcome: let another call probe.
        if self.progress.has(flag::PROBE) {
            if let Some(breaker) = self.source.entry().shared.and_then(|shared| shared.breaker.as_ref()) {
                breaker.release_probe();
            }
        }
        // Taken here so that the happy path, which has no clock state, drops nothing: left to
        // the drop glue, the box's (timer's) destructor is an out-of-line call on every call.
        if let Some(clocked) = self.progress.clocked.take() {
            Clocked::release(clocked);
        }
    }
}

/// Reports once per call site and kind that its error type kept a timeout or a breaker from
/// acting; `false`, for the caller's test: the rejection has no home.
#[cold]
fn report_no_home(site: &CallSite, what: NoHome) -> bool {
    let reported = match what {
        NoHome::Timeout => &site.state.reported_untimed,
        NoHome::Breaker => &site.state.reported_unrefused,
    };
    if !reported.swap(true, Ordering::Relaxed) {
        telemetry::no_rejection_home(site, what);
    }
    false
}

/// Reports once per call site that it gave up for want of a runtime to wait in: the reason.
#[cold]
fn report_no_runtime(site: &CallSite) -> GiveUp {
    if !site.state.reported_no_runtime.swap(true, Ordering::Relaxed) {
        telemetry::no_runtime_to_wait_in(site);
    }
    GiveUp::NoRuntime
}

/// Once per process: an attempt does not know its call site (it would take room in every
/// caller's future), and the fix is the same for every site.
#[cold]
fn report_untimed(timeout: Duration) {
    static REPORTED: AtomicBool = AtomicBool::new(false);
    if !REPORTED.swap(true, Ordering::Relaxed) {
        telemetry::untimed_without_runtime(timeout);
    }
}

/// The wait before the next attempt: the call's timer, or nothing for a zero delay.
#[derive(Debug)]
pub struct Wait<'a>(Option<Pin<&'a mut tokio::time::Sleep>>);

impl Future for Wait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.0 {
            Some(sleep) => sleep.as_mut().poll(cx),
            None => Poll::Ready(()),
        }
    }
}

/// Runs the started attempt of a blocking body, with the nesting depth raised. Blocking
/// attempts have no timeout: a running function cannot be cancelled from outside.
#[inline(always)]
pub fn run_attempt<R>(body: impl FnOnce() -> R) -> R {
    let _inside = InsideAttempt::enter();
    body()
}

/// One attempt of an async body: polls it with the nesting depth raised and races it against the
/// attempt's time limit, if it has one. Dropping it drops the body: nothing runs after a
/// cancellation.
///
/// An attempt whose body finishes when first polled touches nothing but the body and the
/// nesting depth. Only a body that has to wait needs the call: for the timer that limits the
/// attempt, or to start the call's clock (the first attempt of a call without a timeout).
#[derive(Debug)]
pub struct Attempt<'a, C: Clock, F, H> {
    body: F,
    progress: &'a mut Progress<C>,
    timed_out: H,
}

impl<T, E, C: Clock, F: Future<Output = Result<T, E>>, H: Fn(Rejected) -> E> Future for Attempt<'_, C, F, H> {
    type Output = Result<T, E>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `body` is structurally pinned: it is never moved out of `self`, and `Attempt`
        // implements neither `Unpin` by hand nor `Drop`. `progress` is a plain reference.
        let this = unsafe { self.get_unchecked_mut() };
        let body = unsafe { Pin::new_unchecked(&mut this.body) };
        let polled = {
            let _inside = InsideAttempt::enter();
            body.poll(cx)
        };
        if polled.is_ready() {
            return polled;
        }
        let progress = &mut *this.progress;
        let Some(clocked) = progress.clocked.as_mut() else {
            // A nested call makes one attempt and reports no elapsed time: it needs no clock.
            if !progress.has(flag::NESTED) {
                progress.clocked = Some(Clocked::started_by_wait::<C>());
            }
            return Poll::Pending;
        };
        if !clocked.limited {
            return Poll::Pending;
        }
        let timeout = clocked.limit;
        match clocked.as_mut().attempt_timer::<C>() {
            Some(timer) => {
                ready!(timer.poll(cx));
                progress.flags |= flag::TIMED_OUT;
                Poll::Ready(Err((this.timed_out)(Rejected::AttemptTimedOut { timeout })))
            }
            None => {
                report_untimed(timeout);
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
    use std::task::Waker;

    use tokio::time::{Instant, advance};

    use super::*;
    use crate::registry::SiteState;
    use crate::{Backoff, Jitter, Policy, PolicyBuilder};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A call site with its own policy, as `#[retry(...inline keys...)]` makes.
    fn site(policy: PolicyBuilder) -> &'static CallSite {
        site_of(Box::leak(Box::new(PolicyEntry::inline(policy.build().unwrap()))))
    }

    /// A call site for `entry`, with a state of its own.
    fn site_of(entry: &'static PolicyEntry) -> &'static CallSite {
        Box::leak(Box::new(CallSite::inline(entry, "tests::op", Box::leak(Box::new(SiteState::new())))))
    }

    fn fixed(delay: u64, attempts: u32) -> PolicyBuilder {
        Policy::builder().backoff(Backoff::Fixed).jitter(Jitter::None).initial_delay(ms(delay)).max_attempts(attempts)
    }

    #[derive(Debug, Clone, PartialEq)]
    enum Error {
        Transient,
        Throttled(Option<Duration>),
        Permanent,
        Rejected(Rejected),
    }

    impl Transient for Error {
        fn classify(&self) -> Classification {
            match self {
                Error::Transient => Classification::Transient,
                Error::Throttled(retry_after) => Classification::Throttled { retry_after: *retry_after },
                Error::Permanent => Classification::Permanent,
                Error::Rejected(rejected) => rejected.classify(),
            }
        }
    }

    impl From<Rejected> for Error {
        fn from(rejected: Rejected) -> Self {
            Error::Rejected(rejected)
        }
    }

    /// The loop `#[retry]` generates for an async fn, around `body`.
    async fn call<T>(site: &'static CallSite, mut body: impl AsyncFnMut() -> Result<T, Error>) -> Result<T, Error> {
        let mut call = Call::<TokioClock>::begin(site);
        loop {
            let result = match call.start_attempt(site, true) {
                Ok(()) => call.attempt(site, true, body(), Error::from).await,
                Err(refusal) => return refusal.into_result(site, Some(Error::from)),
            };
            if result.is_ok() {
                call.passed(site);
                return result;
            }
            match call.after(site, result, |e, f| write!(f, "{e:?}")) {
                Step::Done(result) => return result,
                Step::Wait(delay) => call.wait(delay).await,
            }
        }
    }

    /// Runs a call whose every attempt fails with `error`, returning when each attempt began
    /// (in ms since the start) and the result.
    async fn attempt_times(site: &'static CallSite, error: Error) -> (Vec<u128>, Result<(), Error>) {
        let start = Instant::now();
        let mut times = Vec::new();
        let result = call(site, async || {
            times.push(start.elapsed().as_millis());
            Err(error.clone())
        })
        .await;
        (times, result)
    }

    #[tokio::test(start_paused = true)]
    async fn fixed_waits_the_same_before_every_retry() {
        let (times, result) = attempt_times(site(fixed(100, 4)), Error::Transient).await;
        assert_eq!(times, [0, 100, 200, 300]);
        assert_eq!(result, Err(Error::Transient));
    }

    #[test]
    fn a_reused_clock_state_starts_fresh_on_another_runtime() {
        // Both calls run on this thread, so the second gets the first's clock state, whose
        // timer belonged to a runtime that is gone by then.
        let paused_runtime =
            || tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
        let (first, _) = paused_runtime().block_on(attempt_times(site(fixed(100, 3)), Error::Transient));
        assert_eq!(first, [0, 100, 200]);
        let deadline = site(fixed(300, 5).max_elapsed(ms(1000)).attempt_timeout(ms(50)));
        let (second, result) = paused_runtime().block_on(attempt_times(deadline, Error::Transient));
        assert_eq!(second, [0, 300, 600, 900], "no wait that would end past the deadline starts");
        assert_eq!(result, Err(Error::Transient));
    }

    /// Polls `future` once, as an executor would, with a waker that does nothing.
    fn poll_once<F: Future>(future: Pin<&mut F>) -> Poll<F::Output> {
        future.poll(&mut Context::from_waker(Waker::noop()))
    }

    thread_local! {
        static CLOCK_READS: Cell<u32> = const { Cell::new(0) };
    }

    /// The system clock, counting its reads on this thread.
    enum CountingClock {}

    impl Clock for CountingClock {
        fn now() -> std::time::Instant {
            CLOCK_READS.with(|reads| reads.set(reads.get() + 1));
            std::time::Instant::now()
        }
    }

    /// Clock `C` as a plain `fn` reads it: attempts cannot be cut off.
    struct Blocking<C>(std::marker::PhantomData<C>);

    impl<C: Clock> Clock for Blocking<C> {
        fn now() -> std::time::Instant {
            C::now()
        }

        const LIMITS_ATTEMPTS: bool = false;
    }

    thread_local! {
        /// How far [`SetClock`] has been moved on from its start, on this thread.
        static SET_NOW: Cell<Duration> = const { Cell::new(Duration::ZERO) };
    }

    /// A clock that reads whatever the test set, to land a wait exactly on a deadline.
    enum SetClock {}

    impl Clock for SetClock {
        fn now() -> std::time::Instant {
            static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
            *START.get_or_init(std::time::Instant::now) + SET_NOW.with(Cell::get)
        }
    }

    /// Whether a call on clock `C` retries a failure at 90 ms whose 10 ms wait would end exactly
    /// at its 100 ms deadline, under a policy with an attempt timeout.
    fn retries_up_to_the_deadline<C: Clock>() -> bool {
        let site = site(fixed(10, 3).max_elapsed(ms(100)).attempt_timeout(ms(50)));
        SET_NOW.with(|now| now.set(ms(1_000)));
        let mut call = Call::<C>::begin(site);
        assert!(call.start_attempt(site, true).is_ok());
        SET_NOW.with(|now| now.set(ms(1_090)));
        call.progress.after_failure(call.source, site, Classification::Transient, &"e").is_some()
    }

    #[test]
    fn a_wait_may_end_at_the_deadline_unless_the_next_attempt_would_be_cut_to_nothing() {
        // An async attempt after that wait would be limited to the time left: none.
        assert!(!retries_up_to_the_deadline::<SetClock>());
        // A blocking one is not limited, so the timeout it cannot keep changes nothing: the
        // wait starts, as it does under a policy without an attempt timeout.
        assert!(retries_up_to_the_deadline::<Blocking<SetClock>>());
    }

    #[test]
    fn a_blocking_call_reads_no_clock_at_its_start_for_a_timeout_it_cannot_keep() {
        let reads_to_begin = |policy: PolicyBuilder| {
            let site = site(policy);
            let before = CLOCK_READS.with(Cell::get);
            let _call = Call::<Blocking<CountingClock>>::begin(site);
            CLOCK_READS.with(Cell::get) - before
        };
        assert_eq!(reads_to_begin(fixed(10, 3).attempt_timeout(ms(100))), 0, "a timeout it cannot keep");
        assert_eq!(reads_to_begin(fixed(10, 3).max_elapsed(ms(100))), 1, "a deadline starts with the call");
    }

    #[test]
    fn a_failure_reads_the_clock_once_for_everything_that_needs_the_time() {
        // A breaker, a budget and a deadline all need the time of a failure, and so does the
        // give-up event.
        let breaker = crate::CircuitBreakerSettings::default();
        let budget = crate::RetryBudgetSettings::default();
        let shared = crate::state::for_policy("clock-reads", Some(&breaker), Some(&budget));
        let policy = fixed(0, 2).backoff(Backoff::Immediate).max_elapsed(ms(1000)).build().unwrap();
        let entry = Box::leak(Box::new(PolicyEntry::new(policy, shared, u64::MAX)));
        let site = site_of(entry);
        let reads_during = |f: &mut dyn FnMut()| {
            let before = CLOCK_READS.with(Cell::get);
            f();
            CLOCK_READS.with(Cell::get) - before
        };
        let mut call = Call::<CountingClock>::begin(site);
        assert_eq!(
            reads_during(&mut || assert!(call.start_attempt(site, true).is_ok())),
            0,
            "a closed breaker reads no clock"
        );
        let retry = reads_during(&mut || {
            assert!(call.progress.after_failure(call.source, site, Classification::Transient, &"e").is_some())
        });
        assert_eq!(retry, 1, "breaker, budget and deadline share one read");
        assert!(call.start_attempt(site, true).is_ok());
        let give_up = reads_during(&mut || {
            assert!(call.progress.after_failure(call.source, site, Classification::Transient, &"e").is_none())
        });
        assert_eq!(give_up, 1, "breaker and the give-up event share one read");
    }

    /// A body that has to wait once (with no wake-up arranged), then returns `outcome`.
    fn waits_once_then<T: Clone>(outcome: Result<T, Error>) -> impl Future<Output = Result<T, Error>> {
        let mut waited = false;
        std::future::poll_fn(move |_| {
            if std::mem::replace(&mut waited, true) { Poll::Ready(outcome.clone()) } else { Poll::Pending }
        })
    }

    /// A body that has to wait once, then fails.
    fn waits_once_then_fails() -> impl Future<Output = Result<(), Error>> {
        waits_once_then(Err(Error::Transient))
    }

    #[test]
    fn an_untimed_call_whose_first_attempt_finishes_at_once_reads_no_clock() {
        let site = site(fixed(100, 3));
        let before = CLOCK_READS.with(Cell::get);
        let mut call = Call::<CountingClock>::begin(site);
        assert!(call.start_attempt(site, true).is_ok());
        let attempt = pin!(call.attempt(site, true, std::future::ready(Ok::<(), Error>(())), Error::Rejected));
        assert_eq!(poll_once(attempt), Poll::Ready(Ok(())));
        assert!(call.progress.clocked.is_none(), "no clock state");
        assert_eq!(CLOCK_READS.with(Cell::get) - before, 0);
    }

    #[test]
    fn an_untimed_call_starts_its_clock_when_its_first_attempt_has_to_wait() {
        // So that the elapsed time of a call that comes to retry covers its first attempt.
        let site = site(fixed(100, 3));
        let mut call = Call::<CountingClock>::begin(site);
        assert!(call.start_attempt(site, true).is_ok());
        let before = CLOCK_READS.with(Cell::get);
        let mut attempt = pin!(call.attempt(site, true, waits_once_then_fails(), Error::Rejected));
        assert_eq!(poll_once(attempt.as_mut()), Poll::Pending);
        assert_eq!(CLOCK_READS.with(Cell::get) - before, 1, "read when the body first waits");
        assert_eq!(poll_once(attempt.as_mut()), Poll::Ready(Err(Error::Transient)));
        assert_eq!(CLOCK_READS.with(Cell::get) - before, 1, "and not again");
        let clocked = call.progress.clocked.as_ref().expect("the call's clock has started");
        let (start, limited, reading) = (clocked.start, clocked.limited, clocked.reading);
        assert!(!limited && reading.is_none(), "the start is no reading for the failure's wait");
        assert!(call.progress.after_failure(call.source, site, Classification::Transient, &"e").is_some());
        assert_eq!(call.progress.clocked.as_ref().map(|clocked| clocked.start), Some(start), "the start stays");
    }

    #[test]
    fn a_nested_call_whose_attempt_waits_reads_no_clock() {
        // It makes one attempt and reports no elapsed time: the clock is no use to it.
        let site = site(fixed(100, 3));
        let mut call = {
            let _caller = InsideAttempt::enter();
            Call::<CountingClock>::begin(site)
        };
        assert!(call.start_attempt(site, true).is_ok());
        let before = CLOCK_READS.with(Cell::get);
        let mut attempt = pin!(call.attempt(site, true, waits_once_then_fails(), Error::Rejected));
        assert_eq!(poll_once(attempt.as_mut()), Poll::Pending);
        assert_eq!(poll_once(attempt.as_mut()), Poll::Ready(Err(Error::Transient)));
        assert!(call.progress.clocked.is_none(), "no clock state");
        assert_eq!(CLOCK_READS.with(Cell::get) - before, 0);
    }

    #[tokio::test]
    async fn a_timed_call_reads_the_clock_once_and_sets_no_timer_for_an_attempt_that_finishes_at_once() {
        // The call's start, the time left before the deadline and the attempt's limit all come
        // from one reading; a body that is ready when first polled never needs the timer.
        let site = site(fixed(100, 3).attempt_timeout(ms(300)).max_elapsed(ms(1000)));
        let before = CLOCK_READS.with(Cell::get);
        let mut call = Call::<CountingClock>::begin(site);
        assert!(call.start_attempt(site, true).is_ok());
        let mut attempt = pin!(call.attempt(site, true, std::future::ready(Ok::<(), Error>(())), Error::Rejected));
        assert_eq!(poll_once(attempt.as_mut()), Poll::Ready(Ok(())));
        let clocked = attempt.progress.clocked.as_ref().expect("the call has clock state");
        assert!(clocked.limited, "the attempt is limited");
        assert!(clocked.timer.is_none(), "no timer made");
        assert_eq!(CLOCK_READS.with(Cell::get) - before, 1);
    }

    #[tokio::test]
    async fn an_attempt_that_waits_sets_its_timer_from_the_calls_start() {
        let site = site(fixed(100, 3).attempt_timeout(ms(300)).max_elapsed(ms(1000)));
        let mut call = Call::<CountingClock>::begin(site);
        assert!(call.start_attempt(site, true).is_ok());
        let mut attempt = pin!(call.attempt(site, true, std::future::pending::<Result<(), Error>>(), Error::Rejected));
        let before = CLOCK_READS.with(Cell::get);
        assert_eq!(poll_once(attempt.as_mut()), Poll::Pending);
        assert_eq!(CLOCK_READS.with(Cell::get) - before, 0, "the timer starts from the call's reading");
        let clocked = attempt.progress.clocked.as_ref().expect("the call has clock state");
        assert!(clocked.limited, "the attempt is limited");
        let timer = clocked.timer.as_ref().expect("the attempt's timer is set once its body waits");
        assert_eq!(timer.deadline(), Instant::from_std(clocked.start) + ms(300));
    }

    #[tokio::test]
    async fn a_wait_starts_from_the_reading_of_the_failure_before_it() {
        // The first failure reads the clock for the call's start (the policy has no deadline or
        // timeout to start it earlier, and the attempt did not wait); the wait's timer starts
        // from that reading, not from a later one of its own.
        let site = site(fixed(100, 3));
        let mut call = Call::<CountingClock>::begin(site);
        assert!(call.start_attempt(site, true).is_ok());
        let before = CLOCK_READS.with(Cell::get);
        let delay = call.progress.after_failure(call.source, site, Classification::Transient, &"e").expect("a retry");
        let start = call.progress.clocked.as_ref().expect("clock state").start;
        let Wait(Some(timer)) = call.wait(delay) else { panic!("a non-zero delay has a timer") };
        assert_eq!(timer.deadline(), Instant::from_std(start) + ms(100));
        assert_eq!(CLOCK_READS.with(Cell::get) - before, 1, "one reading for the failure and its wait");
    }

    #[test]
    fn a_permanent_first_failure_reads_no_clock_it_does_not_report() {
        // A deadline starts the clock with the call; the error is neither counted as a retried
        // call nor reported (the caller's mistake), so its time is never needed.
        let policy = fixed(100, 3).max_elapsed(ms(1000)).build().unwrap();
        let entry = Box::leak(Box::new(PolicyEntry::inline(policy)));
        let site = site_of(entry);
        let mut call = Call::<CountingClock>::begin(site);
        assert!(call.start_attempt(site, true).is_ok());
        let before = CLOCK_READS.with(Cell::get);
        assert!(call.progress.after_failure(call.source, site, Classification::Permanent, &"e").is_none());
        assert_eq!(CLOCK_READS.with(Cell::get) - before, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn incremental_adds_the_increment_each_retry() {
        let policy = fixed(100, 4).backoff(Backoff::Incremental).increment(ms(50));
        assert_eq!(attempt_times(site(policy), Error::Transient).await.0, [0, 100, 250, 450]);
    }

    #[tokio::test(start_paused = true)]
    async fn exponential_multiplies_and_stops_at_max_delay() {
        let policy = fixed(100, 6).backoff(Backoff::Exponential).multiplier(3.0).max_delay(ms(1000));
        // Waits 100, 300, 900, then 2700 capped to 1000, twice.
        assert_eq!(attempt_times(site(policy), Error::Transient).await.0, [0, 100, 400, 1300, 2300, 3300]);
    }

    #[tokio::test(start_paused = true)]
    async fn full_jitter_waits_are_seeded_and_within_bounds() {
        let policy = fixed(100, 5).backoff(Backoff::Exponential).jitter(Jitter::Full);
        crate::backoff::seed_jitter(3);
        let (first, _) = attempt_times(site(policy.clone()), Error::Transient).await;
        crate::backoff::seed_jitter(3);
        let (again, _) = attempt_times(site(policy), Error::Transient).await;
        assert_eq!(first, again);
        let waits: Vec<u128> = first.windows(2).map(|w| w[1] - w[0]).collect();
        for (wait, cap) in waits.iter().zip([100, 200, 400, 800]) {
            assert!(*wait <= cap, "{waits:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured_when_longer_than_the_backoff() {
        let (times, _) = attempt_times(site(fixed(100, 3)), Error::Throttled(Some(ms(700)))).await;
        assert_eq!(times, [0, 700, 1400]);
        let (times, _) = attempt_times(site(fixed(100, 3)), Error::Throttled(Some(ms(10)))).await;
        assert_eq!(times, [0, 100, 200]);
        let (times, _) = attempt_times(site(fixed(100, 3)), Error::Throttled(None)).await;
        assert_eq!(times, [0, 100, 200]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_hostile_retry_after_is_capped_by_max_delay() {
        let policy = fixed(100, 3).max_delay(ms(2000));
        let (times, _) = attempt_times(site(policy), Error::Throttled(Some(Duration::from_secs(86_400 * 365)))).await;
        assert_eq!(times, [0, 2000, 4000]);
    }

    #[tokio::test(start_paused = true)]
    async fn no_wait_starts_that_would_end_past_the_deadline() {
        let policy = fixed(1000, 10).max_elapsed(ms(2500));
        let start = Instant::now();
        let (times, result) = attempt_times(site(policy), Error::Transient).await;
        assert_eq!(times, [0, 1000, 2000]);
        assert_eq!(result, Err(Error::Transient));
        assert_eq!(start.elapsed(), ms(2000), "returned at once instead of waiting past the deadline");
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_that_ends_at_the_deadline_starts() {
        // "Past" the deadline, not at it: the attempt at 1000 ms is the call's last.
        let policy = fixed(500, 10).max_elapsed(ms(1000));
        let start = Instant::now();
        let (times, result) = attempt_times(site(policy), Error::Transient).await;
        assert_eq!(times, [0, 500, 1000]);
        assert_eq!(result, Err(Error::Transient));
        assert_eq!(start.elapsed(), ms(1000));
    }

    #[tokio::test(start_paused = true)]
    async fn with_an_attempt_timeout_no_wait_ends_at_the_deadline() {
        // The attempt after it would have no time left to run: the call returns its last
        // error at once rather than a timeout of zero a wait later.
        let policy = fixed(500, 10).attempt_timeout(ms(200)).max_elapsed(ms(1000));
        let start = Instant::now();
        let (times, result) = attempt_times(site(policy), Error::Transient).await;
        assert_eq!(times, [0, 500]);
        assert_eq!(result, Err(Error::Transient));
        assert_eq!(start.elapsed(), ms(500));
    }

    #[tokio::test(start_paused = true)]
    async fn unbounded_attempts_stop_at_the_deadline() {
        let policy = fixed(100, 1).unlimited_attempts().max_elapsed(ms(1000));
        let (times, _) = attempt_times(site(policy), Error::Transient).await;
        assert_eq!(times, (0..=10).map(|n| n * 100).collect::<Vec<u128>>());
    }

    #[tokio::test(start_paused = true)]
    async fn an_attempt_that_runs_too_long_is_cancelled_and_retried() {
        let policy = fixed(100, 3).attempt_timeout(ms(1000));
        let start = Instant::now();
        let calls = AtomicU32::new(0);
        let result: Result<(), Error> = call(site(policy), async || {
            calls.fetch_add(1, SeqCst);
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok(())
        })
        .await;
        assert_eq!(result, Err(Error::Rejected(Rejected::AttemptTimedOut { timeout: ms(1000) })));
        assert_eq!(calls.load(SeqCst), 3);
        assert_eq!(start.elapsed(), ms(1000 + 100 + 1000 + 100 + 1000));
    }

    #[tokio::test(start_paused = true)]
    async fn the_attempt_timeout_shrinks_to_the_time_left_before_the_deadline() {
        let policy = fixed(100, 5).attempt_timeout(ms(1000)).max_elapsed(ms(1500));
        let start = Instant::now();
        let result: Result<(), Error> = call(site(policy), async || {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok(())
        })
        .await;
        // 1000 ms attempt, 100 ms wait, then only 400 ms are left for the second attempt; the
        // next wait would end past the deadline.
        assert_eq!(result, Err(Error::Rejected(Rejected::AttemptTimedOut { timeout: ms(400) })));
        assert_eq!(start.elapsed(), ms(1500));
    }

    #[tokio::test(start_paused = true)]
    async fn an_attempt_within_its_timeout_is_not_disturbed() {
        let policy = fixed(100, 3).attempt_timeout(ms(1000));
        let result = call(site(policy), async || {
            tokio::time::sleep(ms(999)).await;
            Ok(7)
        })
        .await;
        assert_eq!(result, Ok(7));
    }

    #[tokio::test(start_paused = true)]
    async fn a_permanent_error_returns_at_once() {
        let start = Instant::now();
        let (times, result) = attempt_times(site(fixed(100, 5)), Error::Permanent).await;
        assert_eq!((times, result), (vec![0], Err(Error::Permanent)));
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn one_attempt_means_no_retry() {
        let (times, _) = attempt_times(site(fixed(100, 1)), Error::Transient).await;
        assert_eq!(times, [0]);
    }

    #[tokio::test(start_paused = true)]
    async fn success_after_failures_returns_the_value() {
        let mut calls = 0;
        let result = call(site(fixed(100, 5)), async || {
            calls += 1;
            if calls < 3 { Err(Error::Transient) } else { Ok(calls) }
        })
        .await;
        assert_eq!(result, Ok(3));
    }

    /// Three layers of 3-attempt calls, the innermost always failing.
    async fn three_layers(nested: Nested) -> u32 {
        let policy = || fixed(10, 3).nested(nested);
        let (outer, middle, inner) = (site(policy()), site(policy()), site(policy()));
        let calls = AtomicU32::new(0);
        let _ = call(outer, async || {
            call(middle, async || {
                call(inner, async || {
                    calls.fetch_add(1, SeqCst);
                    tokio::task::yield_now().await;
                    Err::<(), _>(Error::Transient)
                })
                .await
            })
            .await
        })
        .await;
        calls.load(SeqCst)
    }

    #[tokio::test(start_paused = true)]
    async fn only_the_outermost_layer_retries() {
        assert_eq!(three_layers(Nested::Single).await, 3);
        assert_eq!(DEPTH.with(Cell::get), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn nested_retry_opts_out_of_the_single_layer() {
        assert_eq!(three_layers(Nested::Retry).await, 27);
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_future_stops_every_attempt() {
        let calls = Arc::new(AtomicU32::new(0));
        let counted = Arc::clone(&calls);
        let running = call(site(fixed(1000, 10)), async move || {
            counted.fetch_add(1, SeqCst);
            Err::<(), _>(Error::Transient)
        });
        // The timeout drops the call while it waits before its third attempt.
        assert!(tokio::time::timeout(ms(1500), running).await.is_err());
        assert_eq!(calls.load(SeqCst), 2);
        advance(Duration::from_secs(60)).await;
        assert_eq!(calls.load(SeqCst), 2);
        assert_eq!(Arc::strong_count(&calls), 1, "the dropped call released what it held");
    }

    #[tokio::test(start_paused = true)]
    async fn a_panic_propagates_and_is_not_retried() {
        let calls = Arc::new(AtomicU32::new(0));
        let counted = Arc::clone(&calls);
        let local = tokio::task::LocalSet::new();
        let task = local.spawn_local(async move {
            call(site(fixed(10, 5)), async || -> Result<(), Error> {
                counted.fetch_add(1, SeqCst);
                panic!("boom")
            })
            .await
        });
        let joined = local.run_until(task).await;
        assert!(joined.unwrap_err().is_panic());
        assert_eq!(calls.load(SeqCst), 1);
        assert_eq!(DEPTH.with(Cell::get), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_home_for_rejections_attempts_run_untimed() {
        let site = site(fixed(100, 3).attempt_timeout(ms(10)));
        let mut call = Call::<TokioClock>::begin(site);
        call.start_attempt(site, false).unwrap();
        let result = call
            .attempt(
                site,
                false,
                async {
                    tokio::time::sleep(ms(50)).await;
                    Ok::<_, std::io::Error>(1)
                },
                |rejected: Rejected| std::io::Error::other(rejected.to_string()),
            )
            .await;
        assert_eq!(result.unwrap(), 1);
        assert!(site.state.reported_untimed.load(Ordering::Relaxed));
        assert!(!site.state.reported_unrefused.load(Ordering::Relaxed));
    }

    /// Drives `future` to its end on this thread outside any tokio runtime, as another executor
    /// would (polling again at once, for bodies that wait without arranging a wake-up).
    fn outside_tokio<F: Future>(future: F) -> F::Output {
        let mut future = pin!(future);
        for _ in 0..100 {
            if let Poll::Ready(output) = poll_once(future.as_mut()) {
                return output;
            }
        }
        panic!("not done after 100 polls")
    }

    #[test]
    fn outside_a_tokio_runtime_a_call_that_has_to_wait_returns_its_error() {
        // tokio's timer cannot be set without a runtime: the call neither panics nor retries
        // at once in place of the wait, and says why.
        let site = site(fixed(100, 3));
        let mut calls = 0;
        let result = outside_tokio(call(site, async || {
            calls += 1;
            Err::<(), _>(Error::Transient)
        }));
        assert_eq!((calls, result), (1, Err(Error::Transient)));
        assert_eq!(site.state.counters.total(|row| &row.give_ups), 1);
        assert_eq!(site.state.counters.total(|row| &row.retries), 0);
        assert!(site.state.reported_no_runtime.load(SeqCst));
    }

    #[test]
    fn outside_a_tokio_runtime_an_immediate_retry_still_runs() {
        let site = site(fixed(100, 2).backoff(Backoff::Immediate));
        let mut calls = 0;
        let result = outside_tokio(call(site, async || {
            calls += 1;
            if calls < 2 { Err(Error::Transient) } else { Ok(calls) }
        }));
        assert_eq!(result, Ok(2));
        assert!(!site.state.reported_no_runtime.load(SeqCst));
    }

    #[test]
    fn outside_a_tokio_runtime_an_attempt_that_waits_runs_untimed() {
        let site = site(fixed(100, 3).attempt_timeout(ms(10)));
        let result = outside_tokio(call(site, async || waits_once_then(Ok(5)).await));
        assert_eq!(result, Ok(5));
    }

    /// The loop `#[retry]` generates for a plain fn.
    fn call_blocking<T>(site: &'static CallSite, mut body: impl FnMut() -> Result<T, Error>) -> Result<T, Error> {
        let mut call = Call::<StdClock>::begin(site);
        loop {
            let result = match call.start_attempt(site, true) {
                Ok(()) => run_attempt(&mut body),
                Err(refusal) => return refusal.into_result(site, Some(Error::from)),
            };
            if result.is_ok() {
                call.passed(site);
                return result;
            }
            match call.after(site, result, |e, f| write!(f, "{e:?}")) {
                Step::Done(result) => return result,
                Step::Wait(delay) => call.wait_blocking(delay),
            }
        }
    }

    #[test]
    fn blocking_calls_retry_and_nest_on_the_thread() {
        let mut calls = 0;
        let result = call_blocking(site(fixed(1, 3)), || {
            calls += 1;
            Err::<(), _>(Error::Transient)
        });
        assert_eq!((calls, result), (3, Err(Error::Transient)));

        let mut inner_calls = 0;
        let (outer, inner) = (site(fixed(1, 3)), site(fixed(1, 3)));
        let _ = call_blocking(outer, || {
            call_blocking(inner, || {
                inner_calls += 1;
                Err::<(), _>(Error::Transient)
            })
        });
        assert_eq!(inner_calls, 3);
    }

    #[test]
    fn a_blocking_panic_propagates_and_restores_the_depth() {
        let panicked =
            std::panic::catch_unwind(|| call_blocking(site(fixed(1, 3)), || -> Result<(), Error> { panic!("boom") }));
        assert!(panicked.is_err());
        assert_eq!(DEPTH.with(Cell::get), 0);
    }
}
