//! `#[retry]`: parse the arguments and the function, validate both, expand into the loop.

mod borrows;
mod expand;
mod parse;
mod receiver;
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

#[cfg(test)]
mod tests {
    use quote::{ToTokens, quote};

    #[test]
    fn arguments_keep_their_names_in_the_expanded_signature() {
        let expanded = super::expand(
            quote!(max_attempts = 2),
            quote! {
                pub async fn send(body: String, mut count: u32, buffer: &mut Vec<u8>, (a, b): (u32, u32), id: &str)
                    -> Result<(), Busy> { Ok(()) }
            },
        );
        let function: syn::ItemFn = syn::parse2(expanded).expect("a function");
        let names: Vec<String> = function
            .sig
            .inputs
            .iter()
            .map(|argument| match argument {
                syn::FnArg::Typed(typed) => typed.pat.to_token_stream().to_string(),
                syn::FnArg::Receiver(_) => "self".to_owned(),
            })
            .collect();
        // What rustdoc and an editor's hints show; a pattern that is not a name gets one.
        assert_eq!(names, ["body", "count", "buffer", "__resilient_arg3", "id"]);
    }
}
