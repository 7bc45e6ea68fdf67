#![allow(dead_code)]

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

#[retry(operation = get)]
async fn fetch() -> Result<(), Unavailable> {
    Ok(())
}

fn main() {}
