//! Builds the retry loop around a valid function. Cannot fail.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use resilient_policy::Policy;
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn};

use super::receiver;
use super::validate::{Passing, Plan, Source};
use crate::respan;

// Input:
//
//     #[retry(policy = "graph")]
//     async fn fetch(client: &Client, id: String) -> Result<Message, GraphError> { body }
//
// Output (an async fn is written out as the future it stands for: see `async_signature`):
//
//     fn fetch(client: &Client, id: String) -> impl Future<Output = Result<Message, GraphError>> {
//         let mut id = Some(id);
//         async move {
//             static __RESILIENT_STATE: SiteState = SiteState::new();
//             static __RESILIENT_SITE: CallSite = CallSite::named("graph", "path::fetch", &__RESILIENT_STATE);
//             inventory::submit! { CallSiteRecord { .. } }
//             let mut __resilient_call = Call::<TokioClock>::begin(&__RESILIENT_SITE);
//             loop {
//                 let id = take_or_clone(&mut id, __resilient_call.is_last_attempt());
//                 let __resilient_step = {
//                     let __resilient_result: Result<Message, GraphError> =
//                         match __resilient_call.start_attempt(&__RESILIENT_SITE, <E holds Rejected>) {
//                             Ok(()) => __resilient_call
//                                 .attempt(&__RESILIENT_SITE, <E holds Rejected>, async { body }, <timed out -> E>)
//                                 .await,
//                             Err(refusal) => return refusal.into_result(&__RESILIENT_SITE, <Rejected -> E>),
//                         };
//                     if __resilient_result.is_ok() {
//                         __resilient_call.passed(&__RESILIENT_SITE);
//                         return __resilient_result;
//                     }
//                     __resilient_call.after(&__RESILIENT_SITE, __resilient_result, <E as text>)
//                     // (with `classify = path`: `.after_classified(.., <E as text>, path)`)
//                 };
//                 match __resilient_step {
//                     Step::Done(result) => return result,
//                     Step::Wait(delay) => __resilient_call.wait(delay).await,
//                 }
//             }
//         }
//     }
//
// An `impl Trait` in the success type is `_` in the loop's annotations (`Result<_, GraphError>`):
// the body's value decides it there, as it decides the signature's hidden type.
//
// A plain fn gets the same body without the `async move` block, and attempts made by
// `run_attempt(|| body)`. An inline `attempt_timeout` adds, first in the fn, a call of
// `check_timeout_home` on the probe: deprecated, so a warning, unless `E` can hold a rejection.
pub fn expand(plan: Plan, mut function: ItemFn) -> TokenStream {
    let krate = &plan.krate;
    let private = quote!(#krate::__private);
    let ret = &plan.return_type;
    let (inferred, probe_type) = (&plan.inferred_type, &plan.probe_type);
    let site_items = site_items(&plan, &function);

    let mut bindings = Vec::new();
    let mut slots = Vec::new();
    // Taken out, not cloned: the function is written out below from its signature.
    let empty = syn::Block { brace_token: Default::default(), stmts: Vec::new() };
    let mut body = std::mem::replace(&mut *function.block, empty);
    let typed_args = function.sig.inputs.iter_mut().zip(&plan.passing).enumerate();
    for (index, (arg, passing)) in typed_args {
        if let (FnArg::Receiver(receiver), Passing::Owned | Passing::Pinned | Passing::Copied) = (&mut *arg, passing) {
            // `self` by value, pinned or rebindable (`mut self: &Self`): each attempt binds its
            // own, which the body's `self` is renamed to. The signature's `mut` moves to that
            // binding.
            receiver::rename_self(&mut body);
            let attempt_self = syn::Ident::new(receiver::ATTEMPT_SELF, receiver.self_token.span);
            let mutability = receiver.mutability.take();
            let take = match passing {
                Passing::Pinned => {
                    slots.push(quote!(let mut #attempt_self = self;));
                    re_borrow(passing, &attempt_self)
                }
                Passing::Copied => {
                    slots.push(quote!(let #attempt_self = self;));
                    quote!(#attempt_self)
                }
                _ => {
                    slots.push(quote!(let mut #attempt_self = ::core::option::Option::Some(self);));
                    // Spanned on the type (`Box<Self>` in `self: Box<Self>`; `self` alone else),
                    // so that "not `Clone`" points there.
                    take_from_slot(quote!(#private::take_or_clone_self), &attempt_self, receiver.ty.span())
                }
            };
            bindings.push(quote!(let #mutability #attempt_self = #take;));
            continue;
        }
        let FnArg::Typed(typed) = arg else { continue };
        // Shared references are `Copy`: the body uses them as they are, for every attempt.
        if matches!(passing, Passing::Shared) {
            continue;
        }
        let slot = slot_name(&typed.pat, index);
        // A `Pin` or an `Option` is re-borrowed by a method that takes it by `&mut`.
        let slot_pattern = match passing {
            Passing::Pinned | Passing::OptionalUnique => syn::parse_quote!(mut #slot),
            _ => syn::parse_quote!(#slot),
        };
        let pattern = std::mem::replace(&mut *typed.pat, slot_pattern);
        // The user's binding is now the `let` in the loop, so its lint attributes go there
        // (`#[allow(unused_variables)]` would miss it on the argument, and an `#[expect]` go
        // unmet: the loop reads the argument). A `#[cfg]` stays, and is copied to each
        // statement that names the argument.
        let (lints, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut typed.attrs).into_iter().partition(is_lint);
        typed.attrs = kept;
        let cfgs: Vec<_> = typed.attrs.iter().filter(|attr| attr.path().is_ident("cfg")).collect();
        let ty = &typed.ty;
        bindings.push(match passing {
            Passing::Shared => unreachable!("skipped above"),
            Passing::Copied => quote!(#(#cfgs)* #(#lints)* let #pattern = #slot;),
            Passing::Unique | Passing::Pinned | Passing::OptionalUnique => {
                let borrow = re_borrow(passing, &slot);
                quote!(#(#cfgs)* #(#lints)* let #pattern = #borrow;)
            }
            Passing::Owned => {
                // Spanned on the argument's type, so "not `Clone`" points at the argument.
                let take = take_from_slot(quote!(#private::take_or_clone), &slot, ty.span());
                slots.push(quote!(#(#cfgs)* let mut #slot = ::core::option::Option::Some(#slot);));
                // Each attempt's binding shadows the slot of the same name; clippy's
                // `shadow_unrelated` (opt-in) would blame the user's argument for it.
                quote!(#(#cfgs)* #[allow(clippy::shadow_unrelated)] #(#lints)* let #pattern = #take;)
            }
        });
    }

    let probe = quote!(#private::Probe::<#probe_type>::new());
    // The probe's traits, for their methods only: imported by name, or by a glob, they would
    // shadow the user's types of the same names in the return type beside them.
    let probe_traits = quote! {
        #[allow(unused_imports)]
        use #private::probe::{
            HomeViaFrom as _, NoHome as _, TextViaDebug as _, TextViaDisplay as _, TextViaName as _,
            TimeoutHasAHome as _, TimeoutWithoutAHome as _,
        };
    };
    // Asked inside the block, not as `#home.is_some()`: the `Option` would then be a temporary
    // of the statement that awaits the attempt, kept in the future across that await.
    let holds_rejection = quote!({ #probe_traits (&&#probe).rejection_home().is_some() });
    let site = quote!(&__RESILIENT_SITE);
    let home = quote!({ #probe_traits (&&#probe).rejection_home() });
    let text = quote!({ #probe_traits (&&&#probe).error_text() });
    let after = match &plan.classify {
        // Spanned on the return type, so "`E` does not implement `Transient`" points at it.
        None => {
            // Our locals keep their own span: the return type may be a `macro_rules!` caller's,
            // in whose hygiene context they do not exist.
            let (call, result) = (quote!(__resilient_call), quote!(__resilient_result));
            quote_spanned!(ret.span()=> #call.after(#site, #result, #text))
        }
        Some(classify) => quote!(__resilient_call.after_classified(#site, __resilient_result, #text, #classify)),
    };

    let typed_body = if never_ends(&body) {
        // What follows a body that never ends would be unreachable (rustc), and the `let` a
        // diverging sub-expression (clippy): warnings of our making for a `todo!()` stub or a
        // body ending in `return`. The allows are written only then: one would be an error
        // under `#![forbid(unreachable_code)]`, which such a body breaks anyway. The clippy
        // allow covers the body, but only for that lint; rustc's is on our `return` alone.
        quote! {
            #[allow(clippy::diverging_sub_expression)]
            let __resilient_result: #inferred = #body;
            #[allow(unreachable_code)]
            return __resilient_result;
        }
    } else {
        quote!(let __resilient_result: #inferred = #body; __resilient_result)
    };
    let (clock, run, wait) = if function.sig.asyncness.is_some() {
        // A closure that captures nothing: the attempt keeps it without taking room.
        let timed_out = quote!(|__resilient_rejected| #private::rejection_into(#home, __resilient_rejected));
        (
            quote!(#private::TokioClock),
            // The `let` gives the body its type, for the `?`s in it and for the errors of a
            // mistyped body, which point into it.
            quote!(__resilient_call.attempt(#site, #holds_rejection, async {
                #typed_body
            }, #timed_out).await),
            quote!(__resilient_call.wait(__resilient_delay).await),
        )
    } else {
        (
            quote!(#private::StdClock),
            quote!(#private::run_attempt(|| -> #inferred #body)),
            quote!(__resilient_call.wait_blocking(__resilient_delay)),
        )
    };

    let begin = match &plan.source {
        Source::Named(_) => quote!(#private::Call::<#clock>::begin(#site)),
        // A closure naming the constant, not its address: the address would be kept in the
        // future and read back after each await, and the policy is then a constant no longer.
        Source::Inline(_) => quote!(#private::Call::<#clock, _>::under(|| &__RESILIENT_POLICY)),
    };
    let retry_loop = quote! {
        #site_items
        let mut __resilient_call = #begin;
        loop {
            #(#bindings)*
            // In a block of its own: a local that lived on across the wait's await would be kept
            // in the future, and the result copied there on every call.
            let __resilient_step = {
                let __resilient_result: #inferred = match __resilient_call.start_attempt(#site, #holds_rejection) {
                    ::core::result::Result::Ok(()) => #run,
                    ::core::result::Result::Err(__resilient_refusal) => return __resilient_refusal.into_result(#site, #home),
                };
                // A success is returned as the body left it, not moved through `after`'s step.
                if ::core::result::Result::is_ok(&__resilient_result) {
                    __resilient_call.passed(#site);
                    return __resilient_result;
                }
                #after
            };
            match __resilient_step {
                #private::Step::Done(__resilient_result) => return __resilient_result,
                #private::Step::Wait(__resilient_delay) => #wait,
            }
        }
    };
    let body = if function.sig.asyncness.is_some() {
        async_signature(&mut function.sig, ret);
        // The call begins when the future is first polled, not when it is made: whether it is
        // nested depends on where it is awaited.
        quote!(async move { #retry_loop })
    } else {
        retry_loop
    };
    // Spanned on the `attempt_timeout` key, so that an error type that cannot hold the
    // timeout's rejection is warned of where the timeout is asked for.
    let timeout_check = plan.inline_timeout.map(|key| {
        let check = quote_spanned!(key=> check_timeout_home);
        quote!({ #probe_traits (&&#probe).#check(); })
    });
    // A key the backoff ignores is legal, so a warning, not an error: the use of a deprecated
    // marker whose note is the configuration file's warning, spanned on the key.
    let ignored_keys = plan.ignored_keys.iter().map(|(key, warning)| {
        let marker = quote_spanned!(*key=> IgnoredKey);
        quote!({
            #[deprecated(note = #warning)]
            struct IgnoredKey;
            let _ = #marker;
        })
    });
    // Written out as tokens, not parsed back into a `syn::Block`: parsing the whole loop again
    // was most of the macro's time.
    let ItemFn { attrs, vis, sig, block: _ } = &function;
    let outer = attrs.iter().filter(|attr| matches!(attr.style, syn::AttrStyle::Outer));
    let inner = attrs.iter().filter(|attr| matches!(attr.style, syn::AttrStyle::Inner(_)));
    quote! {
        #(#outer)*
        #vis #sig {
            #(#inner)*
            #timeout_check
            #(#ignored_keys)*
            #(#slots)*
            #body
        }
    }
}

/// The name of the argument as the function receives it: the user's own name when the pattern
/// is one (`body`, `mut body`), so that the signature reads the same in rustdoc and in an
/// editor's hints; else `__resilient_argN`. The loop's `let body = take_or_clone(&mut body, ..)`
/// reads the argument before its own `body` comes into scope, so the two can share the name.
fn slot_name(pattern: &syn::Pat, index: usize) -> syn::Ident {
    match pattern {
        syn::Pat::Ident(syn::PatIdent { ident, subpat: None, .. }) => ident.clone(),
        _ => format_ident!("__resilient_arg{}", index),
    }
}

/// The attempt's own borrow of a unique argument held in `slot`, for as long as the attempt.
fn re_borrow(passing: &Passing, slot: &syn::Ident) -> TokenStream {
    match passing {
        Passing::Unique => quote!(&mut *#slot),
        Passing::Pinned => quote!(::core::pin::Pin::as_mut(&mut #slot)),
        Passing::OptionalUnique => quote!(::core::option::Option::as_deref_mut(&mut #slot)),
        Passing::Shared | Passing::Copied | Passing::Owned => unreachable!("not a unique borrow"),
    }
}

/// `function(&mut slot, __resilient_call.is_last_attempt())`, located at `span` so that an
/// error in the call is reported there. The slot keeps its own span, and so its hygiene: in a
/// function a `macro_rules!` writes, an argument the macro's caller named resolves only with
/// the caller's span, not with a type's from the macro's body.
fn take_from_slot(function: TokenStream, slot: &syn::Ident, span: Span) -> TokenStream {
    let (function, before, after) = (
        respan(function, span),
        respan(quote!(&mut), span),
        respan(quote!(, __resilient_call.is_last_attempt()), span),
    );
    let mut arguments = proc_macro2::Group::new(proc_macro2::Delimiter::Parenthesis, quote!(#before #slot #after));
    arguments.set_span(span);
    quote!(#function #arguments)
}

/// Whether the body, as written, never reaches its end: its last statement is a `return`, or
/// a `todo!`, `unimplemented!`, `unreachable!` or `panic!`. (Not every such body: a `match`
/// whose every arm returns is one too, and keeps its warning.)
fn never_ends(body: &syn::Block) -> bool {
    let diverging_macro = |mac: &syn::Macro| {
        let name = mac.path.segments.last().map(|segment| segment.ident.to_string());
        matches!(name.as_deref(), Some("todo" | "unimplemented" | "unreachable" | "panic"))
    };
    match body.stmts.last() {
        Some(syn::Stmt::Expr(syn::Expr::Return(_), _)) => true,
        Some(syn::Stmt::Expr(syn::Expr::Macro(expr), _)) => diverging_macro(&expr.mac),
        Some(syn::Stmt::Macro(stmt)) => diverging_macro(&stmt.mac),
        _ => false,
    }
}

/// A lint level (`allow`, `expect`, `warn`, `deny`, `forbid`), or a `cfg_attr` that may set one.
fn is_lint(attr: &syn::Attribute) -> bool {
    ["allow", "expect", "warn", "deny", "forbid", "cfg_attr"].iter().any(|name| attr.path().is_ident(name))
}

/// Turns `async fn f(..) -> R` into `fn f(..) -> impl Future<Output = R>`, for a body that is an
/// `async move` block. An `async fn` keeps each argument twice in its future, once as passed and
/// once as the body's local (rust-lang/rust#62958); an `async move` block that uses the
/// arguments keeps them once, which makes the future smaller and saves moving them.
///
/// The `impl` is spanned in this crate, edition 2024, so the future captures every lifetime of
/// the arguments, named or elided (`&str`, `&mut Formatter<'_>`), as an `async fn`'s does, whatever
/// the caller's edition.
fn async_signature(sig: &mut syn::Signature, ret: &syn::Type) {
    sig.asyncness = None;
    // As tokens: parsing them back into a `syn::Type` would only cost time.
    let future = syn::Type::Verbatim(quote!(impl ::core::future::Future<Output = #ret>));
    sig.output = syn::ReturnType::Type(Default::default(), Box::new(future));
}

/// The call site's items: its inline policy, its state, the site, and its link-time record.
fn site_items(plan: &Plan, function: &ItemFn) -> TokenStream {
    let private = {
        let krate = &plan.krate;
        quote!(#krate::__private)
    };
    let operation = match &plan.operation {
        Some(operation) => quote!(#operation),
        None => {
            let name = function.sig.ident.to_string();
            quote!(::core::concat!(::core::module_path!(), "::", #name))
        }
    };
    let is_async = function.sig.asyncness.is_some();
    let holds_rejection = match &plan.static_error_type {
        Some(error) => quote!(::core::option::Option::Some({
            #[allow(unused_imports)]
            use #private::DoesNotHoldRejection as _;
            <#private::HoldsRejection<#error>>::VALUE
        })),
        None => quote!(::core::option::Option::None),
    };
    // The site's constructor, its first argument, and the inline policy that argument names.
    let (constructor, policy_argument, policy_item) = match &plan.source {
        Source::Named(policy) => (quote!(named), quote!(#policy), quote!()),
        Source::Inline(policy) => {
            let policy = policy_tokens(policy, &private);
            (
                quote!(inline),
                quote!(&__RESILIENT_POLICY),
                // A `const`, not a `static`: each crate that compiles the call sees the policy's
                // value (a static's is only an address outside the crate defining it) and folds
                // away the checks for what the policy does not have.
                quote!(const __RESILIENT_POLICY: #private::PolicyEntry = #private::PolicyEntry::inline(#policy);),
            )
        }
    };
    // The site is a `static` without interior mutability, one copy in read-only data; what
    // changes as calls run is a `static` of its own, all zeros (see `CallSite`).
    let site = quote! {
        #policy_item
        static __RESILIENT_STATE: #private::SiteState = #private::SiteState::new();
        static __RESILIENT_SITE: #private::CallSite =
            #private::CallSite::#constructor(#policy_argument, #operation, &__RESILIENT_STATE);
    };
    quote_spanned! {Span::call_site()=>
        #site
        #private::inventory::submit! {
            #private::CallSiteRecord {
                site: &__RESILIENT_SITE,
                file: ::core::file!(),
                line: ::core::line!(),
                holds_rejection: #holds_rejection,
                is_async: #is_async,
            }
        }
    }
}

/// A `const` expression rebuilding the validated inline policy.
fn policy_tokens(policy: &Policy, private: &TokenStream) -> TokenStream {
    let duration = |d: std::time::Duration| {
        let nanos = d.as_nanos() as u64;
        quote!(#private::Duration::from_nanos(#nanos))
    };
    let optional = |d: Option<std::time::Duration>| match d {
        Some(d) => {
            let d = duration(d);
            quote!(::core::option::Option::Some(#d))
        }
        None => quote!(::core::option::Option::None),
    };
    let attempts = policy.max_attempts().unwrap_or(0);
    let backoff = format_ident!("{}", format!("{:?}", policy.backoff()));
    let jitter = format_ident!("{}", format!("{:?}", policy.jitter()));
    let nested = format_ident!("{}", format!("{:?}", policy.nested()));
    let initial_delay = duration(policy.initial_delay());
    let increment = optional(Some(policy.increment()));
    let multiplier = policy.multiplier();
    let max_delay = duration(policy.max_delay());
    let max_elapsed = optional(policy.max_elapsed());
    let attempt_timeout = optional(policy.attempt_timeout());
    quote! {
        #private::Policy::__from_validated(
            #attempts,
            #private::Backoff::#backoff,
            #initial_delay,
            #increment,
            #multiplier,
            #private::Jitter::#jitter,
            #max_delay,
            #max_elapsed,
            #attempt_timeout,
            #private::Nested::#nested,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::never_ends;

    #[test]
    fn bodies_that_never_end_as_written() {
        let never = [
            quote::quote!({ todo!() }),
            quote::quote!({
                step();
                std::unimplemented!("later");
            }),
            quote::quote!({ return Err(Busy) }),
            quote::quote!({
                let n = step()?;
                return Ok(n);
            }),
            quote::quote!({ panic!("no") }),
        ];
        let ends = [
            quote::quote!({}),
            quote::quote!({ Ok(step()?) }),
            quote::quote!({
                if done {
                    return Ok(1);
                }
                Err(Busy)
            }),
            quote::quote!({ println!("no") }),
        ];
        for body in never {
            assert!(never_ends(&syn::parse2(body.clone()).unwrap()), "{body}");
        }
        for body in ends {
            assert!(!never_ends(&syn::parse2(body.clone()).unwrap()), "{body}");
        }
    }
}
