#![allow(dead_code, unused_imports)]

use std::time::Duration;

use resilient::Transient;

#[derive(Transient)]
union Bits {
    a: u32,
    b: f32,
}

fn main() {}
