//! One resolved retry policy.

use std::fmt;
use std::time::Duration;

use crate::PolicyBuilder;

/// How the wait before each retry grows. `n` is the retry number (1 for the first retry) and
/// `base` the policy's `initial_delay`; every delay is capped by `max_delay`.
///
/// ```
/// # extern crate resilient_policy as resilient;
/// use std::time::Duration;
/// use resilient::{Backoff, Policy};
///
/// let policy = Policy::builder()
///     .backoff(Backoff::Incremental)
///     .initial_delay(Duration::from_millis(100))
///     .increment(Duration::from_millis(50))
///     .max_delay(Duration::from_millis(180))
///     .build()?;
/// // Before jitter: base, base + increment, then capped by max_delay.
/// let delays: Vec<Duration> = (1..=3).map(|n| policy.base_delay(n)).collect();
/// assert_eq!(delays, [100, 150, 180].map(Duration::from_millis));
/// assert_eq!(Backoff::Incremental.name(), "incremental"); // as written in the configuration
/// assert_eq!(policy.backoff().to_string(), "incremental");
/// # Ok::<(), resilient::PolicyError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backoff {
    /// No wait. Allowed for at most one retry: retrying at once again and again only adds load.
    Immediate,
    /// `base` before every retry.
    Fixed,
    /// `base + (n - 1) * increment`.
    Incremental,
    /// `base * multiplier^(n - 1)`.
    Exponential,
    /// Decorrelated jitter: `min(max_delay, random(base, previous * 3))`. Random already, so
    /// the policy's `jitter` does not apply.
    Decorrelated,
}

impl Backoff {
    /// Every kind with its configuration name.
    pub const NAMES: [(&'static str, Backoff); 5] = [
        ("immediate", Backoff::Immediate),
        ("fixed", Backoff::Fixed),
        ("incremental", Backoff::Incremental),
        ("exponential", Backoff::Exponential),
        ("decorrelated", Backoff::Decorrelated),
    ];

    /// The configuration name, e.g. `"exponential"`.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// assert_eq!(resilient::Backoff::Exponential.name(), "exponential");
    /// ```
    pub fn name(self) -> &'static str {
        lookup_name(&Self::NAMES, self)
    }
}

/// Randomness added to the backoff delay `d`, so that clients that failed together do not
/// retry together.
///
/// ```
/// # extern crate resilient_policy as resilient;
/// use resilient::{Jitter, Policy};
///
/// assert_eq!(Policy::DEFAULT.jitter(), Jitter::Full);
/// // Waits never shorter than half the backoff delay:
/// let policy = Policy::builder().jitter(Jitter::Equal).build()?;
/// assert_eq!(policy.jitter().name(), "equal"); // as written in the configuration
/// # Ok::<(), resilient::PolicyError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Jitter {
    /// Exactly `d`.
    None,
    /// `random(0, d)`: the least contention, the advice of the AWS backoff study.
    Full,
    /// `d/2 + random(0, d/2)`: never much shorter than `d`.
    Equal,
}

impl Jitter {
    /// Every kind with its configuration name.
    pub const NAMES: [(&'static str, Jitter); 3] =
        [("none", Jitter::None), ("full", Jitter::Full), ("equal", Jitter::Equal)];

    /// The configuration name, e.g. `"full"`.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// assert_eq!(resilient::Jitter::Full.name(), "full");
    /// ```
    pub fn name(self) -> &'static str {
        lookup_name(&Self::NAMES, self)
    }
}

/// What a call does when it is made inside another retrying call's attempt.
///
/// ```
/// # extern crate resilient_policy as resilient;
/// use resilient::{Nested, Policy};
///
/// assert_eq!(Policy::DEFAULT.nested(), Nested::Single);
/// // A layer that retries even when its caller retries too (`nested = "retry"`):
/// let policy = Policy::builder().nested(Nested::Retry).build()?;
/// assert_eq!(policy.nested().name(), "retry");
/// # Ok::<(), resilient::PolicyError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Nested {
    /// One attempt only: the outermost layer does the retrying, so three layers of 3 attempts
    /// cost 3 calls, not 27. The default.
    Single,
    /// Retry as if it were the outermost call.
    Retry,
}

impl Nested {
    /// Every kind with its configuration name.
    pub const NAMES: [(&'static str, Nested); 2] = [("single", Nested::Single), ("retry", Nested::Retry)];

    /// The configuration name, e.g. `"single"`.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// assert_eq!(resilient::Nested::Single.name(), "single");
    /// ```
    pub fn name(self) -> &'static str {
        lookup_name(&Self::NAMES, self)
    }
}

/// `base` to the power `exponent`, by squaring: each step is one multiplication, which IEEE 754
/// rounds the same way everywhere, so a delay is the same on every platform and exact whenever
/// it can be (an integer multiplier). `f64::powi` promises neither: its precision is
/// unspecified, and it may round differently from one target or optimisation level to another.
fn power(mut base: f64, mut exponent: u32) -> f64 {
    let mut result = 1.0;
    while exponent > 0 {
        if exponent & 1 == 1 {
            result *= base;
        }
        base *= base;
        exponent >>= 1;
    }
    result
}

/// Each kind displays as its configuration name (`exponential`), the one `name()` returns.
macro_rules! display_by_name {
    ($($kind:ty),*) => {$(
        impl fmt::Display for $kind {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    )*};
}

display_by_name!(Backoff, Jitter, Nested);

fn lookup_name<T: PartialEq + Copy>(names: &[(&'static str, T)], value: T) -> &'static str {
    names.iter().find(|(_, v)| *v == value).map_or("?", |(name, _)| name)
}

/// One resolved, valid retry policy.
///
/// Build one with [`Policy::builder`]; every setter's value is checked by
/// [`PolicyBuilder::build`], with the same rules as the configuration file and the `#[retry]`
/// attribute.
///
/// ```
/// # extern crate resilient_policy as resilient;
/// use std::time::Duration;
/// use resilient::{Backoff, Policy};
///
/// let policy = Policy::builder()
///     .max_attempts(5)
///     .backoff(Backoff::Exponential)
///     .initial_delay(Duration::from_millis(50))
///     .max_elapsed(Duration::from_secs(10))
///     .build()?;
/// assert_eq!(policy.max_attempts(), Some(5));
/// # Ok::<(), resilient::PolicyError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub(crate) max_attempts: Option<u32>,
    pub(crate) backoff: Backoff,
    pub(crate) initial_delay: Duration,
    pub(crate) increment: Option<Duration>,
    pub(crate) multiplier: f64,
    pub(crate) jitter: Jitter,
    pub(crate) max_delay: Duration,
    pub(crate) max_elapsed: Option<Duration>,
    pub(crate) attempt_timeout: Option<Duration>,
    pub(crate) nested: Nested,
}

impl Policy {
    /// The built-in defaults: 3 attempts, exponential backoff from 100 ms doubling each time,
    /// full jitter, waits capped at 20 s, no deadline, no attempt timeout.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use std::time::Duration;
    /// use resilient::{Backoff, Policy};
    ///
    /// let policy = Policy::DEFAULT;
    /// assert_eq!(policy.max_attempts(), Some(3));
    /// assert_eq!((policy.backoff(), policy.multiplier()), (Backoff::Exponential, 2.0));
    /// assert_eq!(policy.initial_delay(), Duration::from_millis(100));
    /// assert_eq!(policy.max_delay(), Duration::from_secs(20));
    /// assert_eq!((policy.max_elapsed(), policy.attempt_timeout()), (None, None));
    /// ```
    pub const DEFAULT: Policy = Policy {
        max_attempts: Some(3),
        backoff: Backoff::Exponential,
        initial_delay: Duration::from_millis(100),
        increment: None,
        multiplier: 2.0,
        jitter: Jitter::Full,
        max_delay: Duration::from_secs(20),
        max_elapsed: None,
        attempt_timeout: None,
        nested: Nested::Single,
    };

    /// A builder starting from [`Policy::DEFAULT`].
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// let policy = resilient::Policy::builder().max_attempts(5).build()?;
    /// assert_eq!(policy.max_attempts(), Some(5));
    /// assert_eq!(policy.backoff(), resilient::Policy::DEFAULT.backoff()); // the rest as by default
    /// # Ok::<(), resilient::PolicyError>(())
    /// ```
    pub fn builder() -> PolicyBuilder {
        PolicyBuilder::from(Policy::DEFAULT)
    }

    /// A builder starting from this policy: how `[defaults]` and a named policy layer.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use std::time::Duration;
    /// use resilient::Policy;
    ///
    /// let defaults = Policy::builder().max_attempts(4).build()?;
    /// // Everything from the defaults, and a deadline of its own:
    /// let graph = defaults.to_builder().max_elapsed(Duration::from_secs(120)).build()?;
    /// assert_eq!(graph.max_attempts(), Some(4));
    /// assert_eq!(graph.max_elapsed(), Some(Duration::from_secs(120)));
    /// # Ok::<(), resilient::PolicyError>(())
    /// ```
    pub fn to_builder(&self) -> PolicyBuilder {
        PolicyBuilder::from(self.clone())
    }

    /// Builds a policy from values already validated (by the `#[retry]` macro at compile time).
    /// Not for use outside generated code: it skips validation.
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    pub const fn __from_validated(
        max_attempts: u32,
        backoff: Backoff,
        initial_delay: Duration,
        increment: Option<Duration>,
        multiplier: f64,
        jitter: Jitter,
        max_delay: Duration,
        max_elapsed: Option<Duration>,
        attempt_timeout: Option<Duration>,
        nested: Nested,
    ) -> Policy {
        Policy {
            max_attempts: if max_attempts == 0 { None } else { Some(max_attempts) },
            backoff,
            initial_delay,
            increment,
            multiplier,
            jitter,
            max_delay,
            max_elapsed,
            attempt_timeout,
            nested,
        }
    }

    /// Attempts per call, the first included; `None` when unbounded (then `max_elapsed` is set).
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use std::time::Duration;
    /// use resilient::Policy;
    ///
    /// assert_eq!(Policy::DEFAULT.max_attempts(), Some(3));
    /// let until_deadline = Policy::builder().unlimited_attempts().max_elapsed(Duration::from_secs(60)).build()?;
    /// assert_eq!(until_deadline.max_attempts(), None);
    /// # Ok::<(), resilient::PolicyError>(())
    /// ```
    pub fn max_attempts(&self) -> Option<u32> {
        self.max_attempts
    }

    /// How the delay grows between retries.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use resilient::{Backoff, Policy};
    ///
    /// assert_eq!(Policy::DEFAULT.backoff(), Backoff::Exponential);
    /// ```
    pub fn backoff(&self) -> Backoff {
        self.backoff
    }

    /// The delay before the first retry (`base` in the backoff formulas).
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use std::time::Duration;
    ///
    /// assert_eq!(resilient::Policy::DEFAULT.initial_delay(), Duration::from_millis(100));
    /// ```
    pub fn initial_delay(&self) -> Duration {
        self.initial_delay
    }

    /// The step of [`Backoff::Incremental`]; `initial_delay` unless set.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use std::time::Duration;
    /// use resilient::{Backoff, Policy};
    ///
    /// let policy = Policy::builder().backoff(Backoff::Incremental).initial_delay(Duration::from_secs(1)).build()?;
    /// assert_eq!(policy.increment(), Duration::from_secs(1)); // not set: `initial_delay`
    /// # Ok::<(), resilient::PolicyError>(())
    /// ```
    pub fn increment(&self) -> Duration {
        self.increment.unwrap_or(self.initial_delay)
    }

    /// The growth factor of [`Backoff::Exponential`].
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// assert_eq!(resilient::Policy::DEFAULT.multiplier(), 2.0);
    /// ```
    pub fn multiplier(&self) -> f64 {
        self.multiplier
    }

    /// The randomness added to each delay.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use resilient::{Jitter, Policy};
    ///
    /// assert_eq!(Policy::DEFAULT.jitter(), Jitter::Full);
    /// ```
    pub fn jitter(&self) -> Jitter {
        self.jitter
    }

    /// The longest wait between two attempts, server `Retry-After` hints included.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use std::time::Duration;
    ///
    /// assert_eq!(resilient::Policy::DEFAULT.max_delay(), Duration::from_secs(20));
    /// ```
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The deadline of a whole call, waits included.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use std::time::Duration;
    /// use resilient::Policy;
    ///
    /// assert_eq!(Policy::DEFAULT.max_elapsed(), None); // no deadline
    /// let policy = Policy::builder().max_elapsed(Duration::from_secs(120)).build()?;
    /// assert_eq!(policy.max_elapsed(), Some(Duration::from_secs(120)));
    /// # Ok::<(), resilient::PolicyError>(())
    /// ```
    pub const fn max_elapsed(&self) -> Option<Duration> {
        self.max_elapsed
    }

    /// The time limit of one attempt.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use std::time::Duration;
    /// use resilient::Policy;
    ///
    /// assert_eq!(Policy::DEFAULT.attempt_timeout(), None);
    /// let policy = Policy::builder().attempt_timeout(Duration::from_secs(30)).build()?;
    /// assert_eq!(policy.attempt_timeout(), Some(Duration::from_secs(30)));
    /// # Ok::<(), resilient::PolicyError>(())
    /// ```
    pub const fn attempt_timeout(&self) -> Option<Duration> {
        self.attempt_timeout
    }

    /// What a call nested in another retrying call does.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use resilient::{Nested, Policy};
    ///
    /// assert_eq!(Policy::DEFAULT.nested(), Nested::Single); // only the outermost call retries
    /// ```
    pub fn nested(&self) -> Nested {
        self.nested
    }

    /// The delay before retry `n` (1-based) before jitter, capped by `max_delay`. For
    /// `decorrelated`, the smallest delay it can draw.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use std::time::Duration;
    /// use resilient::Policy;
    ///
    /// let policy = Policy::builder().multiplier(3.0).max_delay(Duration::from_secs(1)).build()?;
    /// assert_eq!(policy.base_delay(1), Duration::from_millis(100));
    /// assert_eq!(policy.base_delay(3), Duration::from_millis(900));
    /// assert_eq!(policy.base_delay(4), Duration::from_secs(1)); // 2.7 s, capped
    /// # Ok::<(), resilient::PolicyError>(())
    /// ```
    pub fn base_delay(&self, n: u32) -> Duration {
        let steps = n.saturating_sub(1);
        let uncapped = match self.backoff {
            Backoff::Immediate => Duration::ZERO,
            Backoff::Fixed | Backoff::Decorrelated => self.initial_delay,
            Backoff::Incremental => self.initial_delay.saturating_add(self.increment().saturating_mul(steps)),
            Backoff::Exponential => {
                // In float nanoseconds, saturating at the cap. Exact for integer multipliers;
                // for others (2.3 is 2.29999…) the product lands a hair off the decimal
                // result, so it is rounded to the nearest nanosecond, not truncated: 100 ms ×
                // 2.3 is 230 ms, not 229.999999 ms (and `delay_ms` 230, not 229).
                let nanos = self.initial_delay.as_nanos() as f64 * power(self.multiplier, steps);
                let cap = self.max_delay.as_nanos() as f64;
                Duration::from_nanos(nanos.min(cap).round() as u64)
            }
        };
        uncapped.min(self.max_delay)
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy::DEFAULT
    }
}

impl Policy {
    /// The policy's keys as a configuration file writes them, each with its value in TOML:
    /// `("max_attempts", "6")`, `("initial_delay", "\"100ms\"")`. Keys without a value
    /// (no deadline, say) are left out. Written back into a `[policies.NAME]` table, they make
    /// the same policy.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use resilient::Policy;
    ///
    /// let entries = Policy::DEFAULT.config_entries();
    /// assert_eq!(entries[0], ("max_attempts", "3".to_owned()));
    /// assert!(!entries.iter().any(|(key, _)| *key == "max_elapsed"));
    /// ```
    pub fn config_entries(&self) -> Vec<(&'static str, String)> {
        let text = |value: &str| format!("\"{value}\"");
        let duration = |value: Duration| text(&crate::format_duration(value));
        let mut entries = vec![
            ("max_attempts", self.max_attempts.map_or_else(|| text("unbounded"), |attempts| attempts.to_string())),
            ("backoff", text(self.backoff.name())),
            ("initial_delay", duration(self.initial_delay)),
        ];
        entries.extend(self.increment.map(|increment| ("increment", duration(increment))));
        entries.extend([
            // `{:?}` keeps a whole number's `.0`, so that it reads back as a float.
            ("multiplier", format!("{:?}", self.multiplier)),
            ("jitter", text(self.jitter.name())),
            ("max_delay", duration(self.max_delay)),
        ]);
        entries.extend(self.max_elapsed.map(|deadline| ("max_elapsed", duration(deadline))));
        entries.extend(self.attempt_timeout.map(|timeout| ("attempt_timeout", duration(timeout))));
        entries.push(("nested", text(self.nested.name())));
        entries
    }
}

/// The policy in the configuration file's words, one `key = value` after another, for a log
/// line that says what a call site runs under (see [`Policy::config_entries`]).
///
/// ```
/// # extern crate resilient_policy as resilient;
/// use std::time::Duration;
/// use resilient::Policy;
///
/// let policy = Policy::builder().max_attempts(6).max_elapsed(Duration::from_secs(90)).build()?;
/// assert_eq!(
///     policy.to_string(),
///     r#"max_attempts = 6, backoff = "exponential", initial_delay = "100ms", multiplier = 2.0, jitter = "full", max_delay = "20s", max_elapsed = "1m 30s", nested = "single""#
/// );
/// # Ok::<(), resilient::PolicyError>(())
/// ```
impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, (key, value)) in self.config_entries().into_iter().enumerate() {
            let separator = if index == 0 { "" } else { ", " };
            write!(f, "{separator}{key} = {value}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_display_as_their_configuration_names() {
        let backoffs = Backoff::NAMES.map(|(_, kind)| kind.to_string());
        assert_eq!(backoffs, ["immediate", "fixed", "incremental", "exponential", "decorrelated"]);
        assert_eq!(Jitter::NAMES.map(|(_, kind)| kind.to_string()), ["none", "full", "equal"]);
        assert_eq!(Nested::NAMES.map(|(_, kind)| kind.to_string()), ["single", "retry"]);
    }

    #[test]
    fn powers_are_exact_while_representable() {
        assert_eq!(power(2.0, 0), 1.0);
        assert_eq!(power(2.0, 52), 4_503_599_627_370_496.0);
        // 3^33 is the largest power of three below 2^53.
        assert_eq!(power(3.0, 33), 5_559_060_566_555_523.0);
        assert_eq!(power(1.5, 4), 5.0625);
    }

    #[test]
    fn powers_past_the_largest_float_are_infinite_not_a_panic() {
        assert_eq!(power(2.0, 1024), f64::INFINITY);
        assert_eq!(power(1.0, u32::MAX), 1.0);
    }

    #[test]
    fn exponential_delays_with_a_decimal_multiplier_are_the_decimal_products() {
        let ms = Duration::from_millis;
        for (multiplier, delays) in [
            (2.3, [ms(100), ms(230), ms(529), ms(1216) + Duration::from_micros(700)]),
            (1.4, [ms(100), ms(140), ms(196), ms(274) + Duration::from_micros(400)]),
            (1.7, [ms(100), ms(170), ms(289), ms(491) + Duration::from_micros(300)]),
        ] {
            let policy = Policy::builder().multiplier(multiplier).build().unwrap();
            let computed: Vec<Duration> = (1..=4).map(|n| policy.base_delay(n)).collect();
            assert_eq!(computed, delays, "multiplier {multiplier}");
        }
    }

    #[test]
    fn exponential_delays_double_exactly_and_stop_at_the_cap() {
        let policy = Policy::builder().multiplier(2.0).max_delay(Duration::from_secs(3600)).build().unwrap();
        let delays: Vec<Duration> = (1..=6).map(|n| policy.base_delay(n)).collect();
        let doubling: Vec<Duration> = (0..6).map(|k| Duration::from_millis(100 << k)).collect();
        assert_eq!(delays, doubling);
        assert_eq!(policy.base_delay(u32::MAX), Duration::from_secs(3600));
    }
}
