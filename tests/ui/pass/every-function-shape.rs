//! Every function shape `#[retry]` accepts compiles, and the async futures are `Send`.

use std::time::Duration;

use resilient::{retry, Transient};

#[derive(Debug, thiserror::Error, Transient)]
enum Error {
    #[error("throttled")]
    #[transient(throttled, retry_after = 0)]
    Throttled(Option<Duration>),
    #[error(transparent)]
    #[transient(delegate)]
    Rejected(#[from] resilient::Rejected),
}

/// A doc comment and other attributes are kept.
#[retry]
#[allow(clippy::unused_async)]
async fn free_async(id: &str) -> Result<usize, Error> {
    Ok(id.len())
}

#[retry(policy = "graph")]
fn free_blocking(id: &str) -> Result<usize, Error> {
    Ok(id.len())
}

#[retry(max_attempts = 5, backoff = "decorrelated", initial_delay = "10ms", max_delay = "1s", max_elapsed = "10s", attempt_timeout = "2s", nested = "retry")]
async fn every_key(owned: String, list: Vec<u8>) -> Result<usize, Error> {
    Ok(owned.len() + list.len())
}

#[retry(max_attempts = "unbounded", max_elapsed = "1m", backoff = "incremental", increment = "50ms", jitter = "equal")]
fn unbounded(counter: &mut u32) -> Result<u32, Error> {
    *counter += 1;
    Ok(*counter)
}

#[retry(backoff = "exponential", multiplier = 1.5, jitter = "none")]
async fn float_multiplier() -> Result<(), Error> {
    Ok(())
}

#[derive(Clone)]
struct Client {
    calls: u32,
}

impl Client {
    #[retry]
async fn shared(&self, id: &str) -> Result<u32, Error> {
        Ok(self.calls + id.len() as u32)
    }

    #[retry]
async fn unique(&mut self) -> Result<u32, Error> {
        self.calls += 1;
        Ok(self.calls)
    }

    #[retry]
fn typed_receiver(self: &Self) -> Result<u32, Error> {
        Ok(self.calls)
    }

    /// A shared `self` the body may rebind: copied for each attempt.
    #[retry]
async fn rebindable(mut self: &Self, other: &Self) -> Result<u32, Error> {
        if self.calls == 0 {
            self = other;
        }
        Ok(self.calls)
    }

    #[retry]
async fn shared_pointer(self: &std::sync::Arc<Self>) -> Result<u32, Error> {
        Ok(std::sync::Arc::strong_count(self) as u32 + self.calls)
    }

    /// `self` by value, in each of its forms, is cloned for every attempt but the last.
    #[retry]
    async fn by_value(self, suffix: String) -> Result<String, Error> {
        // A local macro's `self` is the function's, as without `#[retry]`.
        macro_rules! calls {
            () => {
                self.calls
            };
        }
        Ok(format!("{}{suffix}", calls!()))
    }

    #[retry]
    fn by_value_mut(mut self) -> Result<u32, Error> {
        self.calls += 1;
        Ok(self.calls)
    }

    #[retry]
    async fn by_arc(self: std::sync::Arc<Self>) -> Result<u32, Error> {
        let me = std::sync::Arc::clone(&self);
        Ok(me.calls)
    }

    /// Under `#[tracing::instrument]`, whose span records `self`, and with `tracing`'s `?self`.
    #[tracing::instrument(skip_all, fields(calls = self.calls))]
    #[retry]
    async fn by_value_instrumented(self) -> Result<u32, Error> {
        tracing::info!(?self.calls, "attempt");
        Ok(self.calls)
    }

    #[retry]
    #[tracing::instrument(skip(self))]
    async fn by_value_instrumented_inside(self) -> Result<u32, Error> {
        Ok(self.calls)
    }

    #[retry]
    async fn by_box(mut self: Box<Self>) -> Result<u32, Error> {
        self.calls += 1;
        Ok(self.calls)
    }

    /// A pinned `self`, and an optional `&mut`, re-borrowed for each attempt.
    #[retry]
    async fn pinned(mut self: std::pin::Pin<&mut Self>, log: Option<&mut Vec<u32>>) -> Result<u32, Error> {
        self.calls += 1;
        if let Some(log) = log {
            log.push(self.calls);
        }
        Ok(self.calls)
    }

    #[retry]
fn blocking_unique(&mut self, buffer: &mut Vec<u8>) -> Result<usize, Error> {
        buffer.push(1);
        self.calls += 1;
        Ok(buffer.len())
    }
}

trait Store {
    async fn get(&self, key: &str) -> Result<String, Error>;
    fn put(&mut self, key: String) -> Result<(), Error>;
}

impl Store for Client {
    #[retry]
    async fn get(&self, key: &str) -> Result<String, Error> {
        Ok(key.to_owned())
    }

    #[retry]
    fn put(&mut self, key: String) -> Result<(), Error> {
        self.calls += key.len() as u32;
        Ok(())
    }
}

#[retry]
async fn generic<'a, T: Clone + Send + Sync, K>(items: &'a [T], key: impl AsRef<str> + Clone + Send, extra: K) -> Result<&'a T, Error>
where
    K: Clone + Send,
{
    let _ = (key.as_ref(), extra);
    items.first().ok_or(Error::Throttled(None))
}

#[retry]
async fn early_return_and_question_mark(fail: bool) -> Result<u32, Error> {
    if fail {
        return Err(Error::Throttled(None));
    }
    let value: u32 = "42".parse().map_err(|_| Error::Throttled(None))?;
    Ok(value)
}

#[retry]
async fn patterns((a, b): (u32, u32), &c: &u32, mut d: u32, _: u8, mut rest: &[u8], &(mut e, _): &(u32, u8)) -> Result<u32, Error> {
    d += 1;
    rest = &rest[1..];
    e += 1;
    Ok(a + b + c + d + e + rest.len() as u32)
}

/// An inner attribute stays at the top of the body, where it covers the whole function: without
/// it, the literal below is an error (`overflowing_literals` is deny-by-default).
#[retry]
async fn inner_attribute() -> Result<u8, Error> {
    #![allow(overflowing_literals)]
    let wrapped: u8 = 0x1ff;
    Ok(wrapped)
}

#[retry]
unsafe fn unsafe_fn(value: *const u32) -> Result<u32, Error> {
    Ok(unsafe { *value })
}

#[retry]
fn io_result(path: &str) -> std::io::Result<usize> {
    Ok(path.len())
}

/// Classified at the call site, by a function and by a closure.
fn by_text(error: &Box<dyn std::error::Error + Send + Sync>) -> resilient::Classification {
    if error.to_string().contains("busy") {
        resilient::Classification::Transient
    } else {
        resilient::Classification::Permanent
    }
}

#[retry(classify = by_text)]
async fn classified(id: &str) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    Ok(id.len())
}

#[retry(policy = "graph", classify = |_| resilient::Classification::Transient)]
fn classified_blocking(id: &str) -> Result<usize, String> {
    Ok(id.len())
}

fn assert_send<T: Send>(_: T) {}

fn main() {
    let client = Client { calls: 0 };
    assert_send(free_async("x"));
    assert_send(inner_attribute());
    assert_send(every_key(String::new(), Vec::new()));
    assert_send(client.shared("x"));
    assert_send(client.rebindable(&client));
    assert_send(client.get("x"));
    assert_send(generic(&[1u8], "k", 1u8));
    assert_send(early_return_and_question_mark(false));
    assert_send(patterns((1, 2), &3, 4, 5, b"xy", &(6, 7)));
    assert_send(float_multiplier());
    assert_send(classified("x"));
    let _ = classified_blocking("x");
    let shared = std::sync::Arc::new(Client { calls: 0 });
    assert_send(shared.shared_pointer());
    assert_send(shared.clone().by_arc());
    assert_send(client.clone().by_value(String::new()));
    let (mut pinned, mut log) = (client.clone(), Vec::new());
    assert_send(std::pin::Pin::new(&mut pinned).pinned(Some(&mut log)));
    assert_send(client.clone().by_value_instrumented());
    assert_send(client.clone().by_value_instrumented_inside());
    assert_send(Box::new(client.clone()).by_box());
    let _ = client.clone().by_value_mut();
    let _ = (free_blocking("x"), unbounded(&mut 0), io_result("p"), unsafe { unsafe_fn(&1) });
}
