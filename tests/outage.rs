//! An outage simulation under the paused clock: 50 clients call a service every 100 ms; the
//! service fails everything from 10 s to 20 s, then recovers. With a retry budget and a circuit
//! breaker, the attempts that reach the failing service stay within (1 + ratio + 5 %) of the
//! calls offered; without them, they are about `max_attempts` times the calls. The breaker sees
//! the recovery within one `break_duration`. Prints a table.

use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use resilient::{CircuitBreakerSettings, Policy, Registry, RetryBudgetSettings, retry};
use tokio::time::Instant;

mod common;
use common::Error;

const CLIENTS: u64 = 50;
const PERIOD: Duration = Duration::from_millis(100);
const OUTAGE_START: Duration = Duration::from_secs(10);
const OUTAGE_END: Duration = Duration::from_secs(20);
const RUN: Duration = Duration::from_secs(30);
const RATIO: f64 = 0.1;
const BREAK: Duration = Duration::from_secs(2);

/// The service, and what it saw.
struct Service {
    start: Instant,
    attempts_during_outage: AtomicU64,
    offered_during_outage: AtomicU64,
    /// When, after the outage, a call first succeeded.
    first_recovered_success: Mutex<Option<Duration>>,
}

impl Service {
    fn down(&self) -> bool {
        let now = self.start.elapsed();
        (OUTAGE_START..OUTAGE_END).contains(&now)
    }

    async fn handle(&self) -> Result<(), Error> {
        tokio::time::sleep(Duration::from_millis(5)).await;
        if self.down() {
            self.attempts_during_outage.fetch_add(1, SeqCst);
            return Err(Error::Unavailable);
        }
        let now = self.start.elapsed();
        if now >= OUTAGE_END {
            self.first_recovered_success.lock().unwrap().get_or_insert(now);
        }
        Ok(())
    }
}

#[retry(policy = "guarded")]
async fn guarded(service: &Service) -> Result<(), Error> {
    service.handle().await
}

#[retry(policy = "unguarded")]
async fn unguarded(service: &Service) -> Result<(), Error> {
    service.handle().await
}

fn install() {
    let policy = Policy::builder().max_attempts(3).initial_delay(Duration::from_millis(50)).build().unwrap();
    let breaker = CircuitBreakerSettings {
        failure_ratio: 0.5,
        minimum_throughput: 20,
        sampling_window: Duration::from_secs(5),
        break_duration: BREAK,
    };
    let budget = RetryBudgetSettings { ratio: RATIO, min_per_second: 1 };
    resilient::install(
        Registry::builder()
            .policy("guarded", policy.clone())
            .circuit_breaker("guarded", breaker)
            .retry_budget("guarded", budget)
            .policy("unguarded", policy)
            .build()
            .unwrap(),
    );
}

/// Runs the clients against a fresh service; returns what it saw.
async fn simulate(guard: bool) -> Arc<Service> {
    let service = Arc::new(Service {
        start: Instant::now(),
        attempts_during_outage: AtomicU64::new(0),
        offered_during_outage: AtomicU64::new(0),
        first_recovered_success: Mutex::new(None),
    });
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let service = Arc::clone(&service);
            tokio::spawn(async move {
                // Spread the clients over the period.
                tokio::time::sleep(PERIOD * client as u32 / CLIENTS as u32).await;
                let mut tick = tokio::time::interval(PERIOD);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                while service.start.elapsed() < RUN {
                    tick.tick().await;
                    if service.down() {
                        service.offered_during_outage.fetch_add(1, SeqCst);
                    }
                    let _ = if guard { guarded(&service).await } else { unguarded(&service).await };
                }
            })
        })
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    service
}

#[tokio::test(start_paused = true)]
async fn budget_and_breaker_bound_the_load_of_an_outage() {
    install();
    let with = simulate(true).await;
    let without = simulate(false).await;

    let amplification =
        |s: &Service| s.attempts_during_outage.load(SeqCst) as f64 / s.offered_during_outage.load(SeqCst) as f64;
    println!("| policy                     | calls offered in the outage | attempts reaching the service | per call |");
    println!("| -------------------------- | --------------------------- | ----------------------------- | -------- |");
    for (name, s) in [("3 attempts, budget, breaker", &with), ("3 attempts alone", &without)] {
        println!(
            "| {name:<26} | {:>27} | {:>29} | {:>8.3} |",
            s.offered_during_outage.load(SeqCst),
            s.attempts_during_outage.load(SeqCst),
            amplification(s)
        );
    }
    println!("breaker of `guarded`: {:?}", Registry::default().stats().breaker("guarded").unwrap());
    let recovered = with.first_recovered_success.lock().unwrap().expect("the service recovered") - OUTAGE_END;
    println!("with the breaker, the first success after the outage came {recovered:?} after the service was back");

    assert!(amplification(&with) <= 1.0 + RATIO + 0.05, "guarded: {:.3} attempts per call", amplification(&with));
    assert!(amplification(&without) >= 2.7, "unguarded: {:.3} attempts per call", amplification(&without));
    assert!(recovered <= BREAK, "recovery seen {recovered:?} after the service was back");
}
