#![allow(dead_code, unused_imports)]

use std::time::Duration;

use resilient::Transient;

#[derive(Debug, Transient)]
enum FetchError {
    #[transient(throttled, retry_after = 2)]
    Busy(Duration, String),
}

fn main() {}
