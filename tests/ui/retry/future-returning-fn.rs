#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

struct Client;

impl Client {
    // What `#[async_trait]` makes of `async fn fetch(&self) -> Result<(), Unavailable>`
    // before `#[retry]` sees it.
    #[retry]
    fn fetch<'a>(&'a self) -> Pin<Box<dyn Future<Output = Result<(), Unavailable>> + Send + 'a>> {
        Box::pin(async move { Ok(()) })
    }
}

// An `async fn` written out by hand.
#[retry]
fn by_hand() -> impl Future<Output = Result<(), Unavailable>> {
    async { Ok(()) }
}

fn main() {}
