#![allow(dead_code, unused_imports)]

use std::time::Duration;

use resilient::Transient;

#[derive(Debug, Transient)]
enum FetchError {
    #[transient(retry_after = wait)]
    Busy { wait: Duration },
}

fn main() {}
