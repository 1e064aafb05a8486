//! Table-driven scenarios: each `tests/scenarios/*.toml` holds rules (its own, and the
//! built-in interface rules when it names their metrics in `[builtin]`), one or more series
//! and the exact events expected, in order.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bandwatch_core::{
    EventKind, Frame, Labels, SampleKind, Seconds, SeriesKey, Severity, Timestamp,
};
use bandwatch_engine::builtin::{self, InterfaceMetrics, SpikeSettings};
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
struct SeriesSpec {
    metric: String,
    #[serde(default)]
    labels: std::collections::BTreeMap<String, String>,
    values: Vec<f64>,
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
    let ticks = sc.series.iter().map(|s| s.values.len()).max().unwrap_or(0);
    let mut events = Vec::new();
    for i in 0..ticks {
        let ts = Timestamp::from_secs(T0 + i as i64 * sc.step);
        let mut frame = Frame::new("scenario", ts, Seconds(sc.step as f64));
        for (s, key) in sc.series.iter().zip(&keys) {
            if let Some(v) = s.values.get(i) {
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
