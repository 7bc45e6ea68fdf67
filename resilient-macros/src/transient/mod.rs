//! `#[derive(Transient)]`: parse the type's markings, validate them, expand into the impl.

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;

/// On error, the compile errors plus a fallback impl, so code using the type as `Transient`
/// does not pile up errors of its own and only the real mistake is reported.
pub fn expand(input: TokenStream) -> TokenStream {
    let input: syn::DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.into_compile_error(),
    };
    let parsed = match parse::Input::parse(&input) {
        Ok(parsed) => parsed,
        Err(error) => {
            // Where `resilient` is could not be read: the fallback names `::resilient`.
            let mut tokens = error.into_compile_error();
            tokens.extend(expand::fallback(&input, None));
            return tokens;
        }
    };
    match validate::validate(&parsed) {
        Ok(()) => expand::expand(&parsed),
        Err(error) => {
            let mut tokens = error.into_compile_error();
            tokens.extend(expand::fallback(&input, parsed.krate.as_ref()));
            tokens
        }
    }
}
