//! The data caps' catalogue entries. No source reads them from the OS: the agent's cap
//! tracker sums the interface and device deltas into each `[[caps]]` entry's period and adds
//! these gauges, labelled [`LABEL_CAP`], to the frames it counted. They are declared here,
//! with every other metric, so that rules, the exporters, the API and the reports find them
//! in the one catalogue.

use bandwatch_core::{LabelDef, MetricDef, Role, Unit};

/// The pseudo-source the gauges belong to.
pub const SOURCE_NAME: &str = "caps";

/// Label naming the cap (its `name` in `[[caps]]`).
pub const LABEL_CAP: &str = "cap";

/// Bytes used so far in the cap's period.
pub const CAP_USED_BYTES: &str = "cap_used_bytes";
/// The cap's limit in bytes.
pub const CAP_LIMIT_BYTES: &str = "cap_limit_bytes";
/// Bytes used as a percent of the limit.
pub const CAP_USED_PERCENT: &str = "cap_used_percent";
/// Bytes the period is forecast to use by its end.
pub const CAP_FORECAST_BYTES: &str = "cap_forecast_bytes";
/// The forecast as a percent of the limit.
pub const CAP_FORECAST_PERCENT: &str = "cap_forecast_percent";
/// Unix time, in seconds, at which the period ends.
pub const CAP_PERIOD_END_TIMESTAMP_SECONDS: &str = "cap_period_end_timestamp_seconds";
/// Unix time, in seconds, at which the cap is forecast to be reached.
pub const CAP_REACH_TIMESTAMP_SECONDS: &str = "cap_reach_timestamp_seconds";

const CAP: &[&str] = &[LABEL_CAP];

/// Every cap gauge.
pub const ALL: [MetricDef; 7] = [
    MetricDef::gauge(
        CAP_USED_BYTES,
        Unit::Bytes,
        CAP,
        "bandwatch_cap_used_bytes",
        "Bytes the data cap has used so far in its period.",
    )
    .role(Role::CapUsedBytes),
    MetricDef::gauge(
        CAP_LIMIT_BYTES,
        Unit::Bytes,
        CAP,
        "bandwatch_cap_limit_bytes",
        "The data cap's limit in bytes.",
    )
    .role(Role::CapLimitBytes),
    MetricDef::gauge(
        CAP_USED_PERCENT,
        Unit::Percent,
        CAP,
        "bandwatch_cap_used_ratio",
        "Share of the data cap used so far in its period (1 = the whole cap).",
    )
    .role(Role::CapUsedPercent),
    MetricDef::gauge(
        CAP_FORECAST_BYTES,
        Unit::Bytes,
        CAP,
        "bandwatch_cap_forecast_bytes",
        "Bytes the data cap's period is forecast to use by its end.",
    )
    .role(Role::CapForecastBytes),
    MetricDef::gauge(
        CAP_FORECAST_PERCENT,
        Unit::Percent,
        CAP,
        "bandwatch_cap_forecast_ratio",
        "Share of the data cap the period is forecast to use by its end (1 = the whole cap).",
    )
    .role(Role::CapForecastPercent),
    MetricDef::gauge(
        CAP_PERIOD_END_TIMESTAMP_SECONDS,
        Unit::Seconds,
        CAP,
        "bandwatch_cap_period_end_timestamp_seconds",
        "Unix time at which the data cap's period ends and its usage starts again at zero.",
    )
    .role(Role::CapPeriodEnd),
    MetricDef::gauge(
        CAP_REACH_TIMESTAMP_SECONDS,
        Unit::Seconds,
        CAP,
        "bandwatch_cap_reach_timestamp_seconds",
        "Unix time at which the data cap is forecast to be reached (absent when it will not be).",
    )
    .role(Role::CapReach),
];

/// The cap label.
pub const LABELS: [LabelDef; 1] = [LabelDef {
    name: LABEL_CAP,
    help: "The data cap: its name in [[caps]].",
    prometheus: None,
}];
