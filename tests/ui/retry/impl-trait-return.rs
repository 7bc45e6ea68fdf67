#![allow(dead_code)]

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

#[retry]
fn fetch() -> Result<impl std::fmt::Display, Unavailable> {
    Ok(3)
}

fn main() {}
