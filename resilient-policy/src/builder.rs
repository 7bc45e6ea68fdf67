//! Building a policy, key by key or field by field, and the rules that make it valid.

use std::time::Duration;

use crate::{Backoff, Jitter, Nested, Policy, PolicyError, did_you_mean, duration_from_value};

/// Every key a policy accepts, in the configuration file and in `#[retry(...)]`.
pub const KEYS: [&str; 10] = [
    "max_attempts",
    "backoff",
    "initial_delay",
    "increment",
    "multiplier",
    "jitter",
    "max_delay",
    "max_elapsed",
    "attempt_timeout",
    "nested",
];

/// A value as written in a configuration file or an attribute, before it is checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// An integer literal.
    Integer(i64),
    /// A float literal.
    Float(f64),
    /// A string literal.
    String(&'a str),
    /// A boolean literal.
    Bool(bool),
    /// Anything else (an array, a table, a date), described for the error message, e.g.
    /// `"an array"`. Never valid for a policy key.
    Other(&'static str),
}

impl Value<'_> {
    /// The value as an error message names what it found, e.g. `the number 3.5` or
    /// `the string "30"`.
    ///
    /// ```
    /// use resilient_policy::Value;
    /// assert_eq!(Value::Float(3.0).describe(), "the number 3.0");
    /// ```
    pub fn describe(&self) -> String {
        match self {
            Value::Integer(i) => format!("the integer {i}"),
            // `{:?}` keeps a whole number's `.0`: "found the number 3" would read as an integer.
            Value::Float(f) => format!("the number {f:?}"),
            Value::String(s) if is_number(s) => format!("the string {s:?}; write the number without quotes"),
            Value::String(s) => format!("the string {s:?}"),
            Value::Bool(b) => format!("the boolean {b}"),
            Value::Other(what) => (*what).to_owned(),
        }
    }
}

/// Whether a string holds a number, as in `max_attempts = "3"`. (Not `"inf"` or `"nan"`, which
/// Rust would parse too, but nobody means as a number.)
fn is_number(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.') && text.parse::<f64>().is_ok()
}

/// Builds a [`Policy`]; [`build`](PolicyBuilder::build) checks every rule.
///
/// ```
/// # extern crate resilient_policy as resilient;
/// use resilient::Policy;
///
/// let error = Policy::builder().max_attempts(0).build().unwrap_err();
/// assert_eq!(error.to_string(), "max_attempts: expected an integer >= 1, found 0; use `max_attempts = 1` to disable retries");
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder makes nothing until `build()` is called"]
pub struct PolicyBuilder {
    policy: Policy,
    /// `max_attempts` as set, 0 included, so that `build` can name it.
    attempts: Option<u64>,
}

impl From<Policy> for PolicyBuilder {
    fn from(policy: Policy) -> Self {
        let attempts = policy.max_attempts.map(u64::from);
        PolicyBuilder { policy, attempts }
    }
}

impl PolicyBuilder {
    /// Attempts per call, the first included: `1` means no retry. Must be at least 1.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use resilient::Policy;
    ///
    /// let policy = Policy::builder().max_attempts(5).build()?;
    /// assert_eq!(policy.max_attempts(), Some(5));
    /// // One attempt is no retry; none at all is an error that says so:
    /// assert!(Policy::builder().max_attempts(0).build().is_err());
    /// # Ok::<(), resilient::PolicyError>(())
    /// ```
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.attempts = Some(attempts.into());
        self
    }

    /// No limit on attempts: the call retries until `max_elapsed`, which must then be set.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use std::time::Duration;
    /// use resilient::Policy;
    ///
    /// let policy = Policy::builder().unlimited_attempts().max_elapsed(Duration::from_secs(60)).build()?;
    /// assert_eq!(policy.max_attempts(), None);
    /// // Without a deadline it would retry forever:
    /// let error = Policy::builder().unlimited_attempts().build().unwrap_err();
    /// assert_eq!(error.key(), "max_attempts");
    /// # Ok::<(), resilient::PolicyError>(())
    /// ```
    pub fn unlimited_attempts(mut self) -> Self {
        self.attempts = None;
        self
    }

    /// How the delay grows between retries.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use std::time::Duration;
    /// use resilient::{Backoff, Policy};
    ///
    /// let policy = Policy::builder().backoff(Backoff::Fixed).initial_delay(Duration::from_secs(1)).build()?;
    /// assert_eq!(policy.base_delay(3), Duration::from_secs(1)); // the third retry waits as long as the first
    /// # Ok::<(), resilient::PolicyError>(())
    /// ```
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.policy.backoff = backoff;
        self
    }

    /// The delay before the first retry.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use std::time::Duration;
    /// use resilient::Policy;
    ///
    /// let policy = Policy::builder().initial_delay(Duration::from_millis(250)).build()?;
    /// assert_eq!(policy.base_delay(1), Duration::from_millis(250)); // before jitter
    /// assert_eq!(policy.base_delay(2), Duration::from_millis(500)); // exponential, doubling
    /// # Ok::<(), resilient::PolicyError>(())
    /// ```
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.policy.initial_delay = delay;
        self
    }

    /// The step of [`Backoff::Incremental`] (default: `initial_delay`).
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
    ///     .build()?;
    /// assert_eq!(policy.base_delay(3), Duration::from_millis(200)); // 100 + 2 * 50
    /// # Ok::<(), resilient::PolicyError>(())
    /// ```
    pub fn increment(mut self, increment: Duration) -> Self {
        self.policy.increment = Some(increment);
        self
    }

    /// The growth factor of [`Backoff::Exponential`]; at least 1.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use std::time::Duration;
    /// use resilient::Policy;
    ///
    /// let policy = Policy::builder().multiplier(3.0).initial_delay(Duration::from_millis(10)).build()?;
    /// assert_eq!(policy.base_delay(3), Duration::from_millis(90)); // 10 * 3^2
    /// assert!(Policy::builder().multiplier(0.5).build().is_err()); // a delay that shrinks
    /// # Ok::<(), resilient::PolicyError>(())
    /// ```
    pub fn multiplier(mut self, multiplier: f64) -> Self {
        self.policy.multiplier = multiplier;
        self
    }

    /// The randomness added to each delay.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use resilient::{Jitter, Policy};
    ///
    /// // Exactly the backoff delay, no randomness: allowed, and a warning in a configuration file.
    /// let policy = Policy::builder().jitter(Jitter::None).build()?;
    /// assert_eq!(policy.jitter(), Jitter::None);
    /// # Ok::<(), resilient::PolicyError>(())
    /// ```
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.policy.jitter = jitter;
        self
    }

    /// The longest wait between attempts, a server's `Retry-After` included; at least
    /// `initial_delay`, but for [`Backoff::Immediate`], which ignores it.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use std::time::Duration;
    /// use resilient::Policy;
    ///
    /// let policy = Policy::builder().max_attempts(10).max_delay(Duration::from_secs(1)).build()?;
    /// assert_eq!(policy.base_delay(9), Duration::from_secs(1)); // 100 ms * 2^8, capped
    /// let error = Policy::builder().max_delay(Duration::from_millis(10)).build().unwrap_err();
    /// assert_eq!(error.key(), "max_delay"); // shorter than the 100 ms `initial_delay`
    /// # Ok::<(), resilient::PolicyError>(())
    /// ```
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.policy.max_delay = delay;
        self
    }

    /// The deadline of the whole call, waits included, from the start of its first attempt.
    /// No wait starts that would end past it: the call returns its last error instead. An
    /// attempt running at the deadline is not cut off, unless `attempt_timeout` is set: each
    /// attempt's limit is then shortened to the time left.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use std::time::Duration;
    /// use resilient::Policy;
    ///
    /// let policy = Policy::builder().max_elapsed(Duration::from_secs(30)).build()?;
    /// assert_eq!(policy.max_elapsed(), Some(Duration::from_secs(30)));
    /// # Ok::<(), resilient::PolicyError>(())
    /// ```
    pub fn max_elapsed(mut self, deadline: Duration) -> Self {
        self.policy.max_elapsed = Some(deadline);
        self
    }

    /// The time limit of one attempt; no longer than `max_elapsed`. An attempt that runs out
    /// is a transient failure carrying `Rejected::AttemptTimedOut`. Only an `async fn` keeps
    /// it: a blocking call cannot be interrupted.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use std::time::Duration;
    /// use resilient::Policy;
    ///
    /// let policy = Policy::builder().attempt_timeout(Duration::from_secs(5)).build()?;
    /// assert_eq!(policy.attempt_timeout(), Some(Duration::from_secs(5)));
    /// // A limit no attempt could reach is an error:
    /// let error = Policy::builder()
    ///     .max_elapsed(Duration::from_secs(10))
    ///     .attempt_timeout(Duration::from_secs(20))
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(error.key(), "attempt_timeout");
    /// # Ok::<(), resilient::PolicyError>(())
    /// ```
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.policy.attempt_timeout = Some(timeout);
        self
    }

    /// What a call nested in another retrying call does.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use resilient::{Nested, Policy};
    ///
    /// let policy = Policy::builder().nested(Nested::Retry).build()?;
    /// assert_eq!(policy.nested(), Nested::Retry);
    /// # Ok::<(), resilient::PolicyError>(())
    /// ```
    pub fn nested(mut self, nested: Nested) -> Self {
        self.policy.nested = nested;
        self
    }

    /// Sets a key from its written form, as the configuration file and `#[retry(...)]` do.
    ///
    /// An unknown key, a value of the wrong type, a bad duration or an unknown kind is refused
    /// here; rules across keys are checked by [`build`](Self::build).
    ///
    /// ```
    /// use resilient_policy::{Policy, Value};
    /// let error = Policy::builder().set("max_atempts", Value::Integer(3)).unwrap_err();
    /// assert_eq!(error.to_string(), "max_atempts: unknown key `max_atempts`; did you mean `max_attempts`?");
    /// ```
    pub fn set(mut self, key: &str, value: Value<'_>) -> Result<Self, PolicyError> {
        let Some(key) = KEYS.iter().copied().find(|known| *known == key) else {
            return Err(unknown_key(key));
        };
        match key {
            "max_attempts" => match value {
                Value::Integer(n) if n >= 0 => self.attempts = Some(n as u64),
                Value::String("unbounded") => self.attempts = None,
                other => {
                    let fix = match other {
                        // A negative count or infinity is how some libraries say "no limit".
                        Value::Integer(_) | Value::Float(f64::INFINITY) => {
                            "; for no limit, write `max_attempts = \"unbounded\"` and set `max_elapsed`".to_owned()
                        }
                        Value::Float(f) if f.is_finite() => {
                            format!("; write a whole number, e.g. `max_attempts = {}`", f.round().clamp(1.0, 1e6))
                        }
                        _ => String::new(),
                    };
                    return Err(PolicyError::new(
                        key,
                        format!("expected an integer >= 1 or \"unbounded\", found {}{fix}", other.describe()),
                    ));
                }
            },
            "backoff" => self.policy.backoff = named(key, value, &Backoff::NAMES)?,
            "jitter" => self.policy.jitter = named(key, value, &Jitter::NAMES)?,
            "nested" => self.policy.nested = named(key, value, &Nested::NAMES)?,
            "multiplier" => {
                self.policy.multiplier = match value {
                    Value::Float(f) => f,
                    Value::Integer(i) => i as f64,
                    other => {
                        return Err(PolicyError::new(
                            key,
                            format!("expected a number >= 1, e.g. 2.0, found {}", other.describe()),
                        ));
                    }
                }
            }
            _ => {
                let duration = duration(key, value)?;
                match key {
                    "initial_delay" => self.policy.initial_delay = duration,
                    "increment" => self.policy.increment = Some(duration),
                    "max_delay" => self.policy.max_delay = duration,
                    "max_elapsed" => self.policy.max_elapsed = Some(duration),
                    "attempt_timeout" => self.policy.attempt_timeout = Some(duration),
                    _ => unreachable!("every key in KEYS is handled"),
                }
            }
        }
        Ok(self)
    }

    /// Checks every rule and returns the policy, or the first rule broken.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use resilient::{Backoff, Policy};
    ///
    /// let error = Policy::builder().backoff(Backoff::Immediate).max_attempts(4).build().unwrap_err();
    /// assert_eq!(error.key(), "backoff"); // retrying at once more than once only adds load
    /// assert!(error.message().contains("at most one retry"));
    /// ```
    pub fn build(self) -> Result<Policy, PolicyError> {
        match self.problems().into_iter().next() {
            Some(problem) => Err(problem),
            None => Ok(self.finish()),
        }
    }

    /// Every rule this policy breaks, in key order; empty when [`build`](Self::build) succeeds.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// use std::time::Duration;
    /// use resilient::Policy;
    ///
    /// let builder = Policy::builder().multiplier(0.5).max_delay(Duration::from_millis(10));
    /// let problems = builder.problems();
    /// let keys: Vec<&str> = problems.iter().map(|problem| problem.key()).collect();
    /// assert_eq!(keys, ["multiplier", "max_delay"]);
    /// ```
    pub fn problems(&self) -> Vec<PolicyError> {
        let p = &self.policy;
        let mut problems = Vec::new();
        match self.attempts {
            Some(0) => problems.push(PolicyError::new(
                "max_attempts",
                "expected an integer >= 1, found 0; use `max_attempts = 1` to disable retries",
            )),
            Some(n) if n > u64::from(u32::MAX) => problems.push(PolicyError::new(
                "max_attempts",
                format!("expected at most {}, found {n}; use `max_attempts = \"unbounded\"` with a `max_elapsed` deadline", u32::MAX),
            )),
            None if p.max_elapsed.is_none() => problems.push(PolicyError::new(
                "max_attempts",
                "unbounded attempts without a deadline would retry forever; set `max_elapsed`, e.g. `max_elapsed = \"2m\"`, or a number of attempts",
            )),
            _ => {}
        }
        if !(p.multiplier.is_finite() && p.multiplier >= 1.0) {
            problems.push(PolicyError::new(
                "multiplier",
                format!("expected a finite number >= 1, found {}; use e.g. `multiplier = 2.0`", p.multiplier),
            ));
        }
        if max_delay_below_initial_delay(p) {
            problems.push(PolicyError::new(
                "max_delay",
                format!(
                    "`max_delay` ({}) is shorter than `initial_delay` ({}); raise `max_delay` or lower `initial_delay`",
                    crate::format_duration(p.max_delay),
                    crate::format_duration(p.initial_delay)
                ),
            ));
        }
        if let Some(problem) = self.repeated_immediate_retry() {
            problems.push(problem);
        }
        let durations = [
            ("initial_delay", Some(p.initial_delay)),
            ("increment", p.increment),
            ("max_delay", Some(p.max_delay)),
            ("max_elapsed", p.max_elapsed),
            ("attempt_timeout", p.attempt_timeout),
        ];
        for (key, value) in durations {
            if value.is_some_and(|d| d > crate::MAX_DURATION) {
                problems.push(PolicyError::new(key, "longer than a year; use at most \"365d\""));
            }
        }
        for (key, value) in [("max_elapsed", p.max_elapsed), ("attempt_timeout", p.attempt_timeout)] {
            if value == Some(Duration::ZERO) {
                problems.push(PolicyError::new(
                    key,
                    format!("expected a duration above zero, found \"0s\"; remove `{key}` for no limit"),
                ));
            }
        }
        if let (Some(timeout), Some(deadline)) = (p.attempt_timeout, p.max_elapsed) {
            if timeout > deadline {
                problems.push(PolicyError::new(
                    "attempt_timeout",
                    format!(
                        "`attempt_timeout` ({}) is longer than `max_elapsed` ({}), so no attempt could use it; lower `attempt_timeout` or raise `max_elapsed`",
                        crate::format_duration(timeout),
                        crate::format_duration(deadline)
                    ),
                ));
            }
        }
        problems
    }

    /// A policy whose second retry would wait nothing retries immediately more than once,
    /// which only adds load to a service that is already failing.
    fn repeated_immediate_retry(&self) -> Option<PolicyError> {
        let p = self.finish();
        let retries = self.attempts.map_or(u64::MAX, |n| n.saturating_sub(1));
        // A `max_delay` below `initial_delay` caps every delay to it, so a zero `max_delay`
        // lands here too; that problem is reported already, and names the key the user wrote.
        if retries < 2 || p.base_delay(2) > Duration::ZERO || max_delay_below_initial_delay(&p) {
            return None;
        }
        let allowed = match self.attempts {
            Some(n) => format!("`max_attempts = {n}` allows {retries} retries"),
            None => "`max_attempts = \"unbounded\"` allows any number".to_owned(),
        };
        Some(if p.backoff == Backoff::Immediate {
            PolicyError::new(
                "backoff",
                format!(
                    "`immediate` is allowed for at most one retry, but {allowed}; set `max_attempts = 2` or use `backoff = \"fixed\"`"
                ),
            )
        } else {
            // Raising `initial_delay` alone would fall foul of a zero `max_delay`: name both.
            let fix = if p.max_delay == Duration::ZERO {
                "set `initial_delay` and `max_delay` above zero, e.g. \"100ms\" and \"20s\""
            } else {
                "set `initial_delay` above zero, e.g. \"100ms\""
            };
            PolicyError::new(
                "initial_delay",
                format!("a zero delay retries immediately, allowed for at most one retry, but {allowed}; {fix}"),
            )
        })
    }

    fn finish(&self) -> Policy {
        Policy { max_attempts: self.attempts.map(|n| n.clamp(1, u64::from(u32::MAX)) as u32), ..self.policy.clone() }
    }
}

/// Whether every wait would be capped below the first. Not a problem of a backoff that ignores
/// `initial_delay` (immediate, which has no first wait, and whose `max_delay` caps only a
/// server's `Retry-After`).
fn max_delay_below_initial_delay(p: &Policy) -> bool {
    !crate::is_ignored(p.backoff, "initial_delay") && p.max_delay < p.initial_delay
}

fn unknown_key(key: &str) -> PolicyError {
    let message = match did_you_mean(key, KEYS) {
        Some(suggestion) => format!("unknown key `{key}`; did you mean `{suggestion}`?"),
        None => format!("unknown key `{key}`; expected one of {}", KEYS.map(|k| format!("`{k}`")).join(", ")),
    };
    PolicyError::unknown(key, message)
}

fn named<T: Copy>(key: &'static str, value: Value<'_>, names: &[(&'static str, T)]) -> Result<T, PolicyError> {
    let options = || names.iter().map(|(name, _)| format!("\"{name}\"")).collect::<Vec<_>>().join(", ");
    let Value::String(text) = value else {
        return Err(PolicyError::new(key, format!("expected one of {}, found {}", options(), value.describe())));
    };
    if let Some((_, found)) = names.iter().find(|(name, _)| *name == text) {
        return Ok(*found);
    }
    let message = match did_you_mean(text, names.iter().map(|(name, _)| *name)) {
        Some(suggestion) => format!("unknown {key} {text:?}; did you mean \"{suggestion}\"?"),
        None => format!("unknown {key} {text:?}; expected one of {}", options()),
    };
    Err(PolicyError::new(key, message))
}

fn duration(key: &'static str, value: Value<'_>) -> Result<Duration, PolicyError> {
    duration_from_value(value).map_err(|message| PolicyError::new(key, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(builder: PolicyBuilder) -> String {
        builder.build().unwrap_err().to_string()
    }

    #[test]
    fn defaults_are_valid() {
        assert_eq!(Policy::builder().build(), Ok(Policy::DEFAULT));
    }

    #[test]
    fn zero_attempts_names_the_field_and_the_fix() {
        assert_eq!(
            error(Policy::builder().max_attempts(0)),
            "max_attempts: expected an integer >= 1, found 0; use `max_attempts = 1` to disable retries"
        );
        let from_key = Policy::builder().set("max_attempts", Value::Integer(0)).unwrap();
        assert_eq!(from_key.build().unwrap_err().key(), "max_attempts");
    }

    #[test]
    fn multiplier_below_one_or_not_finite_is_refused() {
        for bad in [0.5, f64::NAN, f64::INFINITY, -2.0] {
            let message = error(Policy::builder().multiplier(bad));
            assert!(message.starts_with("multiplier: expected a finite number >= 1"), "{message}");
        }
        assert!(Policy::builder().multiplier(1.0).build().is_ok());
    }

    #[test]
    fn max_delay_below_initial_delay_is_refused() {
        let message = error(Policy::builder().initial_delay(Duration::from_secs(5)).max_delay(Duration::from_secs(1)));
        assert_eq!(
            message,
            "max_delay: `max_delay` (1s) is shorter than `initial_delay` (5s); raise `max_delay` or lower `initial_delay`"
        );
        // An immediate backoff ignores `initial_delay`: its `max_delay` caps only `Retry-After`,
        // and may be short. Its own rule still holds.
        let immediate = Policy::builder().backoff(Backoff::Immediate).max_delay(Duration::from_millis(50));
        assert!(immediate.clone().max_attempts(2).build().is_ok());
        let problems = immediate.max_attempts(3).problems();
        let keys: Vec<&str> = problems.iter().map(|problem| problem.key()).collect();
        assert_eq!(keys, ["backoff"]);
    }

    #[test]
    fn one_immediate_retry_is_allowed_two_are_not() {
        assert!(Policy::builder().backoff(Backoff::Immediate).max_attempts(2).build().is_ok());
        assert_eq!(
            error(Policy::builder().backoff(Backoff::Immediate).max_attempts(3)),
            "backoff: `immediate` is allowed for at most one retry, but `max_attempts = 3` allows 2 retries; set `max_attempts = 2` or use `backoff = \"fixed\"`"
        );
        let zero_delay = error(Policy::builder().backoff(Backoff::Fixed).initial_delay(Duration::ZERO));
        assert!(zero_delay.starts_with("initial_delay: a zero delay retries immediately"), "{zero_delay}");
        // A zero `max_delay` is its own problem; with a zero `initial_delay`, both need raising.
        let zero_cap = Policy::builder().max_delay(Duration::ZERO).problems();
        let keys: Vec<&str> = zero_cap.iter().map(|problem| problem.key()).collect();
        assert_eq!(keys, ["max_delay"]);
        let both_zero = error(Policy::builder().initial_delay(Duration::ZERO).max_delay(Duration::ZERO));
        assert!(
            both_zero.ends_with("set `initial_delay` and `max_delay` above zero, e.g. \"100ms\" and \"20s\""),
            "{both_zero}"
        );
        // Incremental from zero waits on the second retry, so it is fine.
        let incremental = Policy::builder()
            .backoff(Backoff::Incremental)
            .initial_delay(Duration::ZERO)
            .increment(Duration::from_millis(10));
        assert!(incremental.build().is_ok());
    }

    #[test]
    fn attempt_timeout_beyond_the_deadline_is_refused() {
        let message =
            error(Policy::builder().max_elapsed(Duration::from_secs(10)).attempt_timeout(Duration::from_secs(30)));
        assert!(
            message.starts_with("attempt_timeout: `attempt_timeout` (30s) is longer than `max_elapsed` (10s)"),
            "{message}"
        );
    }

    #[test]
    fn unbounded_attempts_need_a_deadline() {
        let message = error(Policy::builder().unlimited_attempts());
        assert!(message.starts_with("max_attempts: unbounded attempts without a deadline"), "{message}");
        let bounded = Policy::builder().unlimited_attempts().max_elapsed(Duration::from_secs(60)).build().unwrap();
        assert_eq!(bounded.max_attempts(), None);
        let from_key = Policy::builder().set("max_attempts", Value::String("unbounded")).unwrap();
        assert_eq!(from_key.build().unwrap_err().key(), "max_attempts");
    }

    #[test]
    fn durations_beyond_a_year_are_refused() {
        let message = error(Policy::builder().max_elapsed(Duration::MAX));
        assert_eq!(message, "max_elapsed: longer than a year; use at most \"365d\"");
    }

    #[test]
    fn zero_limits_are_refused() {
        assert!(
            error(Policy::builder().max_elapsed(Duration::ZERO))
                .starts_with("max_elapsed: expected a duration above zero")
        );
        assert!(
            error(Policy::builder().attempt_timeout(Duration::ZERO))
                .starts_with("attempt_timeout: expected a duration above zero")
        );
    }

    #[test]
    fn problems_lists_every_broken_rule() {
        let builder = Policy::builder().max_attempts(0).multiplier(0.1).max_delay(Duration::ZERO);
        let keys: Vec<String> = builder.problems().iter().map(|p| p.key().to_owned()).collect();
        assert_eq!(keys, ["max_attempts", "multiplier", "max_delay"]);
    }

    #[test]
    fn keys_set_every_field() {
        let policy = KEYS
            .iter()
            .zip([
                Value::Integer(4),
                Value::String("incremental"),
                Value::String("10ms"),
                Value::String("5ms"),
                Value::Integer(3),
                Value::String("equal"),
                Value::String("1s"),
                Value::String("1m"),
                Value::String("2s"),
                Value::String("retry"),
            ])
            .try_fold(Policy::builder(), |builder, (key, value)| builder.set(key, value))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(policy.max_attempts(), Some(4));
        assert_eq!(policy.backoff(), Backoff::Incremental);
        assert_eq!(policy.initial_delay(), Duration::from_millis(10));
        assert_eq!(policy.increment(), Duration::from_millis(5));
        assert_eq!(policy.multiplier(), 3.0);
        assert_eq!(policy.jitter(), Jitter::Equal);
        assert_eq!(policy.max_delay(), Duration::from_secs(1));
        assert_eq!(policy.max_elapsed(), Some(Duration::from_secs(60)));
        assert_eq!(policy.attempt_timeout(), Some(Duration::from_secs(2)));
        assert_eq!(policy.nested(), Nested::Retry);
    }

    #[test]
    fn bad_values_name_the_fix() {
        let set = |key: &str, value| Policy::builder().set(key, value).unwrap_err().to_string();
        assert_eq!(
            set("backoff", Value::String("exponental")),
            "backoff: unknown backoff \"exponental\"; did you mean \"exponential\"?"
        );
        assert_eq!(
            set("jitter", Value::String("lots")),
            "jitter: unknown jitter \"lots\"; expected one of \"none\", \"full\", \"equal\""
        );
        assert_eq!(
            set("initial_delay", Value::String("10 sec")),
            "initial_delay: invalid duration \"10 sec\": expected a number and a unit, e.g. \"10s\""
        );
        assert_eq!(
            set("max_delay", Value::Integer(5)),
            "max_delay: expected a duration string such as \"100ms\" or \"1m 30s\", found the integer 5; \
             write it with its unit, e.g. \"5s\" or \"5ms\""
        );
        assert_eq!(
            set("max_delay", Value::Float(1.5)),
            "max_delay: expected a duration string such as \"100ms\" or \"1m 30s\", found the number 1.5; \
             write it with its unit, e.g. \"1.5s\" or \"1.5ms\""
        );
        assert_eq!(
            set("max_delay", Value::Float(2.0)),
            "max_delay: expected a duration string such as \"100ms\" or \"1m 30s\", found the number 2.0; \
             write it with its unit, e.g. \"2s\" or \"2ms\""
        );
        assert_eq!(
            set("max_delay", Value::Integer(-1)),
            "max_delay: expected a duration string such as \"100ms\" or \"1m 30s\", found the integer -1; \
             a duration cannot be negative"
        );
        assert_eq!(
            set("max_delay", Value::Float(-0.5)),
            "max_delay: expected a duration string such as \"100ms\" or \"1m 30s\", found the number -0.5; \
             a duration cannot be negative"
        );
        // Not numbers a unit could fix, nor below zero: said as found (a "-0s" would be refused).
        for odd in [f64::NAN, -0.0] {
            assert_eq!(
                set("max_delay", Value::Float(odd)),
                format!(
                    "max_delay: expected a duration string such as \"100ms\" or \"1m 30s\", found the number {odd:?}"
                )
            );
        }
        assert_eq!(
            set("max_attempts", Value::String("3")),
            "max_attempts: expected an integer >= 1 or \"unbounded\", found the string \"3\"; write the number without quotes"
        );
        assert_eq!(
            set("max_attempts", Value::Integer(-1)),
            "max_attempts: expected an integer >= 1 or \"unbounded\", found the integer -1; \
             for no limit, write `max_attempts = \"unbounded\"` and set `max_elapsed`"
        );
        assert_eq!(
            set("max_attempts", Value::Float(3.5)),
            "max_attempts: expected an integer >= 1 or \"unbounded\", found the number 3.5; \
             write a whole number, e.g. `max_attempts = 4`"
        );
        assert_eq!(
            set("max_attempts", Value::Float(0.4)),
            "max_attempts: expected an integer >= 1 or \"unbounded\", found the number 0.4; \
             write a whole number, e.g. `max_attempts = 1`"
        );
        assert_eq!(
            set("max_attempts", Value::Float(f64::INFINITY)),
            "max_attempts: expected an integer >= 1 or \"unbounded\", found the number inf; \
             for no limit, write `max_attempts = \"unbounded\"` and set `max_elapsed`"
        );
        assert_eq!(set("colour", Value::Bool(true)).split(';').next(), Some("colour: unknown key `colour`"));
    }

    #[test]
    fn base_delays_follow_each_schedule() {
        let ms = Duration::from_millis;
        let build = |backoff| {
            Policy::builder()
                .backoff(backoff)
                .initial_delay(ms(100))
                .max_delay(ms(1000))
                .increment(ms(50))
                .build()
                .unwrap()
        };
        let schedule = |policy: &Policy| (1..=6).map(|n| policy.base_delay(n)).collect::<Vec<_>>();
        assert_eq!(schedule(&build(Backoff::Fixed)), [ms(100); 6]);
        assert_eq!(schedule(&build(Backoff::Incremental)), [ms(100), ms(150), ms(200), ms(250), ms(300), ms(350)]);
        assert_eq!(schedule(&build(Backoff::Exponential)), [ms(100), ms(200), ms(400), ms(800), ms(1000), ms(1000)]);
        assert_eq!(build(Backoff::Exponential).base_delay(u32::MAX), ms(1000));
    }
}
