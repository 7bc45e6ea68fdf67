//! A service goes down and comes back: the circuit breaker and the retry budget stop the
//! calls to it while it is down, and the breaker's probe finds it again when it recovers.
//!
//! A stock service, started here on 127.0.0.1, answers one line per connection: the stock of
//! the item asked for, or `DOWN` while it is failing. A client asks for stock every 10 ms
//! through the policy `inventory` (below, as operations would write it in `resilient.toml`):
//! for half a second while the service is healthy, for a second while it is down, and for
//! half a second after it recovers. Each phase prints what the client saw and how many
//! requests reached the service; the counters and the breaker's transitions close the run.
//!
//! Run it with `cargo run --example outage`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use resilient::{Rejected, Transient, retry};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, sleep};

/// The policy, short enough to watch: a breaker that opens when half of at least 10 outcomes
/// within a second failed, and lets a probe through 300 ms later; a budget that lets each call
/// buy a tenth of a retry, beyond 5 retries a second.
const CONFIG: &str = r#"
[policies.inventory]
max_attempts = 3
initial_delay = "20ms"
max_delay = "200ms"
attempt_timeout = "250ms"

[policies.inventory.circuit_breaker]
failure_ratio = 0.5
minimum_throughput = 10
sampling_window = "1s"
break_duration = "300ms"

[policies.inventory.retry_budget]
ratio = 0.1
min_per_second = 5
"#;

#[derive(Debug, thiserror::Error, Transient)]
enum StockError {
    /// The service said it is failing.
    #[error("stock service unavailable")]
    #[transient]
    Unavailable,
    /// Connection refused, reset…: classified by `io::ErrorKind`.
    #[error(transparent)]
    #[transient(delegate)]
    Io(#[from] std::io::Error),
    /// The breaker is open (no request was sent), or an attempt ran out of time.
    #[error(transparent)]
    #[transient(delegate)]
    Rejected(#[from] Rejected),
}

/// One attempt: a connection, one line out, one line back.
#[retry(policy = "inventory")]
async fn stock(address: &str, item: &str) -> Result<u32, StockError> {
    let mut stream = BufReader::new(TcpStream::connect(address).await?);
    stream.write_all(format!("{item}\n").as_bytes()).await?;
    let mut answer = String::new();
    stream.read_line(&mut answer).await?;
    answer.trim().parse().map_err(|_| StockError::Unavailable)
}

/// The stock service: `42` for any item while healthy, `DOWN` while not. Counts requests.
async fn serve(listener: TcpListener, healthy: Arc<AtomicBool>, requests: Arc<AtomicU32>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let (healthy, requests) = (Arc::clone(&healthy), Arc::clone(&requests));
        tokio::spawn(async move {
            let mut stream = BufReader::new(stream);
            let mut item = String::new();
            if stream.read_line(&mut item).await.is_ok() {
                requests.fetch_add(1, Ordering::SeqCst);
                let answer = if healthy.load(Ordering::SeqCst) { "42\n" } else { "DOWN\n" };
                let _ = stream.write_all(answer.as_bytes()).await;
            }
        });
    }
}

/// Asks for stock every 10 ms for `length`, and prints what came back and what the service saw.
/// Returns the calls made and the requests that reached the service.
async fn phase(name: &str, length: Duration, address: &str, requests: &AtomicU32) -> (u32, u32) {
    let (start, requests_before) = (Instant::now(), requests.load(Ordering::SeqCst));
    let (mut calls, mut answered, mut gave_up, mut refused) = (0, 0, 0, 0);
    while start.elapsed() < length {
        calls += 1;
        match stock(address, "widget").await {
            Ok(_) => answered += 1,
            Err(StockError::Rejected(Rejected::CircuitOpen { .. })) => refused += 1,
            Err(_) => gave_up += 1,
        }
        sleep(Duration::from_millis(10)).await;
    }
    let reached = requests.load(Ordering::SeqCst) - requests_before;
    println!(
        "{name:>10}: {calls:>3} calls: {answered:>3} answered, {gave_up:>2} gave up, {refused:>3} refused by the open breaker; {reached:>3} requests reached the service"
    );
    (calls, reached)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let registry = resilient::Registry::from_toml_str(CONFIG)?;
    let max_attempts = registry.policy("inventory").and_then(|policy| policy.max_attempts()).expect("3, above");
    resilient::install(registry);

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?.to_string();
    let (healthy, requests) = (Arc::new(AtomicBool::new(true)), Arc::new(AtomicU32::new(0)));
    tokio::spawn(serve(listener, Arc::clone(&healthy), Arc::clone(&requests)));
    println!("stock service on {address}; a call every 10 ms, up to {max_attempts} attempts each");

    phase("healthy", Duration::from_millis(500), &address, &requests).await;
    healthy.store(false, Ordering::SeqCst);
    let (calls, reached) = phase("down", Duration::from_secs(1), &address, &requests).await;
    println!(
        "{:>10}  without the breaker and the budget, up to {} requests: {reached} reached it",
        "",
        calls * max_attempts
    );
    healthy.store(true, Ordering::SeqCst);
    phase("recovered", Duration::from_millis(500), &address, &requests).await;

    // Every counter, one line per operation and one per circuit breaker.
    println!("{}", resilient::stats());
    Ok(())
}
