//! Retry budget settings: how much retry load a policy may add during an outage.

/// The settings of a policy's retry budget (`[policies.NAME.retry_budget]`), a token bucket in
/// the style of Finagle and gRPC retry throttling: every first attempt deposits `ratio` tokens,
/// every retry withdraws one, and `min_per_second` retries are always allowed.
///
/// ```
/// use resilient::RetryBudgetSettings;
/// let budget = RetryBudgetSettings { ratio: 0.2, ..Default::default() };
/// assert_eq!(budget.min_per_second, 10);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryBudgetSettings {
    /// Tokens each first attempt deposits, in [0, 1]: the retry load allowed on top. Deposits
    /// add up exactly (to a billionth of a token): ten first attempts at `0.1` buy one retry.
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

/// One token (one retry) in the bucket's units. The bucket counts in billionths of a token,
/// as integers, so that deposits add up exactly: ten deposits of 0.1 make one token, where
/// ten additions of `0.1_f64` make 0.999…, and the tenth first attempt would buy no retry.
const TOKEN: u64 = 1_000_000_000;

/// The part of a token one first attempt deposits, in the bucket's units. `ratio` is in
/// [0, 1] (validated), so this is at most [`TOKEN`].
fn deposit(settings: &RetryBudgetSettings) -> u64 {
    (settings.ratio * TOKEN as f64).round() as u64
}

/// The most the bucket holds, in its units, so that a long healthy period cannot bank an
/// unbounded burst of retries for the next outage: 100 first attempts' deposits, and at
/// least 10 tokens.
fn capacity(settings: &RetryBudgetSettings) -> u64 {
    (100 * deposit(settings)).max(10 * TOKEN)
}

/// The token bucket of one policy's retry budget.
///
/// First attempts deposit on the happy path into a sharded counter (no shared write); the
/// failure path harvests those deposits into the balance when it asks for a retry.
#[derive(Debug)]
pub(crate) struct Budget {
    pub(crate) settings: RetryBudgetSettings,
    /// First attempts, counted by every call.
    pub(crate) deposits: crate::counters::Sharded,
    state: std::sync::Mutex<BudgetState>,
}

#[derive(Debug, Default)]
struct BudgetState {
    /// In billionths of a token ([`TOKEN`]).
    balance: u64,
    harvested: u64,
    /// The second (in ns / 1e9 on the caller's clock) the reserve was last used in, and how
    /// many retries it has allowed in it.
    reserve_second: u64,
    reserve_used: u32,
}

impl Budget {
    pub(crate) fn new(settings: RetryBudgetSettings) -> Self {
        Budget {
            settings,
            deposits: crate::counters::Sharded::new(),
            state: std::sync::Mutex::new(BudgetState::default()),
        }
    }

    /// A budget under new settings that goes on from `previous`, the one a reload replaces:
    /// the tokens saved so far (up to the new capacity) and the reserve used this second
    /// carry on, so that a reload does not hand out a fresh reserve in the middle of an
    /// outage. The tokens saved include the deposits `previous` has not harvested yet, at its
    /// own ratio: a budget that has seen no failure since it began has harvested none, and a
    /// reload would otherwise start an outage that follows it with an empty bucket.
    pub(crate) fn succeeding(previous: &Budget, settings: RetryBudgetSettings) -> Budget {
        let mut before = previous.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        previous.harvest(&mut before);
        let budget = Budget::new(settings);
        *budget.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = BudgetState {
            balance: before.balance.min(capacity(&budget.settings)),
            harvested: 0,
            reserve_second: before.reserve_second,
            reserve_used: before.reserve_used,
        };
        budget
    }

    /// Adds the first attempts' deposits made since the last harvest to the balance.
    fn harvest(&self, state: &mut BudgetState) {
        let deposits = self.deposits.sum();
        let fresh = deposits.saturating_sub(state.harvested);
        state.harvested = deposits;
        let deposited = fresh.saturating_mul(deposit(&self.settings));
        state.balance = state.balance.saturating_add(deposited).min(capacity(&self.settings));
    }

    /// Takes a token for one retry at `now` (ns), or says the budget is spent.
    pub(crate) fn try_withdraw(&self, now: u64) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        self.harvest(&mut state);
        if state.balance >= TOKEN {
            state.balance -= TOKEN;
            return true;
        }
        let second = now / 1_000_000_000;
        if state.reserve_second != second {
            state.reserve_second = second;
            state.reserve_used = 0;
        }
        if state.reserve_used < self.settings.min_per_second {
            state.reserve_used += 1;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(ratio: f64, min_per_second: u32) -> Budget {
        Budget::new(RetryBudgetSettings { ratio, min_per_second })
    }

    #[test]
    fn each_first_attempt_buys_a_share_of_a_retry() {
        let b = budget(0.1, 0);
        assert!(!b.try_withdraw(0), "an empty budget refuses");
        (0..100).for_each(|_| b.deposits.increment());
        let granted = (0..20).filter(|_| b.try_withdraw(0)).count();
        assert_eq!(granted, 10, "100 first attempts at a ratio of 0.1 buy 10 retries");
    }

    #[test]
    fn deposits_harvested_one_at_a_time_add_up_exactly() {
        // A retry asked for after every first attempt harvests one deposit each time: ten
        // deposits of 0.1 must make a whole token (in floating point they make 0.999…).
        for (ratio, first_attempts, retries) in [(0.1, 50, 5), (0.2, 25, 5), (0.3, 20, 6), (0.05, 100, 5), (1.0, 5, 5)]
        {
            let b = budget(ratio, 0);
            let mut granted = 0;
            for _ in 0..first_attempts {
                b.deposits.increment();
                granted += u32::from(b.try_withdraw(0));
            }
            assert_eq!(granted, retries, "{first_attempts} first attempts at a ratio of {ratio}");
        }
    }

    #[test]
    fn a_successor_keeps_the_saved_tokens_and_the_reserve_used() {
        let b = budget(0.1, 2);
        (0..50).for_each(|_| b.deposits.increment());
        assert!(b.try_withdraw(0), "5 tokens saved, one spent");
        let next = Budget::succeeding(&b, RetryBudgetSettings { ratio: 0.5, min_per_second: 2 });
        assert_eq!((0..10).filter(|_| next.try_withdraw(0)).count(), 4 + 2, "4 tokens and the reserve");
        assert!(!next.try_withdraw(0));

        // Deposits no retry has harvested yet carry on too, at the ratio they were made at.
        let healthy = budget(0.1, 0);
        (0..30).for_each(|_| healthy.deposits.increment());
        let carried = Budget::succeeding(&healthy, RetryBudgetSettings { ratio: 0.5, min_per_second: 0 });
        assert_eq!((0..10).filter(|_| carried.try_withdraw(0)).count(), 3, "30 first attempts at 0.1");

        // The reserve used this second stays used.
        let used = Budget::succeeding(&next, RetryBudgetSettings { ratio: 0.5, min_per_second: 2 });
        assert!(!used.try_withdraw(0), "the same second");
        assert!(used.try_withdraw(1_000_000_000), "the next second");
    }

    #[test]
    fn the_reserve_allows_min_per_second_in_each_second() {
        let b = budget(0.1, 3);
        assert_eq!((0..10).filter(|_| b.try_withdraw(5_000_000_000)).count(), 3);
        assert_eq!((0..10).filter(|_| b.try_withdraw(5_900_000_000)).count(), 0, "same second");
        assert_eq!((0..10).filter(|_| b.try_withdraw(6_000_000_000)).count(), 3, "next second");
    }

    #[test]
    fn a_long_healthy_period_banks_at_most_the_capacity() {
        let b = budget(0.1, 0);
        // 1000 tokens' worth, a hundred times the capacity (and quick under Miri).
        (0..10_000).for_each(|_| b.deposits.increment());
        assert_eq!((0..100).filter(|_| b.try_withdraw(0)).count(), 10);
    }
}
