//! Attributes on arguments keep their meaning through `#[retry]`: a lint level applies to the
//! binding the body uses (an `#[expect]` is met there), and `#[cfg]` removes an argument with
//! every statement that names it.

#![deny(unused_variables, unused_mut, unfulfilled_lint_expectations)]

use resilient::{retry, Transient};

#[derive(Debug, Transient)]
#[transient]
struct Busy;

#[retry(max_attempts = 2, backoff = "immediate")]
async fn owned(#[allow(unused_variables)] label: String, #[expect(unused_variables)] tag: String) -> Result<(), Busy> {
    Ok(())
}

#[retry(max_attempts = 2, backoff = "immediate")]
fn unique(#[expect(unused_variables)] buffer: &mut Vec<u8>, #[allow(unused_mut)] mut count: u32) -> Result<u32, Busy> {
    Ok(count)
}

#[retry(max_attempts = 2, backoff = "immediate")]
fn configured(#[cfg(any())] absent: String, #[cfg(all())] present: u32) -> Result<u32, Busy> {
    Ok(present)
}

fn main() {
    drop(owned(String::new(), String::new()));
    assert_eq!(unique(&mut Vec::new(), 1).unwrap(), 1);
    assert_eq!(configured(2).unwrap(), 2);
}
