//! Compile-time and binary-size cost: a crate with 200 `#[retry]` functions against the same
//! crate written with backon closures. Generates both crates under `target/compile-time/`,
//! builds their dependencies once, then times a rebuild of each crate alone (dev profile,
//! median of 3). Then builds each crate's program, which polls every function once, in the
//! release profile with symbols stripped, beside the same program over 200 functions that do
//! not retry, and prints the sizes of the three.
//!
//! `cargo bench -p resilient-benches --bench compile_time`

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const FUNCTIONS: usize = 200;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// A crate of `FUNCTIONS` functions, and a program that polls each of them once, so that the
/// code of every one of them is in the program.
fn write_crate(dir: &Path, name: &str, dependencies: &str, prelude: &str, function: impl Fn(usize) -> String) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!("[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n[dependencies]\n{dependencies}\n\n[profile.release]\nstrip = true\n"),
    )
    .unwrap();
    let mut source = prelude.to_owned();
    let mut program = format!("use {name}::*;\n{POLL_ONCE}\nfn main() {{\n");
    for n in 0..FUNCTIONS {
        source.push_str(&function(n));
        program.push_str(&format!("    poll_once(call_{n}(&Client, std::hint::black_box(\"id\")));\n"));
    }
    program.push_str("}\n");
    std::fs::write(dir.join("src/lib.rs"), source).unwrap();
    std::fs::write(dir.join("src/main.rs"), program).unwrap();
}

/// Polls a future once, with a waker that does nothing: the calls succeed at once.
const POLL_ONCE: &str = r#"
fn poll_once<F: std::future::Future>(future: F) {
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    let _ = std::hint::black_box(std::pin::pin!(future).poll(&mut context));
}
"#;

fn cargo(dir: &Path, target: &Path, args: &[&str]) {
    let status = Command::new(env!("CARGO"))
        .args(args)
        .args(["--quiet", "--offline"])
        .env("CARGO_TARGET_DIR", target)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "cargo {args:?} in {}", dir.display());
}

/// The size of the crate's program, built in the release profile without symbols.
fn program_size(dir: &Path, name: &str, target: &Path) -> u64 {
    cargo(dir, target, &["build", "--release", "--bin", name]);
    std::fs::metadata(target.join("release").join(name)).unwrap().len()
}

/// Median time to rebuild the crate alone (its library: the program is for the sizes).
fn rebuild_time(dir: &Path, target: &Path) -> Duration {
    let build = || cargo(dir, target, &["build", "--lib"]);
    build(); // dependencies
    let mut times: Vec<Duration> = (0..3)
        .map(|_| {
            let lib = dir.join("src/lib.rs");
            let source = std::fs::read_to_string(&lib).unwrap();
            std::fs::write(&lib, source).unwrap(); // a new mtime: rebuild this crate only
            let start = Instant::now();
            build();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[1]
}

const ERROR: &str = r#"
#[derive(Debug, resilient::Transient)]
#[transient]
pub struct Unavailable;

pub struct Client;

impl Client {
    async fn get(&self, _id: &str) -> Result<u64, Unavailable> {
        Ok(1)
    }
}
"#;

fn main() {
    let root = workspace().join("target/compile-time");
    let target = root.join("target");
    let resilient = format!("resilient = {{ path = {:?} }}", workspace().join("resilient").display().to_string());
    // A function that makes one call to the client, under `attribute`: with `#[retry]`, or none.
    let calling_once = |attribute: &'static str| {
        move |n: usize| {
            format!(
                "\n{attribute}pub async fn call_{n}(client: &Client, id: &str) -> Result<u64, Unavailable> {{\n    client.get(id).await\n}}\n"
            )
        }
    };
    let with_macro = root.join("with-retry");
    write_crate(
        &with_macro,
        "compile_time_retry",
        &resilient,
        &format!("use resilient::retry;\n{ERROR}"),
        calling_once("#[retry(max_attempts = 3, initial_delay = \"100ms\")]\n"),
    );
    let with_backon = root.join("with-backon");
    write_crate(
        &with_backon,
        "compile_time_backon",
        &format!("{resilient}\nbackon = \"1\""),
        &format!("use backon::{{ExponentialBuilder, Retryable}};\n{ERROR}"),
        |n| {
            format!(
                "\npub async fn call_{n}(client: &Client, id: &str) -> Result<u64, Unavailable> {{\n    (|| client.get(id)).retry(ExponentialBuilder::default().with_max_times(2)).await\n}}\n"
            )
        },
    );
    let without_retries = root.join("without-retries");
    write_crate(&without_retries, "compile_time_plain", &resilient, ERROR, calling_once(""));
    let retry = rebuild_time(&with_macro, &target);
    let backon = rebuild_time(&with_backon, &target);
    println!("| crate ({FUNCTIONS} retrying functions) | rebuild time (dev) |");
    println!("| --- | --- |");
    println!("| `#[retry]` | {:.2} s |", retry.as_secs_f64());
    println!("| backon closures | {:.2} s |", backon.as_secs_f64());

    let plain = program_size(&without_retries, "compile_time_plain", &target);
    println!();
    println!(
        "| program ({FUNCTIONS} functions, each polled once) | size (release, stripped) | per function, over plain |"
    );
    println!("| --- | --- | --- |");
    println!("| plain `async fn`s | {plain} B | |");
    for (label, dir, name) in
        [("`#[retry]`", &with_macro, "compile_time_retry"), ("backon closures", &with_backon, "compile_time_backon")]
    {
        let size = program_size(dir, name, &target);
        let per_function = (size as f64 - plain as f64) / FUNCTIONS as f64;
        println!("| {label} | {size} B | {per_function:+.0} B |");
    }
}
