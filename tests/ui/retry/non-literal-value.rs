#![allow(dead_code)]

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

const ATTEMPTS: u32 = 3;

#[retry(max_attempts = ATTEMPTS)]
async fn fetch() -> Result<(), Unavailable> {
    Ok(())
}

fn main() {}
