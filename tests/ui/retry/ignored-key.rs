// A key the backoff ignores is a warning, denied here to show it: the configuration file's
// warning for the same key, at the key.
#![deny(deprecated)]
#![allow(dead_code)]

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

#[retry(max_attempts = 3, backoff = "fixed", multiplier = 3.0)]
async fn fetch() -> Result<(), Unavailable> {
    Ok(())
}

#[retry(max_attempts = 3, backoff = "decorrelated", jitter = "equal")]
fn send() -> Result<(), Unavailable> {
    Ok(())
}

#[retry(max_attempts = 2, backoff = "immediate", initial_delay = "1s")]
fn ping() -> Result<(), Unavailable> {
    Ok(())
}

#[retry(max_attempts = 2, backoff = "immediate", jitter = "none")]
fn pong() -> Result<(), Unavailable> {
    Ok(())
}

fn main() {}
