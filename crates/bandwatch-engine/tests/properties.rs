//! Property tests: whatever the rules and values, the engine never panics, keeps at most one
//! open alert per (rule, series) with one id, and reports events in time order.

mod common;

use std::sync::Arc;

use bandwatch_core::Severity;
use bandwatch_core::{Frame, SampleKind, Seconds, SeriesKey, Timestamp};
use bandwatch_engine::{Engine, RuleSpec, StepSpec};
use proptest::prelude::*;

const CONDITIONS: [&str; 7] = [
    "threshold",
    "spike",
    "anomaly",
    "state_change",
    "consecutive",
    "flapping",
    "bogus",
];

fn severity() -> impl Strategy<Value = Severity> {
    prop_oneof![
        Just(Severity::Low),
        Just(Severity::Medium),
        Just(Severity::High),
        Just(Severity::Critical)
    ]
}

fn duration() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        (0u32..300).prop_map(|s| Some(format!("{s}s"))),
        Just(Some("nonsense".to_owned())),
    ]
}

/// A rule with arbitrary (often invalid) settings; the fields a condition does not use are
/// left out so that many of them validate.
fn rule_spec(i: usize) -> impl Strategy<Value = RuleSpec> {
    (
        0..CONDITIONS.len(),
        prop::option::of(-10.0..200.0f64),
        prop::option::of(0.5..5.0f64),
        prop::option::of(0usize..20),
        prop::option::of(-1.0..1.5f64),
        prop::option::of(prop::collection::vec((0.0..150.0f64, severity()), 0..4)),
        (duration(), duration(), duration(), duration()),
        prop::option::of(prop_oneof![Just("*"), Just("eth*"), Just("eth[")]),
        prop::option::of(0u32..8),
    )
        .prop_map(
            move |(c, num, factor, window, hyst, steps, (f, cf, cd, within), glob, n)| {
                let condition = CONDITIONS[c];
                let mut s = RuleSpec {
                    name: format!("r{i}"),
                    metric: "m".into(),
                    condition: condition.into(),
                    hysteresis: hyst,
                    steps: steps.map(|v| {
                        v.into_iter()
                            .map(|(above, severity)| StepSpec { above, severity })
                            .collect()
                    }),
                    for_: f,
                    clear_for: cf,
                    cooldown: cd,
                    ..RuleSpec::default()
                };
                if let Some(g) = glob {
                    s.matchers.insert("iface".into(), g.into());
                }
                match condition {
                    "threshold" if i % 2 == 0 => s.above = num,
                    "threshold" => s.below = num,
                    "spike" => {
                        s.factor = factor;
                        s.window = window;
                        s.floor = num;
                    }
                    "anomaly" => {
                        s.window = window;
                        s.limit = factor;
                    }
                    "consecutive" => {
                        // Mostly the values the generator produces often, so runs happen.
                        s.to = num.map(|x| f64::from(u8::from(x > 100.0)));
                        s.count = n;
                    }
                    "flapping" => {
                        s.changes = n;
                        s.within = within;
                    }
                    _ => {}
                }
                s
            },
        )
}

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => 0.0..150.0f64,
        2 => Just(0.0),
        2 => Just(1.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => any::<f64>(),
    ]
}

/// Ticks as (seconds since the previous tick, one value per series).
fn ticks(backwards: bool) -> impl Strategy<Value = Vec<(i64, Vec<f64>)>> {
    let lo = if backwards { -60 } else { 0 };
    prop::collection::vec((lo..120i64, prop::collection::vec(value(), 3)), 0..150)
}

fn run(specs: &[RuleSpec], ticks: &[(i64, Vec<f64>)]) -> Vec<bandwatch_core::AlertEvent> {
    let valid: Vec<RuleSpec> = specs
        .iter()
        .filter(|s| s.validate().is_ok())
        .cloned()
        .collect();
    let Ok(mut engine) = Engine::from_specs(&valid) else {
        panic!("valid rules were refused");
    };
    let keys: Vec<Arc<SeriesKey>> = ["eth0", "eth1", "wlan0"]
        .iter()
        .map(|i| Arc::new(SeriesKey::with_label("m", "iface", i)))
        .collect();
    let mut ts = Timestamp::from_secs(1_795_255_200);
    let mut events = Vec::new();
    for (step, values) in ticks {
        ts = ts.add_millis(step * 1000);
        let mut frame = Frame::new("prop", ts, Seconds(1.0));
        for (k, v) in keys.iter().zip(values) {
            frame.push(Arc::clone(k), *v, SampleKind::Gauge);
        }
        events.extend(engine.observe(&frame));
    }
    events
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn lifecycle_invariants_hold(
        specs in (0usize..4).prop_flat_map(|n| (0..n).map(rule_spec).collect::<Vec<_>>()),
        ticks in ticks(false),
    ) {
        let events = run(&specs, &ticks);
        common::check_time_order(&events);
        common::check_invariants(&events);
    }

    #[test]
    fn late_and_duplicate_frames_keep_each_alert_consistent(
        specs in (1usize..4).prop_flat_map(|n| (0..n).map(rule_spec).collect::<Vec<_>>()),
        ticks in ticks(true),
    ) {
        let events = run(&specs, &ticks);
        common::check_invariants(&events);
    }

    #[test]
    fn validation_never_panics(spec in rule_spec(0)) {
        let _ = spec.validate();
    }
}
