//! Implementation detail of [`resilient`](https://docs.rs/resilient): what a retry policy is
//! and the rules that make one valid.
//!
//! The runtime (policies built in code, the configuration file) and the `#[retry]` macro
//! (inline policies, checked at compile time) both validate through this crate, so a policy
//! is accepted or refused for the same reason with the same message wherever it is written.
//! Depend on `resilient`, which re-exports everything public here.

#![deny(missing_docs)]

mod builder;
mod duration;
mod error;
mod ignored;
mod policy;
mod suggest;

pub use builder::{KEYS, PolicyBuilder, Value};
pub use duration::{MAX as MAX_DURATION, duration_from_value, format_duration, parse_duration};
pub use error::PolicyError;
pub use ignored::{ignored_key, is_ignored};
pub use policy::{Backoff, Jitter, Nested, Policy};
pub use suggest::did_you_mean;
