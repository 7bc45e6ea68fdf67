//! The error a policy that breaks a rule is refused with.

use std::borrow::Cow;
use std::fmt;

/// A policy value that breaks a rule: which key, what is wrong, and how to fix it.
///
/// `Display` reads `key: problem; fix`, for example
/// `max_attempts: expected an integer >= 1, found 0; use max_attempts = 1 to disable retries`.
/// The configuration loader prefixes the key with the policy's path and the file position.
///
/// ```
/// # extern crate resilient_policy as resilient;
/// use std::time::Duration;
/// use resilient::Policy;
///
/// let too_long = Policy::builder().attempt_timeout(Duration::from_secs(60)).max_elapsed(Duration::from_secs(30));
/// let error = too_long.build().unwrap_err();
/// assert_eq!(error.key(), "attempt_timeout");
/// println!("{}", error.message()); // what is wrong, and the fix
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    key: Cow<'static, str>,
    message: String,
}

impl PolicyError {
    pub(crate) fn new(key: &'static str, message: impl Into<String>) -> Self {
        PolicyError { key: Cow::Borrowed(key), message: message.into() }
    }

    pub(crate) fn unknown(key: &str, message: impl Into<String>) -> Self {
        PolicyError { key: Cow::Owned(key.to_owned()), message: message.into() }
    }

    /// The policy key at fault, e.g. `"max_attempts"`.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// let error = resilient::Policy::builder().multiplier(0.5).build().unwrap_err();
    /// assert_eq!(error.key(), "multiplier");
    /// ```
    pub fn key(&self) -> &str {
        &self.key
    }

    /// What is wrong and how to fix it, without the key.
    ///
    /// ```
    /// # extern crate resilient_policy as resilient;
    /// let error = resilient::Policy::builder().max_attempts(0).build().unwrap_err();
    /// assert_eq!(error.message(), "expected an integer >= 1, found 0; use `max_attempts = 1` to disable retries");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

impl std::error::Error for PolicyError {}
