//! Any text as a duration: `parse_duration` returns a duration or a message naming the text,
//! never panics, and what `format_duration` writes reads back as the same duration.

#![no_main]

use libfuzzer_sys::fuzz_target;
use resilient_policy::{format_duration, parse_duration};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse_duration(text) {
        Ok(duration) => {
            let written = format_duration(duration);
            assert_eq!(parse_duration(&written), Ok(duration), "{text:?} read as {duration:?}, written as {written:?}");
        }
        Err(message) => assert!(message.contains(&format!("{text:?}")), "{message:?} does not name {text:?}"),
    }
});
