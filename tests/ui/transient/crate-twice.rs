#![allow(dead_code)]

use resilient::Transient;

#[derive(Debug, Transient)]
#[transient(crate = "resilient")]
#[transient(crate = "resilient", default = permanent)]
enum FetchError {
    Busy,
}

fn main() {}
