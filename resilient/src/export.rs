//! Exporting the counters through the [`metrics`](https://docs.rs/metrics) facade.
//!
//! Pull, not push: the retry loop keeps its own counters (the happy path's one write is a
//! sharded increment), and [`export_metrics`] publishes a snapshot of them as absolute values.
//! Call it before each scrape, or on an interval. Labels are `policy` and `operation`, both
//! `&'static str` known at compile time, so cardinality is bounded by the program's call sites.

use crate::BreakerState;

/// Publishes every counter of [`stats`](crate::stats) to the installed `metrics` recorder:
///
/// | metric | kind | labels |
/// | --- | --- | --- |
/// | `resilient_calls_total`, `resilient_attempts_total`, `resilient_retries_total`, `resilient_throttled_retries_total`, `resilient_successes_total`, `resilient_failures_total`, `resilient_give_ups_total`, `resilient_rejections_total`, `resilient_budget_refusals_total`, `resilient_retried_calls_total` | counter | `policy`, `operation` |
/// | `resilient_retried_elapsed_seconds_total` | gauge (monotonic) | `policy`, `operation` |
/// | `resilient_breaker_state` (0 closed, 1 open, 2 half-open) | gauge | `policy` |
/// | `resilient_breaker_transitions_total` | counter | `policy`, `to` (`open`, `half_open`, `closed`) |
///
/// ```
/// // In a scrape handler, or every few seconds:
/// resilient::export_metrics();
/// ```
pub fn export_metrics() {
    let stats = crate::stats();
    for op in &stats.operations {
        let labels = [("policy", op.policy), ("operation", op.operation)];
        let counters = [
            ("resilient_calls_total", op.calls),
            ("resilient_attempts_total", op.attempts),
            ("resilient_retries_total", op.retries),
            ("resilient_throttled_retries_total", op.throttled_retries),
            ("resilient_successes_total", op.successes),
            ("resilient_failures_total", op.failures),
            ("resilient_give_ups_total", op.give_ups),
            ("resilient_rejections_total", op.rejections),
            ("resilient_budget_refusals_total", op.budget_refusals),
            ("resilient_retried_calls_total", op.retried_calls),
        ];
        for (name, value) in counters {
            metrics::counter!(name, &labels).absolute(value);
        }
        metrics::gauge!("resilient_retried_elapsed_seconds_total", &labels).set(op.retried_elapsed.as_secs_f64());
    }
    for breaker in &stats.breakers {
        let state = match breaker.state {
            BreakerState::Closed => 0.0,
            BreakerState::Open => 1.0,
            BreakerState::HalfOpen => 2.0,
        };
        metrics::gauge!("resilient_breaker_state", "policy" => breaker.policy).set(state);
        for (to, value) in [("open", breaker.opened), ("half_open", breaker.half_opened), ("closed", breaker.closed)] {
            metrics::counter!("resilient_breaker_transitions_total", "policy" => breaker.policy, "to" => to)
                .absolute(value);
        }
    }
}
