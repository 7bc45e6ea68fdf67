//! The quickstart: a client function with `#[retry]` calling a real HTTP server on loopback.
//!
//! The server, started here on 127.0.0.1, answers the first request with `429 Too Many
//! Requests` and `Retry-After: 1`, the second with `503 Service Unavailable`, and the third
//! with `200 OK`. The client classifies each status with `#[derive(Transient)]`, and the
//! generated loop waits what the server asked, backs off, and succeeds on the third attempt.
//!
//! The policy, `http`, comes from `examples/resilient.toml`, as operations would own it.
//!
//! Run it with `cargo run --example quickstart`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use resilient::{Transient, retry};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// Everything that can go wrong with one request, each variant classified for the retry loop.
#[derive(Debug, thiserror::Error, Transient)]
enum FetchError {
    /// 429: the server asked us to slow down, maybe saying for how long.
    #[error("throttled by the server (Retry-After: {retry_after:?})")]
    #[transient(throttled, retry_after = retry_after)]
    Throttled { retry_after: Option<Duration> },
    /// 502, 503, 504: the service is restarting or overloaded.
    #[error("service unavailable ({status})")]
    #[transient]
    Unavailable { status: u16 },
    /// Any other status: retrying would get the same answer.
    #[error("request refused ({status})")]
    #[permanent]
    Refused { status: u16 },
    /// Connection reset, refused, timed out…: classified by `io::ErrorKind`.
    #[error(transparent)]
    #[transient(delegate)]
    Io(#[from] std::io::Error),
    /// An attempt that ran past `attempt_timeout`.
    #[error(transparent)]
    #[transient(delegate)]
    Rejected(#[from] resilient::Rejected),
}

/// One attempt: a GET over a fresh connection. `#[retry]` makes it a whole retrying call
/// under the policy `http` of the configuration file.
#[retry(policy = "http")]
async fn fetch(address: &str, path: &str) -> Result<String, FetchError> {
    let mut stream = TcpStream::connect(address).await?;
    stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").as_bytes()).await?;
    let mut response = BufReader::new(stream);
    let mut status_line = String::new();
    response.read_line(&mut status_line).await?;
    let status: u16 = status_line.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let mut retry_after = None;
    loop {
        let mut header = String::new();
        if response.read_line(&mut header).await? == 0 || header.trim().is_empty() {
            break;
        }
        // Seconds or an HTTP date; garbage is no hint at all, and a huge value is capped by the
        // policy's `max_delay`.
        match header.split_once(':') {
            Some((name, value)) if name.eq_ignore_ascii_case("retry-after") => {
                retry_after = resilient::parse_retry_after(value);
            }
            _ => {}
        }
    }
    let mut body = String::new();
    response.read_to_string(&mut body).await?;
    println!("  attempt got {}", status_line.trim());
    match status {
        200..=299 => Ok(body),
        429 => Err(FetchError::Throttled { retry_after }),
        502..=504 => Err(FetchError::Unavailable { status }),
        _ => Err(FetchError::Refused { status }),
    }
}

/// A tiny HTTP server: 429 with `Retry-After: 1`, then 503, then 200, then 200 forever.
async fn serve(listener: TcpListener, requests: Arc<AtomicU32>) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else { continue };
        let n = requests.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::spawn(async move {
            let mut request = Vec::new();
            let mut buffer = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buffer).await {
                    Ok(0) | Err(_) => return,
                    Ok(read) => request.extend_from_slice(&buffer[..read]),
                }
            }
            let response = match n {
                1 => "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n".to_owned(),
                2 => "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n".to_owned(),
                _ => "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nhello, world!".to_owned(),
            };
            let _ = stream.write_all(response.as_bytes()).await;
        });
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The retry loop reports each retry as a `WARN` event and giving up as an `ERROR`.
    tracing_subscriber::fmt().with_target(false).without_time().init();

    // The named policies. A real program calls `resilient::init()`, which reads
    // $RESILIENT_CONFIG or ./resilient.toml and checks every call site against it.
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/resilient.toml");
    let registry = resilient::Registry::from_path(config)?;
    println!("policy `http` from {config}: {}", registry.policy("http").expect("defined in the file"));
    resilient::install(registry);

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?.to_string();
    let requests = Arc::new(AtomicU32::new(0));
    tokio::spawn(serve(listener, Arc::clone(&requests)));
    println!("server listening on http://{address}: 429 (Retry-After: 1), then 503, then 200");

    let start = Instant::now();
    let body = fetch(&address, "/greeting").await?;
    println!(
        "outcome: {body:?} after {} attempts in {:.1}s (waited at least the server's 1s Retry-After, then a backoff)",
        requests.load(Ordering::SeqCst),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
