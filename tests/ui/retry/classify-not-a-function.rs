#![allow(dead_code)]

use resilient::retry;

#[retry(classify = "by_text")]
async fn fetch() -> Result<(), String> {
    Ok(())
}

fn main() {}
