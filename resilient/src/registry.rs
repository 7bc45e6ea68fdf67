//! Named policies, the process-wide registry, and how a call site finds its policy.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use crate::config::{ConfigError, ConfigIssue, ConfigWarning, Location, policy_path};
use crate::counters::SiteCounters;
use crate::state::PolicyState;
use crate::{CircuitBreakerSettings, Policy, RetryBudgetSettings};

/// Named retry policies, with their circuit breakers and retry budgets: what
/// `#[retry(policy = "name")]` looks up.
///
/// Load one from the configuration file ([`Registry::from_path`], [`Registry::from_toml_str`]),
/// or build one in code. A name with no policy of its own resolves to the registry's defaults
/// (and is logged once).
///
/// ```
/// use std::time::Duration;
/// use resilient::{Policy, Registry};
///
/// let graph = Policy::builder().max_attempts(6).max_elapsed(Duration::from_secs(120)).build()?;
/// let registry = Registry::builder().policy("graph", graph).build()?;
/// assert_eq!(registry.policy("graph").and_then(|p| p.max_attempts()), Some(6));
/// assert_eq!(registry.resolve("unknown").max_attempts(), Some(3));
/// resilient::install(registry);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Registry {
    pub(crate) defaults: NamedPolicy,
    pub(crate) policies: BTreeMap<String, NamedPolicy>,
    pub(crate) strict: bool,
    pub(crate) warnings: Vec<ConfigWarning>,
}

/// A policy and the shared state settings that go with its name.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct NamedPolicy {
    pub(crate) policy: Policy,
    pub(crate) circuit_breaker: Option<CircuitBreakerSettings>,
    pub(crate) retry_budget: Option<RetryBudgetSettings>,
}

impl Registry {
    /// A builder for a registry written in code. See [`RegistryBuilder`].
    ///
    /// ```
    /// use resilient::{Policy, Registry};
    ///
    /// let graph = Policy::builder().max_attempts(6).build()?;
    /// let registry = Registry::builder().policy("graph", graph).build()?;
    /// assert_eq!(registry.resolve("graph").max_attempts(), Some(6));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder::default()
    }

    /// The policy registered under `name`, if any.
    ///
    /// ```
    /// let registry = resilient::Registry::from_toml_str("[policies.graph]\nmax_attempts = 6\n")?;
    /// assert_eq!(registry.policy("graph").and_then(|graph| graph.max_attempts()), Some(6));
    /// assert!(registry.policy("mail").is_none()); // no table of its own: see `resolve`
    /// # Ok::<(), resilient::ConfigError>(())
    /// ```
    pub fn policy(&self, name: &str) -> Option<&Policy> {
        self.policies.get(name).map(|named| &named.policy)
    }

    /// The policy a call naming `name` runs under: its own, else the defaults.
    ///
    /// ```
    /// let registry = resilient::Registry::from_toml_str(
    ///     "[defaults]\nmax_attempts = 4\n[policies.graph]\nmax_attempts = 6\n",
    /// )?;
    /// assert_eq!(registry.resolve("graph").max_attempts(), Some(6));
    /// assert_eq!(registry.resolve("mail").max_attempts(), Some(4)); // the defaults
    /// # Ok::<(), resilient::ConfigError>(())
    /// ```
    pub fn resolve(&self, name: &str) -> &Policy {
        &self.named(name).policy
    }

    /// What a call naming `name` runs under: its own entry, else the defaults.
    fn named(&self, name: &str) -> &NamedPolicy {
        self.policies.get(name).unwrap_or(&self.defaults)
    }

    /// The policy used by names without one of their own (`[defaults]` in the file).
    ///
    /// ```
    /// let registry = resilient::Registry::from_toml_str("[defaults]\nmax_attempts = 4\n")?;
    /// assert_eq!(registry.defaults().max_attempts(), Some(4));
    /// // Keys left out keep the built-in defaults:
    /// assert_eq!(registry.defaults().initial_delay(), std::time::Duration::from_millis(100));
    /// # Ok::<(), resilient::ConfigError>(())
    /// ```
    pub fn defaults(&self) -> &Policy {
        &self.defaults.policy
    }

    /// The circuit breaker settings of the policy `name` (its own or inherited from
    /// `[defaults]`), if it has a breaker. With a breaker in `[defaults]`, every name has a
    /// breaker of its own, a name without a policy included (one failing service does not open
    /// the breaker of another), except a policy that turns it off: `circuit_breaker = false`.
    ///
    /// ```
    /// let registry = resilient::Registry::from_toml_str(
    ///     "[defaults.circuit_breaker]\nfailure_ratio = 0.5\n[policies.graph.circuit_breaker]\nfailure_ratio = 0.25\n",
    /// )?;
    /// assert_eq!(registry.circuit_breaker("graph").unwrap().failure_ratio, 0.25);
    /// assert_eq!(registry.circuit_breaker("mail").unwrap().failure_ratio, 0.5); // inherited, its own breaker
    ///
    /// let registry = resilient::Registry::from_toml_str(
    ///     "[defaults.circuit_breaker]\nfailure_ratio = 0.5\n[policies.cache]\ncircuit_breaker = false\n",
    /// )?;
    /// assert!(registry.circuit_breaker("cache").is_none());
    /// # Ok::<(), resilient::ConfigError>(())
    /// ```
    pub fn circuit_breaker(&self, name: &str) -> Option<&CircuitBreakerSettings> {
        self.named(name).circuit_breaker.as_ref()
    }

    /// The retry budget settings of the policy `name`, if it has a budget.
    ///
    /// ```
    /// let registry = resilient::Registry::from_toml_str("[policies.graph.retry_budget]\nratio = 0.2\n")?;
    /// assert_eq!(registry.retry_budget("graph").unwrap().ratio, 0.2);
    /// assert_eq!(registry.retry_budget("graph").unwrap().min_per_second, 10); // the default
    /// assert!(registry.retry_budget("mail").is_none());
    /// # Ok::<(), resilient::ConfigError>(())
    /// ```
    pub fn retry_budget(&self, name: &str) -> Option<&RetryBudgetSettings> {
        self.named(name).retry_budget.as_ref()
    }

    /// A snapshot of the counters of every `#[retry]` function in the program and of every
    /// circuit breaker: [`resilient::stats()`](crate::stats), whatever the registry, as
    /// counters are process-wide (they survive reloads).
    ///
    /// ```
    /// let registry = resilient::Registry::from_toml_str("")?;
    /// for operation in &registry.stats().operations {
    ///     println!("{operation}"); // one line per `#[retry]` function
    /// }
    /// # Ok::<(), resilient::ConfigError>(())
    /// ```
    pub fn stats(&self) -> crate::Stats {
        stats()
    }

    /// The names of every registered policy, sorted.
    ///
    /// ```
    /// let registry = resilient::Registry::from_toml_str("[policies.mail]\n[policies.graph]\n")?;
    /// assert_eq!(registry.names().collect::<Vec<_>>(), ["graph", "mail"]);
    /// # Ok::<(), resilient::ConfigError>(())
    /// ```
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.policies.keys().map(String::as_str)
    }

    /// Whether a call site naming a missing policy is an error (`strict = true`) rather than a
    /// warning.
    ///
    /// ```
    /// let registry = resilient::Registry::from_toml_str("strict = true\n")?;
    /// assert!(registry.is_strict());
    /// assert!(!resilient::Registry::from_toml_str("")?.is_strict());
    /// # Ok::<(), resilient::ConfigError>(())
    /// ```
    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// The warnings found while loading: legal but discouraged choices, each given once, where
    /// it is written.
    ///
    /// - `backoff = "fixed"` with 5 retries or more: a steady beat on a struggling service;
    /// - `jitter = "none"` on a policy that retries: clients that failed together retry
    ///   together;
    /// - a key the policy's backoff ignores, written in its table: `increment` without
    ///   `incremental`, `multiplier` without `exponential`, `jitter` with `decorrelated`;
    /// - a retry budget with `ratio = 0` and `min_per_second = 0` on a policy that retries: it
    ///   allows no retry at all.
    ///
    /// [`init`](crate::init) and [`reload`](crate::reload) return them with the warnings about
    /// call sites, and log them. A registry built in code has none.
    ///
    /// ```
    /// let registry = resilient::Registry::from_toml_str("[policies.steady]\njitter = \"none\"\n")?;
    /// assert!(registry.warnings()[0].to_string().contains("policies.steady.jitter: without jitter"));
    /// # Ok::<(), resilient::ConfigError>(())
    /// ```
    pub fn warnings(&self) -> &[ConfigWarning] {
        &self.warnings
    }
}

/// A snapshot of the counters of every `#[retry]` function in the program and of every
/// circuit breaker, since the process started (counters are process-wide: they survive
/// reloads).
///
/// ```
/// let stats = resilient::stats();
/// for operation in &stats.operations {
///     println!("{} ({}): {} calls, {} retries", operation.operation, operation.policy, operation.calls, operation.retries);
/// }
/// ```
pub fn stats() -> crate::Stats {
    let mut operations: Vec<crate::OperationStats> = crate::__private::call_sites()
        .map(|record| record.site.state.counters.snapshot(record.site.policy_name(), record.site.operation()))
        .collect();
    operations.sort_by(|a, b| (a.policy, a.operation).cmp(&(b.policy, b.operation)));
    // Call sites that share a policy and an operation name (two implementations of a trait
    // method in one module) are one row, as their events and metrics are labelled alike.
    operations.dedup_by(|later, kept| {
        let same = (later.policy, later.operation) == (kept.policy, kept.operation);
        if same {
            kept.absorb(later);
        }
        same
    });
    crate::Stats { operations, breakers: crate::state::breakers() }
}

/// Builds a [`Registry`] in code: what the configuration file says, written in Rust.
///
/// ```
/// use std::time::Duration;
/// use resilient::{CircuitBreakerSettings, Policy, Registry, RetryBudgetSettings};
///
/// let registry = Registry::builder()
///     .defaults(Policy::builder().max_attempts(4).build()?)
///     .policy("graph", Policy::builder().max_elapsed(Duration::from_secs(120)).build()?)
///     .circuit_breaker("graph", CircuitBreakerSettings::default())
///     .retry_budget("graph", RetryBudgetSettings { ratio: 0.1, min_per_second: 10 })
///     .strict(true)
///     .build()?;
/// assert_eq!(registry.names().collect::<Vec<_>>(), ["graph"]);
/// assert_eq!(registry.defaults().max_attempts(), Some(4));
/// assert!(registry.circuit_breaker("graph").is_some() && registry.retry_budget("graph").is_some());
/// assert!(registry.is_strict());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
#[must_use = "a builder makes nothing until `build()` is called"]
pub struct RegistryBuilder {
    registry: Registry,
    /// Names given a breaker or a budget but no policy: they take the defaults' policy at
    /// `build`, as a file's tables inherit `[defaults]` wherever it is written.
    without_policy: BTreeSet<String>,
    /// Names that inherit no breaker from the defaults ([`without_circuit_breaker`]).
    ///
    /// [`without_circuit_breaker`]: Self::without_circuit_breaker
    without_breaker: BTreeSet<String>,
    /// Names that inherit no budget from the defaults ([`without_retry_budget`]).
    ///
    /// [`without_retry_budget`]: Self::without_retry_budget
    without_budget: BTreeSet<String>,
}

impl RegistryBuilder {
    /// The policy for names without one of their own (built-in: [`Policy::DEFAULT`]).
    ///
    /// ```
    /// use resilient::{Policy, Registry};
    ///
    /// let registry = Registry::builder().defaults(Policy::builder().max_attempts(4).build()?).build()?;
    /// assert_eq!(registry.resolve("any-name").max_attempts(), Some(4));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn defaults(mut self, policy: Policy) -> Self {
        self.registry.defaults.policy = policy;
        self
    }

    /// Registers `policy` under `name`, replacing any earlier one of that name (and keeping
    /// its breaker and budget).
    ///
    /// ```
    /// use resilient::{CircuitBreakerSettings, Policy, Registry};
    ///
    /// let registry = Registry::builder()
    ///     .policy("graph", Policy::builder().max_attempts(2).build()?)
    ///     .circuit_breaker("graph", CircuitBreakerSettings::default())
    ///     .policy("graph", Policy::builder().max_attempts(6).build()?) // replaces the first
    ///     .build()?;
    /// assert_eq!(registry.resolve("graph").max_attempts(), Some(6));
    /// assert!(registry.circuit_breaker("graph").is_some()); // kept
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn policy(mut self, name: impl Into<String>, policy: Policy) -> Self {
        let name = name.into();
        self.named(name.clone()).policy = policy;
        self.without_policy.remove(&name);
        self
    }

    /// Gives the policy `name` a circuit breaker. A name given no [`policy`](Self::policy) runs
    /// under the [`defaults`](Self::defaults), set before or after.
    ///
    /// ```
    /// use resilient::{CircuitBreakerSettings, Policy, Registry};
    ///
    /// let registry = Registry::builder()
    ///     .defaults(Policy::builder().max_attempts(4).build()?)
    ///     .circuit_breaker("mail", CircuitBreakerSettings { failure_ratio: 0.25, ..Default::default() })
    ///     .build()?;
    /// assert_eq!(registry.circuit_breaker("mail").unwrap().failure_ratio, 0.25);
    /// assert_eq!(registry.resolve("mail").max_attempts(), Some(4)); // the defaults' policy
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn circuit_breaker(mut self, name: impl Into<String>, settings: CircuitBreakerSettings) -> Self {
        let name = name.into();
        self.without_breaker.remove(&name);
        self.named(name).circuit_breaker = Some(settings);
        self
    }

    /// Gives the policy `name` no circuit breaker, even one
    /// [`defaults_circuit_breaker`](Self::defaults_circuit_breaker) gives every other name, as
    /// `circuit_breaker = false` does in a file: for a name whose calls are not to a service
    /// that can be down (a local cache), or whose error type cannot hold a
    /// [`Rejected`](crate::Rejected). A name given no [`policy`](Self::policy) runs under the
    /// defaults.
    ///
    /// ```
    /// use resilient::{CircuitBreakerSettings, Registry};
    ///
    /// let registry = Registry::builder()
    ///     .defaults_circuit_breaker(CircuitBreakerSettings::default())
    ///     .without_circuit_breaker("cache")
    ///     .build()?;
    /// assert!(registry.circuit_breaker("cache").is_none());
    /// assert!(registry.circuit_breaker("graph").is_some()); // every other name has its own
    /// # Ok::<(), resilient::ConfigError>(())
    /// ```
    pub fn without_circuit_breaker(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.named(name.clone()).circuit_breaker = None;
        self.without_breaker.insert(name);
        self
    }

    /// Gives the policy `name` a retry budget. A name given no [`policy`](Self::policy) runs
    /// under the [`defaults`](Self::defaults), set before or after.
    ///
    /// ```
    /// use resilient::{Registry, RetryBudgetSettings};
    ///
    /// let registry = Registry::builder().retry_budget("mail", RetryBudgetSettings { ratio: 0.2, min_per_second: 5 }).build()?;
    /// assert_eq!(registry.retry_budget("mail").unwrap().ratio, 0.2);
    /// assert!(registry.retry_budget("graph").is_none());
    /// # Ok::<(), resilient::ConfigError>(())
    /// ```
    pub fn retry_budget(mut self, name: impl Into<String>, settings: RetryBudgetSettings) -> Self {
        let name = name.into();
        self.without_budget.remove(&name);
        self.named(name).retry_budget = Some(settings);
        self
    }

    /// Gives the policy `name` no retry budget, even one
    /// [`defaults_retry_budget`](Self::defaults_retry_budget) gives every other name, as
    /// `retry_budget = false` does in a file. A name given no [`policy`](Self::policy) runs
    /// under the defaults.
    ///
    /// ```
    /// use resilient::{Registry, RetryBudgetSettings};
    ///
    /// let registry = Registry::builder()
    ///     .defaults_retry_budget(RetryBudgetSettings::default())
    ///     .without_retry_budget("cache")
    ///     .build()?;
    /// assert!(registry.retry_budget("cache").is_none());
    /// assert!(registry.retry_budget("graph").is_some());
    /// # Ok::<(), resilient::ConfigError>(())
    /// ```
    pub fn without_retry_budget(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.named(name.clone()).retry_budget = None;
        self.without_budget.insert(name);
        self
    }

    /// Gives every name a circuit breaker of its own with these settings, as
    /// `[defaults.circuit_breaker]` does in a file: names given none by
    /// [`circuit_breaker`](Self::circuit_breaker), and names with no policy registered (each
    /// name a call site uses gets its own breaker, so one failing service opens no other's),
    /// but not names given [`without_circuit_breaker`](Self::without_circuit_breaker).
    ///
    /// ```
    /// use resilient::{CircuitBreakerSettings, Policy, Registry};
    ///
    /// let registry = Registry::builder()
    ///     .defaults_circuit_breaker(CircuitBreakerSettings::default())
    ///     .policy("graph", Policy::DEFAULT)
    ///     .build()?;
    /// assert!(registry.circuit_breaker("graph").is_some());
    /// assert!(registry.circuit_breaker("any-other-name").is_some());
    /// # Ok::<(), resilient::ConfigError>(())
    /// ```
    pub fn defaults_circuit_breaker(mut self, settings: CircuitBreakerSettings) -> Self {
        self.registry.defaults.circuit_breaker = Some(settings);
        self
    }

    /// Gives every name a retry budget of its own with these settings, as
    /// `[defaults.retry_budget]` does in a file (see
    /// [`defaults_circuit_breaker`](Self::defaults_circuit_breaker)), but not names given
    /// [`without_retry_budget`](Self::without_retry_budget).
    ///
    /// ```
    /// use resilient::{Registry, RetryBudgetSettings};
    ///
    /// let registry = Registry::builder().defaults_retry_budget(RetryBudgetSettings::default()).build()?;
    /// assert!(registry.retry_budget("graph").is_some()); // each name a budget of its own
    /// # Ok::<(), resilient::ConfigError>(())
    /// ```
    pub fn defaults_retry_budget(mut self, settings: RetryBudgetSettings) -> Self {
        self.registry.defaults.retry_budget = Some(settings);
        self
    }

    /// Makes a call site naming a missing policy an error of [`init`](crate::init).
    ///
    /// ```
    /// let registry = resilient::Registry::builder().strict(true).build()?;
    /// assert!(registry.is_strict());
    /// # Ok::<(), resilient::ConfigError>(())
    /// ```
    pub fn strict(mut self, strict: bool) -> Self {
        self.registry.strict = strict;
        self
    }

    fn named(&mut self, name: impl Into<String>) -> &mut NamedPolicy {
        let name = name.into();
        if !self.registry.policies.contains_key(&name) {
            self.without_policy.insert(name.clone());
        }
        self.registry.policies.entry(name).or_default()
    }

    /// The registry, once its breaker and budget settings are checked (its policies were
    /// checked when they were built). The error lists every problem, as a configuration file's
    /// would, with the key path in the file's terms.
    ///
    /// ```
    /// use resilient::{CircuitBreakerSettings, Policy, Registry};
    ///
    /// let error = Registry::builder()
    ///     .policy("graph", Policy::DEFAULT)
    ///     .circuit_breaker("graph", CircuitBreakerSettings { failure_ratio: 0.0, ..Default::default() })
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "Registry::builder(): policies.graph.circuit_breaker.failure_ratio: expected a number in (0, 1], found 0; e.g. `failure_ratio = 0.5`"
    /// );
    /// ```
    pub fn build(mut self) -> Result<Registry, ConfigError> {
        let mut issues = Vec::new();
        let defaults = &self.registry.defaults;
        check_own_settings("defaults", defaults, &mut issues);
        check_window("defaults", defaults, &mut issues);
        for (name, named) in &mut self.registry.policies {
            if name.trim().is_empty() {
                issues.push(code_issue(policy_path(name), BLANK_NAME.to_owned()));
            }
            if self.without_policy.contains(name) {
                named.policy = defaults.policy.clone();
            }
            check_own_settings(&policy_path(name), named, &mut issues);
            // What a file's tables inherit from `[defaults]`, once the name's own are checked.
            if named.circuit_breaker.is_none() && !self.without_breaker.contains(name) {
                named.circuit_breaker = defaults.circuit_breaker.clone();
            }
            if named.retry_budget.is_none() && !self.without_budget.contains(name) {
                named.retry_budget = defaults.retry_budget.clone();
            }
            // The rule that ties the window to the attempt timeout holds for an inherited
            // breaker too.
            check_window(&policy_path(name), named, &mut issues);
        }
        if issues.is_empty() { Ok(self.registry) } else { Err(ConfigError { issues }) }
    }
}

fn code_issue(path: String, message: String) -> ConfigIssue {
    ConfigIssue { location: Location::Code, path, message }
}

/// The problems of the breaker and budget settings `named` (at `path`) was given itself: its
/// own settings' rules. (Inherited ones were checked as the defaults'.)
fn check_own_settings(path: &str, named: &NamedPolicy, issues: &mut Vec<ConfigIssue>) {
    if let Some(breaker) = &named.circuit_breaker {
        for (key, message) in breaker.problems() {
            issues.push(code_issue(format!("{path}.circuit_breaker.{key}"), message));
        }
    }
    for (key, message) in named.retry_budget.iter().flat_map(RetryBudgetSettings::problems) {
        issues.push(code_issue(format!("{path}.retry_budget.{key}"), message));
    }
}

/// The rule that ties the breaker's window to the policy's attempt timeout, for the breaker
/// `named` has once it inherited the defaults', which an inherited breaker can break too.
fn check_window(path: &str, named: &NamedPolicy, issues: &mut Vec<ConfigIssue>) {
    if let Some(message) = named.circuit_breaker.as_ref().and_then(|breaker| breaker.window_problem(&named.policy)) {
        issues.push(code_issue(format!("{path}.circuit_breaker.sampling_window"), message));
    }
}

/// How to mend a call site's missing policy `name`, given the names configured: the one it
/// is closest to, as a typo's target, else a table of its own. For `init()`'s warning and the
/// run-time one alike.
pub(crate) fn missing_policy_fix<'a>(name: &str, configured: impl IntoIterator<Item = &'a str>) -> String {
    // Sorted, so that of two names equally close the same one is suggested on every run.
    let mut configured: Vec<&str> = configured.into_iter().collect();
    configured.sort_unstable();
    match resilient_policy::did_you_mean(name, configured) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!("add `[{}]` or fix the name", policy_path(name)),
    }
}

/// Why a blank policy name is refused, in a file and in code.
pub(crate) const BLANK_NAME: &str =
    "a policy name cannot be blank: no `#[retry(policy = \"...\")]` can name it; name it, e.g. `graph`";

/// A policy as call sites hold it: never freed, so a call keeps the policy it started with
/// however many times the registry is replaced meanwhile.
#[doc(hidden)]
#[derive(Debug)]
pub struct PolicyEntry {
    pub(crate) policy: Policy,
    /// The name's breaker and budget, if it has either.
    pub(crate) shared: Option<&'static PolicyState>,
    /// Whether a call needs the clock from its start: the policy has a deadline or an attempt
    /// timeout. Worked out once here, so that starting a call tests one byte.
    pub(crate) timed: bool,
    /// The registry generation this entry belongs to; a cached entry is current while it
    /// equals [`GENERATION`].
    generation: u64,
}

impl PolicyEntry {
    /// An entry for a policy written inline in `#[retry(...)]`: it never goes stale.
    pub const fn inline(policy: Policy) -> Self {
        PolicyEntry::new(policy, None, u64::MAX)
    }

    pub(crate) const fn new(policy: Policy, shared: Option<&'static PolicyState>, generation: u64) -> Self {
        let timed = policy.attempt_timeout().is_some() || policy.max_elapsed().is_some();
        PolicyEntry { policy, shared, timed, generation }
    }

    /// Whether installing `named` would make an entry equal to this one: the same policy, the
    /// same breaker and budget settings.
    fn is_made_of(&self, named: &NamedPolicy) -> bool {
        let settings = self.shared.map_or((None, None), PolicyState::settings);
        self.policy == named.policy && settings == (named.circuit_breaker.as_ref(), named.retry_budget.as_ref())
    }
}

/// An installed registry. Leaked on purpose: calls hold `&'static` references into it without
/// any reference counting on the hot path. A registry equal to the installed one is not
/// installed again (see [`install`]), so what a process keeps grows with the changes it is
/// given, a few hundred bytes each, not with the reloads it is asked for.
struct Installed {
    generation: u64,
    /// The registry as it was given, for [`installed`] and for the defaults a name without a
    /// policy of its own runs under; replaced by an equal one installed since, which may differ
    /// in what calls do not use (`strict`, the warnings' positions).
    registry: Mutex<Registry>,
    by_name: HashMap<String, &'static PolicyEntry>,
    /// Names without a policy of their own met so far, each with its entry: the defaults, with
    /// a breaker and a budget of the name's own, as an empty `[policies.NAME]` would give it.
    /// A name is reported as missing when it is first met, so once per installed registry.
    unnamed: Mutex<HashMap<String, &'static PolicyEntry>>,
}

impl Installed {
    /// `registry`'s policies as calls hold them, with their breakers and budgets.
    fn new(registry: Registry, generation: u64) -> Self {
        Installed {
            generation,
            by_name: registry
                .policies
                .iter()
                .map(|(name, named)| (name.clone(), new_entry(name, named.clone(), generation)))
                .collect(),
            registry: Mutex::new(registry),
            unnamed: Mutex::new(HashMap::new()),
        }
    }

    /// The registry as it was given (or an equal one installed since).
    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether installing `registry` would change no policy, breaker or budget.
    fn is_made_of(&self, registry: &Registry) -> bool {
        self.registry().defaults == registry.defaults
            && self.by_name.len() == registry.policies.len()
            && registry
                .policies
                .iter()
                .all(|(name, named)| self.by_name.get(name).is_some_and(|entry| entry.is_made_of(named)))
    }
}

/// `named` as calls of `name` hold it, with the name's breaker and budget.
fn new_entry(name: &str, named: NamedPolicy, generation: u64) -> &'static PolicyEntry {
    let shared = crate::state::for_policy(name, named.circuit_breaker.as_ref(), named.retry_budget.as_ref());
    Box::leak(Box::new(PolicyEntry::new(named.policy, shared, generation)))
}

static BUILTIN_DEFAULTS: PolicyEntry = PolicyEntry::new(Policy::DEFAULT, None, 0);
static CURRENT: AtomicPtr<Installed> = AtomicPtr::new(std::ptr::null_mut());
/// Bumped by every install; 0 means nothing was installed and the built-in defaults apply.
static GENERATION: AtomicU64 = AtomicU64::new(0);
static INSTALLING: Mutex<()> = Mutex::new(());

/// Makes `registry` the process-wide one. Every call that starts afterwards, at every call
/// site, runs under the new policies; calls already running finish under the policy they
/// started with.
///
/// The replaced registry is kept, as calls may still hold its policies: a few hundred bytes
/// for a few policies. A registry equal to the installed one (the same policies, breakers
/// and budgets) changes nothing and is not installed again, so a process may reload an
/// unchanged file on a timer, or on every signal, without growing; [`installed`] returns it,
/// though, for what calls do not use (`strict`, the warnings' positions).
///
/// A later [`reload`](crate::reload) reads the configuration file, if there is one, and
/// replaces this registry with it; with none, it keeps this registry and returns an error.
///
/// ```
/// use resilient::{Policy, Registry};
///
/// let registry = Registry::builder().policy("graph", Policy::builder().max_attempts(6).build()?).build()?;
/// resilient::install(registry);
/// // `#[retry(policy = "graph")]` functions now make up to 6 attempts.
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn install(registry: Registry) {
    let _one_at_a_time = INSTALLING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // SAFETY: CURRENT only ever holds null or a leaked, never freed `Installed`.
    if let Some(installed) = unsafe { CURRENT.load(Ordering::Acquire).as_ref() } {
        if installed.is_made_of(&registry) {
            *installed.registry() = registry;
            return;
        }
    }
    let generation = GENERATION.load(Ordering::Relaxed) + 1;
    CURRENT.store(Box::leak(Box::new(Installed::new(registry, generation))), Ordering::Release);
    // Published after the registry, so a call that sees the new generation finds it.
    GENERATION.store(generation, Ordering::Release);
}

/// A copy of the registry in effect: the one [`install`] (or [`init`](crate::init),
/// [`reload`](crate::reload), `watch`) installed last, or before any, an empty one (the
/// built-in defaults). Calls that start now run under it. Its `to_string()` is the
/// configuration in effect, for a log line after a reload or an admin endpoint.
///
/// ```
/// use resilient::Registry;
///
/// assert_eq!(resilient::installed().names().count(), 0); // nothing installed yet
/// let registry = Registry::from_toml_str("[policies.graph]\nmax_attempts = 6\n")?;
/// resilient::install(registry.clone());
/// assert_eq!(resilient::installed().resolve("graph").max_attempts(), Some(6));
/// assert_eq!(resilient::installed().to_string(), registry.to_string());
/// // An equal registry changes no call, and `installed` shows what else it says:
/// resilient::install(Registry::from_toml_str("strict = true\n[policies.graph]\nmax_attempts = 6\n")?);
/// assert!(resilient::installed().is_strict());
/// # Ok::<(), resilient::ConfigError>(())
/// ```
pub fn installed() -> Registry {
    // SAFETY: CURRENT only ever holds null or a leaked, never freed `Installed`.
    match unsafe { CURRENT.load(Ordering::Acquire).as_ref() } {
        Some(installed) => installed.registry().clone(),
        None => Registry::default(),
    }
}

/// Whether the registry in effect holds nothing but the built-in defaults (so does no
/// registry at all): what a reload that finds no file would install.
pub(crate) fn installed_is_builtin() -> bool {
    // SAFETY: CURRENT only ever holds null or a leaked, never freed `Installed`.
    unsafe { CURRENT.load(Ordering::Acquire).as_ref() }
        .is_none_or(|installed| installed.is_made_of(&Registry::default()))
}

/// Where a call site's policy comes from.
#[derive(Debug)]
enum Source {
    Named(&'static str),
    Inline(&'static PolicyEntry),
}

/// One `#[retry]` call site, which the macro emits in each annotated function. It caches the
/// site's policy, so the hot path is two atomic loads and a compare: no lock, no hash.
///
/// What the site says (its policy, its operation) is fixed; what changes as calls run (the
/// cache, the counters) is its [`SiteState`], a `static` of its own, all zeros at first. Split
/// so, the state, about 2 KB of counters, goes to the zero-filled section (`.bss`), which
/// takes no room in the binary, where one `static` holding both would put all of it in the
/// initialised data. And the site has no interior mutability: the crate that defines it knows
/// its fields, so a call compiled there finds the state's address as a constant; a call
/// inlined into another crate loads it from the site, where it would otherwise load it from
/// the global offset table.
#[doc(hidden)]
#[derive(Debug)]
pub struct CallSite {
    source: Source,
    operation: &'static str,
    pub(crate) state: &'static SiteState,
}

// What a call site puts in the binary's initialised data: no counter belongs here (see above).
const _: () = assert!(size_of::<CallSite>() <= 64);

/// What a call site writes as calls run. Its own `static`, all zeros at first (see [`CallSite`]).
#[doc(hidden)]
#[derive(Debug)]
pub struct SiteState {
    cache: AtomicPtr<PolicyEntry>,
    /// An attempt timeout this site's error type could not report, so it was not applied.
    pub(crate) reported_untimed: std::sync::atomic::AtomicBool,
    /// An open breaker's refusal this site's error type could not hold, so the call went on.
    pub(crate) reported_unrefused: std::sync::atomic::AtomicBool,
    pub(crate) reported_no_runtime: std::sync::atomic::AtomicBool,
    pub(crate) counters: SiteCounters,
}

impl SiteState {
    /// Nothing cached, reported or counted yet.
    #[allow(clippy::new_without_default)] // a `static`'s initialiser: only a `const fn` will do
    pub const fn new() -> Self {
        SiteState {
            cache: AtomicPtr::new(std::ptr::null_mut()),
            reported_untimed: std::sync::atomic::AtomicBool::new(false),
            reported_unrefused: std::sync::atomic::AtomicBool::new(false),
            reported_no_runtime: std::sync::atomic::AtomicBool::new(false),
            counters: SiteCounters::new(),
        }
    }
}

impl CallSite {
    /// A site using the policy registered under `policy`.
    pub const fn named(policy: &'static str, operation: &'static str, state: &'static SiteState) -> Self {
        CallSite { source: Source::Named(policy), operation, state }
    }

    /// A site with its own inline policy.
    pub const fn inline(policy: &'static PolicyEntry, operation: &'static str, state: &'static SiteState) -> Self {
        CallSite { source: Source::Inline(policy), operation, state }
    }

    /// The policy's name; `None` for an inline policy.
    pub(crate) fn named_policy(&self) -> Option<&'static str> {
        match self.source {
            Source::Named(name) => Some(name),
            Source::Inline(_) => None,
        }
    }

    /// The inline policy; `None` for a named one.
    pub(crate) fn inline_policy(&self) -> Option<&'static PolicyEntry> {
        match self.source {
            Source::Named(_) => None,
            Source::Inline(entry) => Some(entry),
        }
    }

    /// The policy name events report: the name, or `inline`.
    pub(crate) fn policy_name(&self) -> &'static str {
        self.named_policy().unwrap_or("inline")
    }

    /// `module::path::function`.
    pub(crate) fn operation(&self) -> &'static str {
        self.operation
    }

    /// The policy a call starting now runs under.
    #[inline(always)]
    pub(crate) fn entry(&'static self) -> &'static PolicyEntry {
        // The cache first: a named site's hot path then never looks at its source.
        // SAFETY: the cache only ever holds null or a pointer to a leaked, never freed
        // `PolicyEntry`.
        match unsafe { self.state.cache.load(Ordering::Acquire).as_ref() } {
            Some(entry) if entry.generation == GENERATION.load(Ordering::Acquire) => entry,
            _ => self.refresh(),
        }
    }

    /// The entry for a site whose cache is empty or stale. An inline site's is its own, never
    /// cached (generated code names it directly anyway).
    #[cold]
    fn refresh(&'static self) -> &'static PolicyEntry {
        let name = match self.source {
            Source::Inline(entry) => return entry,
            Source::Named(name) => name,
        };
        let entry = lookup(name);
        self.state.cache.store(entry as *const PolicyEntry as *mut PolicyEntry, Ordering::Release);
        entry
    }
}

/// The entry for `name` in the installed registry; the defaults, logged once, if it has none.
fn lookup(name: &str) -> &'static PolicyEntry {
    // SAFETY: CURRENT only ever holds null or a leaked, never freed `Installed`.
    let Some(installed) = (unsafe { CURRENT.load(Ordering::Acquire).as_ref() }) else {
        return &BUILTIN_DEFAULTS;
    };
    if let Some(entry) = installed.by_name.get(name) {
        return entry;
    }
    let mut unnamed = installed.unnamed.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(entry) = unnamed.get(name) {
        return entry;
    }
    // The name's own breaker and budget, if the defaults have them: one failing service must
    // not open the breaker of every other name that falls back to the defaults.
    let defaults = installed.registry().defaults.clone();
    let entry = new_entry(name, defaults, installed.generation);
    unnamed.insert(name.to_owned(), entry);
    // Logged without the lock: a subscriber may itself make a call that looks a name up.
    drop(unnamed);
    // `#[retry]` without a policy names `default`; falling back to the defaults is what it asks.
    if name != "default" {
        let fix = missing_policy_fix(name, installed.by_name.keys().map(String::as_str));
        crate::telemetry::unknown_policy(name, installed.generation, &fix);
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempts(n: u32) -> Policy {
        Policy::builder().max_attempts(n).build().unwrap()
    }

    #[test]
    fn a_missing_policy_is_mended_with_a_table_the_file_can_spell() {
        assert_eq!(missing_policy_fix("grapf", ["mail", "graph"]), "did you mean `graph`?");
        assert_eq!(missing_policy_fix("mail", ["graph"]), "add `[policies.mail]` or fix the name");
        assert_eq!(missing_policy_fix("mail box", ["graph"]), "add `[policies.\"mail box\"]` or fix the name");
    }

    #[test]
    fn a_named_site_follows_each_install_and_keeps_its_cache_between() {
        static STATE: SiteState = SiteState::new();
        static SITE: CallSite = CallSite::named("registry-test", "tests::named", &STATE);
        install(Registry::builder().policy("registry-test", attempts(5)).build().unwrap());
        let first = SITE.entry();
        assert_eq!(first.policy.max_attempts(), Some(5));
        assert!(std::ptr::eq(first, SITE.entry()), "the second call is served from the cache");

        install(Registry::builder().policy("registry-test", attempts(7)).build().unwrap());
        assert_eq!(SITE.entry().policy.max_attempts(), Some(7));
        // A call that began before the install still holds the policy it started with.
        assert_eq!(first.policy.max_attempts(), Some(5));
    }

    #[test]
    fn an_installed_registry_is_made_of_an_equal_one_only() {
        let guarded = |n: u32, breaker: CircuitBreakerSettings, budget: RetryBudgetSettings| {
            Registry::builder()
                .policy("made-of", attempts(n))
                .circuit_breaker("made-of", breaker)
                .retry_budget("made-of", budget)
        };
        let breaker = CircuitBreakerSettings::default;
        let budget = RetryBudgetSettings::default;
        let installed = Installed::new(guarded(3, breaker(), budget()).build().unwrap(), u64::MAX - 1);
        assert!(installed.is_made_of(&guarded(3, breaker(), budget()).build().unwrap()));

        let changes = [
            ("a policy changed", guarded(4, breaker(), budget())),
            ("a breaker changed", guarded(3, CircuitBreakerSettings { minimum_throughput: 21, ..breaker() }, budget())),
            ("a budget changed", guarded(3, breaker(), RetryBudgetSettings { min_per_second: 11, ..budget() })),
            ("the defaults changed", guarded(3, breaker(), budget()).defaults(attempts(2))),
            ("a policy added", guarded(3, breaker(), budget()).policy("made-of-too", attempts(3))),
            ("a policy removed", Registry::builder()),
        ];
        for (change, registry) in changes {
            assert!(!installed.is_made_of(&registry.build().unwrap()), "unseen: {change}");
        }
    }

    #[test]
    fn settings_given_in_code_are_checked_by_build_every_problem_named() {
        use std::time::Duration;
        let timed = Policy::builder().attempt_timeout(Duration::from_secs(10)).build().unwrap();
        let breaker = CircuitBreakerSettings {
            failure_ratio: 0.0,
            minimum_throughput: 0,
            sampling_window: Duration::from_secs(15),
            ..Default::default()
        };
        let error = Registry::builder()
            .policy("search", timed.clone())
            .circuit_breaker("search", breaker)
            .retry_budget("graph", RetryBudgetSettings { ratio: 1.5, min_per_second: 10 })
            .build()
            .unwrap_err();
        let paths: Vec<&str> = error.issues().iter().map(ConfigIssue::path).collect();
        assert_eq!(
            paths,
            [
                "policies.graph.retry_budget.ratio",
                "policies.search.circuit_breaker.failure_ratio",
                "policies.search.circuit_breaker.minimum_throughput",
                "policies.search.circuit_breaker.sampling_window",
            ]
        );
        assert_eq!(
            error.issues()[3].to_string(),
            "Registry::builder(): policies.search.circuit_breaker.sampling_window: the sampling window (15s) is shorter than twice the attempt timeout (10s), so a slow outage is never seen whole; make `sampling_window` at least 20s"
        );
        // The same settings, corrected, build.
        let fine = CircuitBreakerSettings { sampling_window: Duration::from_secs(20), ..Default::default() };
        assert!(Registry::builder().policy("search", timed).circuit_breaker("search", fine).build().is_ok());
    }

    #[test]
    fn a_name_given_only_a_breaker_runs_under_the_defaults_set_before_or_after() {
        let defaults = attempts(2);
        let registry = Registry::builder()
            .circuit_breaker("breaker-first", CircuitBreakerSettings::default())
            .retry_budget("budget-first", RetryBudgetSettings::default())
            .defaults(defaults.clone())
            .circuit_breaker("breaker-after", CircuitBreakerSettings::default())
            .build()
            .unwrap();
        for name in ["breaker-first", "budget-first", "breaker-after"] {
            assert_eq!(registry.resolve(name), &defaults, "{name}");
        }
        // A policy of its own wins, whichever comes first.
        let own = Registry::builder()
            .circuit_breaker("graph", CircuitBreakerSettings::default())
            .policy("graph", attempts(5))
            .defaults(defaults)
            .build()
            .unwrap();
        assert_eq!(own.resolve("graph").max_attempts(), Some(5));
    }

    #[test]
    fn a_breaker_and_budget_for_every_name_read_as_the_file_does() {
        let file = Registry::from_toml_str(
            "[defaults]\nmax_attempts = 4\n[defaults.circuit_breaker]\nminimum_throughput = 5\n\
             [defaults.retry_budget]\nratio = 0.2\n[policies.graph]\nmax_attempts = 6\n\
             [policies.mail.circuit_breaker]\nminimum_throughput = 9\n",
        )
        .unwrap();
        let code = Registry::builder()
            .policy("graph", attempts(6))
            .circuit_breaker("mail", CircuitBreakerSettings { minimum_throughput: 9, ..Default::default() })
            .defaults(attempts(4))
            .defaults_circuit_breaker(CircuitBreakerSettings { minimum_throughput: 5, ..Default::default() })
            .defaults_retry_budget(RetryBudgetSettings { ratio: 0.2, ..Default::default() })
            .build()
            .unwrap();
        assert_eq!(code.to_string(), file.to_string());
        assert_eq!(code.circuit_breaker("graph").map(|b| b.minimum_throughput), Some(5), "inherited");
        assert_eq!(code.circuit_breaker("mail").map(|b| b.minimum_throughput), Some(9), "its own");
        assert_eq!(code.retry_budget("mail").map(|b| b.ratio), Some(0.2), "inherited");
        assert!(code.circuit_breaker("no-policy").is_some() && code.retry_budget("no-policy").is_some());
    }

    #[test]
    fn a_name_can_turn_off_what_the_defaults_give_as_the_file_does() {
        use std::time::Duration;
        let file = Registry::from_toml_str(
            "[defaults.circuit_breaker]\nsampling_window = \"30s\"\n[defaults.retry_budget]\n\
             [policies.cache]\ncircuit_breaker = false\n[policies.slow]\nattempt_timeout = \"20s\"\n\
             circuit_breaker = false\nretry_budget = false\n",
        )
        .unwrap();
        // `slow`'s timeout is too long for the defaults' window, which it turned off: no error.
        let slow = Policy::builder().attempt_timeout(Duration::from_secs(20)).build().unwrap();
        let code = Registry::builder()
            .defaults_circuit_breaker(CircuitBreakerSettings::default())
            .defaults_retry_budget(RetryBudgetSettings::default())
            .without_circuit_breaker("cache")
            .policy("slow", slow)
            .without_retry_budget("slow")
            .without_circuit_breaker("slow")
            .build()
            .unwrap();
        assert_eq!(code.to_string(), file.to_string());
        assert_eq!(code.circuit_breaker("cache"), None);
        assert!(code.retry_budget("cache").is_some(), "inherited");
        assert_eq!((code.circuit_breaker("slow"), code.retry_budget("slow")), (None, None));
        assert_eq!(code.resolve("cache"), code.defaults(), "a name given only `without_…` runs under the defaults");

        // The last word on a name wins.
        let settings = CircuitBreakerSettings { minimum_throughput: 7, ..Default::default() };
        let given_back = Registry::builder()
            .defaults_circuit_breaker(CircuitBreakerSettings::default())
            .without_circuit_breaker("graph")
            .circuit_breaker("graph", settings.clone())
            .build()
            .unwrap();
        assert_eq!(given_back.circuit_breaker("graph"), Some(&settings));
        let taken_away =
            Registry::builder().circuit_breaker("graph", settings).without_circuit_breaker("graph").build();
        assert_eq!(taken_away.unwrap().circuit_breaker("graph"), None);
    }

    #[test]
    fn the_defaults_settings_are_checked_once_and_against_every_policy() {
        use std::time::Duration;
        let timed = Policy::builder().attempt_timeout(Duration::from_secs(10)).build().unwrap();
        let error = Registry::builder()
            .policy("search", timed)
            .policy("graph", attempts(3))
            .defaults_circuit_breaker(CircuitBreakerSettings {
                failure_ratio: 0.0,
                sampling_window: Duration::from_secs(15),
                ..Default::default()
            })
            .defaults_retry_budget(RetryBudgetSettings { ratio: 2.0, ..Default::default() })
            .build()
            .unwrap_err();
        let paths: Vec<&str> = error.issues().iter().map(ConfigIssue::path).collect();
        assert_eq!(
            paths,
            [
                "defaults.circuit_breaker.failure_ratio",
                "defaults.retry_budget.ratio",
                "policies.search.circuit_breaker.sampling_window",
            ]
        );
    }

    #[test]
    fn an_unknown_name_resolves_to_the_defaults() {
        static STATE: SiteState = SiteState::new();
        static SITE: CallSite = CallSite::named("no-such-policy", "tests::unknown", &STATE);
        let defaults = Policy::builder().max_attempts(2).build().unwrap();
        let registry = Registry::builder().defaults(defaults.clone()).build().unwrap();
        assert_eq!(registry.resolve("no-such-policy"), &defaults);
        assert_eq!(registry.names().count(), 0);
        install(registry);
        // Other tests may install meanwhile; every registry they install has a defaults entry.
        assert!(SITE.entry().policy.max_attempts().is_some());
    }

    #[test]
    #[cfg(all(target_os = "linux", not(miri)))]
    fn a_site_state_is_all_zeros_so_it_takes_no_room_in_the_binary() {
        // The bounds of the zero-filled section, which the linker defines.
        unsafe extern "C" {
            static __bss_start: u8;
            static _end: u8;
        }
        static STATE: SiteState = SiteState::new();
        let zero_filled = (&raw const __bss_start as usize)..(&raw const _end as usize);
        assert!(
            zero_filled.contains(&(&raw const STATE as usize)),
            "a call site's state is initialised data: some field of `SiteState::new()` is not zero"
        );
    }

    #[test]
    fn an_inline_site_never_looks_anything_up() {
        static ENTRY: PolicyEntry = PolicyEntry::inline(Policy::DEFAULT);
        static STATE: SiteState = SiteState::new();
        static SITE: CallSite = CallSite::inline(&ENTRY, "tests::inline", &STATE);
        assert!(std::ptr::eq(SITE.entry(), &ENTRY));
        assert_eq!(SITE.policy_name(), "inline");
        assert_eq!(SITE.operation(), "tests::inline");
    }
}
