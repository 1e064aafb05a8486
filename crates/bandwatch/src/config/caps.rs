//! `[[caps]]`: data caps on an interface or a LAN device, each with a limit in bytes over a
//! period (a month from its billing day, a week, a day), alert steps and a forecast alert.
//! Read from the file only (a list of tables has no one-line form), checked here into the
//! agent's [`CapSpec`] and the engine's [`CapAlerts`].

use std::collections::BTreeMap;

use bandwatch_agent::caps::{CapDirection, CapSpec, CapTarget};
use bandwatch_core::calendar::Period;
use bandwatch_core::Severity;
use bandwatch_engine::builtin::{CapAlerts, CAP_MAX_STEPS};
use serde::Deserialize;

use super::error::ConfigError;
use super::origin::Setting;

/// The default alert steps, in percent of the limit.
pub const DEFAULT_STEPS: [f64; 3] = [80.0, 90.0, 100.0];

/// One `[[caps]]` table as written.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapTable {
    /// Unique name (default: the interface or device, the direction unless total, and the
    /// period: `eth0-month`).
    pub name: Option<String>,
    /// The interface counted.
    pub interface: Option<String>,
    /// The LAN device counted (its `device` label).
    pub device: Option<String>,
    /// The limit: bytes, or text with a unit (`"1TB"`, `"500 GiB"`).
    pub limit: Option<Amount>,
    /// `rx`, `tx` or `total` (the default).
    pub direction: Option<String>,
    /// `month` (the default), `week` or `day`.
    pub period: Option<String>,
    /// The day of the month a monthly period starts on, 1–31 (default 1).
    pub billing_day: Option<i64>,
    /// Percents of the limit whose crossing alerts (default 80, 90, 100).
    pub steps: Option<Vec<f64>>,
    /// Whether a forecast over the limit alerts (default true).
    pub forecast_alert: Option<bool>,
    /// One severity for every alert of the cap (default: rising with the steps).
    pub severity: Option<Severity>,
}

/// A byte amount as written: a whole number or text with a unit.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Amount {
    /// A number of bytes.
    Whole(i64),
    /// Text such as `"1TB"`.
    Text(String),
}

/// A validated cap: what the agent counts and what the engine alerts on.
#[derive(Debug, Clone, PartialEq)]
pub struct CapConfig {
    /// What is counted.
    pub spec: CapSpec,
    /// What alerts.
    pub alerts: CapAlerts,
}

/// Checks every `[[caps]]` table; names must be unique.
pub fn validate(
    caps: Option<Setting<Vec<Setting<CapTable>>>>,
) -> Result<Vec<CapConfig>, ConfigError> {
    let Some(list) = caps else {
        return Ok(Vec::new());
    };
    let mut seen: BTreeMap<String, &Setting<CapTable>> = BTreeMap::new();
    let mut out = Vec::new();
    for table in &list.value {
        let cap = check(&table.value).map_err(|message| ConfigError::Cap {
            origin: table.origin.clone(),
            message,
        })?;
        if let Some(first) = seen.get(&cap.spec.name) {
            return Err(ConfigError::Cap {
                origin: table.origin.clone(),
                message: format!(
                    "cap '{}': field 'name': already used by the cap at {}; names must be \
                     unique (set `name` when two caps count the same thing)",
                    cap.spec.name, first.origin
                ),
            });
        }
        seen.insert(cap.spec.name.clone(), table);
        out.push(cap);
    }
    Ok(out)
}

/// One table checked, or the problem naming the cap and the field.
fn check(t: &CapTable) -> Result<CapConfig, String> {
    let (target, what) = target(t)?;
    let direction = match t.direction.as_deref().unwrap_or("total") {
        "rx" => CapDirection::Rx,
        "tx" => CapDirection::Tx,
        "total" => CapDirection::Total,
        other => {
            return Err(problem(
                t,
                "direction",
                &format!("'{other}' is not a direction; use \"rx\", \"tx\" or \"total\""),
            ))
        }
    };
    let (period, period_name) = period(t)?;
    let limit = match &t.limit {
        None => {
            return Err(problem(
                t,
                "limit",
                "a cap needs a limit, e.g. limit = \"1TB\"",
            ))
        }
        Some(Amount::Whole(n)) => u64::try_from(*n)
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{n} is not a limit; a limit is at least 1 byte"))
            .map_err(|p| problem(t, "limit", &p))?,
        Some(Amount::Text(s)) => parse_bytes(s).map_err(|p| problem(t, "limit", &p))?,
    };
    let steps = t.steps.clone().unwrap_or_else(|| DEFAULT_STEPS.to_vec());
    check_steps(&steps).map_err(|p| problem(t, "steps", &p))?;
    let name = match &t.name {
        Some(n) if n.trim().is_empty() => {
            return Err(problem(t, "name", "must not be empty"));
        }
        Some(n) => n.trim().to_string(),
        None => match direction {
            CapDirection::Total => format!("{what}-{period_name}"),
            d => format!("{what}-{}-{period_name}", d.as_str()),
        },
    };
    Ok(CapConfig {
        alerts: CapAlerts {
            cap: name.clone(),
            steps,
            forecast: t.forecast_alert.unwrap_or(true),
            severity: t.severity,
        },
        spec: CapSpec {
            name,
            target,
            direction,
            period,
            limit,
        },
    })
}

/// What the cap counts, and its name for the default cap name.
fn target(t: &CapTable) -> Result<(CapTarget, &str), String> {
    Ok(match (&t.interface, &t.device) {
        (Some(i), None) if !i.trim().is_empty() => (CapTarget::Interface(i.clone()), i.as_str()),
        (None, Some(d)) if !d.trim().is_empty() => (CapTarget::Device(d.clone()), d.as_str()),
        (Some(_), Some(_)) => {
            return Err(problem(
                t,
                "interface",
                "set 'interface' or 'device', not both",
            ))
        }
        _ => {
            return Err(problem(
                t,
                "interface",
                "a cap needs 'interface' (e.g. \"eth0\") or 'device' (a device's name)",
            ))
        }
    })
}

/// The period, and its name for the default cap name.
fn period(t: &CapTable) -> Result<(Period, &str), String> {
    let period_name = t.period.as_deref().unwrap_or("month");
    let period = match (period_name, t.billing_day) {
        ("month", day) => {
            let day = day.unwrap_or(1);
            match u8::try_from(day) {
                Ok(d @ 1..=31) => Period::Month { billing_day: d },
                _ => {
                    return Err(problem(
                        t,
                        "billing_day",
                        &format!("{day} is not a day of the month; use 1 to 31"),
                    ))
                }
            }
        }
        ("week" | "day", Some(_)) => {
            return Err(problem(
                t,
                "billing_day",
                "only a monthly cap has a billing day; remove it or use period = \"month\"",
            ))
        }
        ("week", None) => Period::Week,
        ("day", None) => Period::Day,
        (other, _) => {
            return Err(problem(
                t,
                "period",
                &format!("'{other}' is not a period; use \"month\", \"week\" or \"day\""),
            ))
        }
    };
    Ok((period, period_name))
}

/// Steps are percents above 0 and at most 10 000, rising, at most [`CAP_MAX_STEPS`].
fn check_steps(steps: &[f64]) -> Result<(), String> {
    if steps.len() > CAP_MAX_STEPS {
        return Err(format!(
            "{} steps are too many: at most {CAP_MAX_STEPS} (each rises in severity)",
            steps.len()
        ));
    }
    if let Some(bad) = steps
        .iter()
        .find(|s| !(s.is_finite() && **s > 0.0 && **s <= 10_000.0))
    {
        return Err(format!(
            "step {bad} is not a percent of the limit above 0 and at most 10000; e.g. [80, 90, 100]"
        ));
    }
    if steps.windows(2).any(|w| w[1] <= w[0]) {
        return Err("must rise, e.g. [80, 90, 100]".to_string());
    }
    Ok(())
}

/// The problem with one field, naming the cap as far as it is known.
fn problem(t: &CapTable, field: &str, what: &str) -> String {
    let name = t
        .name
        .as_deref()
        .or(t.interface.as_deref())
        .or(t.device.as_deref())
        .unwrap_or("?");
    format!("cap '{name}': field '{field}': {what}")
}

/// A byte amount, exactly: `1000000`, `"1TB"`, `"500 GiB"`, `"1.5 TB"`. Decimal units are
/// powers of 1000, binary ones (`KiB`…`PiB`) of 1024; the result must be a whole number of
/// bytes from 1 to 2^64 − 1.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number = number.replace('_', "");
    let bad = || {
        format!(
            "'{text}' is not a byte amount; write e.g. \"1TB\", \"500 GiB\" or a number of bytes"
        )
    };
    let (whole, frac) = number.split_once('.').unwrap_or((&number, ""));
    if whole.is_empty() && frac.is_empty() {
        return Err(bad());
    }
    let mult: u128 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" | "k" => 1_000,
        "mb" | "m" => 1_000_000,
        "gb" | "g" => 1_000_000_000,
        "tb" | "t" => 1_000_000_000_000,
        "pb" | "p" => 1_000_000_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        "pib" => 1 << 50,
        _ => return Err(bad()),
    };
    let too_big =
        || format!("'{text}' is more than the largest limit, 2^64 − 1 bytes (about 18.4 EB)");
    let digits = |s: &str| -> Result<u128, String> {
        if s.is_empty() {
            return Ok(0);
        }
        // more digits than u128 holds is too big, whatever they are
        if s.len() > 30 {
            return Err(too_big());
        }
        s.parse::<u128>().map_err(|_| bad())
    };
    let w = digits(whole)?;
    let f = digits(frac)?;
    let scale = 10u128
        .checked_pow(u32::try_from(frac.len()).map_err(|_| bad())?)
        .ok_or_else(too_big)?;
    let frac_bytes = f.checked_mul(mult).ok_or_else(too_big)?;
    if frac_bytes % scale != 0 {
        return Err(format!(
            "'{text}' is not a whole number of bytes; write it with fewer decimals"
        ));
    }
    let bytes = w
        .checked_mul(mult)
        .and_then(|b| b.checked_add(frac_bytes / scale))
        .ok_or_else(too_big)?;
    let bytes = u64::try_from(bytes).map_err(|_| too_big())?;
    if bytes == 0 {
        return Err(format!(
            "'{text}' is not a limit; a limit is at least 1 byte"
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_amounts_are_exact_in_decimal_and_binary_units() {
        for (text, want) in [
            ("1TB", 1_000_000_000_000),
            ("500 GiB", 500 << 30),
            ("1.5 TB", 1_500_000_000_000),
            ("1_000", 1000),
            ("0.5KiB", 512),
            ("18446744073709551615", u64::MAX),
            ("16 EiB", 0), // unknown unit
        ] {
            match parse_bytes(text) {
                Ok(b) => assert_eq!(b, want, "{text}"),
                Err(e) => assert_eq!(want, 0, "{text}: {e}"),
            }
        }
        for bad in [
            "",
            "lots",
            "-5GB",
            "0",
            "0.1B",
            "18446744073709551616",
            "99999999999999999999999999999999999999999999 PB",
            "20000 PB",
            "1.2.3GB",
        ] {
            assert!(parse_bytes(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn defaults_and_names() {
        let t = CapTable {
            interface: Some("eth0".into()),
            limit: Some(Amount::Text("1TB".into())),
            ..CapTable::default()
        };
        let c = check(&t).expect("valid");
        assert_eq!(c.spec.name, "eth0-month");
        assert_eq!(c.spec.period, Period::MONTH);
        assert_eq!(c.spec.direction, CapDirection::Total);
        assert_eq!(c.alerts.steps, DEFAULT_STEPS.to_vec());
        assert!(c.alerts.forecast);
        let rx = CapTable {
            direction: Some("rx".into()),
            period: Some("week".into()),
            ..t
        };
        assert_eq!(check(&rx).expect("valid").spec.name, "eth0-rx-week");
    }
}
