//! Makes N calls of one variant, for counting the instructions of a call under
//! callgrind, which repeats exactly where timings on a shared machine drift:
//!
//! ```text
//! cargo build --release -p resilient-benches --example instructions
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/instructions inline 100000
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/instructions inline 200000
//! ```
//!
//! The difference of the two totals ("Collected"), divided by 100 000, is one call.
//! Happy path: `plain`, `inline`, `named`, `guarded`, `timed` (attempt timeout and
//! deadline), `awaiting` (inline, with an await point). One zero-delay retry: `retried`.
//! A call whose attempt waits once, on a current-thread tokio runtime: `plain-waits`,
//! `inline-waits`, `timed-waits`, `tokio-timeout-waits`.

use std::hint::black_box;

use resilient_benches::{Client, install_policies, ready, runtime};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(variant), Some(Ok(calls))) = (args.next(), args.next().map(|calls| calls.parse::<u64>())) else {
        eprintln!(
            "usage: instructions plain|inline|named|guarded|timed|awaiting|retried|plain-waits|inline-waits|timed-waits|tokio-timeout-waits CALLS"
        );
        std::process::exit(2);
    };
    install_policies();
    let client = Client::default();
    let id = black_box("message-id");
    let sum = match variant.as_str() {
        "plain" => repeat(calls, || ready(black_box(&client).plain(id))),
        "inline" => repeat(calls, || ready(black_box(&client).inline(id))),
        "named" => repeat(calls, || ready(black_box(&client).named(id))),
        "guarded" => repeat(calls, || ready(black_box(&client).guarded(id))),
        "timed" => repeat(calls, || ready(black_box(&client).timed(id))),
        "awaiting" => repeat(calls, || ready(black_box(&client).inline_awaiting(id))),
        // Fails, then retries at once and succeeds: the retry's own work (no runtime needed,
        // as a zero delay starts no timer).
        "retried" => repeat(calls, || ready(black_box(&client).retried_once(id))),
        // The runtime's own part (the yield, the task's wake-up) is the same in each.
        "plain-waits" => {
            runtime().block_on(repeat_waiting(calls, async || black_box(&client).plain_yielding(id).await))
        }
        "inline-waits" => {
            runtime().block_on(repeat_waiting(calls, async || black_box(&client).inline_yielding(id).await))
        }
        "timed-waits" => {
            runtime().block_on(repeat_waiting(calls, async || black_box(&client).timed_yielding(id).await))
        }
        "tokio-timeout-waits" => {
            runtime().block_on(repeat_waiting(calls, async || black_box(&client).tokio_timeout_yielding(id).await))
        }
        other => {
            eprintln!("unknown variant {other:?}");
            std::process::exit(2);
        }
    };
    println!("{sum}");
}

/// Makes `calls` calls: a loop of its own for each variant, so that the code of one does not
/// change another's.
#[inline(never)]
fn repeat<E: std::fmt::Debug>(calls: u64, mut call: impl FnMut() -> Result<u64, E>) -> u64 {
    let mut sum = 0u64;
    for _ in 0..calls {
        sum = sum.wrapping_add(call().expect("the call succeeds"));
    }
    sum
}

/// [`repeat`] for calls that wait, awaited one after another in one task.
#[inline(never)]
async fn repeat_waiting<E: std::fmt::Debug>(calls: u64, mut call: impl AsyncFnMut() -> Result<u64, E>) -> u64 {
    let mut sum = 0u64;
    for _ in 0..calls {
        sum = sum.wrapping_add(call().await.expect("the call succeeds"));
    }
    sum
}
