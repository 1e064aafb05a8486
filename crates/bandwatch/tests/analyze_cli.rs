//! `bandwatch analyze` as a process over a generated history (`support/gen_history.rs`):
//! totals, peak and its time, the 95th percentile of a known distribution, time above 80 %
//! of the link, the busiest hours in local time, probe uptime and RTT percentiles, gauges,
//! devices and alerts by rule and severity, checked exactly against the numbers the
//! generator knows; golden text and JSON; the error cases.

#[path = "support/gen_history.rs"]
mod gen_history;
mod support;

use std::path::Path;
use std::process::Output;

use bandwatch_core::Timestamp;
use serde_json::Value;
use support::bandwatch;

/// Tuesday 2026-03-10 19:00 UTC, 20:00 in the test's zone.
const T0: Timestamp = Timestamp(1_773_169_200_000);
/// Two hours of ten-second samples.
const SAMPLES: i64 = 720;
/// Central European time with its DST rule (chrono reads a POSIX TZ; no tzdata needed).
const TZ: &str = "CET-1CEST,M3.5.0,M10.5.0/3";
const SINCE: &str = "2026-03-10T19:00:00Z";
const UNTIL: &str = "2026-03-10T21:01:00Z";

/// Runs `analyze` in `dir` with `args`; every tier is kept ten years unless `raw` says.
fn analyze(dir: &Path, raw: &str, args: &[&str]) -> Output {
    bandwatch(dir)
        .env("TZ", TZ)
        .env("BANDWATCH_RAW_RETENTION", raw)
        .env("BANDWATCH_MINUTE_RETENTION", "3650d")
        .env("BANDWATCH_HOUR_RETENTION", "3650d")
        .arg("analyze")
        .args(args)
        .output()
        .expect("run")
}

fn ok(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{text}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn history() -> (tempfile::TempDir, gen_history::Known) {
    let dir = tempfile::tempdir().expect("tempdir");
    let known = gen_history::write(&dir.path().join("h.db"), T0, SAMPLES);
    (dir, known)
}

fn json(dir: &Path, raw: &str) -> Value {
    let out = analyze(
        dir,
        raw,
        &["--db", "h.db", "--since", SINCE, "--until", UNTIL, "--json"],
    );
    serde_json::from_str(&ok(&out)).expect("one JSON document")
}

/// The nearest-rank percentile, written out independently of the binary's.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
fn nearest_rank(values: &[f64], p: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = (p / 100.0 * v.len() as f64).ceil() as usize;
    v[rank.max(1) - 1]
}

fn rfc3339(t: Timestamp) -> String {
    t.to_rfc3339()
}

#[test]
#[allow(clippy::float_cmp, clippy::cast_precision_loss)] // exact sums and known rates
fn every_figure_matches_the_generated_history() {
    let (dir, known) = history();
    let doc = json(dir.path(), "3650d");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["range"]["resolution"], "raw");
    let eth0 = &doc["interfaces"][0];
    assert_eq!(eth0["iface"], "eth0");
    assert_eq!(doc["interfaces"][1]["iface"], "wlan0");
    let rx_total: f64 = known.eth0_rx.iter().sum();
    assert_eq!(eth0["rx"]["bytes"].as_f64(), Some(rx_total));
    assert_eq!(eth0["tx"]["bytes"], 360_000);
    let rates: Vec<f64> = known.eth0_rx.iter().map(|b| b * 8.0 / 10.0).collect();
    assert_eq!(
        eth0["rx"]["avg_bits_per_second"].as_f64(),
        Some(rx_total * 8.0 / (SAMPLES as f64 * 10.0))
    );
    assert_eq!(eth0["rx"]["peak_bits_per_second"], 800_000.0);
    let spike = usize::try_from(gen_history::SPIKE_INDEX).expect("index");
    assert_eq!(eth0["rx"]["peak_at"], rfc3339(known.times[spike]).as_str());
    assert_eq!(
        eth0["rx"]["p95_bits_per_second"].as_f64(),
        Some(nearest_rank(&rates, 95.0))
    );
    assert_eq!(eth0["rx"]["p95_bits_per_second"], 92_000.0);
    let busy = rates.iter().filter(|r| **r > 80_000.0).count() as f64 * 10.0;
    assert_eq!(eth0["rx"]["seconds_above_80_percent"].as_f64(), Some(busy));
    assert_eq!(eth0["tx"]["seconds_above_80_percent"], 0.0);
    assert_eq!(
        doc["interfaces"][1]["link_speed_bits_per_second"],
        Value::Null
    );
    // Busiest local hours (UTC+1): each sample's bytes in the hour of its minute.
    let mut by_hour = [0f64; 24];
    for (i, t) in known.times.iter().enumerate() {
        let hour = (t.0.div_euclid(3_600_000) + 1).rem_euclid(24);
        by_hour[usize::try_from(hour).expect("hour")] += known.eth0_rx[i] + known.eth0_tx[i];
    }
    let hours = eth0["busiest_hours"].as_array().expect("hours");
    assert_eq!(hours.len(), 3);
    for h in hours {
        let hour = usize::try_from(h["hour"].as_u64().expect("hour")).expect("hour");
        assert_eq!(h["bytes"].as_f64(), Some(by_hour[hour]), "{h}");
    }
    assert_eq!(hours[0]["hour"], 21);
    // The probe: 240 rounds, 8 down = 4 minutes; RTTs of the rounds that answered.
    let router = &doc["probes"][0];
    assert_eq!(router["target"], "router");
    assert_eq!(router["rounds"], 240);
    let uptime = router["uptime_percent"].as_f64().expect("uptime");
    assert!((uptime - 232.0 * 100.0 / 240.0).abs() < 1e-9, "{uptime}");
    assert_eq!(router["down_seconds"], 240.0);
    assert_eq!(
        router["rtt_p50_ms"].as_f64(),
        Some(nearest_rank(&known.rtt, 50.0) * 1000.0)
    );
    assert_eq!(
        router["rtt_p95_ms"].as_f64(),
        Some(nearest_rank(&known.rtt, 95.0) * 1000.0)
    );
    let cpu = &doc["system"]["cpu"];
    assert_eq!(
        cpu["avg_percent"].as_f64(),
        Some((719.0 * 10.0 + 95.0) / 720.0)
    );
    assert_eq!(cpu["max_percent"], 95.0);
    assert_eq!(doc["system"]["disks"][0]["mount"], "/");
    assert_eq!(doc["system"]["disks"][0]["max_percent"], 91.0);
    let laptop = &doc["devices"][0];
    assert_eq!(laptop["device"], "laptop");
    assert_eq!(laptop["rx_bytes"], 719 * 1000 + 10_000);
    assert_eq!(laptop["tx_bytes"], 72_000);
    assert_eq!(laptop["rx_peak_bits_per_second"], 8000.0);
    let alerts = doc["alerts"].as_array().expect("alerts");
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    assert_eq!(alerts[0]["rule"], "upload-spike");
    assert_eq!(alerts[0]["severity"], "critical");
    assert_eq!(alerts[0]["subject"], "eth0 upload");
    assert_eq!(alerts[0]["count"], 3);
    assert_eq!(alerts[1]["rule"], "download-spike");
    assert_eq!(alerts[1]["count"], 1);
    let findings: Vec<&str> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        findings,
        [
            "eth0 peaked at 800.0 kbps download on Tue 21:23",
            "eth0 download was above 80 % of its 100.0 kbps link for 20 min",
            "3 critical alerts on eth0 upload",
            "router was down 4 min (96.7% up)",
            "disk / at 91.0% on Tue 21:00",
        ]
    );
}

#[test]
fn the_text_and_json_are_stable() {
    let (dir, _) = history();
    let out = analyze(
        dir.path(),
        "3650d",
        &["--db", "h.db", "--since", SINCE, "--until", UNTIL],
    );
    insta::assert_snapshot!("analyze_text", ok(&out));
    let doc = json(dir.path(), "3650d");
    insta::assert_snapshot!(
        "analyze_json",
        serde_json::to_string_pretty(&doc).expect("json")
    );
}

#[test]
#[allow(clippy::float_cmp)]
fn beyond_the_raw_retention_rates_come_from_minutes_and_totals_stay_exact() {
    let (dir, known) = history();
    let raw = json(dir.path(), "3650d");
    let minute = json(dir.path(), "1h");
    assert_eq!(minute["range"]["resolution"], "minute");
    for dir_ in ["rx", "tx"] {
        assert_eq!(
            minute["interfaces"][0][dir_]["bytes"],
            raw["interfaces"][0][dir_]["bytes"]
        );
        // A minute keeps its largest sample: the peak is the same, located to its minute.
        assert_eq!(
            minute["interfaces"][0][dir_]["peak_bits_per_second"],
            raw["interfaces"][0][dir_]["peak_bits_per_second"]
        );
    }
    let spike = usize::try_from(gen_history::SPIKE_INDEX).expect("index");
    let minute_of_spike = known.times[spike].floor_to(60_000);
    assert_eq!(
        minute["interfaces"][0]["rx"]["peak_at"],
        minute_of_spike.to_rfc3339().as_str()
    );
    assert_eq!(minute["probes"][0]["down_seconds"], 240.0);
}

#[test]
fn data_caps_show_as_they_stood_at_the_ranges_end() {
    let (dir, _) = history();
    std::fs::write(
        dir.path().join("bandwatch.toml"),
        "[[caps]]\nname = \"isp\"\ninterface = \"eth0\"\nlimit = \"40 MiB\"\n",
    )
    .expect("config");
    let doc = json(dir.path(), "3650d");
    let eth0 = &doc["interfaces"][0];
    assert_eq!(eth0["iface"], "eth0");
    let used =
        eth0["rx"]["bytes"].as_u64().expect("rx") + eth0["tx"]["bytes"].as_u64().expect("tx");
    let cap = &doc["caps"][0];
    assert_eq!(cap["name"], "isp");
    // the whole generated history falls in the cap's month, so the cap used all of it
    assert_eq!(cap["used_bytes"].as_u64(), Some(used));
    assert_eq!(cap["limit_bytes"].as_u64(), Some(40 * 1024 * 1024));
    assert_eq!(cap["over"], true);
    let first = doc["findings"][0].as_str().expect("a finding");
    assert!(first.starts_with("data cap isp is used up"), "{first}");
    let out = analyze(
        dir.path(),
        "3650d",
        &["--db", "h.db", "--since", SINCE, "--until", UNTIL],
    );
    let text = ok(&out);
    assert!(text.contains("\nData caps\n"), "{text}");
    assert!(text.contains("isp  eth0 total"), "{text}");
}

#[test]
fn the_rate_chart_draws_every_line_and_refuses_other_names() {
    let (dir, _) = history();
    let out = analyze(
        dir.path(),
        "3650d",
        &[
            "--db",
            "h.db",
            "--since",
            SINCE,
            "--until",
            UNTIL,
            "--chart",
            "rates.svg",
        ],
    );
    ok(&out);
    let svg = std::fs::read_to_string(dir.path().join("rates.svg")).expect("chart written");
    let doc = roxmltree::Document::parse(&svg).expect("an SVG document");
    // one line per interface and direction: eth0 and wlan0, down and up
    let lines = doc
        .descendants()
        .filter(|n| {
            n.has_tag_name("polyline")
                || (n.has_tag_name("path") && n.attribute("fill") == Some("none"))
        })
        .count();
    assert!(lines >= 4, "{lines} lines in\n{svg}");
    let out = analyze(
        dir.path(),
        "3650d",
        &["--db", "h.db", "--chart", "rates.gif"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("neither an .svg nor a .png"));
    assert!(!dir.path().join("rates.gif").exists());
}

#[test]
fn one_interface_and_the_errors() {
    let (dir, _) = history();
    let one = analyze(
        dir.path(),
        "3650d",
        &[
            "--db", "h.db", "--since", SINCE, "--until", UNTIL, "--iface", "wlan0", "--json",
        ],
    );
    let doc: Value = serde_json::from_str(&ok(&one)).expect("json");
    assert_eq!(doc["interfaces"].as_array().map(Vec::len), Some(1));
    assert_eq!(doc["interfaces"][0]["iface"], "wlan0");
    let bad = |args: &[&str], needle: &str| {
        let out = analyze(dir.path(), "3650d", args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    };
    bad(
        &["--db", "h.db", "--iface", "eth9"],
        "no interface 'eth9' in the history; it holds eth0, wlan0",
    );
    bad(
        &["--db", "h.db", "--hours", "0"],
        "--hours: 0 is out of range",
    );
    bad(
        &["--db", "h.db", "--hours", "99999999999999999999"],
        "--hours",
    );
    bad(&["--db", "h.db", "--since", "last week"], "is not a time");
    // a negative number reaches the value check, as everywhere else (not "unexpected argument")
    bad(
        &["--db", "h.db", "--hours", "-1"],
        "invalid value '-1' for '--hours <N>'",
    );
    bad(
        &["--db", "h.db", "--since", UNTIL, "--until", SINCE],
        "the range is empty",
    );
}

#[test]
fn no_history_says_how_to_get_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = analyze(dir.path(), "48h", &["--db", "missing.db"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(out.stdout.is_empty());
    assert!(
        err.contains("no history in missing.db yet: run `bandwatch run` first"),
        "{err}"
    );
    // A database without a single series says the same.
    let db = dir.path().join("empty.db");
    let mut store =
        bandwatch_store::SqliteStore::open(&db, bandwatch_store::SqliteOptions::default())
            .expect("store");
    bandwatch_store::Store::flush(&mut store).expect("flush");
    drop(store);
    let out = analyze(dir.path(), "48h", &["--db", "empty.db", "--json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("no history in empty.db yet"), "{err}");
}

#[test]
fn a_range_without_samples_still_reports() {
    let (dir, _) = history();
    let out = analyze(
        dir.path(),
        "3650d",
        &[
            "--db",
            "h.db",
            "--since",
            "2026-01-01",
            "--until",
            "2026-01-02",
        ],
    );
    let text = ok(&out);
    assert!(text.contains("nothing stood out"), "{text}");
    assert!(text.contains("Alerts\n  none in this range"), "{text}");
}
