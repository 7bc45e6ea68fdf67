#![allow(dead_code, unused_imports)]

use std::time::Duration;

use resilient::Transient;

#[derive(Debug, Transient)]
#[transient(default = transient, throttled)]
enum FetchError {
    Busy,
}

fn main() {}
