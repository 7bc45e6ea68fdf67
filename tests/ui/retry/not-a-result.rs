#![allow(dead_code)]

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

#[retry]
fn fetch() -> u32 {
    3
}

fn main() {}
