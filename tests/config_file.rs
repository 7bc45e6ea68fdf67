//! The configuration file: every key, inheritance, every rule with its message and position,
//! and files that are empty, not UTF-8, not TOML or missing.

use std::time::Duration;

use resilient::{Backoff, Jitter, Nested, Registry};

mod common;
use common::{DESIGN_EXAMPLE, design_example_fixed};

fn load(text: &str) -> Registry {
    Registry::from_toml_str(text).unwrap_or_else(|error| panic!("{error}"))
}

fn errors(text: &str) -> Vec<String> {
    Registry::from_toml_str(text).unwrap_err().issues().iter().map(ToString::to_string).collect()
}

/// The warnings of a file that loads.
fn warnings_of(text: &str) -> Vec<String> {
    load(text).warnings().iter().map(ToString::to_string).collect()
}

fn error(text: &str) -> String {
    let all = errors(text);
    assert_eq!(all.len(), 1, "{all:#?}");
    all.into_iter().next().unwrap()
}

#[test]
fn every_key_is_read() {
    let registry = load(
        r#"
strict = true

[policies.all]
max_attempts = 7
backoff = "incremental"
initial_delay = "10ms"
increment = "5ms"
multiplier = 3.5
jitter = "equal"
max_delay = "1m 30s"
max_elapsed = "5m"
attempt_timeout = "20s"
nested = "retry"

[policies.all.circuit_breaker]
failure_ratio = 0.25
minimum_throughput = 50
sampling_window = "1m"
break_duration = "10s"

[policies.all.retry_budget]
ratio = 0.2
min_per_second = 5
"#,
    );
    assert!(registry.is_strict());
    let policy = registry.policy("all").unwrap();
    assert_eq!(policy.max_attempts(), Some(7));
    assert_eq!(policy.backoff(), Backoff::Incremental);
    assert_eq!(policy.initial_delay(), Duration::from_millis(10));
    assert_eq!(policy.increment(), Duration::from_millis(5));
    assert_eq!(policy.multiplier(), 3.5);
    assert_eq!(policy.jitter(), Jitter::Equal);
    assert_eq!(policy.max_delay(), Duration::from_secs(90));
    assert_eq!(policy.max_elapsed(), Some(Duration::from_secs(300)));
    assert_eq!(policy.attempt_timeout(), Some(Duration::from_secs(20)));
    assert_eq!(policy.nested(), Nested::Retry);
    let breaker = registry.circuit_breaker("all").unwrap();
    assert_eq!(breaker.failure_ratio, 0.25);
    assert_eq!(breaker.minimum_throughput, 50);
    assert_eq!(breaker.sampling_window, Duration::from_secs(60));
    assert_eq!(breaker.break_duration, Duration::from_secs(10));
    let budget = registry.retry_budget("all").unwrap();
    assert_eq!((budget.ratio, budget.min_per_second), (0.2, 5));
}

#[test]
fn policies_inherit_builtin_then_defaults_then_their_own() {
    let registry = load(
        r#"
[defaults]
max_attempts = 4
initial_delay = "50ms"

[defaults.retry_budget]
ratio = 0.3

[policies.graph]
max_attempts = 6
max_elapsed = "2m"

[policies.graph.retry_budget]
min_per_second = 1
"#,
    );
    let graph = registry.policy("graph").unwrap();
    assert_eq!(graph.max_attempts(), Some(6), "its own");
    assert_eq!(graph.initial_delay(), Duration::from_millis(50), "from [defaults]");
    assert_eq!(graph.max_delay(), Duration::from_secs(20), "built in");
    let budget = registry.retry_budget("graph").unwrap();
    assert_eq!((budget.ratio, budget.min_per_second), (0.3, 1), "sub-tables inherit key by key");
    assert_eq!(registry.defaults().max_attempts(), Some(4));
    assert_eq!(registry.resolve("unknown").initial_delay(), Duration::from_millis(50));
    assert!(!registry.is_strict());
}

#[test]
fn the_designs_examples_read_as_documented() {
    let text = "[policies.graph]\nmax_attempts = 0\n";
    assert_eq!(
        error(text),
        "<string>:2:16: policies.graph.max_attempts: expected an integer >= 1, found 0; use `max_attempts = 1` to disable retries"
    );
    assert_eq!(
        error("[policies.graph]\nmax_attempt = 3\n"),
        "<string>:2:1: policies.graph: unknown key `max_attempt`, did you mean `max_attempts`?"
    );
    assert_eq!(
        error("[policies.graph]\ninitial_delay = \"10 sec\"\n"),
        "<string>:2:17: policies.graph.initial_delay: invalid duration \"10 sec\": expected a number and a unit, e.g. \"10s\""
    );
}

#[test]
fn the_designs_example_file_breaks_its_own_window_rule_and_reads_once_fixed() {
    // DESIGN.md asks for a breaker window at least twice the attempt timeout, so that one
    // window sees a slow outage's attempts time out; its example's window equals its timeout.
    assert_eq!(
        error(DESIGN_EXAMPLE),
        "<string>:17:19: policies.graph.circuit_breaker.sampling_window: the sampling window (30s) is shorter than twice the attempt timeout (30s), so a slow outage is never seen whole; make `sampling_window` at least 1m"
    );
    let registry = load(&design_example_fixed());
    let graph = registry.policy("graph").unwrap();
    assert_eq!(graph.max_attempts(), Some(6));
    assert_eq!(graph.max_elapsed(), Some(Duration::from_secs(120)));
    assert_eq!(graph.attempt_timeout(), Some(Duration::from_secs(30)));
    assert_eq!(
        (graph.backoff(), graph.initial_delay(), graph.jitter()),
        (Backoff::Exponential, Duration::from_millis(100), Jitter::Full)
    );
    assert_eq!(registry.circuit_breaker("graph").unwrap().sampling_window, Duration::from_secs(60));
    assert_eq!(registry.retry_budget("graph").unwrap().min_per_second, 10);
}

#[test]
fn every_rule_is_an_error_at_its_value() {
    let cases = [
        ("multiplier = 0.5", "policies.p.multiplier: expected a finite number >= 1, found 0.5"),
        ("multiplier = nan", "policies.p.multiplier: expected a finite number >= 1, found NaN"),
        (
            "initial_delay = \"5s\"\nmax_delay = \"1s\"",
            "policies.p.max_delay: `max_delay` (1s) is shorter than `initial_delay` (5s)",
        ),
        (
            "backoff = \"immediate\"\nmax_attempts = 4",
            "policies.p.backoff: `immediate` is allowed for at most one retry",
        ),
        (
            "max_elapsed = \"10s\"\nattempt_timeout = \"30s\"",
            "policies.p.attempt_timeout: `attempt_timeout` (30s) is longer than `max_elapsed` (10s)",
        ),
        (
            "max_attempts = \"unbounded\"",
            "policies.p.max_attempts: unbounded attempts without a deadline would retry forever",
        ),
        ("attempt_timeout = \"0s\"", "policies.p.attempt_timeout: expected a duration above zero"),
        (
            "backoff = \"exponental\"",
            "policies.p.backoff: unknown backoff \"exponental\"; did you mean \"exponential\"?",
        ),
        ("jitter = 1", "policies.p.jitter: expected one of \"none\", \"full\", \"equal\", found the integer 1"),
        (
            "max_delay = [1, 2]",
            "policies.p.max_delay: expected a duration string such as \"100ms\" or \"1m 30s\", found an array",
        ),
        ("max_elapsed = \"400d\"", "policies.p.max_elapsed: invalid duration \"400d\": longer than a year"),
    ];
    for (body, expected) in cases {
        let message = error(&format!("[policies.p]\n{body}\n"));
        assert!(message.contains(expected), "{body}:\n  got      {message}\n  expected {expected}");
        assert!(message.starts_with("<string>:"), "{message}");
    }
}

#[test]
fn breaker_and_budget_rules_are_errors() {
    let cases = [
        (
            "[p.circuit_breaker]\nfailure_ratio = 1.5",
            "policies.p.circuit_breaker.failure_ratio: expected a number in (0, 1]",
        ),
        (
            "[p.circuit_breaker]\nminimum_throughput = 0",
            "policies.p.circuit_breaker.minimum_throughput: expected an integer >= 1",
        ),
        (
            "[p.circuit_breaker]\nbreak_duration = \"0s\"",
            "policies.p.circuit_breaker.break_duration: expected a duration above zero",
        ),
        (
            "[p.circuit_breaker]\nfailure_rate = 0.5",
            "policies.p.circuit_breaker: unknown key `failure_rate`, did you mean `failure_ratio`?",
        ),
        ("[p.retry_budget]\nratio = -1", "policies.p.retry_budget.ratio: expected a number in [0, 1]"),
        (
            "[p.retry_budget]\nmin_per_second = \"ten\"",
            "policies.p.retry_budget.min_per_second: expected an integer, e.g. 20, found the string \"ten\"",
        ),
        (
            "[p]\nattempt_timeout = \"30s\"\n[p.circuit_breaker]\nsampling_window = \"45s\"",
            "policies.p.circuit_breaker.sampling_window: the sampling window (45s) is shorter than twice the attempt timeout (30s)",
        ),
    ];
    for (body, expected) in cases {
        let text = body.replace("[p", "[policies.p");
        let message = error(&text);
        assert!(message.contains(expected), "{body}:\n  got      {message}\n  expected {expected}");
    }
}

#[test]
fn unknown_keys_and_tables_suggest_the_right_one() {
    assert_eq!(error("[polices.graph]\n"), "<string>:1:2: unknown key `polices`, did you mean `policies`?");
    assert_eq!(
        error("strict = \"yes\"\n"),
        "<string>:1:10: strict: expected `true` or `false`, found the string \"yes\""
    );
    assert_eq!(
        error("[policies]\ngraph = 3\n"),
        "<string>:2:9: policies.graph: expected a table `[policies.graph]`, found an integer"
    );
    assert!(
        error("[defaults]\ncolour = \"red\"\n")
            .starts_with("<string>:2:1: defaults: unknown key `colour`; see the policy keys")
    );
}

#[test]
fn a_policy_written_outside_its_table_names_the_table() {
    let above_every_table = "<string>:1:1: unknown key `max_attempts` at the top level; write it under `[defaults]`, \
         for every policy, or under `[policies.NAME]`, for one";
    assert_eq!(error("max_attempts = 3\n[defaults]\n"), above_every_table);
    assert!(error("[circuit_breaker]\nfailure_ratio = 0.5\n").contains("`circuit_breaker` at the top level"));
    assert_eq!(
        error("[graph]\nmax_attempts = 2\n"),
        "<string>:1:2: unknown key `graph`; a policy's table is named `[policies.graph]`"
    );
    assert_eq!(
        error("[\"my graph\"]\nmax_attempts = 2\n"),
        "<string>:1:2: unknown key `my graph`; a policy's table is named `[policies.\"my graph\"]`"
    );
    assert_eq!(
        error("[policy.graph]\nmax_attempts = 2\n"),
        "<string>:1:2: unknown key `policy`; the policies' tables are named `[policies.NAME]`"
    );
    // A key that is neither still lists what the top level holds.
    assert_eq!(
        error("colour = 1\n"),
        "<string>:1:1: unknown key `colour`; expected `strict`, `[defaults]` or `[policies.NAME]`"
    );
}

#[test]
fn a_policy_can_turn_off_the_breaker_and_budget_its_defaults_give_it() {
    let registry = load(
        r#"
[defaults.circuit_breaker]
failure_ratio = 0.25

[defaults.retry_budget]
ratio = 0.2

[policies.cache]
circuit_breaker = false
retry_budget = false

[policies.graph]
max_attempts = 6

[policies.mail]
retry_budget = false

[policies.mail.circuit_breaker]
minimum_throughput = 5
"#,
    );
    assert_eq!((registry.circuit_breaker("cache"), registry.retry_budget("cache")), (None, None));
    assert_eq!(registry.circuit_breaker("graph").map(|b| b.failure_ratio), Some(0.25), "inherited");
    assert_eq!(registry.retry_budget("graph").map(|b| b.ratio), Some(0.2), "inherited");
    let mail = registry.circuit_breaker("mail").unwrap();
    assert_eq!((mail.failure_ratio, mail.minimum_throughput), (0.25, 5), "its own, over the defaults'");
    assert_eq!(registry.retry_budget("mail"), None);
    assert!(registry.warnings().is_empty(), "{:?}", registry.warnings());

    // Written back, what was turned off stays off.
    let written = registry.to_string();
    assert!(
        written.contains("nested = \"single\"\ncircuit_breaker = false\nretry_budget = false\n\n[policies.graph]"),
        "{written}"
    );
    let again = load(&written);
    for name in ["cache", "graph", "mail"] {
        assert_eq!(again.circuit_breaker(name), registry.circuit_breaker(name), "{name}");
        assert_eq!(again.retry_budget(name), registry.retry_budget(name), "{name}");
    }

    // An attempt timeout the inherited window is too short for: no error once turned off.
    let short_window =
        "[defaults.circuit_breaker]\nsampling_window = \"30s\"\n[policies.slow]\nattempt_timeout = \"20s\"\n";
    assert_eq!(
        error(short_window),
        "<string>:3:11: policies.slow.circuit_breaker.sampling_window: the sampling window (30s) is shorter than twice \
         the attempt timeout (20s), so a slow outage is never seen whole; make `sampling_window` at least 40s"
    );
    assert_eq!(load(&format!("{short_window}circuit_breaker = false\n")).circuit_breaker("slow"), None);

    // Besides a table, only `false` is taken.
    assert_eq!(
        error("[policies.p]\ncircuit_breaker = true\n"),
        "<string>:2:19: policies.p.circuit_breaker: expected a table `[policies.p.circuit_breaker]`, or `false` for no \
         circuit breaker, found `true`; for a circuit breaker with the default settings, write the table with no keys"
    );
    assert_eq!(
        error("[policies.p]\nretry_budget = \"off\"\n"),
        "<string>:2:16: policies.p.retry_budget: expected a table `[policies.p.retry_budget]`, or `false` for no \
         retry budget, found a string"
    );
}

#[test]
fn values_of_the_wrong_kind_say_what_was_expected() {
    assert_eq!(error("policies = 5\n"), "<string>:1:12: policies: expected tables `[policies.NAME]`, found an integer");
    assert_eq!(
        error("[policies.p.circuit_breaker]\nfailure_ratio = \"half\"\n"),
        "<string>:2:17: policies.p.circuit_breaker.failure_ratio: expected a number, e.g. 0.5, found the string \"half\""
    );
    assert_eq!(
        error("[policies.p.retry_budget]\nratio = \"0.1\"\n"),
        "<string>:2:9: policies.p.retry_budget.ratio: expected a number, e.g. 0.5, found the string \"0.1\"; \
         write the number without quotes"
    );
    assert_eq!(
        error("[policies.p.circuit_breaker]\nminimum_throughput = 99999999999\n"),
        "<string>:2:22: policies.p.circuit_breaker.minimum_throughput: expected an integer from 0 to 4294967295, found 99999999999"
    );
    assert_eq!(
        error("[policies.p.circuit_breaker]\nbreak_duration = 15\n"),
        "<string>:2:18: policies.p.circuit_breaker.break_duration: expected a duration string such as \"100ms\" or \"1m 30s\", \
         found the integer 15; write it with its unit, e.g. \"15s\" or \"15ms\""
    );
    assert_eq!(
        error("[policies.p]\nmax_attempts = 0x7fffffffffffffff1\n"),
        "<string>:2:16: policies.p.max_attempts: expected an integer >= 1 or \"unbounded\", found an integer too large"
    );
    // A whole float is shown as written: "found the number 3" would read as an integer.
    assert_eq!(
        error("[policies.p]\nmax_attempts = 3.0\n"),
        "<string>:2:16: policies.p.max_attempts: expected an integer >= 1 or \"unbounded\", found the number 3.0; \
         write a whole number, e.g. `max_attempts = 3`"
    );
    assert_eq!(
        error("[policies.p]\nmax_attempts = -1\n"),
        "<string>:2:16: policies.p.max_attempts: expected an integer >= 1 or \"unbounded\", found the integer -1; \
         for no limit, write `max_attempts = \"unbounded\"` and set `max_elapsed`"
    );
    assert_eq!(
        error("[policies.p]\nmax_delay = 1.5\n"),
        "<string>:2:13: policies.p.max_delay: expected a duration string such as \"100ms\" or \"1m 30s\", \
         found the number 1.5; write it with its unit, e.g. \"1.5s\" or \"1.5ms\""
    );
    assert_eq!(
        error("[policies.p.retry_budget]\nratios = 0.1\n"),
        "<string>:2:1: policies.p.retry_budget: unknown key `ratios`, did you mean `ratio`?"
    );
    assert_eq!(
        error("[policies.p.retry_budget]\nshare = 0.1\n"),
        "<string>:2:1: policies.p.retry_budget: unknown key `share`; the keys here are `ratio`, `min_per_second`"
    );
}

#[test]
fn every_error_of_a_file_is_reported_in_file_order() {
    let all = errors(
        r#"
[defaults]
max_attempts = 0

[policies.a]
initial_delay = "soon"
jiter = "full"

[policies.b]
backoff = "linear"
"#,
    );
    assert_eq!(all.len(), 4, "{all:#?}");
    assert!(all[0].starts_with("<string>:3:16: defaults.max_attempts"), "{all:#?}");
    assert!(all[1].starts_with("<string>:6:17: policies.a.initial_delay"), "{all:#?}");
    assert!(all[2].starts_with("<string>:7:1: policies.a: unknown key `jiter`, did you mean `jitter`?"), "{all:#?}");
    assert!(all[3].starts_with("<string>:10:11: policies.b.backoff: unknown backoff \"linear\""), "{all:#?}");
}

#[test]
fn columns_count_characters_not_bytes() {
    let message = error("# café ☕\n[policies.p]\nnested = \"ünder\"\n");
    assert!(message.starts_with("<string>:3:10: policies.p.nested"), "{message}");
}

#[test]
fn discouraged_choices_are_warnings() {
    let warnings = warnings_of("[policies.steady]\nbackoff = \"fixed\"\nmax_attempts = 10\njitter = \"none\"\n");
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert!(
        warnings[0].starts_with("<string>:2:11: policies.steady.backoff: a fixed interval with many attempts"),
        "{warnings:#?}"
    );
    assert!(warnings[1].starts_with("<string>:4:10: policies.steady.jitter: without jitter"), "{warnings:#?}");
}

#[test]
fn a_discouraged_default_is_warned_of_once_not_for_every_policy_that_inherits_it() {
    let warnings = warnings_of("[defaults]\njitter = \"none\"\n[policies.a]\n[policies.b]\n");
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(warnings[0].starts_with("<string>:2:10: defaults.jitter: without jitter"), "{warnings:#?}");
}

#[test]
fn a_key_the_backoff_ignores_is_a_warning() {
    let warnings = warnings_of("[policies.steps]\nincrement = \"200ms\"\n");
    assert_eq!(
        warnings,
        [
            "<string>:2:13: policies.steps.increment: `increment` is the step of `backoff = \"incremental\"`, and this policy's backoff is \"exponential\", so it is ignored; set `backoff = \"incremental\"` or remove `increment`"
        ]
    );
    assert!(warnings_of("[policies.steps]\nbackoff = \"incremental\"\nincrement = \"200ms\"\n").is_empty());
    // In `[defaults]` it is there for the policies that are incremental.
    let shared = "[defaults]\nincrement = \"200ms\"\n[policies.steps]\nbackoff = \"incremental\"\n";
    assert!(warnings_of(shared).is_empty());

    let warnings = warnings_of("[policies.steady]\nbackoff = \"fixed\"\nmultiplier = 3.0\n");
    assert_eq!(
        warnings,
        [
            "<string>:3:14: policies.steady.multiplier: `multiplier` is the factor of `backoff = \"exponential\"`, and this policy's backoff is \"fixed\", so it is ignored; set `backoff = \"exponential\"` or remove `multiplier`"
        ]
    );
    // Inherited from `[defaults]`, the default multiplier is no one's mistake.
    assert!(warnings_of("[defaults]\nmultiplier = 3.0\n[policies.steady]\nbackoff = \"fixed\"\n").is_empty());

    let warnings = warnings_of("[defaults]\nbackoff = \"decorrelated\"\n[policies.random]\njitter = \"equal\"\n");
    assert_eq!(
        warnings,
        [
            "<string>:4:10: policies.random.jitter: `jitter` randomises a backoff that is not random already, and this policy's backoff is \"decorrelated\", so it is ignored; remove `jitter`, or choose another backoff"
        ]
    );

    // An immediate retry does not wait: neither a first wait nor jitter means anything to it,
    // and `jitter = "none"` is not the discouraged choice it is for a backoff that waits.
    let warnings = warnings_of(
        "[policies.once]\nbackoff = \"immediate\"\nmax_attempts = 2\ninitial_delay = \"1s\"\njitter = \"none\"\n",
    );
    assert_eq!(
        warnings,
        [
            "<string>:4:17: policies.once.initial_delay: `initial_delay` is the first wait, and this policy's backoff is \"immediate\", so it is ignored; remove `initial_delay`, or choose a backoff that waits",
            "<string>:5:10: policies.once.jitter: `jitter` randomises a wait, and this policy's backoff is \"immediate\", so it is ignored; remove `jitter`, or choose a backoff that waits",
        ]
    );
    let inherited = "[defaults]\ninitial_delay = \"1s\"\n[policies.once]\nbackoff = \"immediate\"\nmax_attempts = 2\n";
    assert!(warnings_of(inherited).is_empty());
}

#[test]
fn a_retry_budget_that_allows_no_retry_is_a_warning_where_it_is_written() {
    const NONE_ALLOWED: &str = "ratio = 0\nmin_per_second = 0\n";
    let warnings = warnings_of(&format!(
        "[defaults]\n[defaults.retry_budget]\n{NONE_ALLOWED}[policies.graph]\nmax_attempts = 4\n"
    ));
    assert_eq!(warnings.len(), 1, "once, where it is written, not in `graph` that inherits it: {warnings:#?}");
    assert!(
        warnings[0].starts_with(
            "<string>:3:9: defaults.retry_budget: `ratio = 0` and `min_per_second = 0` allow no retry at all"
        ),
        "{warnings:#?}"
    );
    // Without retries to refuse, there is nothing to warn of.
    let no_retries = format!("[policies.once]\nmax_attempts = 1\n[policies.once.retry_budget]\n{NONE_ALLOWED}");
    assert!(warnings_of(&no_retries).is_empty());
    assert!(warnings_of("[policies.p.retry_budget]\nratio = 0\n").is_empty(), "10 retries a second");
}

#[test]
fn an_empty_file_is_the_builtin_defaults() {
    let registry = load("");
    assert_eq!(registry.defaults(), &resilient::Policy::DEFAULT);
    assert_eq!(registry.names().count(), 0);
    assert!(warnings_of("# only a comment\n").is_empty());
}

#[test]
fn a_file_that_is_not_toml_says_where() {
    let message = error("[policies.graph\nmax_attempts = 3\n");
    assert!(message.starts_with("<string>:1:"), "{message}");
    assert!(message.contains("not valid TOML"), "{message}");
}

#[test]
fn nesting_beyond_the_parser_s_limit_says_so_and_nothing_overflows() {
    const TOO_DEEP: &str = "not valid TOML: tables or arrays nested too deeply; a configuration nests three deep at \
                            most, as in `[policies.NAME.circuit_breaker]`";
    for depth in [200, 100_000] {
        let arrays = error(&format!("[policies.graph]\nmax_attempts = {}{}\n", "[".repeat(depth), "]".repeat(depth)));
        assert!(arrays.starts_with("<string>:2:") && arrays.ends_with(TOO_DEEP), "{arrays}");
        let inline_tables = error(&format!("[policies]\ngraph = {}1{}\n", "{ a = ".repeat(depth), " }".repeat(depth)));
        assert!(inline_tables.ends_with(TOO_DEEP), "{inline_tables}");
        let key = vec!["k"; depth].join(".");
        assert!(error(&format!("[policies.graph.{key}]\n")).ends_with(TOO_DEEP));
        assert!(error(&format!("[policies.graph]\n{key} = 1\n")).ends_with(TOO_DEEP));
    }
}

#[test]
fn a_key_or_table_defined_twice_is_named() {
    let table = error("[policies.graph]\nmax_attempts = 3\n\n[policies.graph] # again\nbackoff = \"fixed\"\n");
    assert_eq!(
        table,
        "<string>:4:11: not valid TOML: the table `[policies.graph]` is defined twice; merge the two into one"
    );
    let key = error("[policies.graph]\nmax_attempts = 3\nmax_attempts = 4\n");
    assert_eq!(key, "<string>:3:1: not valid TOML: `max_attempts` is set twice in its table; keep one");
    let inline_then_header = error("[policies]\ngraph = { max_attempts = 3 }\n[policies.graph]\n");
    assert!(inline_then_header.contains("the table `[policies.graph]` is defined twice"), "{inline_then_header}");
}

#[test]
fn a_value_toml_cannot_read_gets_the_likely_fix() {
    let cases = [
        // The parser alone says "invalid boolean, expected `false`".
        (
            "backoff = fixed",
            "2:11: not valid TOML: `fixed` is not in quotes; a string is written `backoff = \"fixed\"`",
        ),
        (
            "initial_delay = 1m 30s # a comment",
            "`1m 30s` is not in quotes; a string is written `initial_delay = \"1m 30s\"`",
        ),
        ("max_attempts = unbounded", "a string is written `max_attempts = \"unbounded\"`"),
        (
            "max_attempts = three",
            "2:16: not valid TOML: `max_attempts` takes a number, written without quotes; found `three`",
        ),
        ("multiplier = two", "`multiplier` takes a number"),
        ("jitter =", "2:9: not valid TOML: `jitter` has no value; write one after `=`"),
        ("jitter = # none", "`jitter` has no value"),
        // Slips of another kind keep the parser's words.
        ("max_attempts = 3 4", "not valid TOML: string values must be quoted"),
        ("backoff = \"fixed\" extra", "not valid TOML: unexpected key or value"),
    ];
    for (line, expected) in cases {
        let message = error(&format!("[policies.graph]\n{line}\n"));
        assert!(message.contains(expected), "{line}: {message}");
    }
    assert_eq!(error("strict = yes\n"), "<string>:1:10: not valid TOML: `strict` is `true` or `false`, found `yes`");
}

#[test]
fn missing_and_non_utf8_files_are_errors_that_say_so() {
    let missing = Registry::from_path("/no/such/dir/resilient.toml").unwrap_err().to_string();
    assert!(missing.starts_with("/no/such/dir/resilient.toml: cannot read the configuration:"), "{missing}");
    assert!(missing.contains("$RESILIENT_CONFIG"), "{missing}");

    let dir = std::env::temp_dir().join(format!("resilient-config-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("latin1.toml");
    std::fs::write(&path, b"[policies.caf\xe9]\n").unwrap();
    let not_utf8 = Registry::from_path(&path).unwrap_err().to_string();
    assert!(not_utf8.ends_with("latin1.toml:1:14: the file is not UTF-8 text; save it as UTF-8"), "{not_utf8}");

    let good = dir.join("good.toml");
    std::fs::write(&good, "[policies.graph]\nmax_attempts = 5\n").unwrap();
    assert_eq!(Registry::from_path(&good).unwrap().policy("graph").unwrap().max_attempts(), Some(5));
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[policies.graph]\nmax_attempts = 0\n").unwrap();
    let message = Registry::from_path(&bad).unwrap_err().to_string();
    assert!(message.starts_with(&format!("{}:2:16: ", bad.display())), "{message}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_path_to_something_endless_or_huge_is_an_error_not_a_read_without_end() {
    const TOO_LARGE: &str = ": the file holds more than 16 MiB, far more than any configuration; check that the path names the configuration file";
    // Without a limit, this read would go on until memory ran out.
    #[cfg(unix)]
    assert_eq!(Registry::from_path("/dev/zero").unwrap_err().to_string(), format!("/dev/zero{TOO_LARGE}"));

    let dir = std::env::temp_dir().join(format!("resilient-config-size-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // At the limit a file loads (a comment line, padded out); a byte more is an error.
    let limit = 16 << 20;
    let mut text = "[policies.graph]\nmax_attempts = 5\n#".to_owned();
    text.push_str(&" ".repeat(limit - text.len() - 1));
    text.push('\n');
    let at_limit = dir.join("at-limit.toml");
    std::fs::write(&at_limit, &text).unwrap();
    assert_eq!(Registry::from_path(&at_limit).unwrap().policy("graph").unwrap().max_attempts(), Some(5));
    text.push('\n');
    let over = dir.join("over.toml");
    std::fs::write(&over, &text).unwrap();
    assert_eq!(Registry::from_path(&over).unwrap_err().to_string(), format!("{}{TOO_LARGE}", over.display()));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_policy_displays_as_configuration_lines_that_read_back_to_it() {
    use resilient::Policy;
    let ms = Duration::from_millis;
    let policies = [
        Policy::DEFAULT,
        Policy::builder().unlimited_attempts().max_elapsed(Duration::from_secs(90)).build().unwrap(),
        Policy::builder().backoff(Backoff::Incremental).increment(ms(1500)).max_delay(ms(4000)).build().unwrap(),
        Policy::builder()
            .multiplier(1.5)
            .jitter(Jitter::Equal)
            .initial_delay(Duration::from_nanos(1_234_567))
            .build()
            .unwrap(),
        Policy::builder().backoff(Backoff::Decorrelated).nested(Nested::Retry).build().unwrap(),
        Policy::builder().max_attempts(2).backoff(Backoff::Immediate).jitter(Jitter::None).build().unwrap(),
        Policy::builder().attempt_timeout(ms(250)).max_elapsed(Duration::from_secs(3 * 86_400)).build().unwrap(),
    ];
    for policy in policies {
        let shown = policy.to_string();
        let table = format!("[policies.p]\n{}\n", shown.replace(", ", "\n"));
        assert_eq!(load(&table).policy("p"), Some(&policy), "{shown}");
    }
}

#[test]
fn a_blank_policy_name_is_an_error_in_a_file_and_in_code() {
    let message = "a policy name cannot be blank: no `#[retry(policy = \"...\")]` can name it; name it, e.g. `graph`";
    assert_eq!(error("[policies.\"\"]\nmax_attempts = 5\n"), format!("<string>:1:11: policies.\"\": {message}"));
    assert_eq!(error("[policies.\" \".circuit_breaker]\n"), format!("<string>:1:11: policies.\" \": {message}"));
    let in_code = Registry::builder().policy("", resilient::Policy::DEFAULT).build().unwrap_err().to_string();
    assert_eq!(in_code, format!("Registry::builder(): policies.\"\": {message}"));
}

/// A name a bare key cannot spell is quoted in every key path, as the file writes it:
/// `policies.a.b` would name a table `b` inside a policy `a`.
#[test]
fn a_policy_name_that_needs_quotes_is_quoted_in_key_paths() {
    assert_eq!(
        error("[policies.\"a.b\".circuit_breaker]\nfailure_ratio = 2\n"),
        "<string>:2:17: policies.\"a.b\".circuit_breaker.failure_ratio: expected a number in (0, 1], found 2; \
         e.g. `failure_ratio = 0.5`"
    );
    assert_eq!(
        error("[policies.\"my graph\"]\nmax_atempts = 3\n"),
        "<string>:2:1: policies.\"my graph\": unknown key `max_atempts`, did you mean `max_attempts`?"
    );
    assert_eq!(
        warnings_of("[policies.\"my graph\"]\njitter = \"none\"\n")[0].split(": without").next(),
        Some("<string>:2:10: policies.\"my graph\".jitter")
    );
    let breaker = resilient::CircuitBreakerSettings { failure_ratio: 0.0, ..Default::default() };
    let in_code = Registry::builder().circuit_breaker("a.b", breaker).build().unwrap_err().to_string();
    assert!(in_code.starts_with("Registry::builder(): policies.\"a.b\".circuit_breaker.failure_ratio: "), "{in_code}");
}

#[test]
fn a_registry_displays_as_a_configuration_file_that_reads_back_to_it() {
    let file = r#"
strict = true

[defaults]
max_attempts = 4
jitter = "equal"

[defaults.retry_budget]
ratio = 0.25

[policies.graph]
max_attempts = "unbounded"
max_elapsed = "1m 30s"
attempt_timeout = "20s"

[policies.graph.circuit_breaker]
failure_ratio = 0.07
sampling_window = "45s"

[policies."a.b c"]
backoff = "incremental"
increment = "1.5s"

[policies."quote\" and \\ and \t"]
multiplier = 1.5

[policies."ünïcödé"]
nested = "retry"

[policies.steady]
backoff = "fixed"

[policies.fixed-by-mistake]
backoff = "fixed"
multiplier = 3.0

[policies.once]
backoff = "immediate"
max_attempts = 2
"#;
    let same = |a: &Registry, b: &Registry| {
        assert_eq!(a.is_strict(), b.is_strict());
        assert_eq!(a.names().collect::<Vec<_>>(), b.names().collect::<Vec<_>>());
        assert_eq!(a.defaults(), b.defaults());
        // A name without a table resolves to the defaults, breaker and budget included.
        for name in a.names().chain(["no-such-policy"]) {
            assert_eq!(a.resolve(name), b.resolve(name), "{name}");
            assert_eq!(a.circuit_breaker(name), b.circuit_breaker(name), "{name}");
            assert_eq!(a.retry_budget(name), b.retry_budget(name), "{name}");
        }
    };
    let loaded = load(file);
    let written = loaded.to_string();
    same(&loaded, &load(&written));
    // Without the inherited keys a policy's backoff ignores, which would be warned of; one the
    // policy sets itself stays, and is warned of again.
    let warned: Vec<String> =
        warnings_of(&written).iter().map(|warning| warning.split(": ").nth(1).unwrap().to_owned()).collect();
    assert_eq!(warned, ["policies.fixed-by-mistake.multiplier"], "{written}");
    assert!(
        written.contains("[policies.steady]\nmax_attempts = 4\nbackoff = \"fixed\"\ninitial_delay = \"100ms\"\njitter"),
        "{written}"
    );
    assert!(written.starts_with("strict = true\n\n[defaults]\nmax_attempts = 4\n"), "{written}");
    assert!(written.contains("[policies.\"quote\\\" and \\\\ and \\u0009\"]\n"), "{written}");

    // Written in code, with no breaker in the defaults.
    let breaker = resilient::CircuitBreakerSettings { minimum_throughput: 5, ..Default::default() };
    let built = Registry::builder()
        .policy("search", resilient::Policy::builder().max_attempts(2).build().unwrap())
        .circuit_breaker("search", breaker)
        .build()
        .unwrap();
    same(&built, &load(&built.to_string()));
}
