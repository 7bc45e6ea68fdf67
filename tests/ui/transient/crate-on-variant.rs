#![allow(dead_code)]

use resilient::Transient;

#[derive(Debug, Transient)]
enum FetchError {
    #[transient(crate = "resilient")]
    Busy,
}

fn main() {}
