//! `self` by value (`self`, `mut self`, `self: Arc<Self>`, `self: Box<Self>`), an owned
//! argument like any other: cloned for every attempt but the last; and `self: Pin<&mut Self>`,
//! re-borrowed for each attempt. A `let` cannot bind `self`, so each attempt binds
//! [`ATTEMPT_SELF`] instead, and the body's `self` is renamed to it.

use proc_macro2::{Group, Ident, Punct, Spacing, TokenStream, TokenTree};
use syn::visit_mut::VisitMut;

/// What the body's `self` becomes: the attempt's own `self`.
pub const ATTEMPT_SELF: &str = "__resilient_self";

/// Renames every `self` value in `block` to [`ATTEMPT_SELF`], each keeping its span (so
/// errors and lints still point at the user's `self`). Left alone: `self::` paths (a module),
/// and items inside the body (a nested `fn` or `impl` has a `self` of its own), except a
/// `macro_rules!`, whose `self` is this function's.
///
/// A macro's input is only tokens, renamed by their neighbours. A `self` is renamed unless it
/// starts a path (`self::`) or names a `tracing` field (`self = ?self`, which
/// `#[tracing::instrument]` writes for a `self` argument); the shorthand `?self` and `%self`
/// becomes `self = ?__resilient_self`, so the field keeps its name. A format string's
/// `{self}` and `{self:?}` placeholders are renamed with it. Elsewhere the new name
/// shows where a macro prints its input as text: `dbg!(self)`, a failed `assert!`, the field
/// of `info!(self.id)` (write `info!(id = self.id)` to keep it).
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

    // A nested `fn` or `impl` has a `self` of its own. A `macro_rules!` is an item too, but the
    // `self` in its rules is looked up where it is defined, here: it is this call's `self`,
    // renamed like the invocations that match on it.
    fn visit_item_mut(&mut self, item: &mut syn::Item) {
        if let syn::Item::Macro(item) = item {
            if item.mac.path.is_ident("macro_rules") {
                self.visit_macro_mut(&mut item.mac);
            }
        }
    }
}

fn rename_in_tokens(tokens: TokenStream) -> TokenStream {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut renamed: Vec<TokenTree> = Vec::with_capacity(trees.len());
    let mut index = 0;
    while index < trees.len() {
        let next = trees.get(index + 1);
        match &trees[index] {
            TokenTree::Group(group) => {
                let mut inner = Group::new(group.delimiter(), rename_in_tokens(group.stream()));
                inner.set_span(group.span());
                renamed.push(TokenTree::Group(inner));
            }
            // `?self` or `%self` starting an argument: `tracing`'s shorthand for a field named
            // after its value, `self` or `self.id`.
            TokenTree::Punct(sigil)
                if matches!(sigil.as_char(), '?' | '%')
                    && is_self(next)
                    && !is_punct(trees.get(index + 2), ':')
                    && (renamed.is_empty() || is_punct(renamed.last(), ',')) =>
            {
                // The field's name: `self` and the `.name`s after it.
                let mut end = index + 2;
                while is_punct(trees.get(end), '.') && matches!(trees.get(end + 1), Some(TokenTree::Ident(_))) {
                    end += 2;
                }
                let name = &trees[index + 1..end];
                renamed.extend(name.iter().cloned());
                renamed.push(TokenTree::Punct(Punct::new('=', Spacing::Alone)));
                renamed.push(TokenTree::Punct(sigil.clone()));
                renamed.push(attempt_self(&trees[index + 1]));
                renamed.extend(name[1..].iter().cloned());
                index = end;
                continue;
            }
            TokenTree::Ident(ident) if ident == "self" => {
                // `self::module`, or a field name: `self = value`, not `self == value`.
                let kept = (is_punct(next, ':') && joint(next)) || (is_punct(next, '=') && !joint(next));
                renamed.push(if kept { trees[index].clone() } else { attempt_self(&trees[index]) });
            }
            // A format string that captures `self` (`format!("{self:?}")`).
            TokenTree::Literal(literal) => renamed.push(match format_string_capturing_self(literal) {
                Some(format) => TokenTree::Literal(format),
                None => trees[index].clone(),
            }),
            other => renamed.push(other.clone()),
        }
        index += 1;
    }
    renamed.into_iter().collect()
}

/// A `#[tracing::instrument]` below `#[retry]` that reads `self` (records it, or names it in
/// `fields(..)`): it runs on the expanded function, after `self` has been moved into the
/// call's attempts, and cannot read it.
pub fn instrument_recording_self(attrs: &[syn::Attribute]) -> Option<&syn::Attribute> {
    attrs.iter().find(|attr| {
        attr.path().segments.last().is_some_and(|segment| segment.ident == "instrument") && reads_self(&attr.meta)
    })
}

/// Whether `#[instrument(..)]` reads `self`: unless `skip_all` or `skip(.., self, ..)` leaves it
/// out, it records it; and a `self` elsewhere in its arguments (`fields(id = self.id)`) reads it.
fn reads_self(meta: &syn::Meta) -> bool {
    let syn::Meta::List(list) = meta else { return true };
    let trees: Vec<TokenTree> = list.tokens.clone().into_iter().collect();
    let (mut skipped, mut named) = (false, false);
    for (index, tree) in trees.iter().enumerate() {
        let after_skip = index > 0 && matches!(&trees[index - 1], TokenTree::Ident(ident) if ident == "skip");
        match tree {
            TokenTree::Ident(ident) if ident == "skip_all" => skipped = true,
            TokenTree::Group(group) if after_skip => {
                skipped |= group.stream().into_iter().any(|tree| is_self(Some(&tree)))
            }
            TokenTree::Group(group) => named |= mentions_self(group.stream()),
            TokenTree::Ident(ident) if ident == "self" => named = true,
            _ => {}
        }
    }
    !skipped || named
}

/// Whether `tokens` name `self`, at any depth.
fn mentions_self(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => ident == "self",
        TokenTree::Group(group) => mentions_self(group.stream()),
        _ => false,
    })
}

/// A string literal whose `{self}` or `{self:..}` placeholders name [`ATTEMPT_SELF`] instead,
/// if it has any (`{{self}}` is text, not a placeholder). A string that merely contains
/// `{self}` as text in a macro's input would be changed too; no format macro can tell us
/// which strings are formats.
fn format_string_capturing_self(literal: &proc_macro2::Literal) -> Option<proc_macro2::Literal> {
    let text = syn::parse2::<syn::LitStr>(TokenTree::Literal(literal.clone()).into()).ok()?.value();
    let mut renamed = String::with_capacity(text.len());
    let mut rest = text.as_str();
    let mut changed = false;
    while let Some(brace) = rest.find('{') {
        renamed.push_str(&rest[..=brace]);
        rest = &rest[brace + 1..];
        if let Some(after) = rest.strip_prefix('{') {
            renamed.push('{');
            rest = after;
        } else if rest.strip_prefix("self").is_some_and(|after| after.starts_with(['}', ':'])) {
            renamed.push_str(ATTEMPT_SELF);
            rest = &rest["self".len()..];
            changed = true;
        }
    }
    renamed.push_str(rest);
    changed.then(|| syn::LitStr::new(&renamed, literal.span()).token())
}

/// [`ATTEMPT_SELF`], spanned as the `self` it replaces.
fn attempt_self(this: &TokenTree) -> TokenTree {
    TokenTree::Ident(Ident::new(ATTEMPT_SELF, this.span()))
}

fn is_self(tree: Option<&TokenTree>) -> bool {
    matches!(tree, Some(TokenTree::Ident(ident)) if ident == "self")
}

fn is_punct(tree: Option<&TokenTree>, char: char) -> bool {
    matches!(tree, Some(TokenTree::Punct(punct)) if punct.as_char() == char)
}

/// Whether a punctuation mark is joined to the next one (`::`, `==`, `=>`).
fn joint(tree: Option<&TokenTree>) -> bool {
    matches!(tree, Some(TokenTree::Punct(punct)) if punct.spacing() == Spacing::Joint)
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
            macro_rules! owner {
                (self) => {
                    self.owner.clone()
                };
            }
            let owner = owner!(self);
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
            macro_rules! owner {
                (__resilient_self) => {
                    __resilient_self.owner.clone()
                };
            }
            let owner = owner!(__resilient_self);
            Ok(Self { id, ..__resilient_self })
        });
        // Printed through `syn` both, which writes `move || ..` as `move | | ..`.
        let expected: syn::Block = syn::parse2(expected).expect("a block");
        assert_eq!(renamed(body), expected.into_token_stream().to_string());
    }

    #[test]
    fn tracing_fields_keep_the_name_self() {
        let body = quote!({
            tracing::info!(?self, %self, ?self.id, count = self.len(), "sent {}", self == other);
            let text = format!("{self} {self:?} {{self}} {{{self:>8}}} {selfish}", selfish = 1);
            tracing::span!(Level::INFO, "call", self = tracing::field::debug(&self), x = y % self.n);
            let equal = matches!(self, Self::A) && self == other;
        });
        let expected = quote!({
            tracing::info!(self = ?__resilient_self, self = %__resilient_self, self.id = ?__resilient_self.id, count = __resilient_self.len(), "sent {}", __resilient_self == other);
            let text = format!(
                "{__resilient_self} {__resilient_self:?} {{self}} {{{__resilient_self:>8}}} {selfish}",
                selfish = 1
            );
            tracing::span!(
                Level::INFO,
                "call",
                self = tracing::field::debug(&__resilient_self),
                x = y % __resilient_self.n
            );
            let equal = matches!(__resilient_self, Self::A) && __resilient_self == other;
        });
        let expected: syn::Block = syn::parse2(expected).expect("a block");
        assert_eq!(renamed(body), expected.into_token_stream().to_string());
    }
}
