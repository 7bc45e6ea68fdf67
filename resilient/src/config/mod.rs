//! The configuration file: TOML in, a validated [`Registry`] out, or every problem with its
//! `file:line:column`, key path and fix.
//!
//! ```toml
//! strict = false                 # a call site naming a missing policy: warning (false) or error
//!
//! [defaults]                     # every policy inherits these, over the built-in defaults
//! max_attempts = 3
//!
//! [policies.graph]               # a named policy: `#[retry(policy = "graph")]`
//! max_attempts = 6
//! max_elapsed = "2m"
//!
//! [policies.graph.circuit_breaker]
//! failure_ratio = 0.5
//!
//! [policies.graph.retry_budget]
//! ratio = 0.1
//! ```

mod error;
mod source;
mod verify;
mod write;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use resilient_policy::{KEYS, Value, did_you_mean, duration_from_value};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

pub(crate) use error::Location;
pub use error::{ConfigError, ConfigIssue, ConfigWarning};
#[cfg(feature = "watch")]
pub use source::{Watcher, watch};
pub use source::{init, reload};
pub(crate) use write::{or_turn_off_breaker, policy_path};

use crate::registry::{BLANK_NAME, NamedPolicy};
use crate::{Backoff, CircuitBreakerSettings, Jitter, Registry, RetryBudgetSettings};

const TOP_LEVEL: [&str; 3] = ["strict", "defaults", "policies"];
/// A fixed interval with more attempts than this hammers a struggling service at a steady beat.
const MANY_FIXED_ATTEMPTS: u32 = 5;

impl Registry {
    /// Loads a registry from TOML text. Positions in errors are reported against `<string>`.
    ///
    /// ```
    /// let registry = resilient::Registry::from_toml_str(r#"
    ///     [defaults]
    ///     max_attempts = 4
    ///
    ///     [policies.graph]
    ///     max_elapsed = "2m"
    /// "#)?;
    /// assert_eq!(registry.policy("graph").unwrap().max_attempts(), Some(4));
    /// # Ok::<(), resilient::ConfigError>(())
    /// ```
    pub fn from_toml_str(text: &str) -> Result<Registry, ConfigError> {
        Loader::new(text, "<string>").load()
    }

    /// Loads a registry from a TOML file. A missing file, a file that is not UTF-8, a file
    /// that is not TOML, and one of more than 16 MiB (a path naming `/dev/zero` or a log file,
    /// read no further) are errors that say so; an empty file is the built-in defaults.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("resilient-doc-{}.toml", std::process::id()));
    /// std::fs::write(&path, "[policies.graph]\nmax_attempts = 6\n").unwrap();
    /// let registry = resilient::Registry::from_path(&path)?;
    /// assert_eq!(registry.policy("graph").unwrap().max_attempts(), Some(6));
    /// # std::fs::remove_file(&path).unwrap();
    ///
    /// let missing = resilient::Registry::from_path("no/such/resilient.toml").unwrap_err();
    /// assert!(missing.to_string().starts_with("no/such/resilient.toml: cannot read the configuration"));
    /// # Ok::<(), resilient::ConfigError>(())
    /// ```
    pub fn from_path(path: impl AsRef<Path>) -> Result<Registry, ConfigError> {
        let path = path.as_ref();
        Registry::from_file_named(path, &path.display().to_string())
    }

    /// [`from_path`](Self::from_path), naming the file `name` in messages.
    pub(crate) fn from_file_named(path: &Path, name: &str) -> Result<Registry, ConfigError> {
        let name = name.to_owned();
        let bytes = read_file(path).map_err(|error| {
            ConfigError::single(
                Location::WholeFile(name.clone()),
                "",
                format!("cannot read the configuration: {error}; check the path, or set $RESILIENT_CONFIG to the file"),
            )
        })?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(ConfigError::single(
                Location::WholeFile(name),
                "",
                format!(
                    "the file holds more than {} MiB, far more than any configuration; check that the path names the configuration file",
                    MAX_FILE_BYTES >> 20
                ),
            ));
        }
        let text = String::from_utf8(bytes).map_err(|error| {
            let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
            let text = String::from_utf8_lossy(valid);
            let (line, column) = line_column(&text, text.len());
            ConfigError::single(
                Location::File { file: name.clone(), line, column },
                "",
                "the file is not UTF-8 text; save it as UTF-8",
            )
        })?;
        Loader::new(&text, &name).load()
    }
}

/// The most a configuration file is read of: far beyond any real one, so that a path naming
/// something endless (`/dev/zero`, a device) is an error instead of a read until memory runs
/// out.
const MAX_FILE_BYTES: u64 = 16 << 20;

/// The bytes of the file at `path`, up to [`MAX_FILE_BYTES`] and one more: more than the limit
/// says the file is too large, without reading the rest of it.
pub(crate) fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// One pass over one file, collecting every problem.
struct Loader<'a> {
    text: &'a str,
    file: &'a str,
    errors: Vec<ConfigIssue>,
    warnings: Vec<ConfigIssue>,
}

/// A table of policy keys as written: the values, and where each key and value is.
#[derive(Default, Clone)]
struct Written<'a> {
    /// Key → (key span, value). Cloned out of the parsed tree: a configuration is small.
    keys: BTreeMap<String, (Range<usize>, Spanned<DeValue<'a>>)>,
}

impl<'a> Loader<'a> {
    fn new(text: &'a str, file: &'a str) -> Self {
        Loader { text, file, errors: Vec::new(), warnings: Vec::new() }
    }

    fn at(&self, span: &Range<usize>) -> Location {
        let (line, column) = line_column(self.text, span.start);
        Location::File { file: self.file.to_owned(), line, column }
    }

    fn error(&mut self, span: &Range<usize>, path: &str, message: impl Into<String>) {
        let issue = ConfigIssue { location: self.at(span), path: path.to_owned(), message: message.into() };
        if !self.errors.contains(&issue) {
            self.errors.push(issue);
        }
    }

    /// Records a warning, unless the same one was given at the same place: a choice made in
    /// `[defaults]` is warned of there, not again for every policy that inherits it.
    fn warn(&mut self, span: &Range<usize>, path: &str, message: impl Into<String>) {
        let (location, message) = (self.at(span), message.into());
        if !self.warnings.iter().any(|warning| warning.location == location && warning.message == message) {
            self.warnings.push(ConfigIssue { location, path: path.to_owned(), message });
        }
    }

    fn load(mut self) -> Result<Registry, ConfigError> {
        let root = match DeTable::parse(self.text) {
            Ok(root) => root,
            Err(error) => {
                let span = error.span().unwrap_or(0..0);
                let message = syntax_message(self.text, &span, error.message());
                self.error(&span, "", message);
                return Err(ConfigError { issues: self.errors });
            }
        };
        let mut registry = Registry::default();
        let mut defaults_table = None;
        let mut policies_table = None;
        for (key, value) in root.get_ref() {
            match key.get_ref().as_ref() {
                "strict" => match value.get_ref() {
                    DeValue::Boolean(strict) => registry.strict = *strict,
                    other => self.error(
                        &value.span(),
                        "strict",
                        format!("expected `true` or `false`, found {}", value_of(other).describe()),
                    ),
                },
                "defaults" => defaults_table = Some((key.span(), value)),
                "policies" => policies_table = Some(value),
                unknown => self.error(&key.span(), "", unknown_top_level_message(unknown, value.get_ref())),
            }
        }

        let defaults_written = match defaults_table {
            Some((span, value)) => self.table_keys(value, "defaults").map(|w| (span, w)),
            None => None,
        };
        let (defaults_span, defaults_written) = defaults_written.unwrap_or((0..0, Written::default()));
        // Invalid defaults are reported once, here; policies then build on the built-in ones.
        let builtin = NamedPolicy::default();
        let defaults = self.named_policy("defaults", &defaults_span, &Written::default(), &defaults_written, &builtin);
        registry.defaults = defaults.unwrap_or_default();

        if let Some(policies) = policies_table {
            match policies.get_ref() {
                DeValue::Table(table) => {
                    for (name, value) in table {
                        let path = policy_path(name.get_ref());
                        if name.get_ref().trim().is_empty() {
                            self.error(&name.span(), &path, BLANK_NAME);
                            continue;
                        }
                        let Some(written) = self.table_keys(value, &path) else { continue };
                        let inherited = registry.defaults.clone();
                        if let Some(named) =
                            self.named_policy(&path, &name.span(), &defaults_written, &written, &inherited)
                        {
                            registry.policies.insert(name.get_ref().to_string(), named);
                        }
                    }
                }
                other => self.error(
                    &policies.span(),
                    "policies",
                    format!("expected tables `[policies.NAME]`, found {}", describe(other)),
                ),
            }
        }

        self.errors.sort_by_key(|issue| issue.line_column());
        if self.errors.is_empty() {
            registry.warnings = self.warnings;
            Ok(registry)
        } else {
            Err(ConfigError { issues: self.errors })
        }
    }

    /// A policy's `circuit_breaker` or `retry_budget`, `value`: a table overlays the `settings`
    /// the policy inherits (the built-in ones if it inherits none), and `false` turns them off,
    /// even those `[defaults]` gives every name. Any other value is an error, recorded here.
    fn shared_settings<S: SharedSettings + Default>(
        &mut self,
        path: &str,
        key_span: &Range<usize>,
        value: &Spanned<DeValue<'a>>,
        settings: &mut Option<S>,
    ) {
        let what = S::NAME;
        let message = match value.get_ref() {
            DeValue::Table(_) => {
                if let Some(table) = self.table_keys(value, path) {
                    self.settings_keys(path, key_span, &table, settings.get_or_insert_with(S::default));
                }
                return;
            }
            DeValue::Boolean(false) => {
                *settings = None;
                return;
            }
            DeValue::Boolean(true) => format!(
                "expected a table `[{path}]`, or `false` for no {what}, found `true`; for a {what} with the default settings, write the table with no keys"
            ),
            other => format!("expected a table `[{path}]`, or `false` for no {what}, found {}", describe(other)),
        };
        self.error(&value.span(), path, message);
    }

    /// The keys of a table, or an error if the value is not a table.
    fn table_keys(&mut self, value: &Spanned<DeValue<'a>>, path: &str) -> Option<Written<'a>> {
        match value.get_ref() {
            DeValue::Table(table) => Some(Written {
                keys: table
                    .iter()
                    .map(|(key, value)| (key.get_ref().to_string(), (key.span(), value.clone())))
                    .collect(),
            }),
            other => {
                self.error(&value.span(), path, format!("expected a table `[{path}]`, found {}", describe(other)));
                None
            }
        }
    }

    /// Builds one policy: `inherited` overlaid with the keys `written` in its table. Returns
    /// `None` (with the problems recorded) if it breaks a rule.
    fn named_policy(
        &mut self,
        path: &str,
        table_span: &Range<usize>,
        defaults_written: &Written<'a>,
        written: &Written<'a>,
        inherited: &NamedPolicy,
    ) -> Option<NamedPolicy> {
        let errors_before = self.errors.len();
        let mut builder = inherited.policy.to_builder();
        let (mut breaker, mut budget) = (inherited.circuit_breaker.clone(), inherited.retry_budget.clone());
        for (key, (key_span, value)) in &written.keys {
            let key_path = format!("{path}.{key}");
            match key.as_str() {
                "circuit_breaker" => self.shared_settings(&key_path, key_span, value, &mut breaker),
                "retry_budget" => self.shared_settings(&key_path, key_span, value, &mut budget),
                _ if KEYS.contains(&key.as_str()) => match builder.clone().set(key, value_of(value.get_ref())) {
                    Ok(next) => builder = next,
                    Err(error) => self.error(&value.span(), &key_path, error.message()),
                },
                unknown => {
                    let known = KEYS.iter().copied().chain(["circuit_breaker", "retry_budget"]);
                    let message = unknown_key_message(
                        unknown,
                        &known.collect::<Vec<_>>(),
                        "see the policy keys in the documentation",
                    );
                    self.error(key_span, path, message);
                }
            }
        }
        // Where a rule about `key` is reported: at the value this table sets, else at the value
        // the defaults set (the policy inherits it), else at the table itself.
        let locate = |key: &str| -> Range<usize> {
            locate_value(written, key)
                .or_else(|| locate_value(defaults_written, key))
                .unwrap_or_else(|| table_span.clone())
        };
        for problem in builder.problems() {
            self.error(&locate(problem.key()), &format!("{path}.{}", problem.key()), problem.message());
        }
        let policy = builder.build().ok();
        if let Some(problem) = policy.as_ref().zip(breaker.as_ref()).and_then(|(p, b)| b.window_problem(p)) {
            self.error(
                &locate_in(written, "circuit_breaker", "sampling_window").unwrap_or_else(|| table_span.clone()),
                &format!("{path}.circuit_breaker.sampling_window"),
                problem,
            );
        }
        if let Some(policy) = &policy {
            self.discouraged(path, policy, budget.as_ref(), written, &locate);
        }
        let policy = policy.filter(|_| self.errors.len() == errors_before)?;
        Some(NamedPolicy { policy, circuit_breaker: breaker, retry_budget: budget })
    }

    /// Warnings for legal but discouraged choices: the policy's, found wherever `locate` finds
    /// their keys, and those of the keys `written` in this table alone.
    fn discouraged(
        &mut self,
        path: &str,
        policy: &crate::Policy,
        budget: Option<&RetryBudgetSettings>,
        written: &Written<'a>,
        locate: &dyn Fn(&str) -> Range<usize>,
    ) {
        let retries = policy.max_attempts().map_or(u32::MAX, |n| n - 1);
        if policy.backoff() == Backoff::Fixed && retries >= MANY_FIXED_ATTEMPTS {
            self.warn(
                &locate("backoff"),
                &format!("{path}.backoff"),
                "a fixed interval with many attempts keeps hitting a struggling service at a steady beat; consider `backoff = \"exponential\"`",
            );
        }
        // Not where the backoff ignores jitter: decorrelated is random already, and an
        // immediate retry has no wait to randomise.
        let jitter_applies = !resilient_policy::is_ignored(policy.backoff(), "jitter");
        if policy.jitter() == Jitter::None && jitter_applies && retries >= 1 {
            self.warn(
                &locate("jitter"),
                &format!("{path}.jitter"),
                "without jitter, clients that failed together retry together; consider `jitter = \"full\"`",
            );
        }
        // A key written in this table that its backoff ignores. Not in `[defaults]`, where it is
        // there for the policies whose backoff uses it.
        if path != "defaults" {
            for (key, (_, value)) in &written.keys {
                if let Some(warning) = resilient_policy::ignored_key(policy.backoff(), key) {
                    self.warn(&value.span(), &format!("{path}.{key}"), warning);
                }
            }
        }
        // Only where the budget is written: an inherited one was warned of where it was.
        if let (Some(budget), Some((key_span, _))) = (budget, written.keys.get("retry_budget")) {
            if budget.ratio == 0.0 && budget.min_per_second == 0 && retries >= 1 {
                self.warn(
                    &locate_in(written, "retry_budget", "ratio").unwrap_or_else(|| key_span.clone()),
                    &format!("{path}.retry_budget"),
                    "`ratio = 0` and `min_per_second = 0` allow no retry at all; raise one of them (e.g. `ratio = 0.1`), or set `max_attempts = 1` to mean no retries",
                );
            }
        }
    }

    /// Reads a `circuit_breaker` or `retry_budget` table into `settings`, then reports the
    /// rules the settings break, at the value or else at the table.
    fn settings_keys<S: SharedSettings>(
        &mut self,
        path: &str,
        table_span: &Range<usize>,
        table: &Written<'a>,
        settings: &mut S,
    ) {
        for (key, (key_span, value)) in &table.keys {
            if !S::KEYS.contains(&key.as_str()) {
                let known = S::KEYS.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
                self.error(key_span, path, unknown_key_message(key, S::KEYS, &format!("the keys here are {known}")));
            } else if let Err(message) = settings.set(key, value.get_ref()) {
                self.error(&value.span(), &format!("{path}.{key}"), message);
            }
        }
        for (key, message) in settings.problems() {
            let span = locate_value(table, key).unwrap_or_else(|| table_span.clone());
            self.error(&span, &format!("{path}.{key}"), message);
        }
    }
}

/// The settings of a policy's shared state, read key by key from their table.
trait SharedSettings {
    /// What the settings are of, in messages.
    const NAME: &'static str;
    const KEYS: &'static [&'static str];
    /// Sets a known key; the message says what is wrong with the value.
    fn set(&mut self, key: &str, value: &DeValue<'_>) -> Result<(), String>;
    fn problems(&self) -> Vec<(&'static str, String)>;
}

impl SharedSettings for CircuitBreakerSettings {
    const NAME: &'static str = "circuit breaker";
    const KEYS: &'static [&'static str] = &["failure_ratio", "minimum_throughput", "sampling_window", "break_duration"];

    fn set(&mut self, key: &str, value: &DeValue<'_>) -> Result<(), String> {
        match key {
            "failure_ratio" => self.failure_ratio = number(value)?,
            "minimum_throughput" => self.minimum_throughput = count(value)?,
            "sampling_window" => self.sampling_window = duration(value)?,
            _ => self.break_duration = duration(value)?,
        }
        Ok(())
    }

    fn problems(&self) -> Vec<(&'static str, String)> {
        CircuitBreakerSettings::problems(self)
    }
}

impl SharedSettings for RetryBudgetSettings {
    const NAME: &'static str = "retry budget";
    const KEYS: &'static [&'static str] = &["ratio", "min_per_second"];

    fn set(&mut self, key: &str, value: &DeValue<'_>) -> Result<(), String> {
        match key {
            "ratio" => self.ratio = number(value)?,
            _ => self.min_per_second = count(value)?,
        }
        Ok(())
    }

    fn problems(&self) -> Vec<(&'static str, String)> {
        RetryBudgetSettings::problems(self)
    }
}

fn locate_value(table: &Written<'_>, key: &str) -> Option<Range<usize>> {
    table.keys.get(key).map(|(_, value)| value.span())
}

fn locate_in(written: &Written<'_>, table: &str, key: &str) -> Option<Range<usize>> {
    let (_, value) = written.keys.get(table)?;
    match value.get_ref() {
        DeValue::Table(inner) => inner.iter().find(|(k, _)| k.get_ref() == key).map(|(_, v)| v.span()),
        _ => None,
    }
}

fn unknown_key_message(key: &str, known: &[&str], otherwise: &str) -> String {
    match did_you_mean(key, known.iter().copied()) {
        Some(suggestion) => format!("unknown key `{key}`, did you mean `{suggestion}`?"),
        None => format!("unknown key `{key}`; {otherwise}"),
    }
}

/// What a TOML syntax error says, with its fix. The parser's own words do not always give
/// it: "duplicate key" names neither the key nor whether it is a table, and an unquoted
/// `backoff = fixed` is "invalid boolean, expected `false`". The line at the error's span
/// says which slip it was.
fn syntax_message(text: &str, span: &Range<usize>, message: &str) -> String {
    let message = message.trim_end_matches('\n');
    // The parser's own limit ("recursion limit", "cannot recurse further"), met by nothing
    // a configuration needs: say so, rather than ask to fix a syntax that is valid.
    if message.contains("recurs") {
        return "not valid TOML: tables or arrays nested too deeply; a configuration nests three \
                deep at most, as in `[policies.NAME.circuit_breaker]`"
            .to_owned();
    }
    let before = text.get(..span.start).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    // The line without its comment: a `#` in a quoted key would cut it short, in a message only.
    let line = text[line_start..].lines().next().unwrap_or_default().split('#').next().unwrap_or_default();
    if message == "duplicate key" {
        if line.trim_start().starts_with('[') {
            // `[policies.a]` twice, or after `a = { .. }` in `[policies]`.
            return format!("not valid TOML: the table `{}` is defined twice; merge the two into one", line.trim());
        }
        return match text.get(span.clone()).map(str::trim).filter(|key| !key.is_empty()) {
            Some(key) => format!("not valid TOML: `{key}` is set twice in its table; keep one"),
            None => "not valid TOML: a key is set twice in its table; keep one".to_owned(),
        };
    }
    // An error at the value of a `key = value` line.
    if let Some(equals) = line.find('=').filter(|equals| span.start > line_start + equals) {
        if let Some(fix) = value_fix(line[..equals].trim(), line[equals + 1..].trim()) {
            return format!("not valid TOML: {fix}");
        }
    }
    format!("not valid TOML: {message}; fix the syntax here")
}

/// The fix for a value TOML could not read, where the slip is a likely one: no value at all,
/// or a word that should have been a quoted string (`backoff = fixed`, `initial_delay = 100ms`).
fn value_fix(key: &str, value: &str) -> Option<String> {
    if value.is_empty() {
        return Some(format!("`{key}` has no value; write one after `=`"));
    }
    let name = key.rsplit('.').next().unwrap_or(key);
    if name == "strict" {
        return Some(format!("`{key}` is `true` or `false`, found `{value}`"));
    }
    // Numbers are written bare: a word in place of one is no quoting slip.
    let takes_a_number =
        matches!(name, "multiplier" | "failure_ratio" | "minimum_throughput" | "ratio" | "min_per_second")
            || (name == "max_attempts" && value != "unbounded");
    let a_bare_word = value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value.contains(|c: char| c.is_ascii_alphabetic())
        && !value.contains(['"', '\'', '[', '{', '=']);
    match (a_bare_word, takes_a_number) {
        (true, false) => Some(format!("`{value}` is not in quotes; a string is written `{key} = \"{value}\"`")),
        (true, true) => Some(format!("`{key}` takes a number, written without quotes; found `{value}`")),
        (false, _) => None,
    }
}

/// A key the top level does not know. The likely slips get their own fix: a policy key written
/// above every table (it belongs in one), a table of policies under another name than
/// `policies` (`[policy.graph]`), and a policy's table without `policies.` before its name.
fn unknown_top_level_message(name: &str, value: &DeValue<'_>) -> String {
    if KEYS.contains(&name) || ["circuit_breaker", "retry_budget"].contains(&name) {
        return format!(
            "unknown key `{name}` at the top level; write it under `[defaults]`, for every policy, \
             or under `[policies.NAME]`, for one"
        );
    }
    match value {
        DeValue::Table(table) if did_you_mean(name, TOP_LEVEL.iter().copied()).is_none() => {
            return if !table.is_empty() && table.values().all(is_table) {
                format!("unknown key `{name}`; the policies' tables are named `[policies.NAME]`")
            } else {
                format!("unknown key `{name}`; a policy's table is named `[{}]`", policy_path(name))
            };
        }
        _ => {}
    }
    unknown_key_message(name, &TOP_LEVEL, "expected `strict`, `[defaults]` or `[policies.NAME]`")
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |last| last.chars().count()) + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn is_table(value: &Spanned<DeValue<'_>>) -> bool {
    matches!(value.get_ref(), DeValue::Table(_))
}

fn describe(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a number",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// A TOML value as the policy rules see it.
fn value_of<'a>(value: &'a DeValue<'a>) -> Value<'a> {
    match value {
        DeValue::String(text) => Value::String(text),
        DeValue::Integer(integer) => match i64::from_str_radix(&integer.as_str().replace('_', ""), integer.radix()) {
            Ok(n) => Value::Integer(n),
            Err(_) => Value::Other("an integer too large"),
        },
        DeValue::Float(float) => Value::Float(parse_float(float.as_str())),
        DeValue::Boolean(b) => Value::Bool(*b),
        other => Value::Other(describe(other)),
    }
}

fn parse_float(text: &str) -> f64 {
    let cleaned = text.replace('_', "");
    cleaned.parse().unwrap_or(if cleaned.contains("nan") { f64::NAN } else { f64::INFINITY })
}

fn number(value: &DeValue<'_>) -> Result<f64, String> {
    match value_of(value) {
        Value::Float(f) => Ok(f),
        Value::Integer(i) => Ok(i as f64),
        other => Err(format!("expected a number, e.g. 0.5, found {}", other.describe())),
    }
}

fn count(value: &DeValue<'_>) -> Result<u32, String> {
    match value_of(value) {
        Value::Integer(i) => {
            u32::try_from(i).map_err(|_| format!("expected an integer from 0 to {}, found {i}", u32::MAX))
        }
        other => Err(format!("expected an integer, e.g. 20, found {}", other.describe())),
    }
}

fn duration(value: &DeValue<'_>) -> Result<std::time::Duration, String> {
    duration_from_value(value_of(value))
}
