//! A registry written back as the configuration file that makes it: every policy with every
//! key it inherited (and its backoff uses) spelt out, so that operations can see what each
//! name runs under.

use std::fmt;

use crate::registry::NamedPolicy;
use crate::{CircuitBreakerSettings, Registry, RetryBudgetSettings};

/// The registry as a configuration file, every inherited key its backoff uses spelt out: what
/// [`Registry::from_toml_str`] reads back to the same policies, breakers and budgets (the same
/// in all they do: a key its backoff ignores, left out, comes back from `[defaults]`). For a
/// log line at start-up, or an admin endpoint that shows the configuration in effect.
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
        write_named(f, "defaults", &self.defaults, true)?;
        for (name, named) in &self.policies {
            write_named(f, &format!("policies.{}", key(name)), named, false)?;
        }
        Ok(())
    }
}

/// `[path]` with the policy's keys, then its breaker's and its budget's tables. A policy's
/// table leaves out the keys its backoff ignores (a fixed backoff's `multiplier`): they change
/// nothing, and written there they would be warned of when the file is read back. `[defaults]`
/// keeps them, for the names without a table whose backoff uses them.
fn write_named(f: &mut fmt::Formatter<'_>, path: &str, named: &NamedPolicy, is_defaults: bool) -> fmt::Result {
    let policy = &named.policy;
    let mut entries = policy.config_entries();
    if !is_defaults {
        entries.retain(|(key, _)| resilient_policy::ignored_key(policy.backoff(), key).is_none());
    }
    write_table(f, path, &entries)?;
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

/// A policy name as a TOML key: bare when it can be, else quoted with TOML's escapes.
pub(super) fn key(name: &str) -> String {
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
