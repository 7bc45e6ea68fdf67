//! The wait before each retry: the policy's schedule plus jitter.

use std::cell::RefCell;
use std::ops::RangeInclusive;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, RngExt, SeedableRng};

use crate::{Backoff, Jitter, Policy};

/// The delay before retry `retry` (1-based), jitter included, capped by `max_delay`.
/// `previous` is the delay drawn before the previous retry (`initial_delay` before the first),
/// which only `decorrelated` uses.
pub(crate) fn delay(policy: &Policy, retry: u32, previous: Duration, rng: &mut impl Rng) -> Duration {
    match schedule(policy, retry, previous) {
        Schedule::Exactly(delay) => delay,
        Schedule::Between(nanos) => draw(policy, nanos, rng),
    }
}

/// [`delay`], drawn from this thread's generator, which is left alone when there is nothing to
/// draw (no jitter, or a zero delay): an immediate retry touches no thread-local state.
pub(crate) fn thread_delay(policy: &Policy, retry: u32, previous: Duration) -> Duration {
    match schedule(policy, retry, previous) {
        Schedule::Exactly(delay) => delay,
        Schedule::Between(nanos) => with_rng(|rng| draw(policy, nanos, rng)),
    }
}

/// What the delay before a retry is: known, or to be drawn.
enum Schedule {
    Exactly(Duration),
    /// Uniformly from this range of nanoseconds, then capped by `max_delay`.
    Between(RangeInclusive<u64>),
}

fn schedule(policy: &Policy, retry: u32, previous: Duration) -> Schedule {
    match policy.backoff() {
        // No wait and nothing to jitter, whatever the retry: known without any arithmetic.
        Backoff::Immediate => return Schedule::Exactly(Duration::ZERO),
        Backoff::Decorrelated => {
            let base = nanos(policy.initial_delay());
            return Schedule::Between(base..=nanos(previous).saturating_mul(3).max(base));
        }
        _ => {}
    }
    let delay = policy.base_delay(retry);
    let d = nanos(delay);
    match policy.jitter() {
        // Nothing to jitter: a zero delay stays zero.
        _ if d == 0 => Schedule::Exactly(Duration::ZERO),
        Jitter::Full => Schedule::Between(0..=d),
        Jitter::Equal => Schedule::Between(d / 2..=d),
        _ => Schedule::Exactly(delay),
    }
}

fn draw(policy: &Policy, nanos: RangeInclusive<u64>, rng: &mut impl Rng) -> Duration {
    Duration::from_nanos(rng.random_range(nanos)).min(policy.max_delay())
}

/// The waits a policy makes before its successive retries, jitter included, drawn from a
/// generator seeded with `seed`: the retry loop's own backoff code, for simulations and tests.
///
/// ```
/// use std::time::Duration;
/// use resilient::{Delays, Jitter, Policy};
///
/// let policy = Policy::builder().jitter(Jitter::None).build()?;
/// let waits: Vec<Duration> = Delays::new(&policy, 7).take(4).collect();
/// assert_eq!(waits, [100, 200, 400, 800].map(Duration::from_millis));
/// # Ok::<(), resilient::PolicyError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Delays<'a> {
    policy: &'a Policy,
    retry: u32,
    previous: Duration,
    rng: SmallRng,
}

impl<'a> Delays<'a> {
    /// The waits of `policy`, from a generator seeded with `seed`.
    ///
    /// ```
    /// use resilient::{Delays, Policy};
    ///
    /// // Full jitter: random, but the same seed draws the same waits.
    /// let policy = Policy::DEFAULT;
    /// let first: Vec<_> = Delays::new(&policy, 42).take(5).collect();
    /// assert_eq!(first, Delays::new(&policy, 42).take(5).collect::<Vec<_>>());
    /// assert!(first.iter().all(|wait| *wait <= policy.max_delay()));
    /// ```
    pub fn new(policy: &'a Policy, seed: u64) -> Self {
        Delays { policy, retry: 0, previous: policy.initial_delay(), rng: SmallRng::seed_from_u64(seed) }
    }
}

impl Iterator for Delays<'_> {
    type Item = Duration;

    /// The wait before the next retry. Endless: the policy's `max_attempts` is the caller's.
    fn next(&mut self) -> Option<Duration> {
        self.retry = self.retry.saturating_add(1);
        self.previous = delay(self.policy, self.retry, self.previous, &mut self.rng);
        Some(self.previous)
    }
}

/// The delay before a retry of a throttled attempt: the server's hint if longer than our own
/// backoff, never beyond `max_delay` (a hostile or mistaken `Retry-After: 86400` must not stall
/// the caller for a day).
pub(crate) fn throttled_delay(policy: &Policy, backoff: Duration, retry_after: Option<Duration>) -> Duration {
    retry_after.map_or(backoff, |hint| hint.max(backoff)).min(policy.max_delay())
}

fn nanos(duration: Duration) -> u64 {
    // Policy durations are at most a year, far below u64 nanoseconds (584 years).
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

thread_local! {
    /// Jitter only has to decorrelate clients, not resist prediction: a small fast generator
    /// per thread, seeded from the OS, touched only on the failure path.
    static RNG: RefCell<SmallRng> = RefCell::new(seeded_from_os());
}

fn seeded_from_os() -> SmallRng {
    SmallRng::try_from_rng(&mut rand::rngs::SysRng).unwrap_or_else(|_| {
        // No OS entropy (early boot, sandbox): any per-process value still decorrelates.
        let address = &RNG as *const _ as u64;
        let time =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        SmallRng::seed_from_u64(address ^ time)
    })
}

/// Runs `f` with this thread's jitter generator.
pub(crate) fn with_rng<T>(f: impl FnOnce(&mut SmallRng) -> T) -> T {
    RNG.with(|rng| f(&mut rng.borrow_mut()))
}

/// Reseeds this thread's jitter generator: the waits that calls on this thread draw from now
/// on are the same on every run. For tests of code that retries, which check exact waits
/// under tokio's paused clock: a `#[tokio::test]` runs its tasks on the test's own thread.
///
/// ```
/// use std::time::Duration;
/// use resilient::{Transient, retry};
///
/// #[derive(Debug, Transient)]
/// #[transient]
/// struct Unavailable;
///
/// #[retry(max_attempts = 4, initial_delay = "1s")] // full jitter, the default
/// async fn fetch() -> Result<(), Unavailable> {
///     Err(Unavailable)
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let mut took = Vec::new();
/// for _ in 0..2 {
///     resilient::seed_jitter(7);
///     let start = tokio::time::Instant::now();
///     let _ = fetch().await;
///     took.push(start.elapsed());
/// }
/// assert_eq!(took[0], took[1]);
/// # }
/// ```
pub fn seed_jitter(seed: u64) {
    RNG.with(|rng| *rng.borrow_mut() = SmallRng::seed_from_u64(seed));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn policy(backoff: Backoff, jitter: Jitter) -> Policy {
        Policy::builder()
            .backoff(backoff)
            .jitter(jitter)
            .initial_delay(ms(100))
            .max_delay(ms(2000))
            .max_attempts(10)
            .build()
            .unwrap()
    }

    #[test]
    fn full_jitter_stays_within_zero_and_the_delay() {
        let policy = policy(Backoff::Exponential, Jitter::Full);
        let mut rng = SmallRng::seed_from_u64(7);
        for retry in 1..=8 {
            let cap = policy.base_delay(retry);
            let draws: Vec<Duration> = (0..2000).map(|_| delay(&policy, retry, ms(100), &mut rng)).collect();
            assert!(draws.iter().all(|d| *d <= cap), "retry {retry}");
            // Spread over the whole range, not stuck at one end.
            assert!(draws.iter().any(|d| *d < cap / 10) && draws.iter().any(|d| *d > cap * 9 / 10), "retry {retry}");
        }
    }

    #[test]
    fn equal_jitter_stays_within_half_and_the_delay() {
        let policy = policy(Backoff::Exponential, Jitter::Equal);
        let mut rng = SmallRng::seed_from_u64(11);
        for retry in 1..=8 {
            let cap = policy.base_delay(retry);
            for _ in 0..2000 {
                let d = delay(&policy, retry, ms(100), &mut rng);
                assert!(cap / 2 <= d && d <= cap, "retry {retry}: {d:?} outside [{:?}, {cap:?}]", cap / 2);
            }
        }
    }

    #[test]
    fn decorrelated_stays_within_base_and_three_times_the_previous() {
        let policy = policy(Backoff::Decorrelated, Jitter::Full);
        let mut rng = SmallRng::seed_from_u64(13);
        for _ in 0..200 {
            let mut previous = policy.initial_delay();
            for retry in 1..=10 {
                let d = delay(&policy, retry, previous, &mut rng);
                let high = (previous * 3).min(policy.max_delay());
                assert!(ms(100) <= d && d <= high, "{d:?} outside [100ms, {high:?}]");
                previous = d;
            }
        }
    }

    #[test]
    fn no_jitter_is_the_schedule_itself() {
        let policy = policy(Backoff::Exponential, Jitter::None);
        let mut rng = SmallRng::seed_from_u64(1);
        let schedule: Vec<Duration> = (1..=6).map(|n| delay(&policy, n, ms(100), &mut rng)).collect();
        assert_eq!(schedule, [ms(100), ms(200), ms(400), ms(800), ms(1600), ms(2000)]);
    }

    #[test]
    fn retry_after_wins_when_longer_and_is_capped() {
        let policy = policy(Backoff::Fixed, Jitter::None);
        assert_eq!(throttled_delay(&policy, ms(100), Some(ms(700))), ms(700));
        assert_eq!(throttled_delay(&policy, ms(100), Some(ms(10))), ms(100));
        assert_eq!(throttled_delay(&policy, ms(100), None), ms(100));
        assert_eq!(throttled_delay(&policy, ms(100), Some(Duration::MAX)), ms(2000));
    }

    #[test]
    fn the_thread_generator_draws_as_a_seeded_one_and_only_for_random_delays() {
        let immediate = Policy::builder().backoff(Backoff::Immediate).max_attempts(2).build().unwrap();
        let fixed = policy(Backoff::Exponential, Jitter::None);
        for random in [Jitter::Full, Jitter::Equal].map(|jitter| policy(Backoff::Exponential, jitter)) {
            let mut rng = SmallRng::seed_from_u64(5);
            let expected: Vec<Duration> = (1..=4).map(|n| delay(&random, n, ms(100), &mut rng)).collect();
            seed_jitter(5);
            let drawn: Vec<Duration> = (1..=4)
                .map(|n| {
                    // Interleaved delays that draw nothing must not shift the sequence.
                    assert_eq!(thread_delay(&immediate, 1, Duration::ZERO), Duration::ZERO);
                    assert_eq!(thread_delay(&fixed, n, ms(100)), fixed.base_delay(n));
                    thread_delay(&random, n, ms(100))
                })
                .collect();
            assert_eq!(drawn, expected);
        }
    }

    #[test]
    fn seeding_repeats_the_draws() {
        let policy = policy(Backoff::Exponential, Jitter::Full);
        let draw = || (1..=5).map(|n| with_rng(|rng| delay(&policy, n, ms(100), rng))).collect::<Vec<_>>();
        seed_jitter(42);
        let first = draw();
        seed_jitter(42);
        assert_eq!(first, draw());
    }
}
