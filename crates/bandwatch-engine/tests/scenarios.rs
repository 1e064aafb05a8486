//! Table-driven scenarios: each `tests/scenarios/*.toml` holds rules (its own, the built-in
//! interface rules when it names their metrics in `[builtin]`, the built-in device rules when
//! it names theirs and gives the devices' limits in `[builtin_devices]`), one or more series
//! (`values`, and `runs = [[value, count], …]` for long stretches) and the exact events
//! expected, in order. Time is the samples' timestamps: hours of it take milliseconds.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bandwatch_core::{
    EventKind, Frame, Labels, SampleKind, Seconds, SeriesKey, Severity, Timestamp,
};
use bandwatch_engine::builtin::{
    self, DeviceMetrics, DeviceSettings, InterfaceMetrics, SpikeSettings,
};
use bandwatch_engine::{Engine, RuleSpec};
use serde::Deserialize;

/// 2026-11-21T10:00:00Z: scenario times are seconds from here.
const T0: i64 = 1_795_255_200;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    description: String,
    /// Seconds between samples.
    step: i64,
    #[serde(default)]
    rules: Vec<RuleSpec>,
    /// The built-in interface rules, exactly as `bandwatch run` makes them, over these metrics.
    builtin: Option<BuiltinMetrics>,
    /// The built-in device rules, exactly as `bandwatch run` makes them.
    builtin_devices: Option<BuiltinDevices>,
    series: Vec<SeriesSpec>,
    #[serde(default)]
    expect: Vec<Expected>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BuiltinMetrics {
    rx_rate: String,
    tx_rate: String,
    up: String,
    iface_label: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BuiltinDevices {
    bytes: String,
    rate: String,
    active: String,
    device_label: String,
    other_device: Option<String>,
    /// `devices.threshold_window`, e.g. "1h".
    threshold_window: Option<String>,
    /// `devices.idle_gap`, e.g. "5m".
    idle_gap: Option<String>,
    /// The registry's `unknown` bandwidth_threshold, bytes.
    default_threshold: Option<f64>,
    /// Each device's bandwidth_threshold, bytes.
    #[serde(default)]
    thresholds: BTreeMap<String, f64>,
    /// The registry's `unknown` max_active_time, seconds.
    default_max_active: Option<u64>,
    /// Each device's max_active_time, seconds.
    #[serde(default)]
    max_active: BTreeMap<String, f64>,
}

impl BuiltinDevices {
    fn rules(&self) -> Vec<RuleSpec> {
        let metrics = DeviceMetrics {
            bytes: &self.bytes,
            rate: &self.rate,
            active: &self.active,
            device_label: &self.device_label,
            other_device: self.other_device.as_deref(),
        };
        let d = DeviceSettings::default();
        let dur = |t: &Option<String>, or| {
            t.as_deref()
                .map_or(or, |t| humantime::parse_duration(t).expect("duration"))
        };
        let settings = DeviceSettings {
            threshold_window: dur(&self.threshold_window, d.threshold_window),
            idle_gap: dur(&self.idle_gap, d.idle_gap),
            default_threshold: self.default_threshold.unwrap_or(d.default_threshold),
            thresholds: self.thresholds.clone(),
            default_max_active: self
                .default_max_active
                .map_or(d.default_max_active, std::time::Duration::from_secs),
            max_active: self.max_active.clone(),
            spike: d.spike,
        };
        builtin::device_rules(&metrics, &settings)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeriesSpec {
    metric: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<f64>,
    /// After `values`: each value repeated so many times.
    #[serde(default)]
    runs: Vec<(f64, usize)>,
}

impl SeriesSpec {
    fn all_values(&self) -> Vec<f64> {
        let mut v = self.values.clone();
        for &(value, count) in &self.runs {
            v.extend(std::iter::repeat_n(value, count));
        }
        v
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    kind: EventKind,
    severity: Severity,
    /// Seconds from the first sample.
    at: i64,
    /// The series as `metric{label="value"}`; checked when given.
    series: Option<String>,
    /// Text the message must contain; checked when given.
    message: Option<String>,
}

fn run(path: &Path) {
    let text = std::fs::read_to_string(path).expect("readable scenario");
    let sc: Scenario = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut rules = sc.builtin.as_ref().map_or_else(Vec::new, |b| {
        let metrics = InterfaceMetrics {
            rx_rate: &b.rx_rate,
            tx_rate: &b.tx_rate,
            up: &b.up,
            iface_label: &b.iface_label,
        };
        builtin::interface_rules(&metrics, &SpikeSettings::default())
    });
    if let Some(d) = &sc.builtin_devices {
        rules.extend(d.rules());
    }
    rules.extend(sc.rules.iter().cloned());
    let mut engine = Engine::from_specs(&rules).expect("valid rules");
    let keys: Vec<Arc<SeriesKey>> = sc
        .series
        .iter()
        .map(|s| {
            Arc::new(SeriesKey::new(
                &s.metric,
                Labels::from_pairs(s.labels.clone()),
            ))
        })
        .collect();
    let values: Vec<Vec<f64>> = sc.series.iter().map(SeriesSpec::all_values).collect();
    let ticks = values.iter().map(Vec::len).max().unwrap_or(0);
    let mut events = Vec::new();
    for i in 0..ticks {
        let ts = Timestamp::from_secs(T0 + i as i64 * sc.step);
        let mut frame = Frame::new("scenario", ts, Seconds(sc.step as f64));
        for (s, key) in values.iter().zip(&keys) {
            if let Some(v) = s.get(i) {
                frame.push(Arc::clone(key), *v, SampleKind::Gauge);
            }
        }
        events.extend(engine.observe(&frame));
    }
    common::check_time_order(&events);
    common::check_invariants(&events);
    let got: Vec<Expected> = events
        .iter()
        .zip(sc.expect.iter().map(Some).chain(std::iter::repeat(None)))
        .map(|(e, want)| Expected {
            kind: e.kind,
            severity: e.severity,
            at: e.at.millis() / 1000 - T0,
            series: want
                .and_then(|w| w.series.as_ref())
                .map(|_| e.series.to_string()),
            message: want
                .and_then(|w| w.message.clone())
                .filter(|m| e.message.contains(m.as_str())),
        })
        .collect();
    assert_eq!(
        got,
        sc.expect,
        "{} ({}); messages: {:#?}",
        path.display(),
        sc.description,
        events.iter().map(|e| &e.message).collect::<Vec<_>>()
    );
}

fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenario directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn all_scenarios() {
    let files = scenario_files();
    assert!(files.len() >= 9, "scenarios missing: {files:?}");
    for f in files {
        run(&f);
    }
}
