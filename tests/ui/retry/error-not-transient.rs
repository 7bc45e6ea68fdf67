#![allow(dead_code)]

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

#[derive(Debug)]
struct Opaque;

#[retry]
async fn fetch() -> Result<(), Opaque> {
    Ok(())
}

fn main() {}
