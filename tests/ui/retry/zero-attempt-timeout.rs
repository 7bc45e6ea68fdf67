#![allow(dead_code)]

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

#[retry(attempt_timeout = "0ms")]
async fn fetch() -> Result<(), Unavailable> {
    Ok(())
}

fn main() {}
