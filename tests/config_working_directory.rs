//! `resilient::reload` without `$RESILIENT_CONFIG`: with no file to read, it keeps a registry
//! installed in code; it finds a `./resilient.toml` created after `init` chose the built-in
//! defaults, and it keeps reading that file after the process changes directory, as a daemon
//! does.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

use resilient::retry;

mod common;
use common::Error;

/// Counts its attempts: how the test sees which policy is installed.
#[retry(policy = "graph")]
fn graph(calls: &AtomicU32) -> Result<(), Error> {
    calls.fetch_add(1, SeqCst);
    Err(Error::Unavailable)
}

fn attempts() -> u32 {
    let calls = AtomicU32::new(0);
    assert!(graph(&calls).is_err());
    calls.load(SeqCst)
}

fn graph_with_attempts(attempts: u32) -> String {
    format!("[policies.graph]\nmax_attempts = {attempts}\nbackoff = \"fixed\"\ninitial_delay = \"1ms\"\n")
}

/// One test: the working directory, the environment and the installed registry are
/// process-wide.
#[test]
fn reload_keeps_a_code_registry_without_a_file_and_follows_a_file_created_later() {
    let base = std::env::temp_dir().join(format!("resilient-working-directory-{}", std::process::id()));
    let (start, elsewhere): (PathBuf, PathBuf) = (base.join("start"), base.join("elsewhere"));
    std::fs::create_dir_all(&start).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    let file = start.join("resilient.toml");
    let original = std::env::current_dir().unwrap();
    // SAFETY: this binary has a single test, so no other thread reads the environment.
    unsafe { std::env::remove_var("RESILIENT_CONFIG") };
    std::env::set_current_dir(&start).unwrap();

    // A registry installed in code, and no file: a reload has nothing to read, and keeps it
    // rather than fall back to the built-in defaults.
    let policy =
        resilient::Policy::builder().max_attempts(5).initial_delay(std::time::Duration::from_millis(1)).build();
    resilient::install(resilient::Registry::builder().policy("graph", policy.unwrap()).build().unwrap());
    assert_eq!(attempts(), 5);
    let nothing = resilient::reload().unwrap_err().to_string();
    assert_eq!(
        nothing,
        "./resilient.toml: not found, and $RESILIENT_CONFIG is unset: there is no file to reload, so the \
         registry installed in code stays; create the file, or set $RESILIENT_CONFIG to one, then reload"
    );
    assert_eq!(attempts(), 5, "the registry installed in code stays");

    // `init` loads what it finds, here nothing: the built-in defaults (3 attempts), and a
    // warning that `graph` is missing. A reload of them is no error.
    resilient::init().unwrap();
    assert_eq!(attempts(), 3, "built-in defaults");
    resilient::reload().unwrap();
    assert_eq!(attempts(), 3, "still the built-in defaults");

    // Operations create the file, then ask for a reload: it is loaded.
    std::fs::write(&file, graph_with_attempts(2)).unwrap();
    resilient::reload().unwrap();
    assert_eq!(attempts(), 2, "the file created after init is loaded");

    // The process moves elsewhere; the reload still reads the file it loaded.
    std::env::set_current_dir(&elsewhere).unwrap();
    std::fs::write(&file, graph_with_attempts(4)).unwrap();
    resilient::reload().unwrap();
    assert_eq!(attempts(), 4, "the same file, after a change of directory");

    // Messages name the file as it was found.
    std::fs::write(&file, "[policies.graph]\nmax_attempts = 0\n").unwrap();
    let bad = resilient::reload().unwrap_err().to_string();
    assert!(bad.starts_with("resilient.toml:2:16: policies.graph.max_attempts"), "{bad}");
    assert_eq!(attempts(), 4, "a bad file keeps the last good registry");

    std::env::set_current_dir(original).unwrap();
    std::fs::remove_dir_all(base).unwrap();
}
