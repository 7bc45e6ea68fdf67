//! Implementation detail of [`resilient`](https://docs.rs/resilient): the `#[retry]` attribute
//! and `#[derive(Transient)]`. Depend on `resilient`, which re-exports both with their docs.

mod retry;
mod transient;

use proc_macro::TokenStream;

/// Retries a function that makes one attempt, under a policy.
///
/// Goes on an `async fn` or a plain `fn` returning `Result<T, E>` where `E: Transient` (or any
/// `E`, with `classify = path`): a free
/// function, an inherent or trait-impl method (`&self`, `&mut self`), with generics, lifetimes,
/// `where` clauses, `impl Trait` arguments and an `impl Trait` in `T` (not in `E`, which the
/// loop classifies by its type).
///
/// | form | policy |
/// | --- | --- |
/// | `#[retry]` | the policy named `default` (the registry's defaults unless one is registered) |
/// | `#[retry(policy = "graph")]` | the policy named `graph` in the installed `Registry` |
/// | `#[retry(max_attempts = 5, backoff = "fixed", initial_delay = "50ms")]` | inline: the configuration keys, checked at compile time |
/// | `#[retry(crate = "path::to::resilient", ...)]` | for a renamed or re-exported `resilient` |
///
/// With any of these forms, `classify = path` classifies the errors at this call site with
/// `fn path(error: &E) -> resilient::Classification` (or a closure `|error: &E| ...`) in place of
/// `E`'s `Transient` impl: for an error type this crate cannot implement `Transient` for
/// (`anyhow::Error`, `Box<dyn Error>`, another crate's type), or to overrule the impl at one
/// call site. An attempt that times out is transient whatever the classifier says.
///
/// And `operation = "name"` names the function in its events, counters and metrics, in place
/// of `module::path::function`: two methods of one name in one module (`get` on two clients,
/// or one trait method's implementations) are otherwise counted together.
///
/// Inline keys: `max_attempts` (an integer, or `"unbounded"` with `max_elapsed`), `backoff`
/// (`"immediate"`, `"fixed"`, `"incremental"`, `"exponential"`, `"decorrelated"`),
/// `initial_delay`, `increment`, `multiplier`, `jitter` (`"none"`, `"full"`, `"equal"`),
/// `max_delay`, `max_elapsed`, `attempt_timeout` and `nested` (`"single"`, `"retry"`).
/// Durations are strings such as `"250ms"` or `"1m 30s"`. A policy that breaks a rule (0
/// attempts, more than one immediate retry, an attempt timeout beyond the deadline…) does not
/// compile, with the message the runtime's policy builder gives for the same mistake. A key the
/// backoff ignores (`increment` without `"incremental"`, `multiplier` without
/// `"exponential"`, `jitter` with `"decorrelated"`, `initial_delay` or `jitter` with
/// `"immediate"`) compiles with a warning at the key, the configuration file's for the same
/// key.
///
/// Arguments: references are re-borrowed for each attempt, and so are a `Pin<&mut T>` and an
/// `Option<&mut T>` (by `Pin::as_mut` and `Option::as_deref_mut`; recognised by those names,
/// `std::pin::Pin` and the like included); a shared reference bound `mut` (`mut input: &[u8]`,
/// advanced as it is read, or `mut self: &Self`) starts each attempt as the caller passed it; owned
/// arguments are cloned for every attempt but the last, which gets the original (a non-`Clone`
/// owned argument is a compile error that suggests a reference). `self` by value (`self`,
/// `mut self`, `self: Arc<Self>`, `self: Box<Self>`) is an owned argument too, and the body's
/// `self`, by value, `self: Pin<&mut Self>` or `mut self: &Self`, is the attempt's own; to that
/// end the body's `self` is renamed, also inside a macro's input, which `dbg!` and a failed
/// `assert!` then print (`tracing`'s fields named `self`, `?self` included, keep the name; a
/// `#[tracing::instrument]` that reads `self` goes above `#[retry]`, and below it is a compile
/// error that says so). An argument's attributes keep their meaning: `#[allow(unused_variables)]`
/// or `#[expect(..)]` applies to the binding the body uses, and `#[cfg(..)]` removes the argument.
/// `return` and `?` in the body end the attempt, as they ended the call before, even where a macro
/// in the body writes them (anyhow's `bail!`). A result cannot borrow from a `&mut` argument
/// (`&mut self` included): each attempt re-borrows the argument, and today's borrow checker cannot
/// see that a failed attempt's borrow ended before the next one began (rust-lang/rust#54663).
/// Such a result (a `&mut`, or a `&T` with the argument's lifetime, elided or named, as
/// `fn get(&mut self) -> Result<&T, E>` has) is a compile error that says so; return
/// owned data, or an index or a key to borrow with after the call. The future is `Send` whenever
/// the body's is. Plain `fn`s wait with `std::thread::sleep`, which blocks the thread (from async
/// code, call one through `tokio::task::spawn_blocking`), and have no attempt timeout (an inline
/// `attempt_timeout` on one does not compile; `resilient::init()` warns of a named policy's). An
/// `async fn`'s inline `attempt_timeout` returns a timed-out attempt as a `resilient::Rejected`, so
/// its error type must implement `From<resilient::Rejected>` (a generic one needs that bound);
/// otherwise attempts are not timed, which is a warning on the `attempt_timeout` key and an error
/// of `resilient::init()`.
///
/// An `async fn` waits, and times its attempts, on tokio's timer, so it runs inside a tokio
/// runtime with its time driver (`#[tokio::main]`, `#[tokio::test]`, or a runtime built with
/// `enable_time()`). Polled by another executor, it does not panic: a call that has to wait
/// returns its last error instead of retrying, an attempt timeout is not kept, and an `ERROR`
/// event says why; a retry with no wait (`backoff = "immediate"`) still runs.
///
/// ```
/// use resilient::{retry, Transient};
///
/// #[derive(Debug, Transient)]
/// #[transient]
/// struct Busy;
///
/// struct Counter {
///     calls: u32,
/// }
///
/// impl Counter {
///     #[retry(max_attempts = 3, backoff = "fixed", initial_delay = "1ms")]
///     fn bump(&mut self) -> Result<u32, Busy> {
///         self.calls += 1;
///         if self.calls < 3 { Err(Busy) } else { Ok(self.calls) }
///     }
/// }
///
/// let mut counter = Counter { calls: 0 };
/// assert_eq!(counter.bump().unwrap(), 3);
/// ```
///
/// An error type that cannot implement `Transient`, classified at the call site (`anyhow::Error`
/// is classified the same way, through its `downcast_ref`):
///
/// ```
/// use std::{error::Error, io};
/// use resilient::{retry, Classification, Transient};
///
/// type BoxError = Box<dyn Error + Send + Sync>;
///
/// /// The I/O errors by their kind, anything else permanent.
/// fn classify(error: &BoxError) -> Classification {
///     match error.downcast_ref::<io::Error>() {
///         Some(io_error) => io_error.classify(),
///         None => Classification::Permanent,
///     }
/// }
///
/// #[retry(max_attempts = 3, backoff = "fixed", initial_delay = "1ms", classify = classify)]
/// fn read_config(attempts: &mut u32) -> Result<String, BoxError> {
///     *attempts += 1;
///     match *attempts {
///         1 => Err(io::Error::from(io::ErrorKind::ConnectionReset).into()),
///         _ => Err("no such key".into()),
///     }
/// }
///
/// let mut attempts = 0;
/// assert_eq!(read_config(&mut attempts).unwrap_err().to_string(), "no such key");
/// assert_eq!(attempts, 2); // the reset was retried; the missing key is permanent
/// ```
///
/// # Without the macro
///
/// The attribute writes no logic of its own: it wraps the body in a loop that asks the runtime
/// what to do at each step. For
///
/// ```ignore
/// #[retry(policy = "graph")]
/// async fn fetch(client: &Client, id: String) -> Result<Message, GraphError> { /* body */ }
/// ```
///
/// it generates, in essence (the runtime's hidden module is not a stable API):
///
/// ```ignore
/// fn fetch(client: &Client, id: String) -> impl Future<Output = Result<Message, GraphError>> {
///     let mut id_slot = Some(id);
///     async move {
///         static STATE: SiteState = SiteState::new(); // the site's policy cache and counters
///         static SITE: CallSite = CallSite::named("graph", concat!(module_path!(), "::fetch"), &STATE);
///         // ... and a link-time record of this call site, for `resilient::init()`.
///         let mut call = Call::<TokioClock>::begin(&SITE); // the policy, from the site's cache
///         loop {
///             let id = take_or_clone(&mut id_slot, call.is_last_attempt());
///             if let Err(refusal) = call.start_attempt(&SITE, E_HOLDS_REJECTED) {
///                 return refusal.into_result(&SITE, REJECTED_INTO_E); // the breaker is open
///             }
///             let result: Result<Message, GraphError> = call
///                 .attempt(&SITE, E_HOLDS_REJECTED, async { /* body */ }, TIMED_OUT_INTO_E)
///                 .await; // attempt timeout, one layer of retries
///             if result.is_ok() {
///                 call.passed(&SITE); // counts it; the success is returned as the body left it
///                 return result;
///             }
///             match call.after(&SITE, result, E_AS_TEXT) {
///                 Step::Done(result) => return result,              // give up
///                 Step::Wait(delay) => call.wait(delay).await,       // backoff, Retry-After, deadline
///             }
///         }
///     }
/// }
/// ```
///
/// An `async fn` is written out as the `fn` returning `impl Future` that it stands for, so
/// rustdoc shows it that way. Callers see no difference: the future captures every lifetime of
/// the arguments, as an `async fn`'s does (in edition 2021 crates too), and does nothing until
/// it is first polled. It is smaller, because an `async fn` keeps each of its arguments twice
/// (rust-lang/rust#62958) and an `async move` block keeps them once.
///
#[proc_macro_attribute]
pub fn retry(args: TokenStream, item: TokenStream) -> TokenStream {
    retry::expand(args.into(), item.into()).into()
}

/// Derives `Transient` for an enum or a struct from markings on each variant.
///
/// | attribute | on | classification |
/// | --- | --- | --- |
/// | `#[transient]` | variant / struct | always transient |
/// | `#[transient(throttled)]` | variant / struct | throttled, no server delay |
/// | `#[transient(throttled, retry_after = field)]` | variant / struct | throttled; `field` (a name or a tuple index) is `Duration` or `Option<Duration>` |
/// | `#[transient(delegate)]` | single-field variant | the field's own `Transient` classification |
/// | `#[transient(with = path)]` | single-field variant | `path(&field) -> Classification` |
/// | `#[permanent]` | variant / struct | never retried |
/// | `#[transient(default = permanent)]`, `(default = transient)` | enum | unmarked variants |
/// | `#[transient(crate = "path::to::resilient")]` | enum / struct | nothing: where `resilient` is, when renamed or re-exported |
///
/// Without a `default`, every variant must be marked: an unmarked variant is a compile error
/// naming it, so adding a variant forces a decision, as `match` does. Works beside
/// `#[derive(thiserror::Error)]` and on generic types (a delegated `T` must be `Transient`).
///
/// ```
/// use std::time::Duration;
/// use resilient::{Classification, Transient};
/// # mod http_client { #[derive(Debug)] pub struct Error { pub status: u16 } }
///
/// #[derive(Debug, Transient)]
/// #[transient(default = permanent)]
/// enum ApiError {
///     #[transient(throttled, retry_after = 0)]
///     TooManyRequests(Option<Duration>),
///     #[transient(delegate)]
///     Io(std::io::Error),
///     // Another crate's error cannot implement `Transient` here: a function classifies it.
///     #[transient(with = by_status)]
///     Http(http_client::Error),
///     BadRequest,
/// }
///
/// fn by_status(error: &http_client::Error) -> Classification {
///     Classification::from_http_status(error.status, None)
/// }
///
/// let throttled = ApiError::TooManyRequests(Some(Duration::from_secs(2)));
/// assert_eq!(throttled.classify(), Classification::Throttled { retry_after: Some(Duration::from_secs(2)) });
/// assert_eq!(ApiError::Http(http_client::Error { status: 502 }).classify(), Classification::Transient);
/// assert_eq!(ApiError::BadRequest.classify(), Classification::Permanent);
/// ```
///
/// # Without the macro
///
/// ```
/// # use std::time::Duration;
/// # use resilient::{Classification, Transient};
/// # mod http_client { pub struct Error { pub status: u16 } }
/// # fn by_status(error: &http_client::Error) -> Classification { Classification::from_http_status(error.status, None) }
/// # enum ApiError { TooManyRequests(Option<Duration>), Io(std::io::Error), Http(http_client::Error), BadRequest }
/// impl Transient for ApiError {
///     fn classify(&self) -> Classification {
///         match self {
///             ApiError::TooManyRequests(retry_after) => Classification::Throttled { retry_after: *retry_after },
///             ApiError::Io(error) => error.classify(),
///             ApiError::Http(error) => by_status(error),
///             ApiError::BadRequest => Classification::Permanent,
///         }
///     }
/// }
/// ```
#[proc_macro_derive(Transient, attributes(transient, permanent))]
pub fn derive_transient(input: TokenStream) -> TokenStream {
    transient::expand(input.into()).into()
}

/// What `crate = "..."` takes, in both macros' errors.
const CRATE_EXPECTS_A_PATH: &str = "`crate` expects a path as a string, e.g. `crate = \"my_resilient\"`";

/// The error for a `crate = "..."` whose string `text`, written at `span`, is not a path.
fn not_a_path(text: &str, span: proc_macro2::Span) -> syn::Error {
    syn::Error::new(span, format!("`{text}` is not a path; write e.g. `crate = \"my_resilient\"`"))
}

/// `tokens` with every span set to `span`, so that an error in them is reported there.
fn respan(tokens: proc_macro2::TokenStream, span: proc_macro2::Span) -> proc_macro2::TokenStream {
    tokens
        .into_iter()
        .map(|token| match token {
            proc_macro2::TokenTree::Group(group) => {
                let mut inner = proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                proc_macro2::TokenTree::Group(inner)
            }
            mut other => {
                other.set_span(span);
                other
            }
        })
        .collect()
}
