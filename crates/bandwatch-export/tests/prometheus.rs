//! The Prometheus exposition end to end: frames from a fixture encoded in both formats and
//! compared with checked-in snapshots, linted by `promtool check metrics`, and label values
//! of any shape shown to survive encoding.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bandwatch_core::snapshot::DEFAULT_STALE_AFTER;
use bandwatch_core::{
    AlertEvent, Clock, FakeClock, Frame, Labels, SampleKind, Seconds, SeriesKey, SinkBoard,
    SinkCounters, Snapshot, SourceBoard, SystemClock, Timestamp,
};
use bandwatch_export::prometheus::{Exporter, Format};
use proptest::prelude::*;
use serde::Deserialize;

/// `tests/fixtures/prometheus_frames.json`: frames with samples written as series text.
#[derive(Deserialize)]
struct Fixture {
    frames: Vec<FixtureFrame>,
    alerts: Vec<AlertEvent>,
    /// (sink, queue depth, written, dropped, retried)
    sinks: Vec<(String, u64, u64, u64, u64)>,
    /// (source, seconds, ok)
    collections: Vec<(String, f64, bool)>,
}

#[derive(Deserialize)]
struct FixtureFrame {
    source: String,
    ts: i64,
    elapsed: f64,
    samples: Vec<(String, f64, SampleKind)>,
}

fn fixture_exporter() -> Exporter {
    let text = include_str!("fixtures/prometheus_frames.json");
    let fixture: Fixture = serde_json::from_str(text).expect("the fixture parses");
    let clock = FakeClock::new(Timestamp(1_763_719_200_000));
    let snapshot = Snapshot::new(Arc::new(clock.clone()), DEFAULT_STALE_AFTER);
    let (sources, sinks) = (SourceBoard::default(), SinkBoard::default());
    let exp = Exporter::new(
        snapshot.clone(),
        bandwatch_collect::catalog(),
        sources.clone(),
        sinks.clone(),
    );
    for f in fixture.frames {
        clock.set_wall(Timestamp(f.ts));
        let mut frame = Frame::new(f.source, Timestamp(f.ts), Seconds(f.elapsed));
        for (series, value, kind) in f.samples {
            frame.push(
                Arc::new(series.parse::<SeriesKey>().expect("fixture series parse")),
                value,
                kind,
            );
        }
        snapshot.observe(&frame);
        sources.record(&frame.source, Duration::ZERO, true, Some(frame.ts));
        clock.advance(Duration::from_millis(500));
    }
    exp.observe_alerts(&fixture.alerts);
    for (source, secs, ok) in fixture.collections {
        sources.record(&source, Duration::from_secs_f64(secs), ok, None);
    }
    for (name, queued, written, dropped, retried) in fixture.sinks {
        let c = SinkCounters::default();
        c.set_queue_depth(queued);
        c.add_written(written);
        c.add_dropped(dropped);
        c.add_retried(retried);
        sinks.register(&name, c);
    }
    exp
}

// The version label would churn the snapshots on every release.
fn without_version(body: &str) -> String {
    body.replace(
        &format!("version=\"{}\"", env!("CARGO_PKG_VERSION")),
        "version=\"VERSION\"",
    )
}

#[test]
fn golden_text() {
    let (body, content_type) = fixture_exporter().encode(Format::Text);
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    insta::assert_snapshot!("prometheus_text", without_version(&body));
}

#[test]
fn golden_openmetrics() {
    let (body, content_type) = fixture_exporter().encode(Format::OpenMetrics);
    assert_eq!(
        content_type,
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    insta::assert_snapshot!("prometheus_openmetrics", without_version(&body));
}

/// Lints promtool may report that are accepted: none (rates and speeds are exported in
/// bytes, Prometheus' base unit).
const CONTRACT_LINTS: [&str; 0] = [];

/// promtool 2.x reads only the classic text format, where a counter family carries its
/// `_total` name; OpenMetrics names the family without it. Renaming the HELP and TYPE lines
/// of counters lets promtool lint everything else (names, help, labels, values) as written.
fn openmetrics_for_promtool(body: &str) -> String {
    let counters: Vec<&str> = body
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
        .collect();
    let mut out = String::new();
    for line in body.lines() {
        let meta = ["# HELP ", "# TYPE "]
            .into_iter()
            .find_map(|p| Some((p, line.strip_prefix(p)?)));
        match meta {
            Some((prefix, rest)) if counters.iter().any(|c| rest.split(' ').next() == Some(*c)) => {
                let (name, tail) = rest
                    .split_once(' ')
                    .expect("HELP and TYPE lines have a text");
                let _ = writeln!(out, "{prefix}{name}_total {tail}");
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// `promtool check metrics` on `body`: `Ok(false)` when promtool is not installed (the test
/// then passes with SKIPPED unless `BANDWATCH_REQUIRE_ROOT_TESTS=1`), `Err` with its report
/// for any problem but [`CONTRACT_LINTS`].
fn promtool_check(body: &str, format: Format) -> Result<bool, String> {
    let input = match format {
        Format::Text => body.to_string(),
        Format::OpenMetrics => openmetrics_for_promtool(body),
    };
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bandwatch_testkit::require(
                &bandwatch_testkit::this_test(),
                &["the `promtool` program"],
                "install it with `apt-get install -y prometheus`",
            );
            return Ok(false);
        }
        Err(e) => return Err(format!("running promtool: {e}")),
    };
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input.as_bytes())
        .expect("promtool reads stdin");
    let out = child.wait_with_output().expect("promtool ran");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let problems: Vec<&str> = stdout
        .lines()
        .chain(stderr.lines())
        .filter(|l| !l.trim().is_empty() && !CONTRACT_LINTS.contains(l))
        .collect();
    // Exit 3 means lint problems only (all of them listed); anything else is a parse error.
    let lint_only = matches!(out.status.code(), Some(0 | 3));
    if lint_only && problems.is_empty() {
        Ok(true)
    } else {
        Err(format!(
            "promtool check metrics ({}) on {format:?}:\n{}\n--- input ---\n{input}",
            out.status,
            problems.join("\n")
        ))
    }
}

#[test]
fn promtool_accepts_both_formats() {
    let exp = fixture_exporter();
    for format in [Format::Text, Format::OpenMetrics] {
        let (body, _) = exp.encode(format);
        if !promtool_check(&body, format).unwrap() {
            return;
        }
    }
}

#[test]
fn promtool_check_reports_real_problems() {
    let bad = "# HELP x_bytes A counter without its suffix.\n# TYPE x_bytes counter\nx_bytes 1\n";
    match promtool_check(bad, Format::Text) {
        Ok(false) => {}
        Ok(true) => panic!("promtool passed a counter without _total"),
        Err(report) => assert!(report.contains("_total"), "{report}"),
    }
    let broken = "x{a=\"unterminated} 1\n";
    assert!(!matches!(promtool_check(broken, Format::Text), Ok(true)));
}

const AWKWARD: [&str; 6] = [
    "a \"quoted\" value",
    "back\\slash\\",
    "two\nlines\n",
    "ünïcødé ✓ 网络",
    "\\\"\n\\n",
    "",
];

fn exporter_with_targets(targets: &[&str]) -> Exporter {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::new());
    let snapshot = Snapshot::new(clock, DEFAULT_STALE_AFTER);
    let exp = Exporter::new(
        snapshot.clone(),
        bandwatch_collect::catalog(),
        SourceBoard::default(),
        SinkBoard::default(),
    );
    let mut frame = Frame::new("probe", Timestamp(1_000), Seconds(1.0));
    for t in targets {
        let key = SeriesKey::new("probe_up", Labels::from_pairs([("target", *t)]));
        frame.push(Arc::new(key), 1.0, SampleKind::Gauge);
    }
    snapshot.observe(&frame);
    exp
}

#[test]
fn promtool_accepts_awkward_label_values() {
    let exp = exporter_with_targets(&AWKWARD);
    for format in [Format::Text, Format::OpenMetrics] {
        let (body, _) = exp.encode(format);
        assert_eq!(targets_of(&body), sorted(&AWKWARD));
        if !promtool_check(&body, format).unwrap() {
            return;
        }
    }
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| (*s).to_string()).collect();
    v.sort();
    v.dedup();
    v
}

/// The `target` values of the `bandwatch_probe_up` lines, read back by a strict little parser
/// of the exposition grammar (every line must parse).
fn targets_of(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in body.lines() {
        if line.starts_with('#') {
            continue;
        }
        let (name, labels, value) = parse_sample(line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        assert!(value.is_finite() || value.is_nan(), "{line}");
        if name == "bandwatch_probe_up" {
            let target = labels
                .iter()
                .find(|(k, _)| k == "target")
                .map(|(_, v)| v.clone());
            out.push(target.expect("probe_up has a target"));
        }
    }
    out.sort();
    out
}

type Parsed = (String, Vec<(String, String)>, f64);

/// `name{k="v",...} value` per the text grammar: values escape only `\\`, `\"` and `\n`.
fn parse_sample(line: &str) -> Result<Parsed, String> {
    let name_end = line.find(['{', ' ']).ok_or("no value")?;
    let name = &line[..name_end];
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    {
        return Err(format!("bad name {name}"));
    }
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(body) = rest.strip_prefix('{') {
        let mut chars = body.char_indices();
        let mut key = String::new();
        loop {
            let (i, c) = chars.next().ok_or("unterminated labels")?;
            match c {
                '}' if key.is_empty() => {
                    rest = &body[i + 1..];
                    break;
                }
                ',' if key.is_empty() => {}
                '=' => {
                    if chars.next().map(|x| x.1) != Some('"') {
                        return Err("value not quoted".into());
                    }
                    let mut value = String::new();
                    loop {
                        match chars.next().ok_or("unterminated value")?.1 {
                            '"' => break,
                            '\\' => match chars.next().ok_or("dangling escape")?.1 {
                                'n' => value.push('\n'),
                                c @ ('\\' | '"') => value.push(c),
                                c => return Err(format!("bad escape \\{c}")),
                            },
                            '\n' => return Err("raw newline".into()),
                            c => value.push(c),
                        }
                    }
                    labels.push((std::mem::take(&mut key), value));
                }
                c if c.is_ascii_alphanumeric() || c == '_' => key.push(c),
                c => return Err(format!("unexpected {c:?}")),
            }
        }
    }
    let value = rest.strip_prefix(' ').ok_or("no space before value")?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => v.parse().map_err(|e| format!("value {v:?}: {e}"))?,
    };
    Ok((name.to_string(), labels, value))
}

proptest! {
    #[test]
    fn any_label_value_round_trips(
        values in proptest::collection::vec("(\\PC|[\"\\\\\n\r\t ])*", 1..6),
    ) {
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        let exp = exporter_with_targets(&refs);
        for format in [Format::Text, Format::OpenMetrics] {
            let (body, _) = exp.encode(format);
            prop_assert_eq!(targets_of(&body), sorted(&refs));
        }
    }
}
