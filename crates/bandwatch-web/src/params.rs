//! Parsing of query parameters: times (`now`, `-5m`, epoch milliseconds, RFC 3339),
//! durations, and label matchers. Each error names the parameter and the forms it accepts.

use std::time::Duration;

use bandwatch_core::{Labels, Timestamp};
use regex::Regex;

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
        Ok(secs) if secs.is_finite() && secs >= 0.0 => Some(Duration::from_secs_f64(secs)),
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

/// How a matcher compares a label.
#[derive(Debug, Clone)]
enum Op {
    Eq(String),
    Ne(String),
    Re(Regex),
    NotRe(Regex),
}

/// One label condition, `name=value`, `name!=value`, `name=~regex` or `name!~regex`; a label
/// that is absent counts as the empty string, as in Prometheus.
#[derive(Debug, Clone)]
pub struct Matcher {
    name: String,
    op: Op,
}

impl Matcher {
    /// Parses one `match` parameter.
    pub fn parse(text: &str) -> ApiResult<Self> {
        let bad = |why: &str| {
            ApiError::bad_request(format!(
                "parameter 'match': '{text}' {why}; use name=value, name!=value, name=~regex or name!~regex"
            ))
        };
        let (name, op) = if let Some((n, v)) = text.split_once("=~") {
            (
                n,
                Op::Re(anchored(v).map_err(|_| bad("has an invalid regex"))?),
            )
        } else if let Some((n, v)) = text.split_once("!~") {
            (
                n,
                Op::NotRe(anchored(v).map_err(|_| bad("has an invalid regex"))?),
            )
        } else if let Some((n, v)) = text.split_once("!=") {
            (n, Op::Ne(v.to_string()))
        } else if let Some((n, v)) = text.split_once('=') {
            (n, Op::Eq(v.to_string()))
        } else {
            return Err(bad("is not a label matcher"));
        };
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(bad("has no valid label name"));
        }
        Ok(Self {
            name: name.to_string(),
            op,
        })
    }

    /// Whether `labels` satisfy this condition.
    pub fn matches(&self, labels: &Labels) -> bool {
        let value = labels.get(&self.name).unwrap_or("");
        match &self.op {
            Op::Eq(v) => value == v,
            Op::Ne(v) => value != v,
            Op::Re(r) => r.is_match(value),
            Op::NotRe(r) => !r.is_match(value),
        }
    }
}

fn anchored(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^(?:{pattern})$"))
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
    }

    #[test]
    fn matchers() {
        let eth0 = Labels::from_pairs([("iface", "eth0")]);
        let lo = Labels::from_pairs([("iface", "lo")]);
        let m = |t: &str| Matcher::parse(t).expect(t);
        assert!(m("iface=eth0").matches(&eth0));
        assert!(!m("iface=eth0").matches(&lo));
        assert!(m("iface!=lo").matches(&eth0));
        assert!(m("iface=~eth.*").matches(&eth0));
        assert!(!m("iface=~eth").matches(&eth0), "regexes are anchored");
        assert!(m("iface!~lo|wg0").matches(&eth0));
        assert!(m("scope=").matches(&eth0), "absent is empty");
        assert!(Matcher::parse("iface").is_err());
        assert!(Matcher::parse("=eth0").is_err());
        assert!(Matcher::parse("iface=~(").is_err());
    }
}
