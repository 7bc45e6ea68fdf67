//! Whether the result borrows from an argument that each attempt re-borrows unique (`&mut T`,
//! `&mut self`, `Pin<&mut T>`, `Option<&mut T>`). Such a borrow would have to outlive the loop,
//! and so every later attempt's re-borrow of the same argument: today's borrow checker cannot
//! see that a failed attempt's borrow ended before the next one began (rust-lang/rust#54663),
//! and would reject the expansion with an error about closures or borrows in "different
//! iterations of loop", pointing at the attribute. Told from the signature alone, by the
//! lifetime elision rules, so the error can point at the result and say what to do instead.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::visit::Visit;
use syn::{FnArg, Signature, Type};

use super::validate::Passing;

const RETURNS_A_UNIQUE_BORROW: &str = "`#[retry]` cannot return a borrow of a `&mut` argument: each attempt re-borrows the argument, and the borrow checker cannot yet see that a failed attempt's borrow ended before the next one began (rust-lang/rust#54663); return an owned value (or an index or a key), and borrow after the call";

/// The error for a result that borrows from an argument each attempt re-borrows unique, if it
/// does. A `&mut` in the result can only be such a borrow; a `&T` is one by its lifetime, and
/// may borrow nothing (a `&'static str` written with an elided lifetime): its fix says so.
pub fn check(sig: &Signature, passing: &[Passing], result: &Type) -> syn::Result<()> {
    match borrow_of_a_unique_argument(sig, passing, result) {
        None => Ok(()),
        Some((tokens, true)) => Err(syn::Error::new_spanned(tokens, RETURNS_A_UNIQUE_BORROW)),
        Some((tokens, false)) => Err(syn::Error::new_spanned(
            tokens,
            format!(
                "{RETURNS_A_UNIQUE_BORROW}; if it borrows nothing from the argument, give it a lifetime of its own, e.g. `&'static str`"
            ),
        )),
    }
}

/// A lifetime of the signature: a named one, or an elided position (each one distinct).
#[derive(Clone, PartialEq)]
enum Lifetime {
    Named(String),
    Elided(usize),
}

/// One lifetime position in a type, and the tokens an error about it points at.
struct Position {
    lifetime: Lifetime,
    /// Whether it is the lifetime of a `&mut`.
    unique: bool,
    tokens: TokenStream,
}

/// The lifetime positions of a type, in the order written (so an outer reference comes
/// before the ones inside it). `next_elided` numbers the elided ones across a signature.
struct Positions<'a> {
    found: Vec<Position>,
    next_elided: &'a mut usize,
}

impl Positions<'_> {
    fn push(&mut self, lifetime: Option<&syn::Lifetime>, unique: bool, tokens: TokenStream) {
        let lifetime = match lifetime {
            Some(lifetime) if lifetime.ident != "_" => Lifetime::Named(lifetime.ident.to_string()),
            _ => {
                *self.next_elided += 1;
                Lifetime::Elided(*self.next_elided)
            }
        };
        self.found.push(Position { lifetime, unique, tokens });
    }
}

impl<'ast> Visit<'ast> for Positions<'_> {
    fn visit_type_reference(&mut self, reference: &'ast syn::TypeReference) {
        self.push(reference.lifetime.as_ref(), reference.mutability.is_some(), reference.to_token_stream());
        // Not the default walk: it would visit the reference's lifetime a second time.
        self.visit_type(&reference.elem);
    }

    fn visit_lifetime(&mut self, lifetime: &'ast syn::Lifetime) {
        self.push(Some(lifetime), false, lifetime.to_token_stream());
    }
}

fn positions(ty: &Type, next_elided: &mut usize) -> Vec<Position> {
    let mut positions = Positions { found: Vec::new(), next_elided };
    positions.visit_type(ty);
    positions.found
}

/// The tokens of the result's borrow of a unique argument, if it has one, and whether that
/// borrow is itself a `&mut`.
fn borrow_of_a_unique_argument(sig: &Signature, passing: &[Passing], result: &Type) -> Option<(TokenStream, bool)> {
    let mut next_elided = 0;
    // The lifetime each unique argument is re-borrowed for (its outermost reference's: the
    // first position), and every other lifetime the arguments name.
    let (mut unique, mut others) = (Vec::new(), Vec::new());
    let mut receiver = None;
    for (arg, passing) in sig.inputs.iter().zip(passing) {
        let (FnArg::Receiver(syn::Receiver { ty, .. }) | FnArg::Typed(syn::PatType { ty, .. })) = arg;
        let lifetimes: Vec<Lifetime> =
            positions(ty, &mut next_elided).into_iter().map(|position| position.lifetime).collect();
        if matches!(arg, FnArg::Receiver(_)) {
            // Elided lifetimes in the result are the receiver's, when it is a reference.
            receiver = lifetimes.first().cloned();
        }
        let mut lifetimes = lifetimes.into_iter();
        if passing.is_unique_borrow() {
            unique.extend(lifetimes.next());
        }
        others.extend(lifetimes);
    }
    if unique.is_empty() {
        return None;
    }
    // (`'static` is every argument's and none's: a `&'static mut` argument is not its source.)
    let re_borrowed_only = |lifetime: &Lifetime| {
        unique.contains(lifetime) && !others.contains(lifetime) && *lifetime != Lifetime::Named("static".to_owned())
    };
    let output = positions(result, &mut next_elided);
    // A `&mut` in the result can only have come from a `&mut` argument.
    if let Some(position) = output.iter().find(|position| position.unique) {
        return Some((position.tokens.clone(), true));
    }
    // A lifetime the result shares with a unique argument, and with no other argument.
    if let Some(position) = output
        .iter()
        .find(|position| matches!(position.lifetime, Lifetime::Named(_)) && re_borrowed_only(&position.lifetime))
    {
        return Some((position.tokens.clone(), false));
    }
    // An elided lifetime is the receiver's; without a receiver that is a reference, that of
    // the one lifetime the arguments have (with more, rustc refuses the elision itself).
    let elided = output.iter().find(|position| matches!(position.lifetime, Lifetime::Elided(_)))?;
    let mut all = unique.iter().chain(&others);
    let only = all.next().filter(|first| all.all(|lifetime| lifetime == *first));
    receiver.as_ref().or(only).filter(|lifetime| re_borrowed_only(lifetime)).map(|_| (elided.tokens.clone(), false))
}

#[cfg(test)]
mod tests {
    use super::super::validate::passing;
    use super::borrow_of_a_unique_argument;

    fn found(signature: &str) -> Option<String> {
        let sig: syn::Signature = syn::parse_str(signature).expect("a signature");
        let passing: Vec<_> = sig.inputs.iter().map(passing).collect();
        let syn::ReturnType::Type(_, result) = &sig.output else { panic!("a result") };
        borrow_of_a_unique_argument(&sig, &passing, result).map(|(tokens, _)| tokens.to_string())
    }

    #[test]
    fn a_result_borrowing_a_unique_argument_is_found() {
        let cases = [
            ("fn f(&mut self) -> Result<&String, E>", "& String"),
            ("fn f(&mut self, key: &str) -> Result<&String, E>", "& String"),
            ("fn f(self: Pin<&mut Self>) -> Result<Ref<'_>, E>", "'_"),
            ("fn f(items: &mut Vec<String>) -> Result<&String, E>", "& String"),
            ("fn f<'a>(items: &'a mut Vec<String>, key: &str) -> Result<&'a String, E>", "& 'a String"),
            ("fn f<'a>(items: &'a mut Vec<String>) -> Result<&String, E>", "& String"),
            ("fn f(items: Option<&mut Vec<String>>) -> Result<Option<&String>, E>", "& String"),
            ("fn f(&self, items: &mut Vec<String>) -> Result<&'static mut u8, E>", "& 'static mut u8"),
        ];
        for (signature, expected) in cases {
            assert_eq!(found(signature).as_deref(), Some(expected), "{signature}");
        }
    }

    #[test]
    fn a_result_borrowing_anything_else_is_not() {
        let cases = [
            // The receiver's lifetime, which is shared.
            "fn f(&self, items: &mut Vec<String>) -> Result<&String, E>",
            // Named after a shared argument too, which it may borrow from.
            "fn f<'a>(items: &'a mut Vec<String>, key: &'a str) -> Result<&'a str, E>",
            // The lifetime inside the re-borrowed type, not the re-borrow's.
            "fn f<'a, 'b>(items: &'b mut Vec<&'a str>) -> Result<&'a str, E>",
            "fn f(&mut self) -> Result<&'static str, E>",
            "fn f(state: &'static mut State) -> Result<&'static str, E>",
            "fn f(&mut self) -> Result<String, E>",
            "fn f(items: &Vec<String>) -> Result<&String, E>",
            // Owned: no re-borrow.
            "fn f(self: Box<Self>, key: &str) -> Result<&str, E>",
        ];
        for signature in cases {
            assert_eq!(found(signature), None, "{signature}");
        }
    }
}
