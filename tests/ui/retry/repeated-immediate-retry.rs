#![allow(dead_code)]

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

#[retry(backoff = "immediate", max_attempts = 3)]
async fn fetch() -> Result<(), Unavailable> {
    Ok(())
}

fn main() {}
