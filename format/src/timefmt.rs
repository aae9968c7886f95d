//! Wall-clock formatting without a date library (UTC, proleptic Gregorian),
//! and the one parser of durations given on the command line.

/// (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    // Howard Hinnant's algorithm.
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `2024-05-01T12:34:56.123456789Z`, as Falco's JSON `time`.
pub fn iso8601_ns(unix_ns: i64) -> String {
    let secs = unix_ns.div_euclid(1_000_000_000);
    let ns = unix_ns.rem_euclid(1_000_000_000);
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{ns:09}Z",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// `12:34:56.123456789`, as sysdig prints event times.
pub fn clock_ns(unix_ns: i64) -> String {
    let secs = unix_ns.div_euclid(1_000_000_000);
    let ns = unix_ns.rem_euclid(1_000_000_000);
    let s = secs.rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}.{ns:09}", s / 3600, (s / 60) % 60, s % 60)
}

/// A human duration: `1.250s`, `12m03.5s`.
pub fn duration(ns: u64) -> String {
    let s = ns as f64 / 1e9;
    if s < 60.0 {
        format!("{s:.3}s")
    } else if s < 3600.0 {
        format!("{}m{:04.1}s", (s / 60.0) as u64, s % 60.0)
    } else {
        format!(
            "{}h{:02}m{:02}s",
            (s / 3600.0) as u64,
            ((s / 60.0) as u64) % 60,
            (s as u64) % 60
        )
    }
}

/// Parse a duration: `30s`, `250ms`, `5m`, `1h`, `2us`, `10ns` or plain
/// seconds (`1.5`). The one duration parser of the command line.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let (num, mult) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = t.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = t.strip_suffix("ns") {
        (n, 1e-9)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (t, 1.0)
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("'{t}' is not a duration (expected e.g. 1.5, 500ms, 2s, 3m)"))?;
    // negative, NaN, infinite or beyond Duration's range
    std::time::Duration::try_from_secs_f64(v * mult)
        .map_err(|_| format!("'{t}' must be a non-negative duration"))
}

/// Parse a time bound for `--from/--to`: a [`parse_duration`] after the
/// trace's first event, optionally written with a leading `+` (`+2s`), in
/// ns. Absolute times are not supported.
pub fn parse_offset_ns(s: &str) -> Result<u64, String> {
    let d = parse_duration(s.trim().trim_start_matches('+'))?;
    Ok(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn formats() {
        assert_eq!(iso8601_ns(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            iso8601_ns(1_709_251_199_000_000_001),
            "2024-02-29T23:59:59.000000001Z"
        );
        assert_eq!(clock_ns(3_723_000_000_005), "01:02:03.000000005");
        assert_eq!(duration(1_250_000_000), "1.250s");
        assert_eq!(parse_offset_ns("500ms").unwrap(), 500_000_000);
        assert_eq!(parse_offset_ns("2").unwrap(), 2_000_000_000);
        assert!(parse_offset_ns("abc").is_err());
        assert_eq!(parse_offset_ns("+2s").unwrap(), 2_000_000_000);
        use std::time::Duration;
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("2us").unwrap(), Duration::from_micros(2));
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("inf").is_err());
        assert!(parse_duration("1e300h").is_err(), "too large, not a panic");
    }
}
