//! The state a policy name shares across its call sites: its circuit breaker and its retry
//! budget. It outlives registry reloads, so an open breaker stays open when an unrelated key
//! changes; a reload that changes the breaker's or the budget's own settings makes a new
//! state that goes on from the old one (an open breaker stays open, saved tokens stay).

use std::sync::{Mutex, OnceLock};

use crate::breaker::Breaker;
use crate::budget::Budget;
use crate::run::Clock;
use crate::{CircuitBreakerSettings, RetryBudgetSettings};

/// A policy name's breaker and budget.
#[derive(Debug)]
pub(crate) struct PolicyState {
    pub(crate) name: &'static str,
    pub(crate) breaker: Option<Breaker>,
    pub(crate) budget: Option<Budget>,
    /// Time zero of the breaker's and budget's clock, read from the first caller's clock, so
    /// that a call under tokio's paused clock and the breaker agree on what time it is.
    origin: OnceLock<std::time::Instant>,
}

impl PolicyState {
    /// The settings of its breaker and of its budget, as a registry gives them.
    pub(crate) fn settings(&self) -> (Option<&CircuitBreakerSettings>, Option<&RetryBudgetSettings>) {
        (self.breaker.as_ref().map(|breaker| &breaker.settings), self.budget.as_ref().map(|budget| &budget.settings))
    }

    /// Now, in nanoseconds since this state's origin, on the clock `C`.
    pub(crate) fn now<C: Clock>(&self) -> u64 {
        self.nanos_at(C::now())
    }

    /// `instant` in nanoseconds since this state's origin.
    pub(crate) fn nanos_at(&self, now: std::time::Instant) -> u64 {
        let origin = *self.origin.get_or_init(|| now);
        u64::try_from(now.saturating_duration_since(origin).as_nanos()).unwrap_or(u64::MAX)
    }
}

/// Every state ever made, newest last; never freed, like installed registries.
static STATES: Mutex<Vec<&'static PolicyState>> = Mutex::new(Vec::new());

fn states() -> std::sync::MutexGuard<'static, Vec<&'static PolicyState>> {
    STATES.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The shared state for `name` with these settings: the newest one of that name if its
/// settings are the same, else a new one that goes on from it (an open breaker stays open,
/// saved retry tokens stay saved; see `Breaker::succeeding`). `None` when the policy has
/// neither a breaker nor a budget.
pub(crate) fn for_policy(
    name: &str,
    breaker: Option<&CircuitBreakerSettings>,
    budget: Option<&RetryBudgetSettings>,
) -> Option<&'static PolicyState> {
    if breaker.is_none() && budget.is_none() {
        return None;
    }
    let mut states = states();
    // Only the newest: an older state of the name stopped seeing outcomes when it was
    // replaced, and its breaker's window and state are stale.
    let newest = states.iter().rev().find(|state| state.name == name).copied();
    if let Some(newest) = newest.filter(|state| state.settings() == (breaker, budget)) {
        return Some(newest);
    }
    let previous_breaker = newest.and_then(|state| state.breaker.as_ref());
    let previous_budget = newest.and_then(|state| state.budget.as_ref());
    let name: &'static str = Box::leak(name.to_owned().into_boxed_str());
    let state: &'static PolicyState = Box::leak(Box::new(PolicyState {
        name,
        breaker: breaker.cloned().map(|settings| match previous_breaker {
            Some(previous) => Breaker::succeeding(previous, settings),
            None => Breaker::new(name, settings),
        }),
        budget: budget.cloned().map(|settings| match previous_budget {
            Some(previous) => Budget::succeeding(previous, settings),
            None => Budget::new(settings),
        }),
        // The same time zero, so that a carried-over break ends when it would have.
        origin: newest.and_then(|state| state.origin.get().copied()).map_or_else(OnceLock::new, OnceLock::from),
    }));
    states.push(state);
    Some(state)
}

/// The newest breaker of each policy name.
pub(crate) fn breakers() -> Vec<crate::BreakerStats> {
    use std::sync::atomic::Ordering::Relaxed;
    let mut seen = std::collections::BTreeMap::new();
    for state in states().iter().rev() {
        if let Some(breaker) = &state.breaker {
            seen.entry(state.name).or_insert_with(|| crate::BreakerStats {
                policy: state.name,
                state: breaker.state(),
                opened: breaker.opened.load(Relaxed),
                half_opened: breaker.half_opened.load(Relaxed),
                closed: breaker.closed.load(Relaxed),
            });
        }
    }
    seen.into_values().collect()
}
