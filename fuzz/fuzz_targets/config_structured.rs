//! Configuration files built from the file's own tables, keys and values, so that many of them
//! load (a tenth of the corpus this target keeps, against one in a hundred for the plain-text
//! target, which mostly finds the many ways a file can fail), and the checks on a loaded
//! registry (`resilient_fuzz::load_and_check`) run deep. The policy keys are the policy's own
//! (`resilient_policy::KEYS`), so a new key is fuzzed as soon as it exists.

#![no_main]

use std::collections::HashSet;
use std::fmt::Write;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use resilient_policy::KEYS as POLICY_KEYS;

const NAMES: [&str; 3] = ["graph", "db", "default"];
const BREAKER_KEYS: [&str; 4] = ["failure_ratio", "minimum_throughput", "sampling_window", "break_duration"];
const BUDGET_KEYS: [&str; 2] = ["ratio", "min_per_second"];
const WORDS: [&str; 12] = [
    "immediate",
    "fixed",
    "incremental",
    "exponential",
    "decorrelated",
    "none",
    "full",
    "equal",
    "single",
    "retry",
    "unbounded",
    "",
];
const UNITS: [&str; 12] = ["ns", "us", "ms", "s", "m", "h", "d", "", "sec", "mins", "hours", "w"];

#[derive(Debug, Arbitrary)]
struct File {
    strict: Option<bool>,
    tables: Vec<Table>,
}

#[derive(Debug, Arbitrary)]
struct Table {
    kind: Kind,
    name: u8,
    lines: Vec<(u8, Value)>,
}

#[derive(Debug, Arbitrary)]
enum Kind {
    Defaults,
    Policy,
    Breaker,
    Budget,
}

#[derive(Debug, Arbitrary)]
enum Value {
    Small(u8),
    Integer(i64),
    Float(f64),
    Ratio(u8),
    Duration(u16, u8),
    LongDuration(u64, u8),
    Word(u8),
    Bool(bool),
}

impl Table {
    /// The table a breaker or budget table belongs to: policy `name`'s, or, one time in four,
    /// `[defaults]`, which gives every name one (that a policy may turn off).
    fn owner(&self, name: &str) -> String {
        if self.name % 4 == 3 { "defaults".to_owned() } else { format!("policies.{name}") }
    }
}

fn pick<'a>(list: &[&'a str], index: u8) -> &'a str {
    list[usize::from(index) % list.len()]
}

impl Value {
    fn render(&self) -> String {
        match self {
            Value::Small(n) => n.to_string(),
            Value::Integer(n) => n.to_string(),
            Value::Float(f) if f.is_finite() => format!("{f:?}"),
            Value::Float(f) => (if f.is_nan() {
                "nan"
            } else if *f > 0.0 {
                "inf"
            } else {
                "-inf"
            })
            .to_owned(),
            Value::Ratio(n) => format!("{:?}", f64::from(*n) / 100.0),
            Value::Duration(n, unit) => format!("\"{n}{}\"", pick(&UNITS, *unit)),
            Value::LongDuration(n, unit) => format!("\"{n}{}\"", pick(&UNITS, *unit)),
            Value::Word(word) => format!("{:?}", pick(&WORDS, *word)),
            Value::Bool(b) => b.to_string(),
        }
    }
}

impl File {
    /// The file's text. A table or a key given twice is left out the second time: TOML refuses
    /// duplicates, and they would make most files fail before the checks of interest.
    fn render(&self) -> String {
        let (mut text, mut headers) = (String::new(), HashSet::new());
        // A policy's keys, and the two that turn off, with `false`, what `[defaults]` gives it.
        let policy_keys: Vec<&str> = POLICY_KEYS.iter().copied().chain(["circuit_breaker", "retry_budget"]).collect();
        if let Some(strict) = self.strict {
            writeln!(text, "strict = {strict}").unwrap();
        }
        for table in &self.tables {
            let name = pick(&NAMES, table.name);
            let (header, keys): (String, &[&str]) = match table.kind {
                Kind::Defaults => ("[defaults]".to_owned(), &policy_keys),
                Kind::Policy => (format!("[policies.{name}]"), &policy_keys),
                Kind::Breaker => (format!("[{}.circuit_breaker]", table.owner(name)), &BREAKER_KEYS),
                Kind::Budget => (format!("[{}.retry_budget]", table.owner(name)), &BUDGET_KEYS),
            };
            if !headers.insert(header.clone()) {
                continue;
            }
            writeln!(text, "{header}").unwrap();
            let mut seen = HashSet::new();
            for (key, value) in &table.lines {
                let key = pick(keys, *key);
                if seen.insert(key) {
                    writeln!(text, "{key} = {}", value.render()).unwrap();
                }
            }
        }
        text
    }
}

fuzz_target!(|file: File| {
    resilient_fuzz::load_and_check(&file.render());
});
