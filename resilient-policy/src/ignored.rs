//! Keys a policy's backoff ignores: legal, and a sign that the policy is not what its author
//! meant. The configuration file warns of them where they are written, and `#[retry]` where
//! an inline policy writes them, both with this message.

use crate::Backoff;

/// The warning for `key`, written in a policy whose backoff is `backoff`, if that backoff
/// ignores it: `increment` without `incremental`, `multiplier` without `exponential`, `jitter`
/// with `decorrelated`, and `initial_delay` and `jitter` with `immediate`, which does not wait.
///
/// ```
/// # extern crate resilient_policy;
/// use resilient_policy::{Backoff, ignored_key};
///
/// assert!(ignored_key(Backoff::Exponential, "multiplier").is_none());
/// let warning = ignored_key(Backoff::Fixed, "multiplier").unwrap();
/// assert!(warning.starts_with("`multiplier` is the factor of `backoff = \"exponential\"`"), "{warning}");
/// ```
pub fn ignored_key(backoff: Backoff, key: &str) -> Option<String> {
    let (what_it_does, fix) = explain(backoff, key)?;
    Some(format!(
        "`{key}` {what_it_does}, and this policy's backoff is \"{}\", so it is ignored; {fix}",
        backoff.name()
    ))
}

/// Whether `backoff` ignores `key`, the condition of [`ignored_key`]'s warning, for the rules
/// that follow from it without a message.
///
/// ```
/// # extern crate resilient_policy;
/// use resilient_policy::{Backoff, is_ignored};
///
/// assert!(is_ignored(Backoff::Immediate, "jitter"));
/// assert!(!is_ignored(Backoff::Exponential, "jitter"));
/// ```
pub fn is_ignored(backoff: Backoff, key: &str) -> bool {
    explain(backoff, key).is_some()
}

/// What `key` does and how to mend the policy, if `backoff` ignores it.
fn explain(backoff: Backoff, key: &str) -> Option<(&'static str, &'static str)> {
    let (is_ignored, what_it_does, fix) = match key {
        "increment" => (
            backoff != Backoff::Incremental,
            "is the step of `backoff = \"incremental\"`",
            "set `backoff = \"incremental\"` or remove `increment`",
        ),
        "multiplier" => (
            backoff != Backoff::Exponential,
            "is the factor of `backoff = \"exponential\"`",
            "set `backoff = \"exponential\"` or remove `multiplier`",
        ),
        // An immediate retry has no wait to start from or to randomise.
        "initial_delay" => (
            backoff == Backoff::Immediate,
            "is the first wait",
            "remove `initial_delay`, or choose a backoff that waits",
        ),
        "jitter" => match backoff {
            Backoff::Decorrelated => {
                (true, "randomises a backoff that is not random already", "remove `jitter`, or choose another backoff")
            }
            Backoff::Immediate => (true, "randomises a wait", "remove `jitter`, or choose a backoff that waits"),
            _ => return None,
        },
        _ => return None,
    };
    is_ignored.then_some((what_it_does, fix))
}
