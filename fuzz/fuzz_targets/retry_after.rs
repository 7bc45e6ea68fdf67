//! Any header value as `Retry-After`: a delay or none, never a panic. A value of digits alone
//! is always a delay, of at least that many seconds (saturating).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else { return };
    let delay = resilient::parse_retry_after(value);
    let trimmed = value.trim_ascii();
    if !trimmed.is_empty() && trimmed.bytes().all(|byte| byte.is_ascii_digit()) {
        let delay = delay.expect("digits are a delay in seconds");
        if let Ok(seconds) = trimmed.parse::<u64>() {
            assert_eq!(delay.as_secs(), seconds);
        }
    }
});
