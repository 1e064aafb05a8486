//! The checks that turn raw values into typed ones, shared by the keys of `keys.rs` (and by
//! the per-target values of `[[probe.targets]]`). Each error names the key, where the value
//! was set and what to write instead.

use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

use super::error::ConfigError;
use super::origin::{Origin, Setting};
use super::{LogLevel, OutputMode};

/// Shortest sampling interval, in seconds.
pub const MIN_INTERVAL: f64 = 0.1;
/// Longest sampling interval, in seconds.
pub const MAX_INTERVAL: f64 = 3600.0;

/// `monitor.interval`: 0.1 s to 1 h.
pub fn interval(s: &Setting<f64>, key: &'static str) -> Result<Duration, ConfigError> {
    let v = s.value;
    // A little slack so that 0.1 written in decimal is accepted.
    if !v.is_finite() || !(MIN_INTERVAL - 1e-9..=MAX_INTERVAL).contains(&v) {
        return Err(ConfigError::invalid(
            key,
            &s.origin,
            format!("must be between {MIN_INTERVAL} and {MAX_INTERVAL} seconds (got {v})"),
            "use e.g. 1 for one sample a second, or 0.1 for sub-second sampling",
        ));
    }
    Ok(Duration::from_secs_f64(v))
}

/// `monitor.duration`: a positive number of seconds.
pub fn run_time(s: &Setting<f64>, key: &'static str) -> Result<Duration, ConfigError> {
    let v = s.value;
    if !v.is_finite() || v <= 0.0 {
        return Err(ConfigError::invalid(
            key,
            &s.origin,
            format!("must be a positive number of seconds (got {v})"),
            "leave it unset to run until stopped, or give e.g. 60",
        ));
    }
    // A number too large for a Duration is a user's typo, never a panic.
    Duration::try_from_secs_f64(v).map_err(|_| {
        ConfigError::invalid(
            key,
            &s.origin,
            format!("is too large (got {v} seconds)"),
            "leave it unset to run until stopped, or give e.g. 60",
        )
    })
}

/// A limit in Mbit/s, kept in bits per second.
pub fn mbps_as_bps(s: &Setting<f64>, key: &'static str) -> Result<f64, ConfigError> {
    let v = s.value;
    if !v.is_finite() || v <= 0.0 {
        return Err(ConfigError::invalid(
            key,
            &s.origin,
            format!("must be a positive number of megabits per second (got {v})"),
            "give the limit in Mbit/s, e.g. 50",
        ));
    }
    Ok(v * 1e6)
}

/// The built-in spike rules' factor: a finite multiple above 1.
pub fn spike_factor(s: &Setting<f64>, key: &'static str) -> Result<f64, ConfigError> {
    let v = s.value;
    if v.is_finite() && v > 1.0 {
        return Ok(v);
    }
    Err(ConfigError::invalid(
        key,
        &s.origin,
        format!("must be a number above 1 (got {v})"),
        "give how many times the recent average counts as a spike, e.g. 3",
    ))
}

/// A least rise in Mbit/s (0 allowed: every rise past the factor counts), kept in bits per
/// second.
pub fn floor_mbps_as_bps(s: &Setting<f64>, key: &'static str) -> Result<f64, ConfigError> {
    let v = s.value;
    if v.is_finite() && v >= 0.0 {
        return Ok(v * 1e6);
    }
    Err(ConfigError::invalid(
        key,
        &s.origin,
        format!("must be zero or a positive number of megabits per second (got {v})"),
        "give the least rise in Mbit/s, e.g. 1",
    ))
}

/// A percentage limit, 0–100.
pub fn percent(s: &Setting<f64>, key: &'static str) -> Result<f64, ConfigError> {
    percent_value(s.value, key, &s.origin)
}

/// A percentage limit, 0–100, written inside a table (a probe target's `loss_limit`).
pub fn percent_value(v: f64, key: &'static str, origin: &Origin) -> Result<f64, ConfigError> {
    if v.is_finite() && (0.0..=100.0).contains(&v) {
        Ok(v)
    } else {
        Err(ConfigError::invalid(
            key,
            origin,
            format!("must be a percentage from 0 to 100 (got {v})"),
            "give a number such as 20",
        ))
    }
}

/// Interface globs.
pub fn globs(s: &Setting<Vec<String>>, key: &'static str) -> Result<Vec<String>, ConfigError> {
    for pattern in &s.value {
        if pattern.trim().is_empty() {
            return Err(ConfigError::invalid(
                key,
                &s.origin,
                "contains an empty pattern",
                "remove it, or use e.g. 'eth*'",
            ));
        }
        if let Err(bandwatch_collect::CollectError::InvalidPattern { source, .. }) =
            bandwatch_collect::InterfaceFilter::new(std::slice::from_ref(pattern), &[])
        {
            return Err(ConfigError::invalid(
                key,
                &s.origin,
                format!("has '{pattern}', which is not a valid glob ({source})"),
                "use shell-style patterns such as 'eth*' or 'wlan?'",
            ));
        }
    }
    Ok(s.value.clone())
}

/// `output.format`.
pub fn output_mode(s: &Setting<String>, key: &'static str) -> Result<OutputMode, ConfigError> {
    let text = s.value.to_ascii_lowercase();
    OutputMode::ALL
        .into_iter()
        .find(|m| m.as_str() == text)
        .ok_or_else(|| {
            ConfigError::invalid(
                key,
                &s.origin,
                format!("must be console, json or quiet (got '{text}')"),
                "pick one of console, json, quiet",
            )
        })
}

/// `log.level`.
pub fn log_level(s: &Setting<String>, key: &'static str) -> Result<LogLevel, ConfigError> {
    let text = s.value.trim().to_ascii_lowercase();
    // The seed tool's LOG_LEVEL took Python's level names.
    let text = match text.as_str() {
        "warning" => "warn",
        "critical" | "fatal" => "error",
        other => other,
    };
    LogLevel::ALL
        .into_iter()
        .find(|l| l.as_str() == text)
        .ok_or_else(|| {
            ConfigError::invalid(
                key,
                &s.origin,
                format!(
                    "must be error, warn (or warning), info, debug or trace (got '{}')",
                    s.value
                ),
                "use info for normal operation",
            )
        })
}

/// `store.path`: not empty.
pub fn db_path(s: &Setting<PathBuf>, key: &'static str) -> Result<PathBuf, ConfigError> {
    if s.value.as_os_str().is_empty() {
        return Err(ConfigError::invalid(
            key,
            &s.origin,
            "is empty",
            "give a file path such as ./data/bandwatch.db",
        ));
    }
    Ok(s.value.clone())
}

/// A duration as people write it (`48h`, `500ms`), or a bare number of seconds as the
/// environment documents (`86400`, `0.5`).
fn seconds_or_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    match text.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 => {
            Duration::try_from_secs_f64(secs).map_err(|_| format!("{secs} seconds is too large"))
        }
        Ok(_) => Err("must not be negative".into()),
        Err(_) => humantime::parse_duration(text).map_err(|e| e.to_string()),
    }
}

/// A retention or cooldown: a duration (or bare seconds) of at least `min_secs`.
pub fn retention(
    s: &Setting<String>,
    key: &'static str,
    min_secs: u64,
) -> Result<Duration, ConfigError> {
    let parsed = seconds_or_duration(&s.value).map_err(|e| {
        ConfigError::invalid(
            key,
            &s.origin,
            format!("is not a duration (got '{}': {e})", s.value),
            "write it like 48h, 30d or 2years",
        )
    })?;
    if parsed < Duration::from_secs(min_secs) {
        return Err(ConfigError::invalid(
            key,
            &s.origin,
            format!("is too short (got '{}')", s.value),
            format!(
                "keep at least {}",
                humantime::format_duration(Duration::from_secs(min_secs))
            ),
        ));
    }
    Ok(parsed)
}

/// `store.flush_interval`: 1 ms to 1 h.
pub fn flush(s: &Setting<String>, key: &'static str) -> Result<Duration, ConfigError> {
    let parsed = seconds_or_duration(&s.value).map_err(|e| {
        ConfigError::invalid(
            key,
            &s.origin,
            format!("is not a duration (got '{}': {e})", s.value),
            "write it like 1s or 500ms",
        )
    })?;
    if parsed.is_zero() || parsed > Duration::from_secs(3600) {
        return Err(ConfigError::invalid(
            key,
            &s.origin,
            format!("must be between 1ms and 1h (got '{}')", s.value),
            "use e.g. 1s",
        ));
    }
    Ok(parsed)
}

/// A filesystem root that must hold `probe` (`net/dev` under /proc).
pub fn root(s: &Setting<PathBuf>, key: &'static str, probe: &str) -> Result<PathBuf, ConfigError> {
    if !s.value.join(probe).exists() {
        let default = super::keys::by_name(key)
            .and_then(|k| k.default)
            .unwrap_or_default();
        return Err(ConfigError::invalid(
            key,
            &s.origin,
            format!("points at {}, which has no {probe}", s.value.display()),
            format!("point it at the mounted filesystem (default {default})"),
        ));
    }
    Ok(s.value.clone())
}

/// A period longer than zero; a bare number (as the seed tool's variables give) means
/// seconds.
pub fn period(
    s: &Setting<String>,
    key: &'static str,
    example: &str,
) -> Result<Duration, ConfigError> {
    let text = s.value.trim();
    let parsed = match text.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 => {
            Duration::try_from_secs_f64(secs).map_err(|_| format!("is too large ({secs} seconds)"))
        }
        Ok(_) => Err("must be positive".to_string()),
        Err(_) => humantime::parse_duration(text).map_err(|e| e.to_string()),
    };
    match parsed {
        Ok(d) if !d.is_zero() => Ok(d),
        Ok(_) => Err(ConfigError::invalid(
            key,
            &s.origin,
            format!("must be longer than zero (got '{text}')"),
            format!("write it like {example}"),
        )),
        Err(e) => Err(ConfigError::invalid(
            key,
            &s.origin,
            format!("is not a duration (got '{text}': {e})"),
            format!("write it like {example}, or a number of seconds"),
        )),
    }
}

/// A whole number within `range`.
pub fn whole(
    s: &Setting<i64>,
    key: &'static str,
    range: RangeInclusive<u32>,
    example: &str,
) -> Result<u32, ConfigError> {
    match u32::try_from(s.value) {
        Ok(v) if range.contains(&v) => Ok(v),
        _ => Err(ConfigError::invalid(
            key,
            &s.origin,
            format!(
                "must be between {} and {} (got {})",
                range.start(),
                range.end(),
                s.value
            ),
            format!("use e.g. {example}"),
        )),
    }
}
