use resilient::{Classification, Transient};

/// Takes the field by value: `with` passes it by reference.
fn by_status(status: u16) -> Classification {
    Classification::from_http_status(status, None)
}

#[derive(Debug, Transient)]
enum HttpError {
    #[transient(with = by_status)]
    Status(u16),
}

fn main() {}
