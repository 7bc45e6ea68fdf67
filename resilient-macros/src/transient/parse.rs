//! The markings of a `#[derive(Transient)]` type, as written, with their spans.

use proc_macro2::Span;
use resilient_policy::did_you_mean;
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Fields, Ident, Member};

/// The type and every marking on it and its variants.
pub struct Input<'a> {
    pub original: &'a DeriveInput,
    /// Markings on the type itself.
    pub container: Vec<Mark>,
    /// The variants; a struct is one variant named after the type.
    pub variants: Vec<Variant<'a>>,
    pub is_enum: bool,
    /// Where `resilient` is, when it is not `::resilient` (`#[transient(crate = "path")]`).
    pub krate: Option<syn::Path>,
}

pub struct Variant<'a> {
    pub ident: &'a Ident,
    pub fields: &'a Fields,
    pub marks: Vec<Mark>,
}

/// One `#[transient(...)]` or `#[permanent]` attribute.
pub struct Mark {
    /// The attribute's name token (`transient` or `permanent`).
    pub span: Span,
    pub permanent: bool,
    pub throttled: Option<Span>,
    pub retry_after: Option<Member>,
    pub delegate: Option<Span>,
    pub with: Option<syn::ExprPath>,
    pub default: Option<Ident>,
    /// `crate = "path"`, with the span of its value.
    pub krate: Option<(Span, syn::Path)>,
    /// Whether the attribute says anything besides `crate`: `#[transient(crate = "...")]`
    /// alone only says where `resilient` is, and classifies nothing.
    pub classifies: bool,
}

const ARGUMENTS: [&str; 6] = ["throttled", "retry_after", "delegate", "with", "default", "crate"];
/// What the attribute takes, for the errors that list it.
const EXPECTED: &str = "expected one of `throttled`, `retry_after = field`, `delegate`, `with = path`, `default = permanent | transient`, `crate = \"path\"`";

impl<'a> Input<'a> {
    pub fn parse(original: &'a DeriveInput) -> syn::Result<Self> {
        let mut container = marks(&original.attrs)?;
        let mut paths = container.iter().filter_map(|mark| mark.krate.as_ref());
        let krate = paths.next().map(|(_, path)| path.clone());
        if let Some((span, _)) = paths.next() {
            return Err(syn::Error::new(*span, "`crate` is set twice; keep one `#[transient(crate = \"...\")]`"));
        }
        container.retain(|mark| mark.classifies);
        let (variants, is_enum) = match &original.data {
            Data::Enum(data) => (
                data.variants
                    .iter()
                    .map(|variant| {
                        Ok(Variant { ident: &variant.ident, fields: &variant.fields, marks: marks(&variant.attrs)? })
                    })
                    .collect::<syn::Result<_>>()?,
                true,
            ),
            Data::Struct(data) => {
                (vec![Variant { ident: &original.ident, fields: &data.fields, marks: Vec::new() }], false)
            }
            Data::Union(data) => {
                return Err(syn::Error::new(
                    data.union_token.span,
                    "`Transient` can be derived for enums and structs, not unions; implement `resilient::Transient` by hand",
                ));
            }
        };
        if let Some((span, _)) =
            variants.iter().flat_map(|variant: &Variant| &variant.marks).find_map(|mark| mark.krate.as_ref())
        {
            return Err(syn::Error::new(
                *span,
                "`crate` says where `resilient` is for the whole type; put `#[transient(crate = \"...\")]` on the type itself",
            ));
        }
        Ok(Input { original, container, variants, is_enum, krate })
    }
}

fn marks(attrs: &[Attribute]) -> syn::Result<Vec<Mark>> {
    attrs.iter().filter_map(|attr| mark(attr).transpose()).collect()
}

fn mark(attr: &Attribute) -> syn::Result<Option<Mark>> {
    let path = attr.path();
    let blank = |span, permanent| Mark {
        span,
        permanent,
        throttled: None,
        retry_after: None,
        delegate: None,
        with: None,
        default: None,
        krate: None,
        classifies: true,
    };
    if path.is_ident("permanent") {
        if !matches!(attr.meta, syn::Meta::Path(_)) {
            return Err(syn::Error::new_spanned(&attr.meta, "`#[permanent]` takes no arguments; write `#[permanent]`"));
        }
        return Ok(Some(blank(path.span(), true)));
    }
    if !path.is_ident("transient") {
        return Ok(None);
    }
    let mut mark = blank(path.span(), false);
    if let syn::Meta::Path(_) = attr.meta {
        return Ok(Some(mark));
    }
    if let syn::Meta::NameValue(pair) = &attr.meta {
        return Err(syn::Error::new(
            pair.eq_token.span,
            "write `#[transient]` or `#[transient(...)]`, e.g. `#[transient(throttled)]`",
        ));
    }
    let mut keys = 0;
    attr.parse_nested_meta(|meta| {
        keys += 1;
        let Some(key) = meta.path.get_ident().map(Ident::to_string) else {
            return Err(meta.error(EXPECTED));
        };
        let span = meta.path.span();
        let duplicate = || Err(syn::Error::new(span, format!("duplicate `{key}`; remove one")));
        match key.as_str() {
            "throttled" => {
                if mark.throttled.replace(span).is_some() {
                    return duplicate();
                }
            }
            "delegate" => {
                if mark.delegate.replace(span).is_some() {
                    return duplicate();
                }
            }
            "retry_after" => {
                const NAMES_A_FIELD: &str =
                    "`retry_after` names a field: write `retry_after = field_name` or `retry_after = 0` for a tuple field";
                let value = meta.value().map_err(|_| syn::Error::new(span, NAMES_A_FIELD))?;
                let member: Member = value.parse().map_err(|error| syn::Error::new(error.span(), NAMES_A_FIELD))?;
                if mark.retry_after.replace(member).is_some() {
                    return duplicate();
                }
            }
            "with" => {
                let value = meta.value().map_err(|_| syn::Error::new(span, "`with` names a function: write `with = path::to::classify`"))?;
                let path: syn::ExprPath = value.parse().map_err(|error| {
                    syn::Error::new(error.span(), "`with` names a function `fn(&Field) -> Classification`: write `with = path::to::classify`")
                })?;
                if mark.with.replace(path).is_some() {
                    return duplicate();
                }
            }
            "default" => {
                let value = meta.value().map_err(|_| syn::Error::new(span, "write `default = permanent` or `default = transient`"))?;
                let lookahead = value.lookahead1();
                let ident: Ident = if lookahead.peek(Ident) {
                    value.parse()?
                } else {
                    return Err(syn::Error::new(value.span(), "write `default = permanent` or `default = transient`"));
                };
                if ident != "permanent" && ident != "transient" {
                    return Err(syn::Error::new(ident.span(), format!("unknown default `{ident}`; write `default = permanent` or `default = transient`")));
                }
                if mark.default.replace(ident).is_some() {
                    return duplicate();
                }
            }
            "crate" => {
                use crate::CRATE_EXPECTS_A_PATH;
                let value = meta.value().map_err(|_| syn::Error::new(span, CRATE_EXPECTS_A_PATH))?;
                let text: syn::LitStr =
                    value.parse().map_err(|error| syn::Error::new(error.span(), CRATE_EXPECTS_A_PATH))?;
                let path = text.parse::<syn::Path>().map_err(|_| crate::not_a_path(&text.value(), text.span()))?;
                if mark.krate.replace((text.span(), path)).is_some() {
                    return duplicate();
                }
            }
            other => {
                let message = match did_you_mean(other, ARGUMENTS) {
                    Some(suggestion) => format!("unknown argument `{other}`; did you mean `{suggestion}`?"),
                    None => format!("unknown argument `{other}`; {EXPECTED}"),
                };
                return Err(syn::Error::new(span, message));
            }
        }
        Ok(())
    })?;
    mark.classifies = keys > usize::from(mark.krate.is_some());
    Ok(Some(mark))
}
