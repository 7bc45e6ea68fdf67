#![allow(dead_code)]

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

#[retry(max_attempts = 2.5)]
async fn fetch() -> Result<(), Unavailable> {
    Ok(())
}

fn main() {}
