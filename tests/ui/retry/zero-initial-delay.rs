#![allow(dead_code)]

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

#[retry(backoff = "fixed", initial_delay = "0s", max_attempts = 4)]
async fn fetch() -> Result<(), Unavailable> {
    Ok(())
}

fn main() {}
