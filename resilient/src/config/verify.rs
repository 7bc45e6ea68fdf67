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
        if let Some(name) = site.policy().filter(|name| *name != "default" && registry.policy(name).is_none()) {
            let fix = crate::registry::missing_policy_fix(name, registry.names());
            let message = format!(
                "`#[retry(policy = \"{name}\")]` names a policy the configuration does not define, so it runs under `[defaults]`; {fix}"
            );
            if registry.is_strict() { errors.push(issue(message)) } else { warnings.push(issue(message)) }
        }
        let timeout = match site.policy() {
            None => site.inline_has_timeout(),
            Some(name) => registry.resolve(name).attempt_timeout().is_some(),
        };
        let breaker = site.policy().filter(|name| registry.circuit_breaker(name).is_some());
        let needs = match breaker {
            Some(_) => Some("a circuit breaker"),
            // A plain `fn`'s timeout is never applied, so it rejects nothing.
            None => (timeout && site.is_async).then_some("an attempt timeout"),
        };
        let policy = site.policy().map_or_else(|| "its inline policy".to_owned(), |name| format!("policy `{name}`"));
        if timeout && !site.is_async {
            // An inline one does not compile: only a named policy gets here.
            warnings.push(issue(format!(
                "{policy} has an attempt timeout, which a plain `fn` cannot keep: a blocking attempt cannot be interrupted, so each runs to its end; make the function `async`, give it a policy without `attempt_timeout`, or limit the operation itself (a socket's read timeout, for one)"
            )));
        }
        let or_no_breaker = breaker.map_or_else(String::new, crate::config::or_turn_off_breaker);
        match (needs, site.holds_rejection) {
            (Some(feature), Some(false)) => errors.push(issue(format!(
                "{policy} has {feature}, but the function's error type cannot hold a `resilient::Rejected`, so the runtime could not report a rejection; add a variant `Rejected(#[from] resilient::Rejected)` marked `#[transient(delegate)]`{or_no_breaker}"
            ))),
            (Some(feature), None) => warnings.push(issue(format!(
                "{policy} has {feature}, and whether the function's error type can hold a `resilient::Rejected` could not be checked here (it is generic, or names `Self` or a lifetime); a generic one needs the bound `From<resilient::Rejected>` on the function, or no rejection is returned, whatever type a caller picks"
            ))),
            _ => {}
        }
    }
    if errors.is_empty() { Ok(warnings) } else { Err(ConfigError { issues: errors }) }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::Policy;
    use crate::registry::{CallSite, PolicyEntry, SiteState};

    /// A record of an inline call site under `policy`, whose error type holds a rejection or
    /// not, as the macro would register it.
    fn inline_site(policy: Policy, holds_rejection: Option<bool>) -> CallSiteRecord {
        let entry = Box::leak(Box::new(PolicyEntry::inline(policy)));
        let site = Box::leak(Box::new(CallSite::inline(entry, "app::fetch", Box::leak(Box::new(SiteState::new())))));
        CallSiteRecord { site, file: "src/app.rs", line: 7, holds_rejection, is_async: true }
    }

    #[test]
    fn an_inline_timeout_whose_error_type_cannot_hold_a_rejection_is_an_error() {
        let timed = || Policy::builder().attempt_timeout(Duration::from_secs(1)).build().unwrap();
        let registry = Registry::default();
        let error = call_sites(&registry, [&inline_site(timed(), Some(false))]).unwrap_err().to_string();
        assert!(
            error.starts_with("src/app.rs:7: app::fetch: its inline policy has an attempt timeout, but the function's error type cannot hold a `resilient::Rejected`"),
            "{error}"
        );
        assert_eq!(call_sites(&registry, [&inline_site(timed(), Some(true))]).unwrap(), []);
        let generic = call_sites(&registry, [&inline_site(timed(), None)]).unwrap();
        assert_eq!(generic.len(), 1, "a warning: {generic:?}");
        assert_eq!(call_sites(&registry, [&inline_site(Policy::DEFAULT, Some(false))]).unwrap(), [], "no timeout");
    }
}
