#![allow(dead_code)]

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

struct Client;

impl Client {
    #[retry]
    async fn fetch(self: std::sync::Arc<Self>) -> Result<(), Unavailable> {
        Ok(())
    }
}

fn main() {}
