//! `resilient::init` and `resilient::reload`: finding the file, verifying every call site
//! (called or not), strict mode, and keeping the last good registry when a reload fails.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

use resilient::retry;

mod common;
use common::{Error as WithHome, Unavailable as WithoutHome};

/// Counts its attempts: how the test sees which policy is installed.
#[retry(policy = "graph")]
fn graph(calls: &AtomicU32) -> Result<(), WithHome> {
    calls.fetch_add(1, SeqCst);
    Err(WithHome::Unavailable)
}

/// Never called: `init` must still see it.
#[retry(policy = "mail")]
async fn send_mail() -> Result<(), WithoutHome> {
    Ok(())
}

/// A plain `fn`: an attempt timeout cannot cut it off, so it needs no home for one, and gets
/// a warning that the timeout is not kept.
#[retry(policy = "archive")]
fn archive_mail() -> Result<(), WithoutHome> {
    Ok(())
}

/// A generic error type: whether it can hold a rejection is up to the function's bounds,
/// which a call site's record cannot name, so a breaker on its policy is a warning.
#[retry(policy = "graph")]
async fn relay<E: resilient::Transient>(error: fn() -> E) -> Result<(), E> {
    Err(error())
}

fn attempts() -> u32 {
    let calls = AtomicU32::new(0);
    assert!(graph(&calls).is_err());
    calls.load(SeqCst)
}

struct Config {
    path: PathBuf,
}

impl Config {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("resilient-config-init-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Config { path: dir.join("resilient.toml") }
    }

    fn write(&self, text: &str) {
        std::fs::write(&self.path, text).unwrap();
    }
}

const FAST: &str = "initial_delay = \"1ms\"\nbackoff = \"exponential\"";

/// One test: the environment and the installed registry are process-wide.
#[test]
fn init_and_reload_verify_call_sites_and_keep_the_last_good_registry() {
    let config = Config::new();
    // An empty variable names no file: an error that says so, not one about a file named "".
    // SAFETY: this binary has a single test, so no other thread reads the environment.
    unsafe { std::env::set_var("RESILIENT_CONFIG", "") };
    let empty = resilient::init().unwrap_err().to_string();
    assert!(empty.starts_with("$RESILIENT_CONFIG: set, but empty; set it to the configuration file"), "{empty}");

    // SAFETY: as above.
    unsafe { std::env::set_var("RESILIENT_CONFIG", &config.path) };

    // A missing file named by the variable is an error, and nothing is installed.
    let missing = resilient::init().unwrap_err().to_string();
    assert!(missing.contains("cannot read the configuration"), "{missing}");
    assert_eq!(attempts(), 3, "built-in defaults");
    assert_eq!(resilient::installed().names().count(), 0, "nothing installed");

    // `mail` is missing: a warning naming the call site that was never called.
    config.write(&format!("[policies.graph]\nmax_attempts = 2\n{FAST}\n[policies.archive]\n"));
    let warnings = resilient::init().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    let warning = warnings[0].to_string();
    assert!(warning.contains("config_init.rs:"), "{warning}");
    assert!(
        warning.contains(
            "config_init::send_mail: `#[retry(policy = \"mail\")]` names a policy the configuration does not define, so it runs under `[defaults]`; add `[policies.mail]` or fix the name"
        ),
        "{warning}"
    );
    assert_eq!(attempts(), 2);

    // A name the file spells differently: the warning suggests it.
    config.write(&format!("[policies.graph]\nmax_attempts = 2\n{FAST}\n[policies.archive]\n[policies.Mail]\n"));
    let warnings = resilient::reload().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(warnings[0].to_string().ends_with("runs under `[defaults]`; did you mean `Mail`?"), "{}", warnings[0]);

    // Strict: the same is an error.
    config.write(&format!("strict = true\n[policies.graph]\nmax_attempts = 5\n{FAST}\n"));
    let strict = resilient::reload().unwrap_err().to_string();
    assert!(strict.contains("config_init::send_mail"), "{strict}");
    assert_eq!(attempts(), 2, "a failed reload keeps the last good registry");
    // And it is what `installed` shows: the configuration in effect.
    let in_effect = resilient::installed();
    assert!(!in_effect.is_strict());
    assert_eq!(in_effect.names().collect::<Vec<_>>(), ["Mail", "archive", "graph"]);
    assert!(in_effect.to_string().contains("[policies.graph]\nmax_attempts = 2\n"), "{in_effect}");

    // An attempt timeout needs an error type that can hold `Rejected`: `send_mail`'s cannot.
    // `archive_mail`'s cannot either, but a plain `fn`'s attempts are never timed out.
    const ARCHIVE: &str = "[policies.archive]\nattempt_timeout = \"5s\"\n";
    config.write(&format!(
        "[policies.graph]\nmax_attempts = 4\n{FAST}\n[policies.mail]\nattempt_timeout = \"5s\"\n{ARCHIVE}"
    ));
    let no_home = resilient::reload().unwrap_err().to_string();
    assert!(
        no_home.contains("config_init::send_mail: policy `mail` has an attempt timeout, but the function's error type cannot hold a `resilient::Rejected`"),
        "{no_home}"
    );
    assert!(!no_home.contains("archive_mail"), "{no_home}");
    // `graph`'s error type can: a breaker on it is fine. `archive_mail` is told that its
    // timeout is not kept.
    config.write(&format!(
        "[policies.graph]\nmax_attempts = 4\n{FAST}\n[policies.graph.circuit_breaker]\n[policies.mail]\n{ARCHIVE}"
    ));
    let warnings = resilient::reload().unwrap();
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    let warning = warnings[0].to_string();
    assert!(
        warning.contains(
            "config_init::archive_mail: policy `archive` has an attempt timeout, which a plain `fn` cannot keep"
        ),
        "{warning}"
    );
    let generic = warnings[1].to_string();
    assert!(
        generic.contains("config_init::relay: policy `graph` has a circuit breaker, and whether the function's error type can hold a `resilient::Rejected` could not be checked here (it is generic, or names `Self` or a lifetime); a generic one needs the bound `From<resilient::Rejected>`"),
        "{generic}"
    );
    assert_eq!(attempts(), 4);

    // A breaker in `[defaults]` gives every name one, `mail` and `archive` too, whose error
    // type cannot hold a rejection: the fix offers to turn it off for them.
    let graph = format!("[policies.graph]\nmax_attempts = 4\n{FAST}\n");
    config.write(&format!("{graph}[defaults.circuit_breaker]\n[policies.mail]\n[policies.archive]\n"));
    let inherited = resilient::reload().unwrap_err().to_string();
    for (operation, policy) in [("archive_mail", "archive"), ("send_mail", "mail")] {
        let expected = format!(
            "config_init::{operation}: policy `{policy}` has a circuit breaker, but the function's error type cannot hold a `resilient::Rejected`, so the runtime could not report a rejection; add a variant `Rejected(#[from] resilient::Rejected)` marked `#[transient(delegate)]`, or, if its calls need no breaker, write `circuit_breaker = false` under `[policies.{policy}]`"
        );
        assert!(inherited.contains(&expected), "{inherited}");
    }
    // Turned off for them, the others keep theirs.
    config.write(&format!(
        "{graph}[defaults.circuit_breaker]\n[policies.mail]\ncircuit_breaker = false\n[policies.archive]\ncircuit_breaker = false\n"
    ));
    let warnings = resilient::reload().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0].to_string().contains("config_init::relay: policy `graph` has a circuit breaker"),
        "{}",
        warnings[0]
    );
    let in_effect = resilient::installed();
    assert!(in_effect.circuit_breaker("mail").is_none() && in_effect.circuit_breaker("archive").is_none());
    assert!(in_effect.circuit_breaker("graph").is_some());
    assert_eq!(attempts(), 4);

    // A bad file: the error, with its position; the registry stays.
    config.write("[policies.graph]\nmax_attempts = 0\n");
    let bad = resilient::reload().unwrap_err().to_string();
    assert!(bad.ends_with("resilient.toml:2:16: policies.graph.max_attempts: expected an integer >= 1, found 0; use `max_attempts = 1` to disable retries"), "{bad}");
    assert_eq!(attempts(), 4);

    std::fs::remove_dir_all(config.path.parent().unwrap()).unwrap();
}
