//! `self` by value (`self`, `mut self`, `self: Arc<Self>`, `self: Box<Self>`), an owned
//! argument like any other: cloned for every attempt but the last. A `let` cannot bind `self`,
//! so each attempt binds [`ATTEMPT_SELF`] instead, and the body's `self` is renamed to it.

use proc_macro2::{Group, Ident, Spacing, TokenStream, TokenTree};
use syn::visit_mut::VisitMut;

/// What the body's `self` becomes: the attempt's own `self`.
pub const ATTEMPT_SELF: &str = "__resilient_self";

/// Renames every `self` value in `block` to [`ATTEMPT_SELF`], each keeping its span (so
/// errors and lints still point at the user's `self`). Left alone: `self::` paths (a module),
/// and items inside the body (a nested `fn` or `impl` has a `self` of its own). Inside a
/// macro's input, which is only tokens, a `self` not followed by `::` is renamed: `format!`,
/// `assert!` and `tracing`'s macros take expressions, and then print the new name where they
/// print their input as text (`dbg!`, a failed `assert!`, a field named after its value).
pub fn rename_self(block: &mut syn::Block) {
    RenameSelf.visit_block_mut(block);
}

struct RenameSelf;

impl VisitMut for RenameSelf {
    fn visit_expr_path_mut(&mut self, expr: &mut syn::ExprPath) {
        let path = &mut expr.path;
        if expr.qself.is_none() && path.leading_colon.is_none() && path.segments.len() == 1 {
            let ident = &mut path.segments[0].ident;
            if ident == "self" {
                *ident = Ident::new(ATTEMPT_SELF, ident.span());
            }
        }
    }

    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        mac.tokens = rename_in_tokens(std::mem::take(&mut mac.tokens));
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

fn rename_in_tokens(tokens: TokenStream) -> TokenStream {
    let mut trees = tokens.into_iter().peekable();
    let mut renamed = Vec::new();
    while let Some(tree) = trees.next() {
        renamed.push(match tree {
            TokenTree::Ident(ident) if ident == "self" && !starts_a_path(trees.peek()) => {
                TokenTree::Ident(Ident::new(ATTEMPT_SELF, ident.span()))
            }
            TokenTree::Group(group) => {
                let mut inner = Group::new(group.delimiter(), rename_in_tokens(group.stream()));
                inner.set_span(group.span());
                TokenTree::Group(inner)
            }
            other => other,
        });
    }
    renamed.into_iter().collect()
}

/// Whether the token after a `self` is the first `:` of `::` (`self::module`).
fn starts_a_path(next: Option<&TokenTree>) -> bool {
    matches!(next, Some(TokenTree::Punct(punct)) if punct.as_char() == ':' && punct.spacing() == Spacing::Joint)
}

#[cfg(test)]
mod tests {
    use quote::{ToTokens, quote};

    use super::rename_self;

    fn renamed(body: proc_macro2::TokenStream) -> String {
        let mut block: syn::Block = syn::parse2(body).expect("a block");
        rename_self(&mut block);
        block.into_token_stream().to_string()
    }

    #[test]
    fn self_values_are_renamed_and_the_rest_is_left_alone() {
        let body = quote!({
            let id = self.id.clone();
            let this = &mut self;
            Self::check(&self)?;
            let label = format!("{} {} {}", self.name, id, self::SUFFIX);
            let closure = move || self.len();
            let module = self::helpers::clean(label);
            struct Inner;
            impl Inner {
                fn get(&self) -> &Self {
                    self
                }
            }
            Ok(Self { id, ..self })
        });
        let expected = quote!({
            let id = __resilient_self.id.clone();
            let this = &mut __resilient_self;
            Self::check(&__resilient_self)?;
            let label = format!("{} {} {}", __resilient_self.name, id, self::SUFFIX);
            let closure = move || __resilient_self.len();
            let module = self::helpers::clean(label);
            struct Inner;
            impl Inner {
                fn get(&self) -> &Self {
                    self
                }
            }
            Ok(Self { id, ..__resilient_self })
        });
        // Printed through `syn` both, which writes `move || ..` as `move | | ..`.
        let expected: syn::Block = syn::parse2(expected).expect("a block");
        assert_eq!(renamed(body), expected.into_token_stream().to_string());
    }
}
