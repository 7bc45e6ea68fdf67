#![allow(dead_code)]

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

#[derive(Clone, Debug)]
struct Client;

impl Client {
    #[retry]
    #[tracing::instrument]
    async fn fetch(self) -> Result<(), Unavailable> {
        Ok(())
    }
}

fn main() {}
