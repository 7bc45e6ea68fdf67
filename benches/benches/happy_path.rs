//! Happy-path overhead per call: the first attempt succeeds. Every variant calls the same
//! operation; async calls are polled once with no runtime, so only the call itself is timed.
//! Calls whose attempt has to wait once are driven by a current-thread tokio runtime.
//!
//! `cargo bench -p resilient-benches --bench happy_path`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use resilient_benches::{Client, TowerAttempts, ready, runtime, value};
use tower::{Service, ServiceExt};

fn happy_path_async(c: &mut Criterion) {
    resilient_benches::install_policies();
    let client = Client::default();
    let id = black_box("message-id");
    let mut group = c.benchmark_group("happy_path_async");
    group.bench_function("plain async fn", |b| b.iter(|| value(ready(client.plain(id)))));
    group.bench_function("resilient inline", |b| b.iter(|| value(ready(client.inline(id)))));
    group.bench_function("resilient named", |b| b.iter(|| value(ready(client.named(id)))));
    group.bench_function("resilient named + breaker + budget", |b| b.iter(|| value(ready(client.guarded(id)))));
    group.bench_function("resilient named + attempt timeout + deadline", |b| b.iter(|| value(ready(client.timed(id)))));
    group.bench_function("plain async fn, with an await point", |b| b.iter(|| value(ready(client.plain_awaiting(id)))));
    group.bench_function("resilient inline, with an await point", |b| {
        b.iter(|| value(ready(client.inline_awaiting(id))))
    });
    group.bench_function("backon", |b| b.iter(|| value(ready(client.backon(id)))));
    group.bench_function("tokio-retry", |b| b.iter(|| value(ready(client.tokio_retry(id)))));
    let mut tower = tower::retry::Retry::new(TowerAttempts(2), tower::service_fn(|id: &'static str| client.plain(id)));
    group.bench_function("tower retry", |b| {
        b.iter(|| {
            ready(tower.ready()).ok();
            value(ready(tower.call(id)))
        })
    });
    group.finish();
}

/// A call whose attempt has to wait once, as a remote call's does: an untimed call starts its
/// clock then; a timed call sets its attempt's timer, and polls it. Calls run on a
/// current-thread tokio runtime.
fn happy_path_timed_attempt_that_waits(c: &mut Criterion) {
    resilient_benches::install_policies();
    let runtime = runtime();
    let client = Client::default();
    let id = black_box("message-id");
    let mut group = c.benchmark_group("happy_path_timed_attempt_that_waits");
    group.bench_function("plain async fn", |b| b.to_async(&runtime).iter(|| client.plain_yielding(id)));
    group.bench_function("resilient inline", |b| b.to_async(&runtime).iter(|| client.inline_yielding(id)));
    group.bench_function("tokio::time::timeout", |b| b.to_async(&runtime).iter(|| client.tokio_timeout_yielding(id)));
    group.bench_function("resilient named + attempt timeout + deadline", |b| {
        b.to_async(&runtime).iter(|| client.timed_yielding(id))
    });
    group.finish();
}

fn happy_path_blocking(c: &mut Criterion) {
    let client = Client::default();
    let id = black_box("message-id");
    let mut group = c.benchmark_group("happy_path_blocking");
    group.bench_function("plain fn", |b| b.iter(|| value(client.plain_blocking(id))));
    group.bench_function("resilient inline", |b| b.iter(|| value(client.inline_blocking(id))));
    group.bench_function("backon blocking", |b| b.iter(|| value(client.backon_blocking(id))));
    group.finish();
}

criterion_group!(benches, happy_path_async, happy_path_timed_attempt_that_waits, happy_path_blocking);
criterion_main!(benches);
