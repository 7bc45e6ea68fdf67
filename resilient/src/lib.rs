//! Transient-fault handling, declared instead of hand-written.
//!
//! Classify each error once with [`#[derive(Transient)]`](derive@Transient), annotate the
//! function that makes one attempt with [`#[retry]`](macro@retry), and the retry loop is
//! generated: backoff with jitter, the server's `Retry-After`, a deadline, an attempt timeout,
//! one layer of retries however deep the calls nest, and a `tracing` event per retry.
//!
//! ```
//! use std::time::Duration;
//! use resilient::{retry, Transient};
//!
//! #[derive(Debug, thiserror::Error, Transient)]
//! enum FetchError {
//!     #[error("throttled")]
//!     #[transient(throttled, retry_after = retry_after)]
//!     Throttled { retry_after: Option<Duration> },
//!     #[error("service unavailable")]
//!     #[transient]
//!     Unavailable,
//!     #[error("not found")]
//!     #[permanent]
//!     NotFound,
//! }
//!
//! #[retry(max_attempts = 4, initial_delay = "10ms")]
//! async fn fetch(calls: &mut u32) -> Result<&'static str, FetchError> {
//!     *calls += 1;
//!     if *calls < 3 { Err(FetchError::Unavailable) } else { Ok("hello") }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let mut calls = 0;
//! assert_eq!(fetch(&mut calls).await.unwrap(), "hello");
//! assert_eq!(calls, 3);
//! # }
//! ```
//!
//! An error type you cannot derive it for (`anyhow::Error`, another crate's) is classified
//! where it is retried: `#[retry(classify = path)]` names a `fn(&E) -> Classification`.
//!
//! # Policies
//!
//! A [`Policy`] says how many attempts, how long to wait between them and for how long in
//! all. Write one inline (`#[retry(max_attempts = 5, backoff = "fixed")]`), or name one
//! (`#[retry(policy = "graph")]`) and register it in the process-wide [`Registry`] with
//! [`install`]. The built-in defaults: 3 attempts, exponential backoff from 100 ms doubling
//! each time, full jitter, waits capped at 20 s.
//!
//! # Configuration
//!
//! Named policies live in a TOML file that operations change without a rebuild:
//! [`init`] loads `$RESILIENT_CONFIG`, else `./resilient.toml`, else the built-in defaults,
//! verifies every `#[retry]` call site against it and installs it; [`reload`] swaps in a new
//! version, and [`installed`] returns the one in effect. A bad file is a [`ConfigError`]
//! naming every problem with its `file:line:column`, key path and fix, and never replaces the
//! registry in use.
//!
//! ```
//! let registry = resilient::Registry::from_toml_str(r#"
//!     [defaults]
//!     max_attempts = 4
//!
//!     [policies.graph]
//!     max_elapsed = "2m"
//!     attempt_timeout = "30s"
//! "#)?;
//! resilient::install(registry);
//! # Ok::<(), resilient::ConfigError>(())
//! ```
//!
//! # Circuit breaker, retry budget, counters
//!
//! A named policy may have a [`CircuitBreakerSettings`] and a [`RetryBudgetSettings`]
//! (`[policies.NAME.circuit_breaker]`, `[policies.NAME.retry_budget]`), shared by every call
//! site that names it. An open breaker refuses calls at once with [`Rejected::CircuitOpen`],
//! without calling the operation, and lets one probe through after its break. (A call site
//! whose error type cannot hold that rejection cannot be refused: [`init`] reports it as an
//! error; installed without `init`, its calls go through, and a one-time `ERROR` event names
//! the fix.) An empty budget returns the last error instead of retrying.
//! [`Registry::stats`] reads the counters of every `#[retry]` function and every breaker; the
//! [`Stats`] it returns prints one line for each.
//! Set in `[defaults]`, a breaker or a budget goes to every name, each its own; a policy that
//! should have none says so in its table: `circuit_breaker = false`, `retry_budget = false`.
//!
//! ```
//! use resilient::{CircuitBreakerSettings, Policy, Registry, RetryBudgetSettings};
//!
//! resilient::install(
//!     Registry::builder()
//!         .policy("graph", Policy::DEFAULT)
//!         .circuit_breaker("graph", CircuitBreakerSettings { failure_ratio: 0.5, ..Default::default() })
//!         .retry_budget("graph", RetryBudgetSettings { ratio: 0.1, min_per_second: 10 })
//!         .build()?,
//! );
//! let stats = resilient::stats();
//! assert_eq!(stats.breaker("graph").unwrap().state, resilient::BreakerState::Closed);
//! # Ok::<(), resilient::ConfigError>(())
//! ```
//!
//! # Features
//!
//! | feature | adds |
//! | --- | --- |
//! | `watch` | `watch`: reload the configuration file when it changes (a polling thread) |
//! | `metrics` | `export_metrics`: publish the counters of [`Registry::stats`] through the `metrics` facade |
//!
//! # Semantics
//!
//! - `max_attempts` counts every call, the first included; `1` means no retry.
//! - A [`Classification::Permanent`] error returns at once. A transient one waits the backoff
//!   delay; a throttled one waits `max(retry_after, backoff)`, capped by `max_delay`.
//!   [`parse_retry_after`] reads an HTTP `Retry-After` header into that `retry_after`.
//! - `max_elapsed` bounds the whole call: no wait is started that would end past it. (A wait
//!   that ends exactly at it starts, unless an `async fn`'s policy has an `attempt_timeout`:
//!   the attempt after it would then have no time left.)
//!   With `max_elapsed` or `attempt_timeout` (a plain `fn`: with `max_elapsed`, as it keeps
//!   no timeout), the call reads the clock once before its first attempt, and that one
//!   reading is the call's start and the start of the first attempt's timeout. Without
//!   either, a first attempt that finishes at once reads no clock: an async call starts its
//!   clock when its first attempt first has to wait (so `elapsed_ms` and the stats' elapsed
//!   time cover that attempt), or at the first failure if it never waited; a plain `fn`
//!   starts it at the first failure, and leaves its first attempt out.
//! - `attempt_timeout` cancels an attempt that runs too long and counts it as transient
//!   (whatever the error type makes of the rejection), returned as
//!   [`Rejected::AttemptTimedOut`]: the error type must implement
//!   `From<Rejected>` to hold it, or attempts are not timed (an inline timeout on one that
//!   does not is a compile-time warning where it is written; [`init`] reports both inline
//!   and named ones as errors). Only an `async fn` keeps it: a blocking call cannot be
//!   interrupted, so on a plain `fn` an inline `attempt_timeout` does not compile, and
//!   [`init`] warns of a named policy's.
//! - A `#[retry]` call made inside another one's attempt (same task or thread) makes one
//!   attempt; only the outermost layer retries, unless its policy says `nested = "retry"`.
//! - Dropping the future cancels the call: no attempt runs afterwards. Panics propagate.
//! - An `async fn` waits, and times its attempts, on tokio's timer: it runs inside a tokio
//!   runtime with its time driver (`#[tokio::main]`, `#[tokio::test]`, or `enable_time()`).
//!   Polled by another executor, a call that has to wait returns its last error instead of
//!   retrying (giving-up reason `no tokio runtime to wait in`), an attempt timeout is not
//!   kept, and a one-time `ERROR` event names the fix; nothing panics. Inside a tokio runtime
//!   built without its time driver, tokio's timer panics, with a message that names
//!   `enable_time()`: tokio does not yet let a library ask a runtime whether it has one.
//!
//! # Testing code that retries
//!
//! Every wait, deadline, breaker window and budget of an `async fn` follows tokio's clock, so
//! a test under `#[tokio::test(start_paused = true)]` runs its retries at once and sees their
//! waits exactly. [`seed_jitter`] makes the random part of those waits the same on every run.
//!
//! The installed registry, the breakers and budgets of its names, and the counters are
//! process-wide, and the tests of one test binary run in parallel threads of one process.
//! [`install`] replaces the whole registry, so tests that each install their own would see
//! one another's: install one registry with every test's policies, once (from a
//! `std::sync::Once` that each test calls), or give such a test a file of its own under
//! `tests/`, which is a process of its own. Breakers and counters are per name: give each
//! test its own policy names, so that one test's failures open no other test's breaker.
//!
//! # Events
//!
//! Each retry is a `WARN` event with `policy`, `operation`, `attempt`, `max_attempts` (0 when
//! unbounded), `delay_ms`, `throttled` and `error`; giving up is one `ERROR` event with
//! `attempts`, `elapsed_ms`, `reason` and `error`. A first-try success logs nothing. A circuit
//! breaker that opens is a `WARN` event with `policy`, `failures`, `outcomes` and `break_ms`;
//! one that half-opens or closes, an `INFO` event with `policy` and `state`.

#![deny(missing_docs)]
// On docs.rs: mark the items of each feature with the feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod backoff;
mod breaker;
mod budget;
mod classify;
mod config;
mod counters;
#[cfg(feature = "metrics")]
mod export;
mod registry;
mod rejected;
mod retry_after;
mod run;
mod state;
mod telemetry;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use backoff::{Delays, seed_jitter};
pub use breaker::CircuitBreakerSettings;
pub use budget::RetryBudgetSettings;
pub use classify::{Classification, Transient};
pub use config::{ConfigError, ConfigIssue, ConfigWarning, init, reload};
#[cfg(feature = "watch")]
pub use config::{Watcher, watch};
pub use counters::{BreakerState, BreakerStats, OperationStats, Stats};
#[cfg(feature = "metrics")]
pub use export::export_metrics;
pub use registry::{Registry, RegistryBuilder, install, installed, stats};
pub use rejected::Rejected;
pub use resilient_macros::{Transient, retry};
pub use resilient_policy::{Backoff, Jitter, Nested, Policy, PolicyBuilder, PolicyError};
pub use retry_after::parse_retry_after;
