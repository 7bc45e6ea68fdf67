//! Retry budget settings: how much retry load a policy may add during an outage.

/// The settings of a policy's retry budget (`[policies.NAME.retry_budget]`), a token bucket in
/// the style of Finagle and gRPC retry throttling: every first attempt deposits `ratio` tokens,
/// every retry withdraws one, and `min_per_second` retries are always allowed.
///
/// ```
/// use resilient::RetryBudgetSettings;
/// let mut budget = RetryBudgetSettings::default();
/// budget.ratio = 0.2;
/// assert_eq!(budget.min_per_second, 10);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryBudgetSettings {
    /// Tokens each first attempt deposits, in [0, 1]: the retry load allowed on top.
    pub ratio: f64,
    /// Retries per second always allowed, however empty the bucket.
    pub min_per_second: u32,
}

impl Default for RetryBudgetSettings {
    /// Retries up to 10 % of first attempts, and at least 10 per second.
    fn default() -> Self {
        RetryBudgetSettings { ratio: 0.1, min_per_second: 10 }
    }
}

impl RetryBudgetSettings {
    /// Every rule broken, as `(key, message)`.
    pub(crate) fn problems(&self) -> Vec<(&'static str, String)> {
        if (0.0..=1.0).contains(&self.ratio) {
            Vec::new()
        } else {
            vec![("ratio", format!("expected a number in [0, 1], found {}; e.g. `ratio = 0.1`", self.ratio))]
        }
    }
}
