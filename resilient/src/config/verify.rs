//! Checking every `#[retry]` call site of the program against a registry.

use super::{ConfigError, ConfigIssue, ConfigWarning, Location};
use crate::__private::CallSiteRecord;
use crate::Registry;

/// The warnings, or every error, for these call sites under `registry`.
pub(crate) fn call_sites<'a>(
    registry: &Registry,
    sites: impl IntoIterator<Item = &'a CallSiteRecord>,
) -> Result<Vec<ConfigWarning>, ConfigError> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut sites: Vec<&CallSiteRecord> = sites.into_iter().collect();
    sites.sort_by_key(|site| (site.file, site.line));
    for site in sites {
        let issue = |message: String| ConfigIssue {
            location: Location::CallSite { file: site.file, line: site.line },
            path: site.operation().to_owned(),
            message,
        };
        // An inline policy was checked when the function compiled: it has no breaker, and an
        // `attempt_timeout` compiles only on an `async fn` whose error type holds a rejection.
        let Some(name) = site.policy() else { continue };
        if name != "default" && registry.policy(name).is_none() {
            let fix = crate::registry::missing_policy_fix(name, registry.names());
            let message = format!(
                "`#[retry(policy = \"{name}\")]` names a policy the configuration does not define, so it runs under `[defaults]`; {fix}"
            );
            if registry.is_strict() { errors.push(issue(message)) } else { warnings.push(issue(message)) }
        }
        let timeout = registry.resolve(name).attempt_timeout().is_some();
        let needs = if registry.circuit_breaker(name).is_some() {
            Some("a circuit breaker")
        } else {
            // A plain `fn`'s timeout is never applied, so it rejects nothing.
            (timeout && site.is_async).then_some("an attempt timeout")
        };
        let policy = format!("policy `{name}`");
        if timeout && !site.is_async {
            warnings.push(issue(format!(
                "{policy} has an attempt timeout, which a plain `fn` cannot keep: a blocking attempt cannot be interrupted, so each runs to its end; make the function `async`, give it a policy without `attempt_timeout`, or limit the operation itself (a socket's read timeout, for one)"
            )));
        }
        match (needs, site.holds_rejection) {
            (Some(feature), Some(false)) => errors.push(issue(format!(
                "{policy} has {feature}, but the function's error type cannot hold a `resilient::Rejected`, so the runtime could not report a rejection; add a variant `Rejected(#[from] resilient::Rejected)` marked `#[transient(delegate)]`"
            ))),
            (Some(feature), None) => warnings.push(issue(format!(
                "{policy} has {feature}, and whether the function's error type can hold a `resilient::Rejected` could not be checked here (it is generic, or names `Self` or a lifetime); a generic one needs the bound `From<resilient::Rejected>` on the function, or no rejection is returned, whatever type a caller picks"
            ))),
            _ => {}
        }
    }
    if errors.is_empty() { Ok(warnings) } else { Err(ConfigError { issues: errors }) }
}
