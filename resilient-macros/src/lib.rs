//! Implementation detail of [`resilient`](https://docs.rs/resilient): the `#[retry]` attribute
//! and `#[derive(Transient)]`. Depend on `resilient`, which re-exports both with their docs.

mod retry;
mod transient;

use proc_macro::TokenStream;

/// Generates the retry loop around a function that makes one attempt. See `resilient::retry`.
#[proc_macro_attribute]
pub fn retry(args: TokenStream, item: TokenStream) -> TokenStream {
    retry::expand(args.into(), item.into()).into()
}

/// Derives `resilient::Transient`. See `resilient::Transient`.
#[proc_macro_derive(Transient, attributes(transient, permanent))]
pub fn derive_transient(input: TokenStream) -> TokenStream {
    transient::expand(input.into()).into()
}
