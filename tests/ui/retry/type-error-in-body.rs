#![allow(dead_code)]

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

#[retry]
async fn fetch() -> Result<u32, Unavailable> {
    Ok("three")
}

fn main() {}
