//! Property tests: whatever text or TOML values the loader is fed, it returns a registry or an
//! error, and never panics; what it returns holds up (`common/loaded_config.rs`). The fuzz
//! targets in `fuzz/` check the same, for longer.

use proptest::prelude::*;
use resilient::Registry;

#[path = "common/loaded_config.rs"]
mod loaded_config;
use loaded_config::load_and_check;

const KEYS: [&str; 16] = [
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
    "failure_ratio",
    "ratio",
    "min_per_second",
    "sampling_window",
    // `false` turns off the breaker or budget `[defaults]` gives every name.
    "circuit_breaker",
    "retry_budget",
];

/// A TOML value of any type, biased towards what the keys expect.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| if f.is_finite() { format!("{f:?}") } else { "nan".to_owned() }),
        Just("inf".to_owned()),
        Just("-inf".to_owned()),
        any::<bool>().prop_map(|b| b.to_string()),
        "[0-9]{1,25}(ns|us|ms|s|m|h|d| sec|)".prop_map(|s| format!("{s:?}")),
        "(immediate|fixed|incremental|exponential|decorrelated|none|full|equal|single|retry|unbounded|[a-z]{0,8})"
            .prop_map(|s| format!("{s:?}")),
        any::<String>().prop_map(|s| format!("{s:?}")),
        Just("[1, \"2s\"]".to_owned()),
        Just("{ a = 1 }".to_owned()),
        Just("1979-05-27T07:32:00Z".to_owned()),
    ]
}

fn table() -> impl Strategy<Value = String> {
    let header = prop_oneof![
        Just("[defaults]".to_owned()),
        "[a-z]{1,6}".prop_map(|name| format!("[policies.{name}]")),
        "[a-z]{1,6}".prop_map(|name| format!("[policies.{name}.circuit_breaker]")),
        "[a-z]{1,6}".prop_map(|name| format!("[policies.{name}.retry_budget]")),
        Just("[defaults.retry_budget]".to_owned()),
        Just("[defaults.circuit_breaker]".to_owned()),
    ];
    let line = (prop::sample::select(KEYS.to_vec()), value()).prop_map(|(key, value)| format!("{key} = {value}"));
    (header, prop::collection::vec(line, 0..8)).prop_map(|(header, lines)| format!("{header}\n{}\n", lines.join("\n")))
}

/// The checks on a loaded registry, on the shapes random tables seldom reach together: a
/// breaker and budget in `[defaults]`, turned off by one policy, replaced by another's.
#[test]
fn what_a_policy_turns_off_holds_up() {
    load_and_check(
        "[defaults.circuit_breaker]\n[defaults.retry_budget]\n[policies.cache]\ncircuit_breaker = false\n\
         retry_budget = false\n[policies.graph.circuit_breaker]\nfailure_ratio = 0.25\n[policies.mail]\n",
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        load_and_check(&text);
    }

    #[test]
    fn arbitrary_values_never_panic(strict in any::<Option<bool>>(), tables in prop::collection::vec(table(), 0..6)) {
        let mut text = strict.map(|s| format!("strict = {s}\n")).unwrap_or_default();
        text.push_str(&tables.concat());
        load_and_check(&text);
        // A file of tables and keys places every problem.
        if let Err(error) = Registry::from_toml_str(&text) {
            for issue in error.issues() {
                prop_assert!(issue.line_column().is_some(), "{}", issue);
            }
        }
    }
}
