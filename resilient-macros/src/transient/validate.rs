//! Every rule on the markings: each variant classified once, arguments that fit together and
//! fit the variant's fields.

use syn::{Fields, Member};

use super::parse::{Input, Mark, Variant};

pub fn validate(input: &Input) -> syn::Result<()> {
    let mut errors: Vec<syn::Error> = Vec::new();
    if input.is_enum {
        check_container(input, &mut errors);
        if !errors.is_empty() {
            // The variants' classification depends on the container's; report that first.
            return Err(errors.remove(0));
        }
    }
    let has_default = input.container.iter().any(|mark| mark.default.is_some());
    for variant in &input.variants {
        // A struct's markings are on the type itself.
        let marks = if input.is_enum { &variant.marks } else { &input.container };
        let described = describe(input, variant);
        if let Err(error) = check_variant(input.is_enum, variant, marks, &described, has_default) {
            errors.push(error);
        }
    }
    errors
        .into_iter()
        .reduce(|mut all, next| {
            all.combine(next);
            all
        })
        .map_or(Ok(()), Err)
}

fn describe(input: &Input, variant: &Variant) -> String {
    if input.is_enum { format!("variant `{}`", variant.ident) } else { format!("struct `{}`", variant.ident) }
}

fn check_container(input: &Input, errors: &mut Vec<syn::Error>) {
    let mut default_seen = false;
    for mark in &input.container {
        let problem = if mark.permanent {
            Some(
                "`#[permanent]` goes on variants; to make every unmarked variant permanent, write `#[transient(default = permanent)]` on the enum",
            )
        } else if mark.default.is_none() {
            Some(
                "on an enum, `#[transient]` takes only `default`; mark each variant, or write `#[transient(default = transient)]` to classify unmarked variants",
            )
        } else if mark.throttled.is_some()
            || mark.delegate.is_some()
            || mark.with.is_some()
            || mark.retry_after.is_some()
        {
            Some(
                "on an enum, `#[transient]` takes only `default = permanent | transient`; put `throttled`, `retry_after`, `delegate` and `with` on variants",
            )
        } else if default_seen {
            Some("the enum's default is set twice; keep one `#[transient(default = ...)]`")
        } else {
            None
        };
        default_seen |= mark.default.is_some();
        if let Some(problem) = problem {
            errors.push(syn::Error::new(mark.span, problem));
        }
    }
}

fn check_variant(
    is_enum: bool,
    variant: &Variant,
    marks: &[Mark],
    described: &str,
    has_default: bool,
) -> syn::Result<()> {
    let mut marks = marks.iter();
    let Some(mark) = marks.next() else {
        if has_default {
            return Ok(());
        }
        let fix = if is_enum {
            "mark it `#[transient]`, `#[transient(throttled)]`, `#[transient(delegate)]` or `#[permanent]`, or add `#[transient(default = permanent)]` to the enum"
        } else {
            "mark it `#[transient]`, `#[transient(throttled)]`, `#[transient(delegate)]` or `#[permanent]`"
        };
        return Err(syn::Error::new(variant.ident.span(), format!("{described} is not classified; {fix}")));
    };
    if let Some(second) = marks.next() {
        return Err(syn::Error::new(
            second.span,
            format!("{described} is classified twice; keep one of its `#[transient]` / `#[permanent]` attributes"),
        ));
    }
    if let Some(default) = &mark.default {
        let fix = if is_enum {
            "put `#[transient(default = ...)]` on the enum itself"
        } else {
            "mark the struct `#[transient]` or `#[permanent]`"
        };
        return Err(syn::Error::new(
            default.span(),
            format!("`default` classifies the unmarked variants of an enum; {fix}"),
        ));
    }
    if let Some(span) = mark.delegate {
        if mark.throttled.is_some() || mark.with.is_some() || mark.retry_after.is_some() {
            return Err(syn::Error::new(
                span,
                "`delegate` classifies by the field's own `Transient` impl, so it stands alone; remove the other arguments",
            ));
        }
        return single_field(variant, described, "delegate", span);
    }
    if let Some(with) = &mark.with {
        if mark.throttled.is_some() || mark.retry_after.is_some() {
            return Err(syn::Error::new_spanned(
                with,
                "`with` returns the whole classification, so it stands alone; remove `throttled` and `retry_after`",
            ));
        }
        return single_field(variant, described, "with", syn::spanned::Spanned::span(with));
    }
    if let Some(member) = &mark.retry_after {
        if mark.throttled.is_none() {
            return Err(syn::Error::new_spanned(
                member,
                "`retry_after` needs `throttled`: write `#[transient(throttled, retry_after = ...)]`",
            ));
        }
        if !has_member(variant.fields, member) {
            let field = match member {
                Member::Named(name) => format!("`{name}`"),
                Member::Unnamed(index) => format!("`{}`", index.index),
            };
            let available = field_names(variant.fields);
            return Err(syn::Error::new_spanned(member, format!("{described} has no field {field}; {available}")));
        }
    }
    Ok(())
}

fn single_field(variant: &Variant, described: &str, argument: &str, span: proc_macro2::Span) -> syn::Result<()> {
    match variant.fields.len() {
        1 => Ok(()),
        n => Err(syn::Error::new(
            span,
            format!(
                "`{argument}` needs exactly one field to classify by, but {described} has {n}; wrap the fields in one type, or mark the variant `#[transient]` or `#[permanent]`"
            ),
        )),
    }
}

fn has_member(fields: &Fields, member: &Member) -> bool {
    match (fields, member) {
        (Fields::Named(named), Member::Named(name)) => named.named.iter().any(|f| f.ident.as_ref() == Some(name)),
        (Fields::Unnamed(unnamed), Member::Unnamed(index)) => (index.index as usize) < unnamed.unnamed.len(),
        _ => false,
    }
}

fn field_names(fields: &Fields) -> String {
    match fields {
        Fields::Named(named) => {
            let names: Vec<String> =
                named.named.iter().filter_map(|f| f.ident.as_ref()).map(|i| format!("`{i}`")).collect();
            format!("its fields are {}", names.join(", "))
        }
        Fields::Unnamed(unnamed) if unnamed.unnamed.len() == 1 => "its only field is `0`".to_owned(),
        Fields::Unnamed(unnamed) => format!("its fields are numbered `0` to `{}`", unnamed.unnamed.len() - 1),
        Fields::Unit => "it has no fields; add a `retry_after: Option<Duration>` field".to_owned(),
    }
}
