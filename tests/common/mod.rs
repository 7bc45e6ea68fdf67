//! The error types the integration tests share. Each test binary uses only some of them.
#![allow(dead_code)]

use resilient::{Rejected, Transient};

/// A service's error that can hold a [`Rejected`] (an attempt that timed out, a call an open
/// breaker refused): the shape `#[retry]` expects of an error type.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Transient)]
pub enum Error {
    #[error("unavailable")]
    #[transient]
    Unavailable,
    #[error("bad request")]
    #[permanent]
    BadRequest,
    #[error(transparent)]
    #[transient(delegate)]
    Rejected(#[from] Rejected),
}

/// A transient error that cannot hold a [`Rejected`], and has no `Display`.
#[derive(Debug, Clone, Copy, PartialEq, Transient)]
#[transient]
pub struct Unavailable;

/// Drives `future` to its end on this thread with an executor of its own, as a program built
/// on another runtime than tokio would: the thread sleeps until the future's waker is called.
pub fn block_on_elsewhere<F: std::future::Future>(future: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
            return output;
        }
        std::thread::park();
    }
}

/// Ready after `delay`, woken by a thread of its own: another runtime's timer, which tokio's
/// clock knows nothing of.
pub fn sleep_elsewhere(delay: std::time::Duration) -> impl std::future::Future<Output = ()> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::task::Poll;

    let done = Arc::new(AtomicBool::new(false));
    let mut started = false;
    std::future::poll_fn(move |cx| {
        if done.load(SeqCst) {
            return Poll::Ready(());
        }
        if !std::mem::replace(&mut started, true) {
            let (done, waker) = (done.clone(), cx.waker().clone());
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                done.store(true, SeqCst);
                waker.wake();
            });
        }
        Poll::Pending
    })
}

/// DESIGN.md's example configuration file, as it is written there.
pub const DESIGN_EXAMPLE: &str = r#"# resilient.toml — named policies, owned by operations, changeable without a rebuild
[defaults]                       # every policy inherits these
max_attempts = 3
backoff = "exponential"
initial_delay = "100ms"
max_delay = "20s"
jitter = "full"

[policies.graph]
max_attempts = 6
max_elapsed = "2m"
attempt_timeout = "30s"

[policies.graph.circuit_breaker]
failure_ratio = 0.5
minimum_throughput = 20
sampling_window = "30s"
break_duration = "15s"

[policies.graph.retry_budget]
ratio = 0.1
min_per_second = 10
"#;

/// [`DESIGN_EXAMPLE`] with the fix its loading error names: a breaker window twice its attempt
/// timeout.
pub fn design_example_fixed() -> String {
    DESIGN_EXAMPLE.replace(r#"sampling_window = "30s""#, r#"sampling_window = "1m""#)
}
