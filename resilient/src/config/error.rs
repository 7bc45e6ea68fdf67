//! What is wrong with a configuration, and where.

use std::fmt;

/// Where a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    /// A position in a configuration file (1-based line and column).
    File { file: String, line: usize, column: usize },
    /// A whole file (it cannot be read, or is not text).
    WholeFile(String),
    /// A `#[retry]` call site in the program.
    CallSite { file: &'static str, line: u32 },
    /// Settings given in code, to [`RegistryBuilder`](crate::RegistryBuilder).
    Code,
    /// A policy given in code, to [`PolicyBuilder`](crate::PolicyBuilder).
    PolicyBuilder,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File { file, line, column } => write!(f, "{file}:{line}:{column}"),
            Location::WholeFile(file) => f.write_str(file),
            Location::CallSite { file, line } => write!(f, "{file}:{line}"),
            Location::Code => f.write_str("Registry::builder()"),
            Location::PolicyBuilder => f.write_str("Policy::builder()"),
        }
    }
}

/// One problem (or one warning) in a configuration: where, which key, what and how to fix it.
///
/// `Display` reads `file:line:column: key.path: message`, for example
/// `resilient.toml:12:15: policies.graph.max_attempts: expected an integer >= 1, found 0; use
/// `max_attempts = 1` to disable retries`.
///
/// ```
/// let text = "[policies.graph]\nmax_attempt = 5\nbackoff = \"exponentail\"\n";
/// let error = resilient::Registry::from_toml_str(text).unwrap_err();
/// let found: Vec<_> = error.issues().iter().map(|issue| (issue.path(), issue.line_column())).collect();
/// assert_eq!(found, [("policies.graph", Some((2, 1))), ("policies.graph.backoff", Some((3, 11)))]);
/// assert!(error.issues()[0].message().contains("did you mean `max_attempts`?"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    pub(crate) location: Location,
    pub(crate) path: String,
    pub(crate) message: String,
}

impl ConfigIssue {
    /// The key path at fault, e.g. `policies.graph.max_attempts`, written as TOML writes it (a
    /// policy name a bare key cannot spell is quoted: `policies."a.b".max_attempts`); for a call
    /// site, its operation (`module::function`).
    ///
    /// ```
    /// let error = resilient::Registry::from_toml_str("[policies.\"a.b\"]\nmax_attempts = 0\n").unwrap_err();
    /// assert_eq!(error.issues()[0].path(), "policies.\"a.b\".max_attempts");
    /// ```
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong and how to fix it.
    ///
    /// ```
    /// let error = resilient::Registry::from_toml_str("[defaults]\nmax_attempts = 0\n").unwrap_err();
    /// assert_eq!(error.issues()[0].message(), "expected an integer >= 1, found 0; use `max_attempts = 1` to disable retries");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The line and column in the file, when the problem has a position there.
    ///
    /// ```
    /// let error = resilient::Registry::from_toml_str("[defaults]\nmax_attempts = 0\n").unwrap_err();
    /// assert_eq!(error.issues()[0].line_column(), Some((2, 16))); // 1-based; the column counts characters
    /// // A policy built in code has no position:
    /// let error = resilient::Registry::builder().policy("", resilient::Policy::DEFAULT).build().unwrap_err();
    /// assert_eq!(error.issues()[0].line_column(), None);
    /// ```
    pub fn line_column(&self) -> Option<(usize, usize)> {
        match self.location {
            Location::File { line, column, .. } => Some((line, column)),
            _ => None,
        }
    }
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.location, self.message)
        } else {
            write!(f, "{}: {}: {}", self.location, self.path, self.message)
        }
    }
}

/// A configuration that cannot be used: every problem found, not only the first, one per line
/// in `Display`. The registry in use is never changed by a configuration that fails.
///
/// ```
/// let error = resilient::Registry::from_toml_str("[policies.graph]\nmax_attempts = 0\n").unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "<string>:2:16: policies.graph.max_attempts: expected an integer >= 1, found 0; use `max_attempts = 1` to disable retries"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub(crate) issues: Vec<ConfigIssue>,
}

impl ConfigError {
    pub(crate) fn single(location: Location, path: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError { issues: vec![ConfigIssue { location, path: path.into(), message: message.into() }] }
    }

    /// Every problem, in file order.
    ///
    /// ```
    /// let text = "[policies.graph]\nmax_attempts = 0\nbackoff = \"sometimes\"\n";
    /// let error = resilient::Registry::from_toml_str(text).unwrap_err();
    /// let paths: Vec<&str> = error.issues().iter().map(|issue| issue.path()).collect();
    /// assert_eq!(paths, ["policies.graph.max_attempts", "policies.graph.backoff"]);
    /// ```
    pub fn issues(&self) -> &[ConfigIssue] {
        &self.issues
    }
}

/// A policy refused by [`Policy::builder`](crate::Policy::builder), as a configuration error,
/// so that code that builds a registry can use `?` on both builders.
///
/// ```
/// use resilient::{ConfigError, Policy, Registry};
///
/// fn registry(attempts: u32) -> Result<Registry, ConfigError> {
///     Registry::builder().policy("graph", Policy::builder().max_attempts(attempts).build()?).build()
/// }
///
/// assert!(registry(6).is_ok());
/// assert_eq!(
///     registry(0).unwrap_err().to_string(),
///     "Policy::builder(): max_attempts: expected an integer >= 1, found 0; use `max_attempts = 1` to disable retries"
/// );
/// ```
impl From<crate::PolicyError> for ConfigError {
    fn from(error: crate::PolicyError) -> Self {
        ConfigError::single(Location::PolicyBuilder, error.key(), error.message())
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, issue) in self.issues.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{issue}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// A legal but discouraged choice (a fixed interval with many attempts, no jitter, a policy no
/// call site names…): returned by [`init`](crate::init) and logged, never fatal.
///
/// ```
/// let registry = resilient::Registry::from_toml_str("[policies.graph]\njitter = \"none\"\n")?;
/// let warnings = registry.warnings();
/// assert_eq!(warnings.len(), 1);
/// assert_eq!(warnings[0].path(), "policies.graph.jitter");
/// # Ok::<(), resilient::ConfigError>(())
/// ```
pub type ConfigWarning = ConfigIssue;
