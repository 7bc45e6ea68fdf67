//! Every `#[retry]` call site is registered at link time, called or not, with what
//! `resilient::init()` needs to verify it.

use resilient::{Transient, retry};

mod common;
use common::{Error as WithHome, Unavailable as WithoutHome};

#[retry(policy = "graph")]
async fn never_called(_id: &str) -> Result<(), WithHome> {
    Ok(())
}

#[retry(policy = "mail")]
async fn without_home() -> Result<(), WithoutHome> {
    Ok(())
}

/// Its timeout cannot be kept: a warning where it is written, and an error of `init()`.
#[allow(deprecated)]
#[retry(max_attempts = 2, attempt_timeout = "1s")]
async fn inline_with_timeout() -> Result<(), WithoutHome> {
    Ok(())
}

#[retry(max_attempts = 2)]
fn inline_blocking() -> Result<(), WithHome> {
    Ok(())
}

/// Results written through aliases: the error type is still known.
type WithoutHomeResult<T> = Result<T, WithoutHome>;

#[retry(policy = "graph")]
async fn io_alias() -> std::io::Result<()> {
    Ok(())
}

#[retry(policy = "graph")]
async fn own_alias() -> WithoutHomeResult<()> {
    Ok(())
}

#[retry]
fn generic_error<E: Transient + Clone>(error: E) -> Result<(), E> {
    Err(error)
}

fn record(operation: &str) -> &'static resilient::__private::CallSiteRecord {
    resilient::__private::call_sites()
        .find(|site| site.operation() == operation)
        .unwrap_or_else(|| panic!("no call site {operation}"))
}

#[test]
fn call_sites_are_registered_without_being_called() {
    let site = record("call_site_registry::never_called");
    assert_eq!(site.policy(), Some("graph"));
    assert!(site.file.ends_with("call_site_registry.rs"), "{}", site.file);
    assert_eq!(site.line, 9, "the line of the `#[retry]` attribute");
    assert_eq!(site.holds_rejection, Some(true));
    assert!(!site.inline_has_timeout());
    assert!(site.is_async);

    let timed = record("call_site_registry::inline_with_timeout");
    assert_eq!(timed.policy(), None);
    assert!(timed.inline_has_timeout());
    assert_eq!(timed.holds_rejection, Some(false));

    assert_eq!(record("call_site_registry::without_home").holds_rejection, Some(false));

    let inline = record("call_site_registry::inline_blocking");
    assert_eq!(inline.policy(), None);
    assert!(!inline.is_async);

    assert_eq!(record("call_site_registry::io_alias").holds_rejection, Some(true));
    assert_eq!(record("call_site_registry::own_alias").holds_rejection, Some(false));

    // Whether a generic `E` can hold a rejection depends on the function's bounds, which a
    // `static` cannot name: unknown here.
    let generic = record("call_site_registry::generic_error");
    assert_eq!(generic.holds_rejection, None);
    assert!(!generic.is_async, "a plain `fn`");
}
