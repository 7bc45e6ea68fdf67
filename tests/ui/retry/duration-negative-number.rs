#![allow(dead_code)]

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

#[retry(initial_delay = -1.5)]
async fn fetch() -> Result<(), Unavailable> {
    Ok(())
}

fn main() {}
