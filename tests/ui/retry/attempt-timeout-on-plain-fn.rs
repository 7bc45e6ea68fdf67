#![allow(dead_code)]

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
enum Error {
    #[transient]
    Unavailable,
    #[transient(delegate)]
    Rejected(resilient::Rejected),
}

impl From<resilient::Rejected> for Error {
    fn from(rejected: resilient::Rejected) -> Self {
        Error::Rejected(rejected)
    }
}

// A blocking attempt cannot be cut off: the timeout would silently not be kept.
#[retry(max_attempts = 3, attempt_timeout = "5s")]
fn fetch() -> Result<(), Error> {
    Ok(())
}

fn main() {}
