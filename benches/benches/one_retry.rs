//! The CPU cost of one retry, without the wait: the first attempt fails, a zero-delay retry
//! succeeds. Calls run on a current-thread tokio runtime (a zero sleep goes through tokio's
//! timer for the peers that sleep); the plain call that fails once and is called again by hand
//! is the baseline. One read of tokio's clock is measured beside them: a call that retries
//! reads it twice (its start and its end), for the elapsed time the contract reports.
//!
//! `cargo bench -p resilient-benches --bench one_retry`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use resilient_benches::{Client, TowerAttempts, runtime};
use tower::{Service, ServiceExt};

fn one_retry(c: &mut Criterion) {
    let runtime = runtime();
    let client = Client::default();
    let id = black_box("message-id");
    let mut group = c.benchmark_group("one_retry");
    group.bench_function("by hand (fail, call again)", |b| {
        b.to_async(&runtime).iter(|| async {
            match client.flaky(id).await {
                Ok(value) => Ok(value),
                Err(_) => client.flaky(id).await,
            }
        })
    });
    group.bench_function("resilient", |b| b.to_async(&runtime).iter(|| client.retried_once(id)));
    group.bench_function("backon", |b| b.to_async(&runtime).iter(|| client.backon_retried_once(id)));
    group.bench_function("tokio-retry", |b| b.to_async(&runtime).iter(|| client.tokio_retry_retried_once(id)));
    group.bench_function("tower retry", |b| {
        b.to_async(&runtime).iter(|| async {
            let mut tower =
                tower::retry::Retry::new(TowerAttempts(1), tower::service_fn(|id: &'static str| client.flaky(id)));
            tower.ready().await.ok();
            tower.call(id).await
        })
    });
    group.bench_function("one clock read (tokio::time::Instant::now)", |b| b.iter(tokio::time::Instant::now));
    group.finish();
}

criterion_group!(benches, one_retry);
criterion_main!(benches);
