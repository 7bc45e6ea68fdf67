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

    /// A shared borrow of `&mut self` is one too: the elided lifetime is `self`'s.
    #[retry]
    fn peek(&mut self) -> Result<&str, Unavailable> {
        Ok(&self.value)
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

#[retry]
fn longest<'a>(items: &'a mut Vec<String>, _label: &str) -> Result<&'a String, Unavailable> {
    items.sort();
    items.last().ok_or(Unavailable)
}

fn main() {}
