#![allow(dead_code, unused_imports)]

use std::time::Duration;

use resilient::Transient;

#[derive(Debug, Transient)]
#[transient(default = "permanent")]
enum FetchError {
    Busy,
}

fn main() {}
