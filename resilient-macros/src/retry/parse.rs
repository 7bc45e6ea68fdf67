//! The arguments of `#[retry(...)]`, as written, with their spans.

use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, Ident, Token};

/// `key = value` pairs in order. Which keys are valid, and together, is `validate`'s business.
pub struct RetryArgs {
    pub pairs: Vec<(Ident, Expr)>,
}

impl Parse for RetryArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut pairs = Vec::new();
        while !input.is_empty() {
            // `Ident::parse_any`, so that the keyword `crate` is a key like any other.
            let key = Ident::parse_any(input).map_err(|error| {
                syn::Error::new(error.span(), "expected `key = value`, e.g. `policy = \"graph\"` or `max_attempts = 5`")
            })?;
            if !input.peek(Token![=]) {
                return Err(syn::Error::new(
                    key.span(),
                    format!("expected `{key} = value`; write e.g. `policy = \"graph\"` or `max_attempts = 5`"),
                ));
            }
            input.parse::<Token![=]>()?;
            let mut value: Expr = input.parse()?;
            // A value a `macro_rules!` passes on (`max_attempts = $n`, `$n:literal`) arrives in
            // an invisible group around it.
            while let Expr::Group(group) = value {
                value = *group.expr;
            }
            pairs.push((key, value));
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(RetryArgs { pairs })
    }
}
