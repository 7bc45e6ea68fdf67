//! Builds the `Transient` impl of a valid type. Cannot fail.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{DeriveInput, Member};

use super::parse::{Input, Mark};

// Input:
//
//     #[derive(Transient)]
//     #[transient(default = permanent)]
//     enum GraphError {
//         #[transient(throttled, retry_after = retry_after)]
//         Throttled { retry_after: Option<Duration> },
//         #[transient(delegate)]
//         Io(std::io::Error),
//         NotFound,
//     }
//
// Output:
//
//     impl Transient for GraphError {
//         fn classify(&self) -> Classification {
//             match self {
//                 Self::Throttled { retry_after: __resilient_field, .. } =>
//                     Classification::Throttled { retry_after: __private::retry_after(__resilient_field) },
//                 Self::Io { 0: __resilient_field, .. } => Transient::classify(__resilient_field),
//                 Self::NotFound { .. } => Classification::Permanent,
//             }
//         }
//     }
pub fn expand(input: &Input) -> TokenStream {
    let krate = krate(input.krate.as_ref());
    let default_transient =
        input.container.iter().filter_map(|mark| mark.default.as_ref()).any(|default| default == "transient");
    let arms = input.variants.iter().map(|variant| {
        let path = if input.is_enum {
            let ident = variant.ident;
            quote!(Self::#ident)
        } else {
            quote!(Self)
        };
        let mark = if input.is_enum { variant.marks.first() } else { input.container.first() };
        // The field's binding, and the call below that reads it, are spanned on the user's
        // tokens they are reported at. Both with the same span, so that they resolve alike
        // under macro hygiene: in an enum a `macro_rules!` writes, that span may be its caller's.
        let binding = |span: Span| Ident::new("__resilient_field", span);
        let field = |member: &Member, span: Span| {
            let binding = binding(span);
            quote!(#path { #member: ref #binding, .. })
        };
        let only_field =
            || variant.fields.iter().next().and_then(|f| f.ident.clone()).map_or(Member::from(0), Member::Named);
        match mark {
            None if default_transient => quote!(#path { .. } => #krate::Classification::Transient,),
            None => quote!(#path { .. } => #krate::Classification::Permanent,),
            Some(mark) if mark.permanent => quote!(#path { .. } => #krate::Classification::Permanent,),
            Some(Mark { delegate: Some(_), .. }) => {
                let ty = &variant.fields.iter().next().expect("validated: one field").ty;
                let pattern = field(&only_field(), ty.span());
                let binding = binding(ty.span());
                let classify = quote_spanned!(ty.span()=> <#ty as #krate::Transient>::classify(#binding));
                quote!(#pattern => #classify,)
            }
            Some(Mark { with: Some(with), .. }) => {
                let pattern = field(&only_field(), with.span());
                // Spanned on the path, so that a function of the wrong signature is reported
                // there, and not at the derive.
                let call = crate::respan(quote!((#with)(__resilient_field)), with.span());
                quote!(#pattern => #call,)
            }
            Some(Mark { throttled: Some(_), retry_after: Some(member), .. }) => {
                let pattern = field(member, member.span());
                // All of it spanned on the field, so that a field of the wrong type is
                // reported there, and not at the derive.
                let hint = crate::respan(quote!(#krate::__private::retry_after(__resilient_field)), member.span());
                quote!(#pattern => #krate::Classification::Throttled { retry_after: #hint },)
            }
            Some(Mark { throttled: Some(_), .. }) => {
                quote!(#path { .. } => #krate::Classification::Throttled { retry_after: ::core::option::Option::None },)
            }
            Some(_) => quote!(#path { .. } => #krate::Classification::Transient,),
        }
    });
    let original = input.original;
    let name = &original.ident;
    let generics = with_delegate_bounds(input, &krate);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Transient for #name #ty_generics #where_clause {
            fn classify(&self) -> #krate::Classification {
                // `*self`, not `self`: an empty enum has no arm, and only a place of the
                // uninhabited type itself (not a reference to it) matches no arm.
                match *self {
                    #(#arms)*
                }
            }
        }
    }
}

/// The generics plus `Field: Transient` for each delegated field whose type involves a type
/// parameter (`Inner(T)`), as `derive(Clone)` bounds `T: Clone`.
fn with_delegate_bounds(input: &Input, krate: &TokenStream) -> syn::Generics {
    let mut generics = input.original.generics.clone();
    let parameters: Vec<String> = generics.type_params().map(|param| param.ident.to_string()).collect();
    let mentions_parameter = |ty: &syn::Type| {
        fn walk(tokens: TokenStream, parameters: &[String]) -> bool {
            tokens.into_iter().any(|token| match token {
                proc_macro2::TokenTree::Ident(ident) => parameters.contains(&ident.to_string()),
                proc_macro2::TokenTree::Group(group) => walk(group.stream(), parameters),
                _ => false,
            })
        }
        walk(quote!(#ty), &parameters)
    };
    let marks = |variant: &'_ super::parse::Variant| {
        if input.is_enum {
            variant.marks.first().map(|m| m.delegate.is_some())
        } else {
            input.container.first().map(|m| m.delegate.is_some())
        }
    };
    for variant in &input.variants {
        if marks(variant) != Some(true) {
            continue;
        }
        if let Some(field) = variant.fields.iter().next().filter(|field| mentions_parameter(&field.ty)) {
            let ty = &field.ty;
            generics.make_where_clause().predicates.push(syn::parse_quote!(#ty: #krate::Transient));
        }
    }
    generics
}

/// Where `resilient` is: `::resilient`, unless the type says otherwise.
fn krate(path: Option<&syn::Path>) -> TokenStream {
    path.map_or_else(|| quote!(::resilient), |path| quote!(#path))
}

/// The impl emitted beside a compile error, so uses of the type do not fail on their own.
/// `path` is the type's `crate = "..."`, if it could be read.
pub fn fallback(input: &DeriveInput, path: Option<&syn::Path>) -> TokenStream {
    let krate = krate(path);
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Transient for #name #ty_generics #where_clause {
            fn classify(&self) -> #krate::Classification {
                ::core::unreachable!("`#[derive(Transient)]` failed to compile")
            }
        }
    }
}
