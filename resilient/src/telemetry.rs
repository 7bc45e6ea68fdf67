//! The `tracing` events of the retry loop. Nothing here runs on a first-try success.

use std::fmt;
use std::time::Duration;

use crate::registry::CallSite;

/// Why a call stopped retrying and returned its last error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GiveUp {
    /// Every attempt of `max_attempts` failed.
    AttemptsExhausted,
    /// The next wait would end past `max_elapsed` (or at it, with an attempt timeout).
    Deadline,
    /// A retry was followed by an error that retrying cannot fix.
    Permanent,
    /// The policy's circuit breaker opened while the call was retrying.
    CircuitOpen,
    /// The policy's retry budget is spent.
    RetryBudget,
    /// The call had to wait, and no tokio runtime was running to wait in.
    NoRuntime,
}

impl GiveUp {
    fn as_str(self) -> &'static str {
        match self {
            GiveUp::AttemptsExhausted => "attempts exhausted",
            GiveUp::Deadline => "deadline",
            GiveUp::Permanent => "permanent error",
            GiveUp::CircuitOpen => "circuit breaker open",
            GiveUp::RetryBudget => "retry budget spent",
            GiveUp::NoRuntime => "no tokio runtime to wait in",
        }
    }
}

/// Formats an error with the function the call site chose for its type (`Display`, else
/// `Debug`, else the type's name), so the error type need not implement `Display`.
pub(crate) struct ErrorText<'a, E>(pub &'a E, pub fn(&E, &mut fmt::Formatter<'_>) -> fmt::Result);

impl<E> fmt::Display for ErrorText<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.1)(self.0, f)
    }
}

/// Whether `WARN` events can be seen at all. The retry loop asks before [`retrying`]: with
/// `WARN` off (no subscriber, say) a retry neither calls it nor passes its seven arguments,
/// one more than fit in registers (17 of a zero-delay retry's 686 instructions).
#[inline(always)]
pub(crate) fn warn_enabled() -> bool {
    tracing::level_enabled!(tracing::Level::WARN)
}

/// `WARN`: attempt `attempt` failed and the call waits `delay` before the next one.
/// `max_attempts` is 0 when attempts are unbounded.
#[inline(never)]
pub(crate) fn retrying(
    site: &CallSite,
    attempt: u32,
    max_attempts: u32,
    delay: Duration,
    throttled: bool,
    error: &dyn fmt::Display,
) {
    tracing::warn!(
        target: "resilient",
        policy = site.policy_name(),
        operation = site.operation(),
        attempt,
        max_attempts,
        delay_ms = delay.as_millis() as u64,
        throttled,
        error = %error,
        "attempt failed, retrying"
    );
}

/// `ERROR`: the call returns its last error after `attempts` attempts.
pub(crate) fn giving_up(site: &CallSite, attempts: u32, elapsed: Duration, reason: GiveUp, error: &dyn fmt::Display) {
    tracing::error!(
        target: "resilient",
        policy = site.policy_name(),
        operation = site.operation(),
        attempts,
        elapsed_ms = elapsed.as_millis() as u64,
        reason = reason.as_str(),
        error = %error,
        "giving up"
    );
}

/// `WARN`, once per name and registry: a call named a policy the registry does not have;
/// `fix` says how to mend it (`registry::missing_policy_fix`).
pub(crate) fn unknown_policy(name: &str, generation: u64, fix: &str) {
    tracing::warn!(
        target: "resilient",
        policy = name,
        generation,
        "no policy named `{name}` in the installed registry; using its defaults; {fix}"
    );
}

/// What a call site's policy has that its error type, unable to hold a `Rejected`, keeps from
/// acting.
#[derive(Debug, Clone, Copy)]
pub(crate) enum NoHome {
    /// An attempt timeout: attempts run untimed.
    Timeout,
    /// A circuit breaker: an open one lets the site's calls through.
    Breaker,
}

/// `ERROR`, once per call site and [`NoHome`]: the policy has an attempt timeout or a circuit
/// breaker, but the site's error type cannot hold a `Rejected`, so it cannot act.
pub(crate) fn no_rejection_home(site: &CallSite, what: NoHome) {
    let policy = site.policy_name();
    let (feature, so) = match what {
        NoHome::Timeout => ("an attempt timeout", "its attempts run untimed"),
        NoHome::Breaker => ("a circuit breaker", "an open breaker lets its calls through"),
    };
    let or_no_breaker = match (what, site.named_policy()) {
        (NoHome::Breaker, Some(name)) => crate::config::or_turn_off_breaker(name),
        _ => String::new(),
    };
    tracing::error!(
        target: "resilient",
        policy,
        operation = site.operation(),
        "policy `{policy}` has {feature}, but the error type of `{}` cannot hold a `resilient::Rejected`, so {so}; add a variant `Rejected(#[from] resilient::Rejected)` marked `#[transient(delegate)]`{or_no_breaker}",
        site.operation()
    );
}

/// How to give an async call a runtime to wait in, for the two events below.
const RUN_IN_TOKIO: &str = "run it inside a tokio runtime with its time driver: `#[tokio::main]`, `#[tokio::test]`, or a runtime built with `enable_time()`";

/// `ERROR`, once per call site: an async call had to wait before its next attempt outside any
/// tokio runtime, so it returned its last error instead of retrying.
pub(crate) fn no_runtime_to_wait_in(site: &CallSite) {
    tracing::error!(
        target: "resilient",
        policy = site.policy_name(),
        operation = site.operation(),
        "`{}` has to wait before retrying, and waits on tokio's timer, but it is not running inside a tokio runtime, so it returns its error instead of retrying; {RUN_IN_TOKIO}",
        site.operation()
    );
}

/// `ERROR`, once per process: an attempt with a timeout had to wait outside any tokio runtime,
/// so it runs untimed.
pub(crate) fn untimed_without_runtime(timeout: Duration) {
    tracing::error!(
        target: "resilient",
        timeout_ms = timeout.as_millis() as u64,
        "an attempt timeout of {} cannot be kept outside a tokio runtime, so the attempt runs untimed; {RUN_IN_TOKIO}",
        crate::rejected::to_the_millisecond(timeout)
    );
}
