//! The operation every crate retries in the benchmarks, written once, and the same operation
//! retried by resilient and by each peer crate, so that each benchmark compares only the retry
//! machinery.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use backon::{BlockingRetryable, ConstantBuilder, ExponentialBuilder, Retryable};
use resilient::{CircuitBreakerSettings, Policy, Registry, Rejected, RetryBudgetSettings, Transient, retry};

/// The error of the operation.
#[derive(Debug, thiserror::Error, Transient)]
pub enum BenchError {
    /// The failure the one-retry benchmarks inject.
    #[error("unavailable")]
    #[transient]
    Unavailable,
    /// For the breaker.
    #[error(transparent)]
    #[transient(delegate)]
    Rejected(#[from] Rejected),
}

/// The client whose method is the operation.
pub struct Client {
    pub base: u64,
    /// Incremented by every call of a flaky operation: odd calls fail.
    pub calls: AtomicU64,
}

impl Default for Client {
    fn default() -> Self {
        Client { base: 40, calls: AtomicU64::new(0) }
    }
}

/// One attempt, the same for everyone: a little arithmetic the optimizer cannot remove, and an
/// error it cannot rule out (an empty id, which no benchmark passes), as a remote call can
/// always fail. Were the error impossible, the optimizer would delete every crate's failure
/// path, and the happy path would be measured without the code a real one carries.
#[inline(never)]
fn work(base: u64, id: &str) -> Result<u64, BenchError> {
    let id = black_box(id);
    if id.is_empty() { Err(BenchError::Unavailable) } else { Ok(black_box(base) + id.len() as u64) }
}

impl Client {
    /// The operation, without retries.
    pub async fn plain(&self, id: &str) -> Result<u64, BenchError> {
        work(self.base, id)
    }

    /// The operation with an await point, as a remote call has (ready at once).
    pub async fn plain_awaiting(&self, id: &str) -> Result<u64, BenchError> {
        std::future::ready(()).await;
        work(self.base, id)
    }

    #[retry(max_attempts = 3, initial_delay = "100ms")]
    pub async fn inline_awaiting(&self, id: &str) -> Result<u64, BenchError> {
        std::future::ready(()).await;
        work(self.base, id)
    }

    /// Fails every other call: the first attempt fails, the retry succeeds.
    pub async fn flaky(&self, id: &str) -> Result<u64, BenchError> {
        self.flaky_blocking(id)
    }

    fn flaky_blocking(&self, id: &str) -> Result<u64, BenchError> {
        if self.calls.fetch_add(1, Relaxed).is_multiple_of(2) {
            Err(BenchError::Unavailable)
        } else {
            work(self.base, id)
        }
    }

    #[retry(max_attempts = 3, initial_delay = "100ms")]
    pub async fn inline(&self, id: &str) -> Result<u64, BenchError> {
        work(self.base, id)
    }

    #[retry(policy = "bench")]
    pub async fn named(&self, id: &str) -> Result<u64, BenchError> {
        work(self.base, id)
    }

    #[retry(policy = "bench-guarded")]
    pub async fn guarded(&self, id: &str) -> Result<u64, BenchError> {
        work(self.base, id)
    }

    /// Under the design's example policy, with an attempt timeout and a deadline: it reads the
    /// clock once a call. Its attempt is ready at once, so it sets no timer.
    #[retry(policy = "bench-timed")]
    pub async fn timed(&self, id: &str) -> Result<u64, BenchError> {
        work(self.base, id)
    }

    /// The operation as a remote call runs: it has to wait once (it yields to the runtime)
    /// before it answers. Needs a tokio runtime driving it.
    pub async fn plain_yielding(&self, id: &str) -> Result<u64, BenchError> {
        tokio::task::yield_now().await;
        work(self.base, id)
    }

    /// [`plain_yielding`](Self::plain_yielding) within tokio's own timeout, as the design's
    /// 30 s attempt timeout would be written by hand.
    pub async fn tokio_timeout_yielding(&self, id: &str) -> Result<u64, BenchError> {
        match tokio::time::timeout(Duration::from_secs(30), self.plain_yielding(id)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(BenchError::Unavailable),
        }
    }

    /// [`inline`](Self::inline) with an attempt that waits once: the call's clock starts then,
    /// so that a retry's elapsed time would cover the attempt.
    #[retry(max_attempts = 3, initial_delay = "100ms")]
    pub async fn inline_yielding(&self, id: &str) -> Result<u64, BenchError> {
        tokio::task::yield_now().await;
        work(self.base, id)
    }

    /// [`timed`](Self::timed) with an attempt that waits once: the attempt's timer is set.
    #[retry(policy = "bench-timed")]
    pub async fn timed_yielding(&self, id: &str) -> Result<u64, BenchError> {
        tokio::task::yield_now().await;
        work(self.base, id)
    }

    /// One immediate retry: the cost of a retry without the wait.
    #[retry(max_attempts = 2, backoff = "immediate")]
    pub async fn retried_once(&self, id: &str) -> Result<u64, BenchError> {
        self.flaky(id).await
    }

    pub async fn backon(&self, id: &str) -> Result<u64, BenchError> {
        (|| self.plain(id)).retry(ExponentialBuilder::default()).await
    }

    pub async fn backon_retried_once(&self, id: &str) -> Result<u64, BenchError> {
        (|| self.flaky(id)).retry(ConstantBuilder::default().with_delay(Duration::ZERO).with_max_times(1)).await
    }

    pub async fn tokio_retry(&self, id: &str) -> Result<u64, BenchError> {
        let strategy = tokio_retry::strategy::ExponentialBackoff::from_millis(100).take(2);
        tokio_retry::Retry::start(strategy, || self.plain(id)).await
    }

    pub async fn tokio_retry_retried_once(&self, id: &str) -> Result<u64, BenchError> {
        let strategy = tokio_retry::strategy::FixedInterval::from_millis(0).take(1);
        tokio_retry::Retry::start(strategy, || self.flaky(id)).await
    }

    pub fn plain_blocking(&self, id: &str) -> Result<u64, BenchError> {
        work(self.base, id)
    }

    #[retry(max_attempts = 3, initial_delay = "100ms")]
    pub fn inline_blocking(&self, id: &str) -> Result<u64, BenchError> {
        work(self.base, id)
    }

    pub fn backon_blocking(&self, id: &str) -> Result<u64, BenchError> {
        (|| self.plain_blocking(id)).retry(ExponentialBuilder::default()).call()
    }
}

/// tower's retry: a policy that retries any error up to `remaining` times, at once.
#[derive(Clone)]
pub struct TowerAttempts(pub usize);

impl<Req: Clone, Res, E> tower::retry::Policy<Req, Res, E> for TowerAttempts {
    type Future = std::future::Ready<()>;

    fn retry(&mut self, _: &mut Req, result: &mut Result<Res, E>) -> Option<Self::Future> {
        match result {
            Err(_) if self.0 > 0 => {
                self.0 -= 1;
                Some(std::future::ready(()))
            }
            _ => None,
        }
    }

    fn clone_request(&mut self, req: &Req) -> Option<Req> {
        Some(req.clone())
    }
}

/// Installs the named policies: `bench` (the defaults), `bench-guarded` (the defaults with a
/// circuit breaker and a retry budget), and `bench-timed` (DESIGN.md's `graph`: six attempts,
/// a 30 s attempt timeout and a 2 min deadline).
pub fn install_policies() {
    let timed = Policy::builder()
        .max_attempts(6)
        .attempt_timeout(Duration::from_secs(30))
        .max_elapsed(Duration::from_secs(120))
        .build()
        .expect("the timed policy is valid");
    resilient::install(
        Registry::builder()
            .policy("bench", Policy::DEFAULT)
            .policy("bench-guarded", Policy::DEFAULT)
            .policy("bench-timed", timed)
            .circuit_breaker("bench-guarded", CircuitBreakerSettings::default())
            .retry_budget("bench-guarded", RetryBudgetSettings::default())
            .build()
            .expect("the benchmark policies are valid"),
    );
}

/// A current-thread tokio runtime with a timer, for the calls that wait.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a tokio runtime")
}

/// What a benchmark keeps of a call: its value. Handed the whole `Result` (40 bytes, written
/// field by field), criterion would read it back in wider pieces than were written, which
/// stalls the processor for longer than the cheapest calls take: the same few nanoseconds for
/// every variant, hiding the differences being measured.
pub fn value<E: std::fmt::Debug>(result: Result<u64, E>) -> u64 {
    result.expect("the call succeeds")
}

/// Polls a future that completes without waiting, with no runtime: what a call costs, and
/// nothing else.
#[inline]
pub fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the benchmarked call waited"),
    }
}
