#![allow(dead_code, unused_imports)]

use std::time::Duration;

use resilient::Transient;

#[derive(Debug, Transient)]
#[permanent]
enum FetchError {
    NotFound,
}

fn main() {}
