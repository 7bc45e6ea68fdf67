//! Human-readable durations: `"250ms"`, `"30s"`, `"1m 30s"`, `"1h30m"`.
//!
//! Our own parser rather than `humantime`'s, because the contract refuses what humantime
//! accepts loosely (`"10 sec"`, a space between number and unit) and the message must name
//! the fix.

use std::time::Duration;

use crate::Value;

/// Units, each under humantime's names for it. A name matches only as a whole word (see
/// `parse_duration`), so `m` does not take the `m` of `ms` or `min`, whatever the order.
const UNITS: &[(&[&str], u128)] = &[
    (&["ns", "nsec", "nanos"], 1),
    (&["us", "µs", "usec"], 1_000),
    (&["ms", "msec", "millis"], 1_000_000),
    (&["s", "sec", "secs", "second", "seconds"], 1_000_000_000),
    (&["m", "min", "mins", "minute", "minutes"], 60_000_000_000),
    (&["h", "hr", "hrs", "hour", "hours"], 3_600_000_000_000),
    (&["d", "day", "days"], 86_400_000_000_000),
    (&["w", "week", "weeks"], 604_800_000_000_000),
];

/// Parses a duration written as one or more `<number><unit>` parts, optionally separated by
/// spaces: `"250ms"`, `"1m 30s"`, `"1.5s"`. Units: `ns`, `us`/`µs`, `ms`, `s`, `m`, `h`, `d`,
/// `w`, and humantime's longer names for them (`nsec`, `usec`, `msec`/`millis`,
/// `sec`/`secs`/`second(s)`, `min`/`mins`/`minute(s)`, `hr`/`hrs`/`hour(s)`, `day(s)`,
/// `week(s)`). Unlike humantime, a number and its unit are written together (`"10 sec"` is
/// refused, DESIGN.md's example), and a number may have a fraction (`"1.5s"`). Months and
/// years are not units: no retry waits that long.
///
/// The error is the message shown to users, e.g.
/// `invalid duration "10 sec": expected a number and a unit, e.g. "10s"`.
///
/// ```
/// use std::time::Duration;
/// use resilient_policy::parse_duration;
/// assert_eq!(parse_duration("1m 30s"), Ok(Duration::from_secs(90)));
/// assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
/// assert!(parse_duration("10 sec").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = |hint: String| format!("invalid duration {text:?}: expected a number and a unit, e.g. \"10s\"{hint}");
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(invalid(String::new()));
    }
    if rest.starts_with('-') {
        return Err(invalid("; a duration cannot be negative".to_owned()));
    }
    let mut total_nanos: u128 = 0;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        let (unit, nanos_per_unit) = UNITS
            .iter()
            .flat_map(|(names, nanos)| names.iter().map(move |name| (name, nanos)))
            .find(|(unit, _)| after.starts_with(*unit) && !starts_with_letter(&after[unit.len()..]))
            .ok_or_else(|| invalid(unit_hint(number, after)))?;
        total_nanos = total_nanos
            .checked_add(scale(number, *nanos_per_unit).ok_or_else(|| invalid(String::new()))?)
            .ok_or_else(|| too_long(text))?;
        rest = after[unit.len()..].trim_start();
    }
    if total_nanos > MAX.as_nanos() {
        return Err(too_long(text));
    }
    Ok(Duration::new((total_nanos / 1_000_000_000) as u64, (total_nanos % 1_000_000_000) as u32))
}

/// What to add to the message when no unit follows `number`: the two mistakes worth naming are
/// a bare number (is it seconds? milliseconds?) and a word that is not a unit (`"1y"`). A unit
/// after a space (`"10 sec"`) gets the plain message, which DESIGN.md spells out.
fn unit_hint(number: &str, after: &str) -> String {
    if number.is_empty() {
        return String::new();
    }
    if after.is_empty() {
        return format!("; {number:?} has no unit: write {}", with_a_unit(number));
    }
    let word_len = after.find(|c: char| !c.is_alphabetic()).unwrap_or(after.len());
    match &after[..word_len] {
        "" => String::new(),
        word => format!("; {word:?} is not a unit: use ns, us, ms, s, m, h, d or w"),
    }
}

/// A number that lacks its unit, written with the two units it most likely meant.
fn with_a_unit(number: &str) -> String {
    format!("e.g. \"{number}s\" or \"{number}ms\"")
}

/// Reads a duration from a configuration value or an attribute: a string, for
/// [`parse_duration`]; anything else is an error that says what to write instead.
///
/// ```
/// use resilient_policy::{Value, duration_from_value};
/// assert_eq!(duration_from_value(Value::String("30s")), Ok(std::time::Duration::from_secs(30)));
/// assert!(duration_from_value(Value::Integer(30)).unwrap_err().ends_with(r#"write it with its unit, e.g. "30s" or "30ms""#));
/// ```
pub fn duration_from_value(value: Value<'_>) -> Result<Duration, String> {
    let expected = "expected a duration string such as \"100ms\" or \"1m 30s\"";
    match value {
        Value::String(text) => parse_duration(text),
        Value::Integer(n) if n >= 0 => {
            Err(format!("{expected}, found the integer {n}; write it with its unit, {}", with_a_unit(&n.to_string())))
        }
        Value::Float(f) if f.is_sign_positive() && f.is_finite() => {
            Err(format!("{expected}, found the number {f:?}; write it with its unit, {}", with_a_unit(&f.to_string())))
        }
        Value::Integer(n) => Err(format!("{expected}, found the integer {n}; a duration cannot be negative")),
        Value::Float(f) if f < 0.0 => Err(format!("{expected}, found the number {f:?}; a duration cannot be negative")),
        other => Err(format!("{expected}, found {}", other.describe())),
    }
}

fn starts_with_letter(text: &str) -> bool {
    text.chars().next().is_some_and(char::is_alphabetic)
}

/// The longest duration accepted. Longer is surely a typo, and keeping every duration far
/// below `Instant`'s range means deadline arithmetic can never overflow.
pub const MAX: Duration = Duration::from_secs(365 * 86_400);

fn too_long(text: &str) -> String {
    format!("invalid duration {text:?}: longer than a year; use at most \"365d\"")
}

/// `number` (digits with an optional fraction) times `nanos_per_unit`, in nanoseconds.
fn scale(number: &str, nanos_per_unit: u128) -> Option<u128> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let mut nanos = whole.checked_mul(nanos_per_unit)?;
    let mut place = nanos_per_unit;
    for digit in fraction.chars() {
        place /= 10;
        nanos = nanos.checked_add(u128::from(digit.to_digit(10)?) * place)?;
    }
    Some(nanos)
}

/// Formats a duration the way [`parse_duration`] reads it, e.g. `"1m 30s"`, `"250ms"`, `"0s"`.
///
/// ```
/// use std::time::Duration;
/// use resilient_policy::format_duration;
/// assert_eq!(format_duration(Duration::from_millis(90_250)), "1m 30s 250ms");
/// ```
pub fn format_duration(duration: Duration) -> String {
    let mut nanos = duration.as_nanos();
    if nanos == 0 {
        return "0s".to_owned();
    }
    let mut parts = Vec::new();
    for (unit, size) in [
        ("d", 86_400_000_000_000u128),
        ("h", 3_600_000_000_000),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
        ("ns", 1),
    ] {
        if nanos >= size {
            parts.push(format!("{}{unit}", nanos / size));
            nanos %= size;
        }
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        let cases = [
            ("7ns", Duration::from_nanos(7)),
            ("7us", Duration::from_micros(7)),
            ("7µs", Duration::from_micros(7)),
            ("7ms", Duration::from_millis(7)),
            ("7s", Duration::from_secs(7)),
            ("7m", Duration::from_secs(420)),
            ("7min", Duration::from_secs(420)),
            ("7h", Duration::from_secs(7 * 3600)),
            ("7d", Duration::from_secs(7 * 86_400)),
            ("2w", Duration::from_secs(14 * 86_400)),
            // humantime's longer names.
            ("7nsec", Duration::from_nanos(7)),
            ("7nanos", Duration::from_nanos(7)),
            ("7usec", Duration::from_micros(7)),
            ("7msec", Duration::from_millis(7)),
            ("7millis", Duration::from_millis(7)),
            ("7sec", Duration::from_secs(7)),
            ("7secs", Duration::from_secs(7)),
            ("1second", Duration::from_secs(1)),
            ("7seconds", Duration::from_secs(7)),
            ("7mins", Duration::from_secs(420)),
            ("1minute", Duration::from_secs(60)),
            ("7minutes", Duration::from_secs(420)),
            ("7hr", Duration::from_secs(7 * 3600)),
            ("7hrs", Duration::from_secs(7 * 3600)),
            ("1hour", Duration::from_secs(3600)),
            ("7hours", Duration::from_secs(7 * 3600)),
            ("1day", Duration::from_secs(86_400)),
            ("7days", Duration::from_secs(7 * 86_400)),
            ("1week", Duration::from_secs(7 * 86_400)),
            ("2weeks", Duration::from_secs(14 * 86_400)),
            ("2h 37min", Duration::from_secs(9420)),
            ("1hour30mins", Duration::from_secs(5400)),
            ("1m 30s", Duration::from_secs(90)),
            ("1h30m", Duration::from_secs(5400)),
            ("1.5s", Duration::from_millis(1500)),
            (" 0s ", Duration::ZERO),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_duration(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_duration_and_names_the_fix() {
        let cases = [
            ("10 sec", ""),
            ("5 s", ""),
            ("s", ""),
            ("", ""),
            ("ten seconds", ""),
            ("1.2.3s", ""),
            ("10", "; \"10\" has no unit: write e.g. \"10s\" or \"10ms\""),
            ("1m 30", "; \"30\" has no unit: write e.g. \"30s\" or \"30ms\""),
            ("-5s", "; a duration cannot be negative"),
            (" -1ms", "; a duration cannot be negative"),
            ("10secondss", "; \"secondss\" is not a unit: use ns, us, ms, s, m, h, d or w"),
            ("1month", "; \"month\" is not a unit: use ns, us, ms, s, m, h, d or w"),
            ("1y", "; \"y\" is not a unit: use ns, us, ms, s, m, h, d or w"),
            ("7mss", "; \"mss\" is not a unit: use ns, us, ms, s, m, h, d or w"),
        ];
        for (text, hint) in cases {
            let error = parse_duration(text).unwrap_err();
            assert_eq!(error, format!("invalid duration {text:?}: expected a number and a unit, e.g. \"10s\"{hint}"));
        }
    }

    #[test]
    fn refuses_overflow_without_panicking() {
        let error = parse_duration("99999999999999999999999999d").unwrap_err();
        assert!(error.contains("expected a number") || error.contains("longer than a year"), "{error}");
        assert!(parse_duration("999999999999999h").unwrap_err().contains("longer than a year"));
        assert_eq!(parse_duration("365d"), Ok(MAX));
    }

    #[test]
    fn formatting_round_trips() {
        for nanos in [0u64, 1, 999, 1_000_000, 90_000_000_000, 86_400_000_000_001] {
            let duration = Duration::from_nanos(nanos);
            assert_eq!(parse_duration(&format_duration(duration)), Ok(duration));
        }
    }
}
