#![allow(dead_code)]

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

struct Cache {
    value: String,
}

impl Cache {
    #[retry]
    async fn value(&mut self) -> Result<&mut String, Unavailable> {
        Ok(&mut self.value)
    }
}

#[retry]
fn first<'a>(items: &'a mut Vec<String>, _label: &str) -> Result<Option<&'a mut String>, Unavailable> {
    Ok(items.first_mut())
}

#[retry]
fn pick(items: Option<&mut Vec<String>>) -> Result<Option<&mut String>, Unavailable> {
    Ok(items.and_then(|items| items.first_mut()))
}

fn main() {}
