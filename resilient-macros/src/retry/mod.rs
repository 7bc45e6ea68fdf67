//! `#[retry]`: parse the arguments and the function, validate both, expand into the loop.

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;
use quote::ToTokens;

/// On any error, the user's function is emitted unchanged beside the error, so the rest of
/// the crate (and the IDE) keeps working and only the real mistake is reported.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let function: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            let error = syn::Error::new(
                error.span(),
                "`#[retry]` goes on a function: an `async fn` or a plain `fn` with a body",
            );
            return with_error(item, error);
        }
    };
    let checked = syn::parse2::<parse::RetryArgs>(args).and_then(|args| validate::validate(args, &function));
    match checked {
        Ok(plan) => expand::expand(plan, function),
        Err(error) => with_error(function.into_token_stream(), error),
    }
}

fn with_error(item: TokenStream, error: syn::Error) -> TokenStream {
    let mut tokens = item;
    tokens.extend(error.into_compile_error());
    tokens
}
