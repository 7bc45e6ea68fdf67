//! A registry written back as the configuration file that makes it: every policy with every
//! key it inherited (and its backoff uses) spelt out, so that operations can see what each
//! name runs under.

use std::fmt;

use crate::registry::NamedPolicy;
use crate::{CircuitBreakerSettings, Registry, RetryBudgetSettings};

/// The registry as a configuration file, every inherited key its backoff uses spelt out: what
/// [`Registry::from_toml_str`] reads back to the same policies, breakers and budgets. For a
/// log line at start-up, or an admin endpoint that shows the configuration in effect
/// ([`installed`](crate::installed)).
///
/// ```
/// let registry = resilient::Registry::from_toml_str(
///     "[defaults]\nmax_attempts = 4\n[policies.graph]\nmax_elapsed = \"2m\"\n[policies.graph.retry_budget]\n",
/// )?;
/// let written = registry.to_string();
/// assert!(written.contains("[policies.graph]\nmax_attempts = 4\n"));
/// assert!(written.contains("[policies.graph.retry_budget]\nratio = 0.1\nmin_per_second = 10\n"));
/// let again = resilient::Registry::from_toml_str(&written)?;
/// assert_eq!(again.policy("graph"), registry.policy("graph"));
/// # Ok::<(), resilient::ConfigError>(())
/// ```
impl fmt::Display for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.strict {
            writeln!(f, "strict = true\n")?;
        }
        let defaults = self.defaults.policy.config_entries();
        write_named(f, "defaults", &self.defaults, &defaults)?;
        for (name, named) in &self.policies {
            let mut entries = named.policy.config_entries();
            // A key the policy's backoff ignores, inherited: written in the policy's table, it
            // would be warned of when the file is read back, and left out it comes back from
            // `[defaults]` the same. (One the policy set itself stays, warning and all.)
            let backoff = named.policy.backoff();
            entries.retain(|entry| !resilient_policy::is_ignored(backoff, entry.0) || !defaults.contains(entry));
            // Left out, a breaker or a budget the policy turned off would come back from
            // `[defaults]`.
            if named.circuit_breaker.is_none() && self.defaults.circuit_breaker.is_some() {
                entries.push(("circuit_breaker", "false".to_owned()));
            }
            if named.retry_budget.is_none() && self.defaults.retry_budget.is_some() {
                entries.push(("retry_budget", "false".to_owned()));
            }
            write_named(f, &policy_path(name), named, &entries)?;
        }
        Ok(())
    }
}

/// `[path]` with `entries`, the policy's keys, then its breaker's and its budget's tables.
fn write_named(f: &mut fmt::Formatter<'_>, path: &str, named: &NamedPolicy, entries: &[(&str, String)]) -> fmt::Result {
    write_table(f, path, entries)?;
    if let Some(breaker) = &named.circuit_breaker {
        write_table(f, &format!("{path}.circuit_breaker"), &breaker_entries(breaker))?;
    }
    if let Some(budget) = &named.retry_budget {
        write_table(f, &format!("{path}.retry_budget"), &budget_entries(budget))?;
    }
    Ok(())
}

fn write_table(f: &mut fmt::Formatter<'_>, path: &str, entries: &[(&str, String)]) -> fmt::Result {
    writeln!(f, "[{path}]")?;
    for (key, value) in entries {
        writeln!(f, "{key} = {value}")?;
    }
    writeln!(f)
}

fn breaker_entries(breaker: &CircuitBreakerSettings) -> [(&'static str, String); 4] {
    let duration = |value| format!("\"{}\"", resilient_policy::format_duration(value));
    [
        ("failure_ratio", format!("{:?}", breaker.failure_ratio)),
        ("minimum_throughput", breaker.minimum_throughput.to_string()),
        ("sampling_window", duration(breaker.sampling_window)),
        ("break_duration", duration(breaker.break_duration)),
    ]
}

fn budget_entries(budget: &RetryBudgetSettings) -> [(&'static str, String); 2] {
    [("ratio", format!("{:?}", budget.ratio)), ("min_per_second", budget.min_per_second.to_string())]
}

/// The key path of policy `name`'s table, as the file writes it and messages name it:
/// `policies.graph`, or `policies."a.b"` for a name a bare key cannot spell.
pub(crate) fn policy_path(name: &str) -> String {
    format!("policies.{}", key(name))
}

/// The end of a message about the circuit breaker of the policy named `name` that says how to
/// turn it off, for calls that need none: the breaker may be one `[defaults]` gives every name.
pub(crate) fn or_turn_off_breaker(name: &str) -> String {
    format!(", or, if its calls need no breaker, write `circuit_breaker = false` under `[{}]`", policy_path(name))
}

/// A policy name as a TOML key: bare when it can be, else quoted with TOML's escapes.
fn key(name: &str) -> String {
    let bare = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if !name.is_empty() && name.chars().all(bare) {
        return name.to_owned();
    }
    let mut quoted = String::from("\"");
    for c in name.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}
