//! Every check on `#[retry]`'s arguments and on the function, with the very policy rules of the
//! runtime (`resilient-policy`), so an inline policy fails to compile exactly when the same keys
//! in a configuration file would fail to load.

use proc_macro2::Span;
use resilient_policy::{KEYS, Policy, Value, did_you_mean, ignored_key};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Expr, FnArg, GenericParam, Ident, ItemFn, Lit, ReturnType, Type, UnOp};

use super::parse::RetryArgs;
use super::{borrows, receiver};

/// Where the call's policy comes from.
pub enum Source {
    /// `#[retry]` (`default`) or `#[retry(policy = "name")]`.
    Named(String),
    /// `#[retry(key = value, ...)]`, already validated.
    Inline(Policy),
}

/// How an argument reaches each attempt.
pub enum Passing {
    /// `&T`: used as it is by every attempt.
    Shared,
    /// `&T` bound `mut` (`mut input: &[u8]`, `mut self: &Self`, `&(mut a, b)`), which the body
    /// may rebind: copied afresh for each attempt, so that each starts from the caller's.
    Copied,
    /// `&mut T`: re-borrowed unique.
    Unique,
    /// `Pin<&mut T>` (`self: Pin<&mut Self>` too): re-borrowed with `Pin::as_mut`.
    Pinned,
    /// `Option<&mut T>`: re-borrowed with `Option::as_deref_mut`.
    OptionalUnique,
    /// Owned: cloned for every attempt but the last.
    Owned,
}

impl Passing {
    /// Whether each attempt re-borrows a `&mut` (bare, pinned or optional).
    pub fn is_unique_borrow(&self) -> bool {
        matches!(self, Passing::Unique | Passing::Pinned | Passing::OptionalUnique)
    }
}

/// A valid `#[retry]`: everything `expand` needs, which cannot fail.
pub struct Plan {
    pub krate: syn::Path,
    pub source: Source,
    /// For each typed argument, in order: how it is passed.
    pub passing: Vec<Passing>,
    pub return_type: Type,
    /// The return type as the loop writes it: each `impl Trait` (only in the success type) is
    /// `_`, which the body's value decides, as it decides the `impl Trait`'s hidden type.
    pub inferred_type: Type,
    /// The return type with each `impl Trait` as `()`: for what depends only on the error type
    /// (whether it holds a `Rejected`, how it prints), asked where `_` cannot be inferred.
    pub probe_type: Type,
    /// The error type, when a `static` can name it (no generics, no `Self`, no lifetimes):
    /// as written in `Result<T, E>`, or through an alias (`io::Result<T>`).
    pub static_error_type: Option<Type>,
    /// Where an `async fn`'s inline policy sets `attempt_timeout`: its error type should be
    /// able to hold the rejection of a timed-out attempt, or a warning is given there.
    pub inline_timeout: Option<Span>,
    /// `classify = path`: the call site's own classifier, `path(&E) -> Classification`, in
    /// place of `E`'s `Transient` impl.
    pub classify: Option<Expr>,
    /// Inline keys the policy's backoff ignores (`multiplier` without `exponential`…), each
    /// with where it is written and the configuration file's warning for it.
    pub ignored_keys: Vec<(Span, String)>,
    /// `operation = "name"`: the call site's name in events, counters and metrics, in place
    /// of `module::path::function`.
    pub operation: Option<String>,
}

/// What `#[retry(...)]`'s arguments say, checked.
struct Arguments {
    source: Source,
    krate: syn::Path,
    inline_timeout: Option<Span>,
    classify: Option<Expr>,
    ignored_keys: Vec<(Span, String)>,
    operation: Option<String>,
}

pub fn validate(args: RetryArgs, function: &ItemFn) -> syn::Result<Plan> {
    let sig = &function.sig;
    let Arguments { source, krate, inline_timeout, classify, ignored_keys, operation } =
        check_arguments(args, sig.asyncness.is_some())?;
    if let Some(constness) = &sig.constness {
        return Err(syn::Error::new(
            constness.span(),
            "`#[retry]` cannot go on a `const fn`: retrying waits, which a `const fn` cannot do",
        ));
    }
    let return_type = match &sig.output {
        ReturnType::Type(_, ty) => ungrouped(ty).clone(),
        ReturnType::Default => {
            return Err(syn::Error::new(
                sig.ident.span(),
                format!(
                    "`{}` returns nothing to retry on; `#[retry]` needs a function that returns `Result<T, E>`",
                    sig.ident
                ),
            ));
        }
    };
    if !names_a_result(&return_type) {
        let message = if names_a_future(&return_type) {
            "`#[retry]` needs an `async fn` returning `Result<T, E>`, not a `fn` returning a future; write it as an `async fn` (under `#[async_trait]`, which rewrites `async fn`s before `#[retry]` sees them, put `#[retry]` on an inherent `async fn` that the trait method calls)"
        } else {
            "`#[retry]` needs a function that returns `Result<T, E>` (or an alias named `...Result`, like `io::Result<T>`)"
        };
        return Err(syn::Error::new_spanned(&return_type, message));
    }
    // An `impl Trait` in the success type is left to inference inside the loop; in the error
    // type it would hide what the loop classifies and how it prints it.
    if let Some(impl_trait) = error_type(&return_type).as_ref().and_then(find_impl_trait) {
        return Err(syn::Error::new(
            impl_trait,
            "`#[retry]` cannot classify an `impl Trait` error: the loop asks the error's own type whether it is transient; name the error type (one that implements `Transient`)",
        ));
    }
    let inferred_type = replace_impl_trait(&return_type, syn::parse_quote!(_));
    let probe_type = replace_impl_trait(&return_type, syn::parse_quote!(()));
    let passing: Vec<Passing> = sig.inputs.iter().map(passing).collect();
    // `self` by value, pinned or rebindable is moved into the loop, and the body's `self` renamed.
    let self_moved = sig
        .inputs
        .iter()
        .zip(&passing)
        .any(|pair| matches!(pair, (FnArg::Receiver(_), Passing::Owned | Passing::Pinned | Passing::Copied)));
    if let Some(instrument) = receiver::instrument_recording_self(&function.attrs).filter(|_| self_moved) {
        return Err(syn::Error::new_spanned(
            instrument,
            "this `#[instrument]` reads `self`, which `#[retry]` above it has moved into the call's attempts; put `#[tracing::instrument]` above `#[retry]` (one span for the whole call), or leave `self` out of it: `skip(self)`, and no `self` in `fields`",
        ));
    }
    borrows::check(sig, &passing, &return_type)?;
    let generics: Vec<Ident> = sig
        .generics
        .params
        .iter()
        .filter_map(|param| match param {
            GenericParam::Type(ty) => Some(ty.ident.clone()),
            GenericParam::Const(c) => Some(c.ident.clone()),
            GenericParam::Lifetime(_) => None,
        })
        .collect();
    let static_error_type = match error_type(&return_type) {
        Some(error) => Some(error).filter(|ty| nameable_in_static(ty, &generics)),
        // An alias such as `io::Result<T>`: its error type is the `Outcome` projection, which a
        // `static` can name when it can name the whole return type.
        None => nameable_in_static(&probe_type, &generics)
            .then(|| syn::parse_quote!(<#probe_type as #krate::__private::Outcome>::Error)),
    };
    Ok(Plan {
        krate,
        source,
        passing,
        return_type,
        inferred_type,
        probe_type,
        static_error_type,
        inline_timeout,
        classify,
        ignored_keys,
        operation,
    })
}

fn check_arguments(args: RetryArgs, asynchronous: bool) -> syn::Result<Arguments> {
    let mut policy_name: Option<String> = None;
    let mut krate: Option<syn::Path> = None;
    let mut classify: Option<Expr> = None;
    let mut operation: Option<String> = None;
    let mut inline: Vec<(Ident, Expr)> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (key, value) in args.pairs {
        let name = key.to_string();
        if seen.contains(&name) {
            return Err(syn::Error::new(key.span(), format!("duplicate argument `{name}`; remove one of them")));
        }
        seen.push(name.clone());
        match name.as_str() {
            "policy" => {
                policy_name = Some(name_literal(
                    &value,
                    "`policy` expects the name of a policy as a string, e.g. `policy = \"graph\"`",
                    "the policy name is empty; write e.g. `policy = \"graph\"`, or `#[retry]` alone for the `default` policy",
                )?);
            }
            "crate" => {
                let text = string_literal(&value, crate::CRATE_EXPECTS_A_PATH)?;
                let path = syn::parse_str::<syn::Path>(&text).map_err(|_| crate::not_a_path(&text, value.span()))?;
                krate = Some(path);
            }
            "operation" => {
                operation = Some(name_literal(
                    &value,
                    "`operation` expects the name events and counters give this function, as a string, e.g. `operation = \"GraphClient::get\"`",
                    "the operation name is empty; write e.g. `operation = \"GraphClient::get\"`, or leave `operation` out for `module::path::function`",
                )?);
            }
            // A function (or a closure): anything else would be evaluated again at each failure.
            "classify" => match value {
                Expr::Path(_) | Expr::Closure(_) => classify = Some(value),
                _ => return Err(syn::Error::new_spanned(value, CLASSIFY_EXPECTS_A_FUNCTION)),
            },
            _ if KEYS.contains(&name.as_str()) => inline.push((key, value)),
            _ => {
                let known = KEYS.iter().copied().chain(["policy", "classify", "operation", "crate"]);
                let message = match did_you_mean(&name, known) {
                    Some(suggestion) => format!("unknown argument `{name}`; did you mean `{suggestion}`?"),
                    None => format!(
                        "unknown argument `{name}`; expected `policy = \"name\"`, `classify = path`, `operation = \"name\"`, `crate = \"path\"` or policy keys: {}",
                        KEYS.map(|k| format!("`{k}`")).join(", ")
                    ),
                };
                return Err(syn::Error::new(key.span(), message));
            }
        }
    }
    let krate = krate.unwrap_or_else(|| syn::parse_quote!(::resilient));
    let source = match (policy_name, inline.first()) {
        (Some(name), Some((key, _))) => {
            return Err(syn::Error::new(
                key.span(),
                format!(
                    "`{key}` cannot be combined with `policy = \"{name}\"`; set `{key}` in `[policies.{name}]` of the configuration, or remove `policy` and write the whole policy inline"
                ),
            ));
        }
        (Some(name), None) => Source::Named(name),
        (None, None) => Source::Named("default".to_owned()),
        (None, Some(_)) => Source::Inline(inline_policy(&inline)?),
    };
    let timeout = inline.iter().find(|(key, _)| key == "attempt_timeout").map(|(key, _)| key.span());
    if let Some(key) = timeout.filter(|_| !asynchronous) {
        return Err(syn::Error::new(
            key,
            "`attempt_timeout` needs an `async fn`: a plain `fn` cannot be interrupted, so its attempts would run to their end; make the function `async`, or remove `attempt_timeout` and limit the operation itself (a socket's read timeout, for one)",
        ));
    }
    let ignored_keys = match &source {
        Source::Inline(policy) => inline
            .iter()
            .filter_map(|(key, _)| ignored_key(policy.backoff(), &key.to_string()).map(|warning| (key.span(), warning)))
            .collect(),
        Source::Named(_) => Vec::new(),
    };
    Ok(Arguments { source, krate, inline_timeout: timeout, classify, ignored_keys, operation })
}

const CLASSIFY_EXPECTS_A_FUNCTION: &str = "`classify` expects a function that classifies the error, e.g. `classify = classify_http` with `fn classify_http(error: &E) -> resilient::Classification`, or a closure `|error: &E| ...`";

/// Builds the inline policy with the runtime's own rules.
fn inline_policy(pairs: &[(Ident, Expr)]) -> syn::Result<Policy> {
    let mut builder = Policy::builder();
    for (key, value) in pairs {
        let literal = literal_value(value)?;
        let written = match &literal {
            Literal::Text(text) => Value::String(text),
            Literal::Other(value) => *value,
        };
        builder = builder
            .set(&key.to_string(), written)
            .map_err(|error| syn::Error::new_spanned(value, error.to_string()))?;
    }
    builder.build().map_err(|error| {
        // Point at the key the rule names if it was written, else at the first key.
        let span = pairs.iter().find(|(key, _)| key == error.key()).unwrap_or(&pairs[0]).0.span();
        syn::Error::new(span, error.to_string())
    })
}

enum Literal {
    Text(String),
    Other(Value<'static>),
}

fn literal_value(value: &Expr) -> syn::Result<Literal> {
    let not_literal = || {
        syn::Error::new_spanned(
            value,
            "expected a literal (a string, a number or a boolean): inline policies are checked at compile time; for values decided at run time, use a named policy with `policy = \"name\"`",
        )
    };
    match value {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Str(s) => Ok(Literal::Text(s.value())),
            Lit::Int(i) => i.base10_parse::<i64>().map(|i| Literal::Other(Value::Integer(i))),
            Lit::Float(f) => f.base10_parse::<f64>().map(|f| Literal::Other(Value::Float(f))),
            Lit::Bool(b) => Ok(Literal::Other(Value::Bool(b.value))),
            _ => Err(not_literal()),
        },
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => match literal_value(&unary.expr)? {
            Literal::Other(Value::Integer(i)) => Ok(Literal::Other(Value::Integer(-i))),
            Literal::Other(Value::Float(f)) => Ok(Literal::Other(Value::Float(-f))),
            _ => Err(not_literal()),
        },
        _ => Err(not_literal()),
    }
}

/// A name written as a string literal that is not blank; `not_a_string` and `blank` are the
/// errors otherwise.
fn name_literal(value: &Expr, not_a_string: &str, blank: &str) -> syn::Result<String> {
    let text = string_literal(value, not_a_string)?;
    if text.trim().is_empty() {
        return Err(syn::Error::new_spanned(value, blank));
    }
    Ok(text)
}

fn string_literal(value: &Expr, message: &str) -> syn::Result<String> {
    match value {
        Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => Ok(s.value()),
        _ => Err(syn::Error::new_spanned(value, message)),
    }
}

pub fn passing(arg: &FnArg) -> Passing {
    // A receiver's type is written out by `syn` for the short forms too: `&self` is `&Self`,
    // `self` is `Self`.
    let (FnArg::Receiver(syn::Receiver { ty, .. }) | FnArg::Typed(syn::PatType { ty, .. })) = arg;
    let rebindable = match arg {
        // `mut self: &Self`; in `&mut self`, the `mut` is the reference's.
        FnArg::Receiver(receiver) => receiver.reference.is_none() && receiver.mutability.is_some(),
        FnArg::Typed(typed) => binds_mutably(&typed.pat),
    };
    match ungrouped(ty) {
        Type::Reference(reference) if reference.mutability.is_some() => Passing::Unique,
        Type::Reference(_) if rebindable => Passing::Copied,
        Type::Reference(_) => Passing::Shared,
        // Neither is `Clone`, and both re-borrow as `&mut T` does: a caller passing one would
        // otherwise have to change the function's signature to use `#[retry]`.
        Type::Path(path) if wraps_a_unique_reference(path, "pin", "Pin") => Passing::Pinned,
        Type::Path(path) if wraps_a_unique_reference(path, "option", "Option") => Passing::OptionalUnique,
        _ => Passing::Owned,
    }
}

/// Whether `pattern` binds a variable `mut`, at any depth (`mut a`, `&(mut a, b)`).
fn binds_mutably(pattern: &syn::Pat) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_pat_ident(&mut self, ident: &'ast syn::PatIdent) {
            self.0 |= ident.mutability.is_some();
            syn::visit::visit_pat_ident(self, ident);
        }
    }
    let mut finder = Finder(false);
    finder.visit_pat(pattern);
    finder.0
}

/// Whether `path` is `name<&mut T>`, with `name` spelt as the prelude or the standard library
/// spells it: `Pin`, `pin::Pin`, `std::pin::Pin`, `core::pin::Pin` (`::` first or not). A type
/// of another crate with the same name is not recognised by a longer path, and is owned.
fn wraps_a_unique_reference(path: &syn::TypePath, module: &str, name: &str) -> bool {
    let segments = &path.path.segments;
    let idents: Vec<&Ident> = segments.iter().map(|segment| &segment.ident).collect();
    let relative = path.path.leading_colon.is_none();
    let spelt_as_std = match idents[..] {
        [last] => relative && last == name,
        [parent, last] => relative && parent == module && last == name,
        [root, parent, last] => (root == "std" || root == "core") && parent == module && last == name,
        _ => false,
    };
    let only_the_last_has_arguments = segments.iter().rev().skip(1).all(|segment| segment.arguments.is_none());
    let Some(syn::PathArguments::AngleBracketed(arguments)) = segments.last().map(|last| &last.arguments) else {
        return false;
    };
    let wraps_a_unique_reference = matches!(
        arguments.args.iter().collect::<Vec<_>>()[..],
        [syn::GenericArgument::Type(ty)] if matches!(ungrouped(ty), Type::Reference(reference) if reference.mutability.is_some())
    );
    path.qself.is_none() && spelt_as_std && only_the_last_has_arguments && wraps_a_unique_reference
}

/// `ty` without the parentheses or the invisible group around it: a type a `macro_rules!`
/// passes on as `$t:ty` arrives in such a group, and `&mut T` must still be seen as one.
fn ungrouped(ty: &Type) -> &Type {
    match ty {
        Type::Group(group) => ungrouped(&group.elem),
        Type::Paren(paren) => ungrouped(&paren.elem),
        other => other,
    }
}

/// Whether the return type is written as a `Result`: `Result<T, E>`, `io::Result<T>`,
/// `anyhow::Result<T>`, or any alias whose name ends in `Result`. Checked by name, before any
/// type checking, so that `-> u32` gets one clear error instead of several about the loop.
fn names_a_result(return_type: &Type) -> bool {
    match return_type {
        Type::Path(path) => {
            path.path.segments.last().is_some_and(|segment| segment.ident.to_string().ends_with("Result"))
        }
        Type::Paren(inner) => names_a_result(&inner.elem),
        Type::Group(inner) => names_a_result(&inner.elem),
        _ => false,
    }
}

/// Whether the type mentions `Future` (`impl Future<…>`, `Pin<Box<dyn Future<…>>>`): a plain
/// `fn` returning one is an `async fn` written out by hand, or by `#[async_trait]`.
fn names_a_future(return_type: &Type) -> bool {
    struct FindFuture(bool);
    impl<'ast> Visit<'ast> for FindFuture {
        fn visit_path_segment(&mut self, segment: &'ast syn::PathSegment) {
            self.0 |= segment.ident == "Future";
            syn::visit::visit_path_segment(self, segment);
        }
    }
    let mut find = FindFuture(false);
    find.visit_type(return_type);
    find.0
}

/// `E` of `Result<T, E>`, when written so; `None` for an alias such as `io::Result<T>`, whose
/// error type `validate` names through `Outcome` instead.
fn error_type(return_type: &Type) -> Option<Type> {
    if let Type::Path(path) = return_type {
        let last = path.path.segments.last()?;
        if last.ident == "Result" {
            if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
                let types: Vec<&Type> = args
                    .args
                    .iter()
                    .filter_map(|arg| match arg {
                        syn::GenericArgument::Type(ty) => Some(ty),
                        _ => None,
                    })
                    .collect();
                if types.len() == 2 {
                    return Some(types[1].clone());
                }
            }
        }
    }
    None
}

/// Whether a type can be written in a `static`: no generic parameter, no `Self`, no lifetime
/// but `'static`, no elided reference lifetime.
fn nameable_in_static(ty: &Type, generics: &[Ident]) -> bool {
    struct Check<'a> {
        generics: &'a [Ident],
        ok: bool,
    }
    impl<'ast> Visit<'ast> for Check<'_> {
        fn visit_lifetime(&mut self, lifetime: &'ast syn::Lifetime) {
            self.ok &= lifetime.ident == "static";
        }
        fn visit_type_reference(&mut self, reference: &'ast syn::TypeReference) {
            self.ok &= reference.lifetime.is_some();
            syn::visit::visit_type_reference(self, reference);
        }
        fn visit_type_impl_trait(&mut self, _: &'ast syn::TypeImplTrait) {
            self.ok = false;
        }
        fn visit_ident(&mut self, ident: &'ast Ident) {
            self.ok &= ident != "Self" && !self.generics.contains(ident);
        }
    }
    let mut check = Check { generics, ok: true };
    check.visit_type(ty);
    check.ok
}

fn find_impl_trait(ty: &Type) -> Option<Span> {
    struct Find(Option<Span>);
    impl<'ast> Visit<'ast> for Find {
        fn visit_type_impl_trait(&mut self, impl_trait: &'ast syn::TypeImplTrait) {
            self.0.get_or_insert(impl_trait.impl_token.span);
        }
    }
    let mut find = Find(None);
    find.visit_type(ty);
    find.0
}

/// `ty` with each `impl Trait` in it replaced by `with`.
fn replace_impl_trait(ty: &Type, with: Type) -> Type {
    struct Replace(Type);
    impl syn::visit_mut::VisitMut for Replace {
        fn visit_type_mut(&mut self, ty: &mut Type) {
            if matches!(ty, Type::ImplTrait(_)) {
                *ty = self.0.clone();
            } else {
                syn::visit_mut::visit_type_mut(self, ty);
            }
        }
    }
    let mut ty = ty.clone();
    syn::visit_mut::VisitMut::visit_type_mut(&mut Replace(with), &mut ty);
    ty
}

#[cfg(test)]
mod tests {
    use super::{Passing, passing};

    #[test]
    fn receivers_pass_as_their_types_say() {
        let cases = [
            ("&self", "shared"),
            ("self: &Self", "shared"),
            ("&mut self", "unique"),
            ("self: &mut Self", "unique"),
            ("self", "owned"),
            ("mut self", "owned"),
            ("self: std::sync::Arc<Self>", "owned"),
            ("self: Pin<&mut Self>", "pinned"),
            ("mut self: std::pin::Pin<&mut Self>", "pinned"),
            ("self: Pin<Box<Self>>", "owned"),
            ("mut self: &Self", "copied"),
            ("mut self: &mut Self", "unique"),
        ];
        check(&cases);
    }

    #[test]
    fn shared_references_the_body_may_rebind_are_copied() {
        let cases = [
            ("a: &T", "shared"),
            ("&a: &u8", "shared"),
            ("&(a, b): &(u8, u8)", "shared"),
            ("mut a: &[u8]", "copied"),
            ("&(mut a, b): &(u8, u8)", "copied"),
            ("mut a: (&[u8])", "copied"),
            ("mut a: &mut [u8]", "unique"),
            ("(mut a, b): (&u8, &u8)", "owned"),
        ];
        check(&cases);
    }

    #[test]
    fn pinned_and_optional_unique_references_are_re_borrowed() {
        let cases = [
            ("a: Pin<&mut T>", "pinned"),
            ("a: pin::Pin<&mut T>", "pinned"),
            ("a: ::core::pin::Pin<&mut dyn Future<Output = ()>>", "pinned"),
            ("a: Option<&mut Vec<u8>>", "optional unique"),
            ("a: std::option::Option<&'a mut [u8]>", "optional unique"),
            ("a: Option<&u8>", "owned"),
            ("a: Option<Box<u8>>", "owned"),
            ("a: Pin<&T>", "owned"),
            ("a: Pin<&mut T, U>", "owned"),
            ("a: ::pin::Pin<&mut T>", "owned"),
            ("a: other::Option<&mut T>", "owned"),
            ("a: std::pin::Option<&mut T>", "owned"),
            ("a: std::Pin<&mut T>", "owned"),
            // Parenthesized (and so a type in a `macro_rules!`'s invisible group).
            ("a: (&mut T)", "unique"),
            ("a: Option<(&mut T)>", "optional unique"),
        ];
        check(&cases);
    }

    fn check(cases: &[(&str, &str)]) {
        for (arg, expected) in cases {
            let parsed: syn::FnArg = syn::parse_str(arg).expect("an argument");
            let found = match passing(&parsed) {
                Passing::Shared => "shared",
                Passing::Copied => "copied",
                Passing::Unique => "unique",
                Passing::Pinned => "pinned",
                Passing::OptionalUnique => "optional unique",
                Passing::Owned => "owned",
            };
            assert_eq!(found, *expected, "{arg}");
        }
    }
}
