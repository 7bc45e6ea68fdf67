//! Thousands of calls on 4 worker threads while another task swaps the registry in a loop: no
//! call fails because of a swap, and each call runs under one whole policy, never half of each.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
use std::time::Duration;

use resilient::{Backoff, Jitter, Policy, Registry, retry};

mod common;
use common::Unavailable;

/// Fails until its `n`-th attempt. Both registries allow at least 2 attempts.
#[retry(policy = "swapped")]
async fn succeeds_on_second(calls: &AtomicU32) -> Result<u32, Unavailable> {
    let n = calls.fetch_add(1, SeqCst) + 1;
    tokio::task::yield_now().await;
    if n >= 2 { Ok(n) } else { Err(Unavailable) }
}

#[retry(policy = "swapped")]
async fn always_fails(calls: &AtomicU32) -> Result<(), Unavailable> {
    calls.fetch_add(1, SeqCst);
    tokio::task::yield_now().await;
    Err(Unavailable)
}

/// Two registries whose policies differ in every key the call observes: attempts (2 or 5),
/// so a call that mixed them would make a count that belongs to neither.
fn registry(attempts: u32) -> Registry {
    let policy = Policy::builder()
        .max_attempts(attempts)
        .backoff(Backoff::Fixed)
        .jitter(Jitter::None)
        .initial_delay(Duration::from_micros(attempts as u64 * 10))
        .build()
        .unwrap();
    Registry::builder().policy("swapped", policy).build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn calls_survive_reloads_and_see_one_whole_policy() {
    resilient::install(registry(2));
    let done = Arc::new(AtomicBool::new(false));
    let swaps = Arc::new(AtomicU32::new(0));
    let reloader = {
        let (done, swaps) = (Arc::clone(&done), Arc::clone(&swaps));
        tokio::spawn(async move {
            while !done.load(SeqCst) {
                let n = swaps.fetch_add(1, SeqCst);
                resilient::install(registry(if n % 2 == 0 { 5 } else { 2 }));
                tokio::task::yield_now().await;
            }
        })
    };
    let mut tasks = Vec::new();
    // Miri checks the swaps for data races, at a thousandth of the speed.
    let call_count = if cfg!(miri) { 40 } else { 4000 };
    for _ in 0..call_count {
        tasks.push(tokio::spawn(async {
            let calls = AtomicU32::new(0);
            let value = succeeds_on_second(&calls).await.expect("a reload must not fail a call");
            let failing = AtomicU32::new(0);
            assert!(always_fails(&failing).await.is_err());
            (value, failing.load(SeqCst))
        }));
    }
    let mut seen = [0u32; 6];
    for task in tasks {
        let (value, attempts) = task.await.unwrap();
        assert_eq!(value, 2);
        assert!(
            attempts == 2 || attempts == 5,
            "a call made {attempts} attempts: half of one policy, half of the other"
        );
        seen[attempts as usize] += 1;
    }
    done.store(true, SeqCst);
    reloader.await.unwrap();
    assert!(swaps.load(SeqCst) > 10, "the registry was swapped while calls ran");
    println!(
        "calls under the 2-attempt policy: {}, under the 5-attempt policy: {}, swaps: {}",
        seen[2],
        seen[5],
        swaps.load(SeqCst)
    );
}
