//! What the configuration tests and fuzz targets check of the loader's answer, whatever text
//! it was given. Shared by `tests/config_never_panics.rs` and the fuzz targets in `fuzz/`
//! (which include this file by path).

use resilient::{Delays, Policy, Registry};

/// Loads `text` and checks the answer: an error points inside the text; a registry holds only
/// what the code builder would accept too, its policies' waits respect `max_delay`, and it
/// reads back from its own text (`Display`).
pub fn load_and_check(text: &str) {
    match Registry::from_toml_str(text) {
        Err(error) => {
            assert!(!error.issues().is_empty(), "an error with no issue for {text:?}");
            for issue in error.issues() {
                assert!(!issue.message().is_empty(), "an issue without a message: {issue}");
                if let Some((line, column)) = issue.line_column() {
                    assert!(within(text, line, column), "{issue} points outside {text:?}");
                }
            }
        }
        Ok(registry) => {
            for warning in registry.warnings() {
                assert!(!warning.to_string().is_empty());
            }
            holds_up(registry.defaults());
            // The same registry written in code: the builder accepts it, and agrees on every name.
            let mut rebuilt = Registry::builder().defaults(registry.defaults().clone()).strict(registry.is_strict());
            if let Some(settings) = registry.circuit_breaker(UNNAMED) {
                rebuilt = rebuilt.defaults_circuit_breaker(settings.clone());
            }
            if let Some(settings) = registry.retry_budget(UNNAMED) {
                rebuilt = rebuilt.defaults_retry_budget(settings.clone());
            }
            for name in registry.names() {
                let policy = registry.policy(name).expect("a listed name has a policy");
                holds_up(policy);
                rebuilt = rebuilt.policy(name, policy.clone());
                rebuilt = match registry.circuit_breaker(name) {
                    Some(settings) => rebuilt.circuit_breaker(name, settings.clone()),
                    None => rebuilt.without_circuit_breaker(name),
                };
                rebuilt = match registry.retry_budget(name) {
                    Some(settings) => rebuilt.retry_budget(name, settings.clone()),
                    None => rebuilt.without_retry_budget(name),
                };
            }
            match rebuilt.build() {
                Ok(rebuilt) => same(&registry, &rebuilt, "the same registry built in code"),
                Err(error) => panic!("the file accepted what the code builder refuses: {error}\n{text}"),
            }
            // Written back as a file, it reads back to the same registry.
            let written = registry.to_string();
            match Registry::from_toml_str(&written) {
                Ok(again) => same(&registry, &again, &written),
                Err(error) => panic!("the registry's own text does not load: {error}\n{written}"),
            }
        }
    }
}

/// A name no file or test configures: it resolves to the defaults, breaker and budget included.
const UNNAMED: &str = "no-such-policy";

/// Asserts that `a` and `b` give every name the same policy, breaker and budget.
fn same(a: &Registry, b: &Registry, written: &str) {
    assert_eq!(a.is_strict(), b.is_strict(), "{written}");
    assert_eq!(a.names().collect::<Vec<_>>(), b.names().collect::<Vec<_>>(), "{written}");
    // A name without a table of its own gets the defaults, breaker and budget included.
    for name in a.names().chain([UNNAMED]) {
        assert_eq!(a.resolve(name), b.resolve(name), "{name} in {written}");
        assert_eq!(a.circuit_breaker(name), b.circuit_breaker(name), "{name} in {written}");
        assert_eq!(a.retry_budget(name), b.retry_budget(name), "{name} in {written}");
    }
}

/// Whether 1-based `line` and `column` (characters) is a place in `text`, its end included.
fn within(text: &str, line: usize, column: usize) -> bool {
    // `split('\n')` yields one piece more than there are newlines: the text's end is a place.
    let content = text.split('\n').nth(line.wrapping_sub(1));
    content.is_some_and(|content| column >= 1 && column <= content.chars().count() + 1)
}

/// A policy the file accepted: the builder accepts it too, and no wait exceeds `max_delay`.
fn holds_up(policy: &Policy) {
    let rebuilt = policy.to_builder().build();
    assert!(rebuilt.is_ok(), "the file accepted a policy the builder refuses: {policy:?}: {rebuilt:?}");
    for (retry, delay) in Delays::new(policy, 7).take(40).enumerate() {
        assert!(delay <= policy.max_delay(), "retry {} waits {delay:?} under {policy:?}", retry + 1);
    }
    for retry in [1, 2, 63, 64, 1_000, u32::MAX] {
        assert!(policy.base_delay(retry) <= policy.max_delay());
    }
}
