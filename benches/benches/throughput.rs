//! Throughput of calls through one named policy with a circuit breaker and a retry budget, on
//! 1 and 2 threads: the breaker's window and the counters are sharded, so two threads should
//! not slow each other down. And of calls that retry once, at one call site, on 1 and 2
//! threads: in an outage every thread retries at once, and the counters a retry writes are
//! sharded too.
//!
//! `cargo bench -p resilient-benches --bench throughput`

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use resilient_benches::{Client, ready};

fn throughput(c: &mut Criterion) {
    resilient_benches::install_policies();
    on_threads(c, "throughput_named_breaker_budget", |client| {
        black_box(ready(client.guarded(black_box("message-id")))).ok();
    });
    on_threads(c, "throughput_retried_once", |client| {
        black_box(ready(client.retried_once(black_box("message-id")))).ok();
    });
}

/// Times `call` made on 1 and then 2 threads at once. Each thread makes `iterations` calls:
/// the time per call is per thread, so equal times on 1 and 2 threads mean double the
/// throughput.
fn on_threads(c: &mut Criterion, name: &str, call: impl Fn(&Client) + Sync) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(1));
    for threads in [1u64, 2] {
        group.bench_function(format!("{threads} thread(s)"), |b| {
            b.iter_custom(|iterations| {
                let start = Instant::now();
                std::thread::scope(|scope| {
                    for _ in 0..threads {
                        scope.spawn(|| {
                            // A client per thread (a flaky one counts its calls): what the
                            // threads share is the call site and its policy.
                            let client = Client::default();
                            for _ in 0..iterations {
                                call(&client);
                            }
                        });
                    }
                });
                start.elapsed()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, throughput);
criterion_main!(benches);
