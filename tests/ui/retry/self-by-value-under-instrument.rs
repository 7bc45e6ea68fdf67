#![allow(dead_code)]

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

#[derive(Clone, Debug)]
struct Client {
    id: u32,
}

impl Client {
    #[retry]
    #[tracing::instrument]
    async fn fetch(self) -> Result<(), Unavailable> {
        Ok(())
    }

    #[retry]
    #[tracing::instrument(skip(self), fields(id = self.id))]
    async fn send(self) -> Result<(), Unavailable> {
        Ok(())
    }

    // A pinned `self` is re-borrowed from the loop's own binding, so it moves there too.
    #[retry]
    #[tracing::instrument]
    async fn poll(self: std::pin::Pin<&mut Self>) -> Result<(), Unavailable> {
        Ok(())
    }
}

fn main() {}
