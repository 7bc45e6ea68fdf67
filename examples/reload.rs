//! Operations change a policy while the program runs: `resilient::reload()` puts the edited
//! file in force at once, and refuses a file with a mistake, naming its line and the fix, while
//! the last good policy goes on.
//!
//! A quote service, started here on 127.0.0.1, answers `BUSY` to a call's first three attempts
//! and a price to the fourth. The client's policy `quotes` is in a `resilient.toml` that
//! `resilient::init()` finds in the working directory (a temporary one here). Then:
//! 1. with `max_attempts = 2`, a call gives up;
//! 2. operations raise it to 5 and reload: the next call gets its price on the fourth attempt;
//! 3. operations write `max_attempts = 0` by mistake and reload: the reload is refused, and
//!    calls go on under `max_attempts = 5`.
//!
//! In a service the reload would follow a signal or an admin request, or `resilient::watch`
//! (the `watch` feature) would make it when the file changes.
//!
//! Run it with `cargo run --example reload`.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use resilient::{Transient, retry};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// How many attempts of each call the service answers `BUSY`.
const BUSY_ATTEMPTS: u32 = 3;

#[derive(Debug, thiserror::Error, Transient)]
enum QuoteError {
    /// The service is busy: worth another try.
    #[error("quote service busy")]
    #[transient]
    Busy,
    /// Connection refused, reset…: classified by `io::ErrorKind`.
    #[error(transparent)]
    #[transient(delegate)]
    Io(#[from] std::io::Error),
}

/// One attempt: a connection, the attempt's number out, one line back.
#[retry(policy = "quotes")]
async fn quote(address: &str, attempts: &AtomicU32) -> Result<String, QuoteError> {
    let attempt = attempts.fetch_add(1, Ordering::SeqCst) + 1;
    let mut stream = BufReader::new(TcpStream::connect(address).await?);
    stream.write_all(format!("{attempt}\n").as_bytes()).await?;
    let mut answer = String::new();
    stream.read_line(&mut answer).await?;
    match answer.trim() {
        "BUSY" | "" => Err(QuoteError::Busy),
        price => Ok(price.to_owned()),
    }
}

/// The quote service: `BUSY` to an attempt numbered up to [`BUSY_ATTEMPTS`], else `12.50`.
async fn serve(listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        tokio::spawn(async move {
            let mut stream = BufReader::new(stream);
            let mut attempt = String::new();
            if stream.read_line(&mut attempt).await.is_ok() {
                let busy = attempt.trim().parse::<u32>().is_ok_and(|attempt| attempt <= BUSY_ATTEMPTS);
                let _ = stream.write_all(if busy { b"BUSY\n" } else { b"12.50\n" }).await;
            }
        });
    }
}

/// The configuration as operations would write it, with `max_attempts` to edit.
fn config(max_attempts: u32) -> String {
    format!("[policies.quotes]\nbackoff = \"fixed\"\ninitial_delay = \"20ms\"\nmax_attempts = {max_attempts}\n")
}

/// Replaces the file in one step, as an editor or a deployment should: a sibling is written,
/// then renamed over it, so that no reader sees half a file.
fn edit(file: &Path, text: &str) -> std::io::Result<()> {
    let sibling = file.with_extension("toml.new");
    std::fs::write(&sibling, text)?;
    std::fs::rename(&sibling, file)
}

/// What a call should come to under the policy in force.
#[derive(Debug, PartialEq)]
enum Outcome {
    GaveUpAfter(u32),
    PriceAfter(u32),
}

/// One call: prints what came of it, and fails the example if that is not `expected`.
async fn call(address: &str, expected: Outcome) -> Result<(), String> {
    let attempts = AtomicU32::new(0);
    let result = quote(address, &attempts).await;
    let attempts = attempts.load(Ordering::SeqCst);
    println!("  call: {result:?} after {attempts} attempts");
    let outcome = if result.is_ok() { Outcome::PriceAfter(attempts) } else { Outcome::GaveUpAfter(attempts) };
    if outcome == expected { Ok(()) } else { Err(format!("expected {expected:?}, got {outcome:?}")) }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("RESILIENT_CONFIG").is_some() {
        return Err("unset RESILIENT_CONFIG: this example reads ./resilient.toml".into());
    }
    // A working directory of our own, whose ./resilient.toml `init()` finds, removed at the end
    // however the run ends.
    let directory = std::env::temp_dir().join(format!("resilient-reload-example-{}", std::process::id()));
    std::fs::create_dir_all(&directory)?;
    std::env::set_current_dir(&directory)?;
    let outcome = run(&directory.join("resilient.toml")).await;
    std::fs::remove_dir_all(&directory)?;
    outcome
}

async fn run(file: &Path) -> Result<(), Box<dyn std::error::Error>> {
    edit(file, &config(2))?;
    resilient::init()?;

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?.to_string();
    tokio::spawn(serve(listener));
    println!("quote service on {address}: BUSY to a call's first {BUSY_ATTEMPTS} attempts, then a price");

    println!("1. {} has max_attempts = 2", file.display());
    call(&address, Outcome::GaveUpAfter(2)).await?;

    println!("2. operations raise max_attempts to 5, and reload");
    edit(file, &config(5))?;
    resilient::reload()?;
    call(&address, Outcome::PriceAfter(BUSY_ATTEMPTS + 1)).await?;

    println!("3. operations write max_attempts = 0 by mistake, and reload");
    edit(file, &config(0))?;
    match resilient::reload() {
        Ok(_) => return Err("a policy of zero attempts was accepted".into()),
        Err(error) => println!("  refused, the last good configuration stays:\n    {error}"),
    }
    call(&address, Outcome::PriceAfter(BUSY_ATTEMPTS + 1)).await?;

    // What calls run under now, every inherited key spelt out: the edit of step 2.
    let in_effect = resilient::installed();
    if in_effect.resolve("quotes").max_attempts() != Some(5) {
        return Err(format!("the configuration in effect is not the last good one:\n{in_effect}").into());
    }
    print!("the configuration in effect:\n{in_effect}");
    println!("{}", resilient::stats());
    Ok(())
}
