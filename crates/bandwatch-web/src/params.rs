//! Parsing of query parameters: times (`now`, `-5m`, epoch milliseconds, RFC 3339),
//! durations, and label matchers (the one selector of `bandwatch_core`). Each error names the
//! parameter and the forms it accepts.

use std::time::Duration;

use bandwatch_core::{Selector, Term, Timestamp};

use crate::error::{ApiError, ApiResult};

/// Parses a time: `now`, a negative offset from `now` (`-5m`), epoch milliseconds, or RFC 3339.
pub fn time(name: &str, text: &str, now: Timestamp) -> ApiResult<Timestamp> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if let Some(offset) = t.strip_prefix('-') {
        let d = duration(name, offset)?;
        return Ok(now.add_millis(-millis(d)));
    }
    if let Ok(ms) = t.parse::<i64>() {
        return Ok(Timestamp(ms));
    }
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|dt| Timestamp(dt.timestamp_millis()))
        .map_err(|_| {
            ApiError::bad_request(format!(
                "parameter '{name}': '{t}' is not a time; use epoch milliseconds, RFC 3339 (2026-12-03T10:00:00Z), 'now' or an offset like -5m, -24h, -30d"
            ))
        })
}

/// Parses a duration: `10s`, `5m`, `1h`, `30d`, or a bare number of seconds.
pub fn duration(name: &str, text: &str) -> ApiResult<Duration> {
    let t = text.trim();
    let parsed = match t.parse::<f64>() {
        // A number too large for a Duration is a 400 like any other bad value, never a panic.
        Ok(secs) if secs.is_finite() && secs >= 0.0 => Duration::try_from_secs_f64(secs).ok(),
        Ok(_) => None,
        Err(_) => humantime::parse_duration(t).ok(),
    };
    parsed.ok_or_else(|| {
        ApiError::bad_request(format!(
            "parameter '{name}': '{t}' is not a duration; use e.g. 10s, 5m, 1h, 30d or a number of seconds"
        ))
    })
}

/// A duration in whole milliseconds, saturating.
pub fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Reads the `match` parameters: each one term of the label selector (`name=glob`,
/// `name!=glob`, `name=~regex`, `name!~regex`; a term needs its label present, except that an
/// empty pattern such as `scope=` selects the series without that label).
pub fn selector<'a>(texts: impl IntoIterator<Item = &'a str>) -> ApiResult<Selector> {
    texts
        .into_iter()
        .map(matcher)
        .collect::<ApiResult<Vec<_>>>()
        .map(Selector::new)
}

/// Reads one `match` parameter; the error names the parameter, what is wrong and the forms.
pub fn matcher(text: &str) -> ApiResult<Term> {
    Term::parse(text).map_err(|e| {
        let why = if e.0.contains("regular expression") {
            "has an invalid regex"
        } else {
            "is not a label matcher"
        };
        ApiError::bad_request(format!("parameter 'match': '{text}' {why}: {e}"))
    })
}

/// Whether a metric name is well formed (so an error can tell a typo from an unknown metric).
pub fn valid_metric(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

#[cfg(test)]
mod tests {
    use super::*;
    use bandwatch_core::SeriesKey;

    const NOW: Timestamp = Timestamp(1_764_780_000_000);

    #[test]
    fn times_in_every_form() {
        assert_eq!(time("start", "now", NOW), Ok(NOW));
        assert_eq!(time("start", "-5m", NOW), Ok(NOW.add_millis(-300_000)));
        assert_eq!(
            time("start", "-30d", NOW),
            Ok(NOW.add_millis(-30 * 86_400_000))
        );
        assert_eq!(
            time("start", "1700000000000", NOW),
            Ok(Timestamp(1_700_000_000_000))
        );
        assert_eq!(
            time("start", "2025-12-03T16:40:00Z", NOW),
            Ok(Timestamp(1_764_780_000_000))
        );
        let e = time("end", "yesterday", NOW).expect_err("not a time");
        assert!(e.message.contains("parameter 'end'"), "{e}");
    }

    #[test]
    fn durations() {
        assert_eq!(duration("step", "10"), Ok(Duration::from_secs(10)));
        assert_eq!(duration("step", "1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(duration("step", "5m"), Ok(Duration::from_secs(300)));
        assert!(duration("step", "-3").is_err());
        assert!(duration("step", "fast").is_err());
        assert!(
            duration("step", "1e30").is_err(),
            "too large is an error, not a panic"
        );
    }

    #[test]
    fn matchers() {
        let eth0 = SeriesKey::with_label("m", "iface", "eth0");
        let lo = SeriesKey::with_label("m", "iface", "lo");
        let m = |t: &str| selector([t]).expect(t);
        assert!(m("iface=eth0").matches(&eth0));
        assert!(!m("iface=eth0").matches(&lo));
        assert!(m("iface!=lo").matches(&eth0));
        assert!(m("iface=~eth.*").matches(&eth0));
        assert!(!m("iface=~eth").matches(&eth0), "regexes are anchored");
        assert!(m("iface!~lo|wg0").matches(&eth0));
        assert!(
            m("scope=").matches(&eth0),
            "an empty pattern selects the absent label"
        );
        for (bad, why) in [
            ("iface", "is not a label matcher"),
            ("=eth0", "is not a label matcher"),
            ("iface=~(", "has an invalid regex"),
        ] {
            let e = matcher(bad).expect_err(bad);
            assert!(e.message.contains("parameter 'match'"), "{e}");
            assert!(e.message.contains(why), "{e}");
        }
        assert!(
            matcher("iface")
                .expect_err("no operator")
                .message
                .contains("write name=glob"),
            "the message names the fix"
        );
    }
}
