//! The generated code's own names do not shadow the user's: error types named like the traits
//! and types it uses, and a `Result` alias of the user's own, all compile and run.

use resilient::{retry, Transient};

/// An error that cannot hold a rejection, named like the trait that says so.
#[derive(Debug, Transient)]
#[transient]
struct NoHome;

/// One that can, named like the trait that prints an error by its type's name.
#[derive(Debug, Transient)]
enum TextViaName {
    #[transient]
    Unavailable,
    #[transient(delegate)]
    Rejected(resilient::Rejected),
}

impl From<resilient::Rejected> for TextViaName {
    fn from(rejected: resilient::Rejected) -> Self {
        TextViaName::Rejected(rejected)
    }
}

#[allow(dead_code)]
struct Probe;
#[allow(dead_code)]
struct Outcome;
#[allow(dead_code)]
struct HomeViaFrom;
#[allow(dead_code)]
struct TextViaDisplay;
#[allow(dead_code)]
struct TextViaDebug;
#[allow(dead_code)]
struct TimeoutHasAHome;

type Result<T> = std::result::Result<T, NoHome>;

#[retry(max_attempts = 2, backoff = "immediate")]
fn blocking(fail: bool) -> Result<u32> {
    if fail { Err(NoHome) } else { Ok(1) }
}

#[retry(max_attempts = 2, backoff = "immediate", attempt_timeout = "1s")]
async fn timed() -> std::result::Result<u32, TextViaName> {
    Ok(2)
}

#[retry(max_attempts = 2, backoff = "immediate")]
async fn untimed(fail: bool) -> Result<u32> {
    if fail { Err(NoHome) } else { Ok(3) }
}

fn main() {
    assert!(blocking(true).is_err());
    assert_eq!(blocking(false).ok(), Some(1));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    assert!(matches!(runtime.block_on(timed()), Ok(2)));
    assert!(runtime.block_on(untimed(true)).is_err());
    assert_eq!(runtime.block_on(untimed(false)).ok(), Some(3));
}
