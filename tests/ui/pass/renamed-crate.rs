//! `crate = "..."` for a renamed or re-exported `resilient`.

mod reexport {
    pub use resilient as inner;
}

use resilient::Transient;

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

#[resilient::retry(crate = "crate::reexport::inner", max_attempts = 2)]
fn fetch() -> Result<(), Unavailable> {
    Ok(())
}

fn main() {
    fetch().unwrap();
}
