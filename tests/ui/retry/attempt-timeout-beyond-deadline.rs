#![allow(dead_code)]

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

#[retry(max_elapsed = "10s", attempt_timeout = "30s")]
async fn fetch() -> Result<(), Unavailable> {
    Ok(())
}

fn main() {}
