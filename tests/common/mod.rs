//! The error types the integration tests share. Each test binary uses only some of them.
#![allow(dead_code)]

use resilient::{Rejected, Transient};

/// A service's error that can hold a [`Rejected`] (an attempt that timed out, a call an open
/// breaker refused): the shape `#[retry]` expects of an error type.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Transient)]
pub enum Error {
    #[error("unavailable")]
    #[transient]
    Unavailable,
    #[error("bad request")]
    #[permanent]
    BadRequest,
    #[error(transparent)]
    #[transient(delegate)]
    Rejected(#[from] Rejected),
}

/// A transient error that cannot hold a [`Rejected`], and has no `Display`.
#[derive(Debug, Clone, Copy, PartialEq, Transient)]
#[transient]
pub struct Unavailable;
