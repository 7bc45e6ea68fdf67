#![allow(dead_code)]

use resilient::retry;

// An `impl Trait` success type is fine; an `impl Trait` error type hides what to classify.
#[retry]
fn fetch() -> Result<u8, impl std::error::Error> {
    Err(std::io::Error::other("down"))
}

fn main() {}
