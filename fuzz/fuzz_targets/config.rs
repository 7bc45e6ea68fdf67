//! Any text as a configuration file: the loader returns a registry or an error, never panics,
//! and what it returns holds up (`resilient_fuzz::load_and_check`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        resilient_fuzz::load_and_check(text);
    }
});
