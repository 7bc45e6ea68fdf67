#![allow(dead_code)]

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

struct Request {
    id: u32,
}

#[retry]
async fn send(request: Request) -> Result<u32, Unavailable> {
    Ok(request.id)
}

fn main() {}
