#![allow(dead_code, unused_imports)]

use std::time::Duration;

use resilient::Transient;

fn classify(_: &u16) -> resilient::Classification {
    resilient::Classification::Transient
}

#[derive(Debug, Transient)]
enum FetchError {
    #[transient(throttled, with = classify)]
    Status(u16),
}

fn main() {}
