#![allow(dead_code)]

use resilient::Transient;

#[derive(Debug, Transient)]
#[transient(crate = resilient)]
#[transient]
struct Busy;

fn main() {}
