//! The server's own delay: reading an HTTP `Retry-After` header into the `Duration` a throttled
//! error carries.

use std::time::{Duration, SystemTime};

/// The delay an HTTP `Retry-After` header value asks for, or `None` if the value is not one.
///
/// Both forms of RFC 9110 are read: delay-seconds (`"120"`) and an HTTP-date
/// (`"Wed, 21 Oct 2026 07:28:00 GMT"`, and the two obsolete date formats recipients must
/// accept), the date measured from the system clock now. Whatever the server says, the value
/// is only a hint:
///
/// - A date already past (or a server clock behind ours) is a delay of zero: the policy's own
///   backoff then applies, as it always does when it is the longer of the two.
/// - A number too large for a `Duration` saturates rather than being ignored; like any hint, it
///   is capped by the policy's `max_delay`, so a hostile `Retry-After` cannot stall the caller.
/// - Anything else (a negative or fractional number, an empty value, a malformed date) is no
///   hint at all: `None`, and the backoff delay applies.
///
/// ```
/// use std::time::Duration;
/// use resilient::{Transient, parse_retry_after};
///
/// assert_eq!(parse_retry_after(" 120"), Some(Duration::from_secs(120)));
/// assert_eq!(parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT"), Some(Duration::ZERO)); // past
/// assert_eq!(parse_retry_after("soon"), None); // no hint: the backoff applies
///
/// #[derive(Debug, Transient)]
/// enum HttpError {
///     #[transient(throttled, retry_after = retry_after)]
///     TooManyRequests { retry_after: Option<Duration> },
/// }
///
/// /// A 429 response, with its `Retry-After` header if it has one.
/// fn too_many_requests(retry_after: Option<&str>) -> HttpError {
///     HttpError::TooManyRequests { retry_after: retry_after.and_then(parse_retry_after) }
/// }
/// let throttled = resilient::Classification::Throttled { retry_after: Some(Duration::from_secs(2)) };
/// assert_eq!(too_many_requests(Some("2")).classify(), throttled);
/// ```
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    parse_retry_after_at(value, SystemTime::now())
}

/// [`parse_retry_after`] with the clock read by the caller, for dates.
fn parse_retry_after_at(value: &str, now: SystemTime) -> Option<Duration> {
    // Header values may carry whitespace around them (and a hand-read line its CRLF).
    let value = value.trim_ascii();
    if !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit()) {
        // Only digits: an overflow is the one way this parse can fail.
        return Some(value.parse().map_or(Duration::MAX, Duration::from_secs));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sun, 06 Nov 1994 08:49:37 GMT, the example date of RFC 9110.
    fn rfc_example() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777)
    }

    fn at(value: &str, now: SystemTime) -> Option<Duration> {
        parse_retry_after_at(value, now)
    }

    #[test]
    fn delay_seconds_are_read_with_surrounding_whitespace() {
        let now = SystemTime::now();
        assert_eq!(at("120", now), Some(Duration::from_secs(120)));
        assert_eq!(at("0", now), Some(Duration::ZERO));
        assert_eq!(at(" \t5\t ", now), Some(Duration::from_secs(5)));
        assert_eq!(at(" 5\r\n", now), Some(Duration::from_secs(5)));
        assert_eq!(at("007", now), Some(Duration::from_secs(7)));
    }

    #[test]
    fn a_number_too_large_saturates_instead_of_being_ignored() {
        let now = SystemTime::now();
        assert_eq!(at("18446744073709551615", now), Some(Duration::from_secs(u64::MAX)));
        assert_eq!(at("99999999999999999999999999", now), Some(Duration::MAX));
    }

    #[test]
    fn what_is_neither_a_number_nor_a_date_is_no_hint() {
        let now = SystemTime::now();
        for value in ["", "   ", "-5", "+5", "1.5", "1e3", "5s", "5 6", "soon", "Sun, 06 Nov 1994", "٣"] {
            assert_eq!(at(value, now), None, "{value:?}");
        }
    }

    #[test]
    fn a_date_is_the_time_left_until_it() {
        let now = rfc_example() - Duration::from_secs(90);
        assert_eq!(at("Sun, 06 Nov 1994 08:49:37 GMT", now), Some(Duration::from_secs(90)));
        // The obsolete forms recipients must accept: RFC 850 and asctime.
        assert_eq!(at("Sunday, 06-Nov-94 08:49:37 GMT", now), Some(Duration::from_secs(90)));
        assert_eq!(at("Sun Nov  6 08:49:37 1994", now), Some(Duration::from_secs(90)));
    }

    #[test]
    fn a_date_already_past_is_no_wait() {
        let now = rfc_example() + Duration::from_secs(3600);
        assert_eq!(at("Sun, 06 Nov 1994 08:49:37 GMT", now), Some(Duration::ZERO));
        assert_eq!(at("Sun, 06 Nov 1994 08:49:37 GMT", rfc_example()), Some(Duration::ZERO));
    }

    #[test]
    fn a_malformed_date_is_no_hint() {
        let now = rfc_example();
        for value in ["Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 PST"]
        {
            assert_eq!(at(value, now), None, "{value:?}");
        }
    }
}
