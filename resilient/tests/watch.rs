//! The `watch` feature: a changed configuration file is reloaded (and one created after `init`
//! chose the built-in defaults is loaded); a bad one is reported and the last good registry
//! stays. Real file system, real time: the watcher polls on its own thread.

#![cfg(feature = "watch")]

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::{Duration, Instant};

use resilient::{Transient, retry};

#[derive(Debug, Transient)]
#[transient]
struct Unavailable;

#[retry(policy = "watched")]
fn watched(calls: &AtomicU32) -> Result<(), Unavailable> {
    calls.fetch_add(1, SeqCst);
    Err(Unavailable)
}

fn attempts() -> u32 {
    let calls = AtomicU32::new(0);
    let _ = watched(&calls);
    calls.load(SeqCst)
}

fn policy(attempts: u32) -> String {
    format!("[policies.watched]\nmax_attempts = {attempts}\ninitial_delay = \"1ms\"\n")
}

/// Replaces the file's contents in one step (a write to a sibling, then a rename), as a
/// deployment does. Written in place, the file is empty for a moment, and on a loaded machine
/// that moment can outlast two polls: the watcher would then rightly load an empty file.
fn replace(path: &std::path::Path, contents: &str) {
    let next = path.with_extension("toml.next");
    std::fs::write(&next, contents).unwrap();
    std::fs::rename(&next, path).unwrap();
}

/// Waits (up to 10 s) until the installed policy makes `expected` attempts.
fn until_attempts(expected: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if attempts() == expected {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// Everything the test's subscriber writes, from every thread (the watcher logs on its own).
#[derive(Clone, Default)]
struct Log(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_changed_file_is_reloaded_and_a_bad_one_is_not() {
    let log = Log::default();
    let writer = log.clone();
    tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).init();
    let dir = std::env::temp_dir().join(format!("resilient-watch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("resilient.toml");
    std::fs::write(&path, policy(2)).unwrap();
    // SAFETY: this binary has a single test, so no other thread reads the environment.
    unsafe { std::env::set_var("RESILIENT_CONFIG", &path) };
    resilient::init().unwrap();
    assert_eq!(attempts(), 2);

    let watcher = resilient::watch(Duration::from_millis(10));
    replace(&path, &policy(4));
    assert!(until_attempts(4), "the change was not picked up");

    // A bad file (a different length, so the change is seen even within one mtime tick).
    replace(&path, "[policies.watched]\nmax_attempts = 0 # broken\n");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(attempts(), 4, "a bad file keeps the last good registry");

    replace(&path, &policy(3));
    assert!(until_attempts(3), "a fixed file is picked up again");

    // A reload's warnings have no caller to return to here, and are logged.
    replace(&path, &format!("{}jitter = \"none\"\n", policy(5)));
    assert!(until_attempts(5), "a file with a warning is loaded");
    let logged = || String::from_utf8_lossy(&log.0.lock().unwrap()).into_owned();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !logged().contains("without jitter") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let warning = logged().lines().find(|line| line.contains("without jitter")).map(str::to_owned);
    let warning = warning.expect("the warning was logged");
    assert!(warning.contains("WARN") && warning.contains("policies.watched.jitter"), "{warning}");
    drop(watcher);

    // Dropping a watcher does not wait out its interval: an hour here.
    let idle = resilient::watch(Duration::from_secs(3600));
    let (dropped, done) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(idle);
        let _ = dropped.send(());
    });
    // A generous bound, so that a failure is reported rather than hung for an hour.
    assert!(done.recv_timeout(Duration::from_secs(60)).is_ok(), "dropping the watcher waited for its interval");

    // Started under the built-in defaults (no variable, no `./resilient.toml`), the watcher
    // loads a `./resilient.toml` created later.
    let empty_dir = dir.join("started-without-a-file");
    std::fs::create_dir_all(&empty_dir).unwrap();
    let original = std::env::current_dir().unwrap();
    std::env::set_current_dir(&empty_dir).unwrap();
    // SAFETY: as above.
    unsafe { std::env::remove_var("RESILIENT_CONFIG") };
    resilient::init().unwrap();
    assert_eq!(attempts(), 3, "built-in defaults");
    let watcher = resilient::watch(Duration::from_millis(10));
    replace(&empty_dir.join("resilient.toml"), &policy(6));
    assert!(until_attempts(6), "a file created after init was not picked up");
    drop(watcher);
    std::env::set_current_dir(original).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
