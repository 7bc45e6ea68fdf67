// A warning, not an error, as `init()` reports it too: denied here to show its text.
#![deny(deprecated)]
#![allow(dead_code)]

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

#[retry(max_attempts = 2, attempt_timeout = "5s")]
async fn fetch() -> Result<(), Unavailable> {
    Ok(())
}

#[retry(max_attempts = 2, attempt_timeout = "5s")]
async fn fetch_generic<E: Transient>(error: fn() -> E) -> Result<(), E> {
    Err(error())
}

fn main() {}
