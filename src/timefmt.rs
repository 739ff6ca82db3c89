//! Timestamps as the AWS caches hold them.
//!
//! Reading is lenient because several writers share these files: the AWS CLI
//! v2 writes `2026-01-01T00:00:00Z`, botocore `2026-01-01T00:00:00UTC`, others
//! add fractional seconds or a `+00:00` offset. Writing is always
//! `YYYY-MM-DDTHH:MM:SSZ`, which every one of them reads.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// Parse an expiry as found in a cache file; `None` when unreadable.
pub fn parse(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        // `9999-12-31T23:30:00-01:00` is past the last representable UTC
        // instant: a corrupt entry, not a panic.
        return t.checked_to_offset(UtcOffset::UTC);
    }
    // botocore: `...UTC`; some writers: no zone at all, or a space separator.
    let base = s
        .strip_suffix("UTC")
        .unwrap_or(s)
        .trim_end()
        .replace(' ', "T");
    let base = base.strip_suffix('Z').unwrap_or(&base);
    let with_frac =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]");
    let plain = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    PrimitiveDateTime::parse(base, with_frac)
        .or_else(|_| PrimitiveDateTime::parse(base, plain))
        .ok()
        .map(|p| p.assume_utc())
}

/// `YYYY-MM-DDTHH:MM:SSZ` in UTC.
pub fn format(t: OffsetDateTime) -> String {
    // Every value here came from `parse`, `now` or `from_millis`, all UTC.
    let t = t.checked_to_offset(UtcOffset::UTC).unwrap_or(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `t` on the local clock for people: `HH:MM (local time)`, with the date
/// in front when it is not today; `HH:MM UTC` when the local time zone is
/// unknown.
pub fn local_clock(t: OffsetDateTime) -> String {
    let offset = crate::platform::local_offset_secs(t.unix_timestamp());
    clock(t, now(), offset)
}

fn clock(t: OffsetDateTime, now: OffsetDateTime, offset_secs: Option<i32>) -> String {
    let local = offset_secs
        .and_then(|s| UtcOffset::from_whole_seconds(s).ok())
        .and_then(|o| Some((t.checked_to_offset(o)?, now.checked_to_offset(o)?)));
    let (t, now, zone) = match local {
        Some((t, now)) => (t, now, " (local time)"),
        None => (t, now, " UTC"),
    };
    let date = if t.date() == now.date() {
        String::new()
    } else {
        format!("{:04}-{:02}-{:02} ", t.year(), u8::from(t.month()), t.day())
    };
    format!("{date}{:02}:{:02}{zone}", t.hour(), t.minute())
}

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// From epoch milliseconds (the SSO portal's role `expiration`).
pub fn from_millis(ms: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_clock_forms() {
        let now = parse("2026-01-02T10:00:00Z").unwrap();
        let t = parse("2026-01-02T18:30:00Z").unwrap();
        assert_eq!(clock(t, now, Some(0)), "18:30 (local time)");
        assert_eq!(clock(t, now, Some(3600)), "19:30 (local time)");
        assert_eq!(
            clock(t, now, Some(6 * 3600)),
            "2026-01-03 00:30 (local time)"
        );
        assert_eq!(clock(t, now, None), "18:30 UTC");
        assert_eq!(clock(t, now, Some(i32::MAX)), "18:30 UTC");
    }

    #[test]
    fn lenient_forms() {
        let want = parse("2026-01-02T03:04:05Z").unwrap();
        for s in [
            "2026-01-02T03:04:05UTC",
            "2026-01-02T03:04:05.000Z",
            "2026-01-02T03:04:05+00:00",
            "2026-01-02T05:04:05+02:00",
            "2026-01-02T03:04:05",
            "2026-01-02 03:04:05",
            "2026-01-02T03:04:05.123456UTC",
        ] {
            let t = parse(s).unwrap_or_else(|| panic!("{s}"));
            assert_eq!(t.unix_timestamp(), want.unix_timestamp(), "{s}");
        }
        assert!(parse("yesterday").is_none());
        // Out of range once in UTC: corrupt, not a panic.
        assert!(parse("9999-12-31T23:30:00-01:00").is_none());
        assert!(parse("9999-12-31T23:30:00+01:00").is_some());
        assert!(from_millis(i64::MAX).is_none());
        assert!(parse("").is_none());
    }

    #[test]
    fn writes_z_form() {
        let t = parse("2026-01-02T05:04:05.9+02:00").unwrap();
        assert_eq!(format(t), "2026-01-02T03:04:05Z");
        assert_eq!(
            format(from_millis(1_700_000_000_000).unwrap()),
            "2023-11-14T22:13:20Z"
        );
    }
}

/// Property tests: any string parses or is `None`, never a panic; what dsops
/// writes it reads back to the second.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(
            if std::env::var_os("PROPTEST_CASES").is_some() { ProptestConfig::default().cases } else { 3000 }
        ))]

        #[test]
        fn prop_any_string_parses_or_not(s in any::<String>()) {
            if let Some(t) = parse(&s) {
                let _ = format(t);
            }
        }

        #[test]
        fn prop_timestamp_shapes_parse_or_not(
            s in "[0-9+-]{1,6}-[0-9]{1,3}-[0-9]{1,3}[T ][0-9]{1,3}:[0-9]{1,3}:[0-9]{1,3}(\\.[0-9]{0,12})?(Z|UTC|[+-][0-9]{2}:[0-9]{2}| UTC)?"
        ) {
            if let Some(t) = parse(&s) {
                prop_assert_eq!(parse(&format(t)).map(|x| x.unix_timestamp()), Some(t.unix_timestamp()));
            }
        }

        #[test]
        fn prop_written_form_reads_back(secs in 0i64..253_402_300_799i64, ms in 0i64..=i64::from(i32::MAX)) {
            let t = OffsetDateTime::from_unix_timestamp(secs).unwrap();
            prop_assert_eq!(parse(&format(t)), Some(t));
            let _ = from_millis(ms * 1000);
        }
    }
}
