#![allow(dead_code)]

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

#[retry(initial_delay = "5s", max_delay = "1s")]
async fn fetch() -> Result<(), Unavailable> {
    Ok(())
}

fn main() {}
