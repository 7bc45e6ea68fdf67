#![allow(dead_code)]

use resilient::Transient;

// `crate` says where `resilient` is, not how the struct is classified.
#[derive(Debug, Transient)]
#[transient(crate = "resilient")]
struct Busy;

fn main() {}
