//! The process-wide configuration: where it comes from, loading it at start-up, reloading it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{ConfigError, ConfigWarning, verify};
use crate::{Registry, install};

/// The variable naming the configuration file.
const ENV: &str = "RESILIENT_CONFIG";
/// The file used when the variable is not set, if it exists.
const LOCAL_FILE: &str = "resilient.toml";

/// Where the installed registry came from, so [`reload`] reads the same source.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// A file: `named` as the user named it, for messages, and `at`, where that was when it
    /// was named. A relative path is resolved against the working directory of that moment,
    /// so that a process that changes directory later (a daemon does) reloads the same file.
    File { named: PathBuf, at: PathBuf },
    /// No file: `$RESILIENT_CONFIG` was unset and `./resilient.toml` did not exist.
    BuiltIn,
}

impl Source {
    fn file(named: PathBuf) -> Source {
        // Fails only for an empty path, which `load` reports.
        let at = std::path::absolute(&named).unwrap_or_else(|_| named.clone());
        Source::File { named, at }
    }
}

static SOURCE: Mutex<Option<Source>> = Mutex::new(None);

fn discover() -> Source {
    match std::env::var_os(ENV) {
        // Named explicitly: a missing file is an error, not a silent fallback.
        Some(path) => Source::file(PathBuf::from(path)),
        None if Path::new(LOCAL_FILE).is_file() => Source::file(PathBuf::from(LOCAL_FILE)),
        None => Source::BuiltIn,
    }
}

/// The source [`reload`] reads: the file [`init`] or the last reload read, or, if there was
/// none, the one `init` would find now. The built-in defaults stood in for a missing file,
/// and a reload after operations create `./resilient.toml` should load it, not the defaults
/// again.
fn reload_source() -> Source {
    match lock().clone() {
        Some(file @ Source::File { .. }) => file,
        Some(Source::BuiltIn) | None => discover(),
    }
}

fn load(source: &Source) -> Result<Registry, ConfigError> {
    match source {
        // `RESILIENT_CONFIG=` names no file: reading "" would report a file without a name.
        Source::File { named, .. } if named.as_os_str().is_empty() => Err(ConfigError::single(
            super::Location::WholeFile(format!("${ENV}")),
            "",
            "set, but empty; set it to the configuration file, or unset it to use ./resilient.toml or the built-in defaults",
        )),
        Source::File { named, at } => Registry::from_file_named(at, &named.display().to_string()),
        Source::BuiltIn => Ok(Registry::default()),
    }
}

/// Loads the configuration, verifies every `#[retry]` call site against it, and installs it.
///
/// The file is `$RESILIENT_CONFIG` if set (then it must name a file that exists), else
/// `./resilient.toml` if it exists, else the built-in defaults. Verification covers every call
/// site linked into the program, called or not: a named policy that does not exist (an error
/// with `strict = true`, else a warning); a policy with an attempt timeout or a circuit
/// breaker used where the error type cannot hold a [`Rejected`](crate::Rejected) (an error);
/// and an attempt timeout on a plain `fn`, which cannot keep it (a warning).
///
/// Returns the warnings, which are also logged as `WARN` events. On error nothing is installed.
///
/// ```no_run
/// fn main() -> Result<(), resilient::ConfigError> {
///     let warnings = resilient::init()?;
///     # let _ = warnings;
///     Ok(())
/// }
/// ```
pub fn init() -> Result<Vec<ConfigWarning>, ConfigError> {
    load_and_install(discover())
}

/// Re-reads the file [`init`] used (or, if it found none or never ran, the one it would find
/// now: `./resilient.toml` created since is loaded), verifies it and swaps it in atomically:
/// calls that start afterwards use it, calls in flight finish under the policy they started
/// with. On error the current registry stays and the error is returned. With no file to read
/// (`$RESILIENT_CONFIG` unset, no `./resilient.toml`), a registry the program
/// [`install`](crate::install)ed in code stays and the reload is an error that says so: the
/// built-in defaults never replace it.
/// A source that has not changed leaves the installed registry as it is (see
/// [`install`](crate::install)), so reloading on a timer costs no memory. Circuit breakers
/// and retry budgets go on across a reload, even one that changes their settings: an open
/// breaker stays open (until the end of its break, as the new settings set it), a closed one
/// keeps the outcomes in its window (unless the window's length changed), and saved retry
/// tokens stay saved.
///
/// ```no_run
/// resilient::init()?;
/// // … operations edit the file, then tell the process (a signal, an admin endpoint):
/// match resilient::reload() {
///     Ok(warnings) => warnings.iter().for_each(|warning| eprintln!("{warning}")),
///     Err(error) => eprintln!("configuration not reloaded, the previous one stays:\n{error}"),
/// }
/// # Ok::<(), resilient::ConfigError>(())
/// ```
pub fn reload() -> Result<Vec<ConfigWarning>, ConfigError> {
    let source = reload_source();
    // The built-in defaults stand in for a file missing at start-up. They never replace what
    // the program installed in code: that would drop its policies for nothing read.
    if source == Source::BuiltIn && !crate::registry::installed_is_builtin() {
        return Err(ConfigError::single(
            super::Location::WholeFile(format!("./{LOCAL_FILE}")),
            "",
            format!(
                "not found, and ${ENV} is unset: there is no file to reload, so the registry installed in code \
                 stays; create the file, or set ${ENV} to one, then reload"
            ),
        ));
    }
    load_and_install(source)
}

fn lock() -> std::sync::MutexGuard<'static, Option<Source>> {
    SOURCE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn load_and_install(source: Source) -> Result<Vec<ConfigWarning>, ConfigError> {
    let registry = load(&source)?;
    let mut warnings = registry.warnings().to_vec();
    warnings.extend(verify::call_sites(&registry, crate::__private::call_sites())?);
    for warning in &warnings {
        tracing::warn!(target: "resilient", "{warning}");
    }
    install(registry);
    *lock() = Some(source);
    Ok(warnings)
}

/// The configuration file [`reload`] would read, if any.
#[cfg(feature = "watch")]
fn current_file() -> Option<PathBuf> {
    match reload_source() {
        Source::File { at, .. } => Some(at),
        Source::BuiltIn => None,
    }
}

/// Watches the configuration file and reloads it when it changes. Made by [`watch`].
///
/// Dropping the handle stops the watching thread and waits for it: at once between polls, even
/// in the middle of a long interval, or after the reload it may be running.
///
/// ```no_run
/// resilient::init()?;
/// let watcher = resilient::watch(std::time::Duration::from_secs(1));
/// // … serve …
/// drop(watcher); // the file is no longer watched
/// # Ok::<(), resilient::ConfigError>(())
/// ```
#[cfg(feature = "watch")]
#[derive(Debug)]
#[must_use = "dropping the watcher stops it: keep it for as long as the file should be watched"]
pub struct Watcher {
    /// Dropped to stop the thread: its wait between polls ends at once, not after an interval.
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Starts a thread that checks the configuration file every `interval` and calls [`reload`]
/// when its contents change and have stayed the same for one more interval. (Started under
/// the built-in defaults, it checks for the file [`reload`] would find: a `./resilient.toml`
/// created later is loaded.) A reload is reported as an `INFO` event, and its warnings as
/// `WARN` events, as `reload` logs them. A file that fails to load keeps the last good
/// registry and is reported as an `ERROR` event; the next change is tried again. The thread
/// reads the file once per interval, so an interval of zero keeps a core busy reading it: a
/// second is plenty.
///
/// Polling keeps this free of platform-specific file notification. It compares contents, not
/// modification times, whose granularity can hide a quick edit; a configuration file is small
/// and changes seldom, so reading it once a second costs nothing measurable.
///
/// Replace the file in one step (write a sibling, then rename it over the file). A writer that
/// truncates the file in place and stalls for two intervals leaves an empty file, which is a
/// valid configuration of defaults, and the watcher would load it.
///
/// ```no_run
/// resilient::init()?;
/// let _watcher = resilient::watch(std::time::Duration::from_secs(1)); // stops when dropped
/// # Ok::<(), resilient::ConfigError>(())
/// ```
#[cfg(feature = "watch")]
pub fn watch(interval: std::time::Duration) -> Watcher {
    use std::sync::mpsc::RecvTimeoutError;
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let contents = |path: Option<PathBuf>| path.and_then(|path| super::read_file(&path).ok());
    // Read before the thread starts, so that a change made right after `watch` returns is seen.
    let mut last = contents(current_file());
    let mut pending = None;
    let thread = std::thread::Builder::new().name("resilient-watch".to_owned()).spawn(move || {
        // Nothing is ever sent: the wait ends with the interval, or when the handle drops
        // the sender.
        while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
            let Some(path) = current_file() else { continue };
            let now = contents(Some(path.clone()));
            if now == last {
                pending = None;
                continue;
            }
            // Reload only contents seen twice in a row: an editor writing the file in place
            // may be caught half-way (an empty file would be valid, and wrong).
            if pending.as_ref() != Some(&now) {
                pending = Some(now);
                continue;
            }
            last = now;
            pending = None;
            match reload() {
                Ok(_) => tracing::info!(target: "resilient", file = %path.display(), "configuration reloaded"),
                Err(error) => tracing::error!(
                    target: "resilient",
                    file = %path.display(),
                    "configuration not reloaded, keeping the last good one:\n{error}"
                ),
            }
        }
    });
    let thread = thread
        .inspect_err(|error| tracing::error!(target: "resilient", "configuration not watched: no thread: {error}"))
        .ok();
    Watcher { stop: Some(stop), thread }
}

#[cfg(feature = "watch")]
impl Drop for Watcher {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
