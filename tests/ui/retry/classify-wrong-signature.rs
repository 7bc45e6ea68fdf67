#![allow(dead_code)]

use resilient::retry;

/// Takes the error by value, and answers a `bool`.
fn is_transient(error: String) -> bool {
    error.starts_with("busy")
}

#[retry(classify = is_transient)]
async fn fetch() -> Result<(), String> {
    Ok(())
}

fn main() {}
