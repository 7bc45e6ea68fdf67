//! `#[retry]` on every function shape users write, run under the paused clock: each shape
//! retries the right number of times, waits the policy's delays, and keeps the meaning of
//! `return`, `?`, references and owned arguments.

use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::Duration;

use resilient::retry;
use tokio::time::Instant;

mod common;
use common::{Error, Unavailable as Plain};

/// Fails with `Unavailable` until the counter reaches `succeed_on`.
fn flaky(calls: &AtomicU32, succeed_on: u32) -> Result<u32, Error> {
    let n = calls.fetch_add(1, SeqCst) + 1;
    if n >= succeed_on { Ok(n) } else { Err(Error::Unavailable) }
}

/// A free async fn with a shared reference.
#[retry(max_attempts = 4, backoff = "fixed", initial_delay = "100ms", jitter = "none")]
async fn free_async(calls: &AtomicU32, succeed_on: u32) -> Result<u32, Error> {
    tokio::task::yield_now().await;
    flaky(calls, succeed_on)
}

#[tokio::test(start_paused = true)]
async fn a_free_async_fn_retries_with_the_policy_delays() {
    let calls = AtomicU32::new(0);
    let start = Instant::now();
    assert_eq!(free_async(&calls, 3).await, Ok(3));
    assert_eq!(start.elapsed(), Duration::from_millis(200));
    let calls = AtomicU32::new(0);
    assert_eq!(free_async(&calls, 10).await, Err(Error::Unavailable));
    assert_eq!(calls.load(SeqCst), 4);
}

#[retry(max_attempts = 3, backoff = "fixed", initial_delay = "1ms")]
fn free_blocking(calls: &AtomicU32, succeed_on: u32) -> Result<u32, Error> {
    flaky(calls, succeed_on)
}

#[test]
fn a_plain_fn_retries() {
    let calls = AtomicU32::new(0);
    assert_eq!(free_blocking(&calls, 2), Ok(2));
    let calls = AtomicU32::new(0);
    assert_eq!(free_blocking(&calls, 9), Err(Error::Unavailable));
    assert_eq!(calls.load(SeqCst), 3);
}

/// Owned arguments are cloned for every attempt but the last, which gets the original.
#[derive(Debug)]
struct Counted<'a> {
    clones: &'a AtomicU32,
}

impl Clone for Counted<'_> {
    fn clone(&self) -> Self {
        self.clones.fetch_add(1, SeqCst);
        Counted { clones: self.clones }
    }
}

/// Each attempt's binding shadows its argument: clippy's opt-in `shadow_unrelated` must not
/// blame the argument for it (CI's clippy denies warnings).
#[retry(max_attempts = 3, backoff = "fixed", initial_delay = "10ms")]
#[warn(clippy::shadow_unrelated)]
async fn owned_argument(token: Counted<'_>, label: String, calls: &AtomicU32) -> Result<String, Error> {
    let _consumed: Counted<'_> = token;
    flaky(calls, 99).map(|_| label)
}

#[tokio::test(start_paused = true)]
async fn owned_arguments_are_cloned_for_all_attempts_but_the_last() {
    let (clones, calls) = (AtomicU32::new(0), AtomicU32::new(0));
    let result = owned_argument(Counted { clones: &clones }, "label".to_owned(), &calls).await;
    assert_eq!(result, Err(Error::Unavailable));
    assert_eq!(calls.load(SeqCst), 3);
    assert_eq!(clones.load(SeqCst), 2, "3 attempts need 2 clones");
}

/// A function a `macro_rules!` writes, with an owned argument its caller names: macro hygiene
/// lets that name resolve only with the caller's span, which the loop must keep. The types and
/// the policy's values come from the caller too, each in the invisible group a macro wraps a
/// fragment in: `$log_type` must still be seen as a `&mut`, re-borrowed, not cloned.
macro_rules! retried_len {
    (
        $name:ident($argument:ident: $argument_type:ty, $log_type:ty) -> $result:ty,
        $attempts:literal,
        $backoff:expr
    ) => {
        #[retry(max_attempts = $attempts, backoff = $backoff)]
        fn $name($argument: $argument_type, log: $log_type, calls: &AtomicU32) -> $result {
            log.push($argument.len());
            flaky(calls, 2).map(|_| log.iter().sum())
        }
    };
}

retried_len!(text_len(text: String, &mut Vec<usize>) -> Result<usize, Error>, 2, "immediate");

#[test]
fn a_function_a_macro_writes_from_its_callers_names_and_types_retries() {
    let (calls, mut log) = (AtomicU32::new(0), Vec::new());
    assert_eq!(text_len("abc".to_owned(), &mut log, &calls), Ok(6));
    assert_eq!(log, [3, 3], "both attempts wrote to the caller's log");
}

struct Client {
    calls: AtomicU32,
    log: Vec<String>,
}

impl Client {
    #[retry(max_attempts = 3, backoff = "fixed", initial_delay = "10ms")]
    async fn by_ref(&self, succeed_on: u32) -> Result<u32, Error> {
        flaky(&self.calls, succeed_on)
    }

    /// `&mut self` is re-borrowed for each attempt.
    #[retry(max_attempts = 3, backoff = "fixed", initial_delay = "10ms")]
    async fn by_mut(&mut self, entry: &str) -> Result<usize, Error> {
        self.log.push(entry.to_owned());
        if self.log.len() < 3 { Err(Error::Unavailable) } else { Ok(self.log.len()) }
    }

    #[retry(max_attempts = 3, backoff = "fixed", initial_delay = "1ms")]
    fn blocking_mut(&mut self, buffer: &mut Vec<u8>) -> Result<usize, Error> {
        buffer.push(1);
        self.log.push("blocking".to_owned());
        if buffer.len() < 2 { Err(Error::Unavailable) } else { Ok(buffer.len()) }
    }
}

#[tokio::test(start_paused = true)]
async fn methods_re_borrow_self_for_each_attempt() {
    let mut client = Client { calls: AtomicU32::new(0), log: Vec::new() };
    assert_eq!(client.by_ref(2).await, Ok(2));
    assert_eq!(client.by_mut("x").await, Ok(3));
    let mut buffer = Vec::new();
    assert_eq!(client.blocking_mut(&mut buffer), Ok(2));
    assert_eq!(client.log.len(), 5);
}

/// A `Pin<&mut T>` or an `Option<&mut T>` is not `Clone`, but re-borrows as a `&mut T` does:
/// `Pin::as_mut` and `Option::as_deref_mut` for each attempt.
struct Connection {
    attempts: u32,
}

impl Connection {
    #[retry(max_attempts = 3, backoff = "fixed", initial_delay = "10ms")]
    async fn send(mut self: Pin<&mut Self>, log: Option<&mut Vec<u32>>) -> Result<u32, Error> {
        self.attempts += 1;
        if let Some(log) = log {
            log.push(self.attempts);
        }
        if self.attempts % 3 == 0 { Ok(self.attempts) } else { Err(Error::Unavailable) }
    }

    #[retry(max_attempts = 2, backoff = "immediate")]
    fn reset(mut self: Pin<&mut Self>) -> Result<u32, Error> {
        let attempts = std::mem::take(&mut self.attempts);
        if attempts == 0 { Ok(attempts) } else { Err(Error::Unavailable) }
    }
}

#[retry(max_attempts = 3, backoff = "fixed", initial_delay = "10ms")]
async fn first_ready(mut ticks: Pin<&mut (dyn Stream + Send)>, seen: Option<&mut u32>) -> Result<u32, Error> {
    let tick = ticks.as_mut().next().await;
    if let Some(seen) = seen {
        *seen += 1;
    }
    if tick >= 2 { Ok(tick) } else { Err(Error::Unavailable) }
}

/// A stream of numbers, just enough of one to take a pinned `&mut` to.
trait Stream {
    fn next(self: Pin<&mut Self>) -> std::future::Ready<u32>;
}

impl Stream for u32 {
    fn next(mut self: Pin<&mut Self>) -> std::future::Ready<u32> {
        *self += 1;
        std::future::ready(*self)
    }
}

#[retry(max_attempts = 3, backoff = "fixed", initial_delay = "1ms")]
fn blocking_optional(log: Option<&mut Vec<u32>>, unused: std::option::Option<&mut u8>) -> Result<usize, Error> {
    assert!(unused.is_none());
    let log = log.expect("passed");
    log.push(1);
    if log.len() < 2 { Err(Error::Unavailable) } else { Ok(log.len()) }
}

#[tokio::test(start_paused = true)]
async fn pinned_and_optional_unique_references_are_re_borrowed_for_each_attempt() {
    let mut connection = Box::pin(Connection { attempts: 0 });
    let mut log = Vec::new();
    assert_eq!(connection.as_mut().send(Some(&mut log)).await, Ok(3));
    assert_eq!(log, [1, 2, 3], "every attempt wrote to the same log");
    assert_eq!(connection.as_mut().send(None).await, Ok(6));
    assert_eq!(connection.as_mut().reset(), Ok(0), "the second attempt saw the first one's reset");

    let mut ticks = 0_u32;
    let mut seen = 0;
    let stream: Pin<&mut (dyn Stream + Send)> = Pin::new(&mut ticks) as Pin<&mut u32>;
    assert_eq!(first_ready(stream, Some(&mut seen)).await, Ok(2));
    assert_eq!((ticks, seen), (2, 2), "both attempts advanced the same stream");

    let mut log = Vec::new();
    assert_eq!(blocking_optional(Some(&mut log), None), Ok(2));
}

/// A handle taken by value: `self` is an owned argument, cloned for every attempt but the last.
#[derive(Clone, Debug)]
struct Handle<'a> {
    /// Counts the handle's clones.
    _token: Counted<'a>,
    calls: &'a AtomicU32,
    sent: Vec<&'static str>,
}

impl Handle<'_> {
    /// Each attempt changes its own `self`: the next one starts from a fresh clone.
    #[retry(max_attempts = 3, backoff = "fixed", initial_delay = "10ms")]
    async fn send(mut self, message: &'static str) -> Result<Vec<&'static str>, Error> {
        self.sent.push(message);
        let calls = self.calls;
        flaky(calls, 3).map(|_| self.sent)
    }

    /// The same with a plain `fn`, naming `self` inside a macro, a format string and a closure.
    #[retry(max_attempts = 2, backoff = "immediate")]
    fn describe(self) -> Result<String, Error> {
        let sent = || self.sent.len();
        flaky(self.calls, 2).map(|n| format!("attempt {n}, {} sent, {:?}: {self}", sent(), self.sent))
    }

    #[retry(max_attempts = 2, backoff = "immediate")]
    async fn shared(self: std::sync::Arc<Self>) -> Result<usize, Error> {
        flaky(self.calls, 2).map(|_| std::sync::Arc::strong_count(&self))
    }
}

impl std::fmt::Display for Handle<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.sent.join(", "))
    }
}

#[tokio::test(start_paused = true)]
async fn self_by_value_is_cloned_for_all_attempts_but_the_last() {
    let (clones, calls) = (AtomicU32::new(0), AtomicU32::new(0));
    let handle = Handle { _token: Counted { clones: &clones }, calls: &calls, sent: vec!["hello"] };
    assert_eq!(handle.clone().send("again").await, Ok(vec!["hello", "again"]));
    assert_eq!(calls.load(SeqCst), 3);
    // One clone made here, two for the first two attempts; the third got the original.
    assert_eq!(clones.load(SeqCst), 3);

    calls.store(0, SeqCst);
    assert_eq!(handle.clone().describe(), Ok(r#"attempt 2, 1 sent, ["hello"]: hello"#.to_owned()));

    calls.store(0, SeqCst);
    let shared = std::sync::Arc::new(handle);
    // The last attempt holds the caller's `Arc`, the test its own clone.
    assert_eq!(std::sync::Arc::clone(&shared).shared().await, Ok(2));
}

trait Store {
    async fn get(&self, key: &str) -> Result<String, Error>;
}

struct Remote {
    calls: AtomicU32,
}

impl Store for Remote {
    #[retry(max_attempts = 5, backoff = "fixed", initial_delay = "10ms")]
    async fn get(&self, key: &str) -> Result<String, Error> {
        flaky(&self.calls, 4).map(|n| format!("{key}:{n}"))
    }
}

#[tokio::test(start_paused = true)]
async fn trait_impl_async_methods_retry() {
    let remote = Remote { calls: AtomicU32::new(0) };
    assert_eq!(remote.get("k").await, Ok("k:4".to_owned()));
}

/// A provided method: the default body retries for every implementor that keeps it.
trait Cache {
    fn calls(&self) -> &AtomicU32;

    #[retry(max_attempts = 3, backoff = "fixed", initial_delay = "10ms")]
    async fn fetch(&self, key: &str) -> Result<String, Error> {
        flaky(self.calls(), 2).map(|n| format!("{key}:{n}"))
    }
}

impl Cache for Remote {
    fn calls(&self) -> &AtomicU32 {
        &self.calls
    }
}

#[tokio::test(start_paused = true)]
async fn provided_trait_methods_retry() {
    let remote = Remote { calls: AtomicU32::new(0) };
    assert_eq!(Cache::fetch(&remote, "k").await, Ok("k:2".to_owned()));
}

#[tokio::test(start_paused = true)]
async fn calling_does_nothing_until_the_future_is_polled() {
    let calls = AtomicU32::new(0);
    let future = free_async(&calls, 1);
    assert_eq!(calls.load(SeqCst), 0);
    drop(future);
    assert_eq!(calls.load(SeqCst), 0);
    assert_eq!(free_async(&calls, 1).await, Ok(1));
}

/// Generics, a lifetime, a where clause and an `impl Trait` argument.
#[retry(max_attempts = 3, backoff = "fixed", initial_delay = "10ms")]
async fn generic<'a, T, K>(items: &'a [T], key: impl AsRef<str> + Clone, calls: &AtomicU32) -> Result<&'a T, Error>
where
    T: PartialEq<K> + Sync,
    K: ?Sized,
{
    let _ = key.as_ref();
    flaky(calls, 2)?;
    items.first().ok_or(Error::BadRequest)
}

#[tokio::test(start_paused = true)]
async fn generic_functions_retry() {
    let calls = AtomicU32::new(0);
    let items = [1u8, 2];
    assert_eq!(generic::<u8, u8>(&items, "key", &calls).await, Ok(&1));
    assert_eq!(calls.load(SeqCst), 2);
}

/// `?` and an early `return` leave the attempt, not the loop.
#[retry(max_attempts = 3, backoff = "fixed", initial_delay = "10ms")]
async fn early_exits(calls: &AtomicU32, permanent: bool) -> Result<&'static str, Error> {
    if permanent {
        return Err(Error::BadRequest);
    }
    flaky(calls, 3)?;
    Ok("done")
}

#[tokio::test(start_paused = true)]
async fn return_and_question_mark_end_one_attempt() {
    let calls = AtomicU32::new(0);
    assert_eq!(early_exits(&calls, false).await, Ok("done"));
    assert_eq!(calls.load(SeqCst), 3);
    assert_eq!(early_exits(&calls, true).await, Err(Error::BadRequest));
}

/// A `return` or `?` that a macro writes, as anyhow's `bail!` and `ensure!` do: `#[retry]`
/// cannot see into the macro's expansion, so only a body run as a block of its own (an
/// `async` block, a closure) keeps such an exit to the one attempt.
macro_rules! fail_unless {
    ($condition:expr, $error:expr) => {
        if !$condition {
            return Err($error);
        }
    };
}

/// Succeeds from the third attempt on.
macro_rules! step {
    ($attempt:expr) => {
        (if $attempt >= 3 { Ok($attempt) } else { Err(Error::Unavailable) })?
    };
}

#[retry(max_attempts = 3, backoff = "fixed", initial_delay = "10ms", jitter = "none")]
async fn macro_exits(attempts: &AtomicU32, ready: bool) -> Result<u32, Error> {
    let attempt = attempts.fetch_add(1, SeqCst) + 1;
    fail_unless!(ready, Error::Unavailable);
    Ok(step!(attempt))
}

#[retry(max_attempts = 3, backoff = "fixed", initial_delay = "1ms")]
fn macro_exits_blocking(attempts: &AtomicU32, ready: bool) -> Result<u32, Error> {
    let attempt = attempts.fetch_add(1, SeqCst) + 1;
    fail_unless!(ready, Error::Unavailable);
    Ok(step!(attempt))
}

#[tokio::test(start_paused = true)]
async fn a_return_or_question_mark_a_macro_writes_ends_one_attempt() {
    for ready in [true, false] {
        let (attempts, start) = (AtomicU32::new(0), Instant::now());
        let expected = if ready { Ok(3) } else { Err(Error::Unavailable) };
        assert_eq!(macro_exits(&attempts, ready).await, expected);
        assert_eq!(attempts.load(SeqCst), 3);
        assert_eq!(start.elapsed(), Duration::from_millis(20), "two waits");

        let attempts = AtomicU32::new(0);
        assert_eq!(macro_exits_blocking(&attempts, ready), expected);
        assert_eq!(attempts.load(SeqCst), 3);
    }
}

/// Patterns in argument position are bound afresh for each attempt.
#[retry(max_attempts = 2, backoff = "fixed", initial_delay = "10ms")]
async fn patterns((a, b): (u32, u32), mut total: u32, _: &str) -> Result<u32, Error> {
    total += a + b;
    if total < 10 { Err(Error::Unavailable) } else { Ok(total) }
}

#[tokio::test(start_paused = true)]
async fn argument_patterns_are_rebound_each_attempt() {
    // Each attempt starts from the caller's `total`, not the previous attempt's.
    assert_eq!(patterns((1, 2), 3, "x").await.unwrap_err(), Error::Unavailable);
    assert_eq!(patterns((5, 5), 3, "x").await, Ok(13));
}

/// A shared reference the body may rebind, as a writer advances through its input: each
/// attempt starts from the caller's reference, as it would if the caller called again.
#[retry(max_attempts = 3, backoff = "fixed", initial_delay = "10ms")]
async fn send_all(mut input: &[u8], chunk: usize, calls: &AtomicU32) -> Result<Vec<u8>, Error> {
    let attempt = calls.fetch_add(1, SeqCst);
    let mut wire = Vec::new();
    while !input.is_empty() {
        let n = chunk.min(input.len());
        wire.extend_from_slice(&input[..n]);
        input = &input[n..];
        if attempt < 2 {
            return Err(Error::Unavailable); // the connection drops after one chunk
        }
    }
    Ok(wire)
}

/// A mutable binding inside a reference pattern, copied out of the caller's value.
#[retry(max_attempts = 2, backoff = "fixed", initial_delay = "10ms")]
async fn countdown(&(mut left, step): &(u32, u32), calls: &AtomicU32) -> Result<u32, Error> {
    left -= step;
    if calls.fetch_add(1, SeqCst) == 0 { Err(Error::Unavailable) } else { Ok(left) }
}

/// The same in a plain `fn`.
#[retry(max_attempts = 2, backoff = "fixed", initial_delay = "1ms")]
fn skip_header(mut line: &str, header: &str, calls: &AtomicU32) -> Result<String, Error> {
    line = line.strip_prefix(header).ok_or(Error::BadRequest)?;
    if calls.fetch_add(1, SeqCst) == 0 { Err(Error::Unavailable) } else { Ok(line.to_owned()) }
}

/// A list whose walk rebinds `self`: each attempt starts from the node it was called on.
struct Node {
    id: u32,
    next: Option<Box<Node>>,
}

impl Node {
    // `mut self: &Self` is the only way to write a rebindable shared `self` (clippy's `mut &self`
    // does not parse).
    #[allow(clippy::needless_arbitrary_self_type)]
    #[retry(max_attempts = 2, backoff = "fixed", initial_delay = "10ms")]
    async fn first_two(mut self: &Self, calls: &AtomicU32) -> Result<(u32, u32), Error> {
        let first = self.id;
        if let Some(next) = &self.next {
            self = next;
        }
        if calls.fetch_add(1, SeqCst) == 0 { Err(Error::Unavailable) } else { Ok((first, self.id)) }
    }
}

#[tokio::test(start_paused = true)]
async fn a_rebound_shared_reference_starts_each_attempt_from_the_callers() {
    let calls = AtomicU32::new(0);
    assert_eq!(send_all(b"0123456789", 4, &calls).await, Ok(b"0123456789".to_vec()));
    assert_eq!(calls.load(SeqCst), 3);
    assert_eq!(countdown(&(10, 3), &AtomicU32::new(0)).await, Ok(7));
    // Had the second attempt started from the first's `line`, its header would be gone.
    assert_eq!(skip_header("> hello", "> ", &AtomicU32::new(0)), Ok("hello".to_owned()));
    let list = Node { id: 1, next: Some(Box::new(Node { id: 2, next: Some(Box::new(Node { id: 3, next: None })) })) };
    assert_eq!(list.first_two(&AtomicU32::new(0)).await, Ok((1, 2)));
}

#[tokio::test(start_paused = true)]
async fn the_future_is_send_and_can_be_spawned() {
    static CALLS: AtomicU32 = AtomicU32::new(0);
    let task = tokio::spawn(async { free_async(&CALLS, 2).await });
    assert_eq!(task.await.unwrap(), Ok(2));
}

/// The error type needs neither `Display` nor `From<Rejected>`.
#[retry(max_attempts = 2, backoff = "fixed", initial_delay = "10ms")]
async fn plain_error(calls: &AtomicU32) -> Result<(), Plain> {
    calls.fetch_add(1, SeqCst);
    Err(Plain)
}

#[tokio::test(start_paused = true)]
async fn error_types_without_display_work() {
    let calls = AtomicU32::new(0);
    assert_eq!(plain_error(&calls).await, Err(Plain));
    assert_eq!(calls.load(SeqCst), 2);
}

/// An attempt that takes a minute, far past the timeouts below.
async fn take_a_minute(calls: &AtomicU32) {
    calls.fetch_add(1, SeqCst);
    tokio::time::sleep(Duration::from_secs(60)).await;
}

/// A slow attempt is cut by `attempt_timeout`, and the error type holds the rejection.
#[retry(max_attempts = 2, backoff = "fixed", initial_delay = "10ms", jitter = "none", attempt_timeout = "1s")]
async fn slow(calls: &AtomicU32) -> Result<(), Error> {
    take_a_minute(calls).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn attempt_timeouts_become_rejections() {
    let calls = AtomicU32::new(0);
    let start = Instant::now();
    let result = slow(&calls).await;
    assert_eq!(result, Err(Error::Rejected(resilient::Rejected::AttemptTimedOut { timeout: Duration::from_secs(1) })));
    assert_eq!(calls.load(SeqCst), 2);
    assert_eq!(start.elapsed(), Duration::from_millis(2010));
}

/// `io::Result` holds a rejection too: a timed-out attempt is a `TimedOut` I/O error.
#[retry(max_attempts = 2, backoff = "fixed", initial_delay = "10ms", jitter = "none", attempt_timeout = "1s")]
async fn slow_io(calls: &AtomicU32) -> std::io::Result<()> {
    take_a_minute(calls).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn io_results_hold_attempt_timeouts() {
    let calls = AtomicU32::new(0);
    let error = slow_io(&calls).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
    let rejected = error.get_ref().and_then(|inner| inner.downcast_ref::<resilient::Rejected>());
    assert_eq!(rejected, Some(&resilient::Rejected::AttemptTimedOut { timeout: Duration::from_secs(1) }));
    assert_eq!(calls.load(SeqCst), 2, "the timed-out attempt was retried: TimedOut is transient");
}

/// An error type that keeps a rejection only as text, in a variant it calls permanent.
#[derive(Debug, PartialEq, resilient::Transient)]
#[permanent]
struct Described(String);

impl From<resilient::Rejected> for Described {
    fn from(rejected: resilient::Rejected) -> Self {
        Described(rejected.to_string())
    }
}

#[retry(max_attempts = 3, backoff = "fixed", initial_delay = "10ms", jitter = "none", attempt_timeout = "1s")]
async fn slow_described(calls: &AtomicU32) -> Result<(), Described> {
    take_a_minute(calls).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_attempt_is_transient_whatever_its_error_says() {
    let calls = AtomicU32::new(0);
    let result = slow_described(&calls).await;
    assert_eq!(result, Err(Described("attempt timed out after 1s".to_owned())));
    assert_eq!(calls.load(SeqCst), 3, "each timeout was retried, though `Described` is permanent");
}

/// Times out once, then fails with a permanent error of its own.
#[retry(max_attempts = 3, backoff = "fixed", initial_delay = "10ms", jitter = "none", attempt_timeout = "1s")]
async fn slow_then_refused(calls: &AtomicU32) -> Result<(), Described> {
    if calls.load(SeqCst) == 0 {
        take_a_minute(calls).await;
    }
    calls.fetch_add(1, SeqCst);
    Err(Described("refused".to_owned()))
}

#[tokio::test(start_paused = true)]
async fn only_the_attempt_that_timed_out_is_made_transient() {
    let calls = AtomicU32::new(0);
    assert_eq!(slow_then_refused(&calls).await, Err(Described("refused".to_owned())));
    assert_eq!(calls.load(SeqCst), 2, "the permanent error after the timeout ended the call");
}

/// Bodies that never reach their end compile without a warning, as they do without
/// `#[retry]` (CI's clippy denies warnings): a stub being written, and a body whose last
/// statement is a `return`.
#[retry(max_attempts = 2, backoff = "immediate")]
async fn stub(calls: &AtomicU32) -> Result<u32, Error> {
    calls.fetch_add(1, SeqCst);
    todo!("call the service")
}

#[retry(max_attempts = 2, backoff = "immediate")]
async fn ends_in_a_return(calls: &AtomicU32) -> Result<u32, Error> {
    return flaky(calls, 2);
}

#[tokio::test]
#[should_panic(expected = "not yet implemented: call the service")]
async fn a_stub_compiles_cleanly_and_panics() {
    let _ = stub(&AtomicU32::new(0)).await;
}

#[tokio::test]
async fn a_body_ending_in_a_return_is_retried() {
    assert_eq!(ends_in_a_return(&AtomicU32::new(0)).await, Ok(2));
}

/// Under `#[tracing::instrument]`, each attempt runs inside the function's span, owned
/// arguments or not.
#[retry(max_attempts = 2, backoff = "immediate")]
#[tracing::instrument(skip_all)]
async fn instrumented(label: String, calls: &AtomicU32) -> Result<String, Error> {
    flaky(calls, 2)?;
    Ok(format!("{label} in {:?}", tracing::Span::current().metadata().map(|span| span.name())))
}

#[tokio::test(start_paused = true)]
async fn attempts_run_inside_an_instrument_span() {
    let _subscriber = tracing::subscriber::set_default(tracing_subscriber::registry());
    let calls = AtomicU32::new(0);
    assert_eq!(instrumented("call".to_owned(), &calls).await, Ok("call in Some(\"instrumented\")".to_owned()));
    assert_eq!(calls.load(SeqCst), 2);
}

/// An `impl Trait` success type: the loop leaves it to the body's value, as the signature does.
#[retry(max_attempts = 3, backoff = "fixed", initial_delay = "100ms", jitter = "none", attempt_timeout = "1s")]
async fn above<'a>(
    list: &'a [u32],
    floor: u32,
    calls: &AtomicU32,
) -> Result<impl Iterator<Item = &'a u32> + 'a, Error> {
    flaky(calls, 2)?;
    Ok(list.iter().filter(move |item| **item > floor))
}

#[tokio::test(start_paused = true)]
async fn an_impl_trait_success_type_is_returned_after_retries() {
    let calls = AtomicU32::new(0);
    let start = Instant::now();
    let list = [1, 5, 2, 8];
    let found: Vec<_> = above(&list, 2, &calls).await.unwrap().collect();
    assert_eq!(found, [&5, &8]);
    assert_eq!((calls.load(SeqCst), start.elapsed()), (2, Duration::from_millis(100)));
}

/// A plain `fn`, through an alias, with the `impl Trait` inside a tuple.
#[retry(max_attempts = 2, backoff = "immediate")]
fn described(calls: &AtomicU32) -> std::io::Result<(u32, impl std::fmt::Display)> {
    let n = calls.fetch_add(1, SeqCst) + 1;
    if n < 2 { Err(std::io::ErrorKind::ConnectionReset.into()) } else { Ok((n, format!("attempt {n}"))) }
}

#[test]
fn a_plain_fn_returns_an_impl_trait_through_an_alias() {
    let calls = AtomicU32::new(0);
    let (n, text) = described(&calls).unwrap();
    assert_eq!((n, text.to_string()), (2, "attempt 2".to_owned()));
}
