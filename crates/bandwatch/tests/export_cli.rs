//! `bandwatch export` over generated histories: frames with known deltas written into a real
//! SQLite store at instants the test chooses, exported by the real binary and read back.
//! Every point is present and exact, JSON and CSV agree, filters and tiers select what they
//! say, bad input leaves nothing behind, and memory stays flat from a month to a year.
// The generated values are small integers and their sums, exact in f64: the test means to
// compare them exactly.
#![allow(clippy::float_cmp)]

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use bandwatch_collect::catalog;
use bandwatch_core::{
    Clock as _, Frame, Role, SampleKind, Seconds, SeriesKey, SystemClock, Timestamp,
};
use bandwatch_store::{Retention, SqliteOptions, SqliteStore, Store as _, ELAPSED_METRIC};
use serde_json::Value;
use support::bandwatch;

/// 2025-03-01T00:00:00Z.
const MARCH: i64 = 1_740_787_200_000;
const MINUTE: i64 = 60_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// The interfaces of a generated history.
const IFACES: [&str; 2] = ["eth0", "wlan0"];

/// A metric's name by its role in the catalogue (no test retypes one).
fn name(role: Role) -> &'static str {
    catalog().name_of(role)
}

/// Bytes `iface` (its index) received in tick `i`: distinct per tick and interface.
fn rx(i: i64, iface: usize) -> f64 {
    (100 * (iface as i64 + 1) + i % 1000) as f64
}

/// Bytes sent in tick `i`.
fn tx(i: i64, iface: usize) -> f64 {
    (7 * (i % 13) + iface as i64) as f64
}

/// A netdev frame of tick `i` at `ts`, covering `step_s` seconds: per interface the rx and
/// tx deltas, the receive rate (kept only in rollups) and the link state.
fn frame(ts: i64, i: i64, step_s: f64, ifaces: &[&str]) -> Frame {
    let mut f = Frame::new("netdev", Timestamp(ts), Seconds(step_s));
    for (n, iface) in ifaces.iter().enumerate() {
        let key = |role| Arc::new(SeriesKey::with_label(name(role), "iface", iface));
        f.push(key(Role::RxBytes), rx(i, n), SampleKind::Delta);
        f.push(key(Role::TxBytes), tx(i, n), SampleKind::Delta);
        f.push(key(Role::RxRate), rx(i, n) * 8.0 / step_s, SampleKind::Rate);
        f.push(key(Role::LinkUp), 1.0, SampleKind::Gauge);
    }
    f
}

/// Writes `n` ticks of `step_ms` from `start` into a new store at `db` (retention long
/// enough that nothing is pruned), then builds the hour rollups.
fn history(db: &Path, start: i64, step_ms: i64, n: i64) {
    history_of(db, start, step_ms, n, &IFACES);
}

/// The same for the interfaces `ifaces`.
fn history_of(db: &Path, start: i64, step_ms: i64, n: i64, ifaces: &[&str]) {
    let long = Duration::from_secs(3650 * 86_400);
    let opts = SqliteOptions {
        retention: Retention {
            raw: long,
            minute: long,
            hour: long,
        },
        ..SqliteOptions::default()
    };
    let mut store = SqliteStore::open(db, opts).expect("store");
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..n {
        batch.push(frame(
            start + i * step_ms,
            i,
            step_ms as f64 / 1000.0,
            ifaces,
        ));
        if batch.len() == 10_000 {
            store.write(&batch).expect("write");
            batch.clear();
        }
    }
    store.write(&batch).expect("write");
    store.flush().expect("flush");
    store
        .maintain(Timestamp(start + n * step_ms + 2 * HOUR))
        .expect("maintain");
}

/// Runs `bandwatch export ARGS --db h.db` in `dir`.
fn export(dir: &Path, args: &[&str]) -> Output {
    bandwatch(dir)
        .arg("export")
        .args(args)
        .args(["--db", "h.db"])
        .output()
        .expect("run")
}

fn ok(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    err
}

fn bad(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    err
}

fn json_file(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("JSON")
}

/// A series' key as `metric{label=value,…}`.
fn key_of(s: &Value) -> String {
    let labels: Vec<String> = s["labels"]
        .as_object()
        .expect("labels")
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().expect("text")))
        .collect();
    format!(
        "{}{{{}}}",
        s["metric"].as_str().expect("metric"),
        labels.join(",")
    )
}

/// Every point of a JSON export by series: `(time_ms, value)` in order.
fn points(doc: &Value) -> BTreeMap<String, Vec<(i64, f64)>> {
    doc["series"]
        .as_array()
        .expect("series")
        .iter()
        .map(|s| {
            let pts = s["points"]
                .as_array()
                .expect("points")
                .iter()
                .map(|p| (p[0].as_i64().expect("ts"), p[1].as_f64().expect("value")))
                .collect();
            (key_of(s), pts)
        })
        .collect()
}

/// The same from a CSV export: label columns between `metric` and `value`.
fn csv_points(text: &str) -> BTreeMap<String, Vec<(i64, f64)>> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let value_col = header.iter().position(|h| *h == "value").expect("value");
    let mut out: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let labels: Vec<String> = (2..value_col)
            .filter(|c| !cells[*c].is_empty())
            .map(|c| format!("{}={}", header[c], cells[c]))
            .collect();
        let key = format!("{}{{{}}}", cells[1], labels.join(","));
        let ts = chrono::DateTime::parse_from_rfc3339(cells[0]).expect("RFC 3339");
        let v: f64 = cells[value_col].parse().expect("value");
        out.entry(key).or_default().push((ts.timestamp_millis(), v));
    }
    out
}

fn rfc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .expect("time")
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("h.db"))
        .collect();
    v.sort();
    v
}

/// Three hours of 10 s ticks from 1 March.
fn three_hours() -> (tempfile::TempDir, i64) {
    let dir = tempfile::tempdir().expect("tempdir");
    history(&dir.path().join("h.db"), MARCH, 10_000, 3 * 360);
    (dir, 3 * 360)
}

#[test]
fn every_raw_point_is_exported_exactly_and_json_and_csv_agree() {
    let (dir, n) = three_hours();
    let range = [
        "--since",
        "2025-03-01T00:00:00Z",
        "--until",
        "2025-03-01T03:00:00Z",
    ];
    let err = ok(&export(
        dir.path(),
        &[&range[..], &["--step", "raw", "--output", "out.json"]].concat(),
    ));
    assert!(
        !err.contains("export"),
        "no progress bar or summary when stderr is not a terminal: {err}"
    );
    let doc = json_file(&dir.path().join("out.json"));
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["tier"], "raw");
    assert_eq!(doc["range"]["start_ms"], MARCH);
    assert_eq!(doc["range"]["end"], "2025-03-01T03:00:00.000Z");
    assert_eq!(doc["point"], serde_json::json!(["time_ms", "value"]));
    let got = points(&doc);
    for (k, iface) in IFACES.iter().enumerate() {
        let want = |f: &dyn Fn(i64) -> f64| -> Vec<(i64, f64)> {
            (0..n).map(|i| (MARCH + i * 10_000, f(i))).collect()
        };
        let s = |role| format!("{}{{iface={iface}}}", name(role));
        assert_eq!(
            got[&s(Role::RxBytes)],
            want(&|i| rx(i, k)),
            "every delta, exact"
        );
        assert_eq!(got[&s(Role::TxBytes)], want(&|i| tx(i, k)));
        assert_eq!(got[&s(Role::LinkUp)], want(&|_| 1.0));
        // Rates are not stored raw: they come back derived from the deltas, exactly.
        assert_eq!(got[&s(Role::RxRate)], want(&|i| rx(i, k) * 8.0 / 10.0));
    }
    let elapsed = format!("{ELAPSED_METRIC}{{source=netdev}}");
    assert_eq!(got[&elapsed].len(), n as usize);
    assert_eq!(got.len(), 4 * IFACES.len() + 1, "{:?}", got.keys());
    let rate = doc["series"]
        .as_array()
        .expect("series")
        .iter()
        .find(|s| s["metric"] == name(Role::RxRate))
        .expect("a rate");
    assert_eq!(rate["value"], "derived_rate");
    assert_eq!(rate["derived_from"], name(Role::RxBytes));
    assert_eq!(rate["unit"], "bits_per_second");

    ok(&export(
        dir.path(),
        &[&range[..], &["--step", "raw", "--output", "out.csv"]].concat(),
    ));
    let csv = std::fs::read_to_string(dir.path().join("out.csv")).expect("csv");
    assert!(
        csv.starts_with("time,metric,iface,source,value,min,max\n"),
        "{}",
        &csv[..80]
    );
    assert_eq!(csv_points(&csv), got, "CSV holds the same points as JSON");
    assert_eq!(
        files(dir.path()),
        ["out.csv", "out.json"],
        "no temporary file left"
    );
}

#[test]
fn rollup_tiers_sum_deltas_exactly() {
    let (dir, n) = three_hours();
    let range = [
        "--since",
        "2025-03-01T00:00:00Z",
        "--until",
        "2025-03-01T03:00:00Z",
    ];
    let rx_eth0 = format!("{}{{iface=eth0}}", name(Role::RxBytes));
    for (step, width) in [("1m", MINUTE), ("1h", HOUR)] {
        let out = export(dir.path(), &[&range[..], &["--step", step]].concat());
        ok(&out);
        let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
        assert_eq!(doc["step_ms"], width);
        assert_eq!(
            doc["point"],
            serde_json::json!(["time_ms", "value", "min", "max"])
        );
        let got = &points(&doc)[&rx_eth0];
        let per = width / 10_000;
        let want: Vec<(i64, f64)> = (0..n / per)
            .map(|b| {
                (
                    MARCH + b * width,
                    (b * per..(b + 1) * per).map(|i| rx(i, 0)).sum(),
                )
            })
            .collect();
        assert_eq!(got, &want, "{step}: each bucket's sum of deltas");
        let first = &doc["series"][0]["points"][0];
        assert!(first[2].as_f64() <= first[3].as_f64(), "min ≤ max: {first}");
    }
    // Left to itself, a range a year old reads the tier that still holds its start.
    let out = export(dir.path(), &range);
    let doc: Value = serde_json::from_slice(&ok_stdout(&out)).expect("JSON");
    assert_eq!(doc["tier"], "hour");
    let warned = export(dir.path(), &[&range[..], &["--step", "raw"]].concat());
    let err = ok(&warned);
    assert!(
        err.contains("store.raw_retention"),
        "an old range warns: {err}"
    );
}

fn ok_stdout(out: &Output) -> Vec<u8> {
    ok(out);
    out.stdout.clone()
}

#[test]
fn filters_select_by_metric_and_label() {
    let (dir, _) = three_hours();
    let rx_name = name(Role::RxBytes);
    let range = [
        "--since",
        "2025-03-01T00:00:00Z",
        "--until",
        "2025-03-01T00:01:00Z",
    ];
    let out = export(
        dir.path(),
        &[
            &range[..],
            &[
                "--step",
                "raw",
                "--metric",
                rx_name,
                "--match",
                "iface=eth*",
            ],
        ]
        .concat(),
    );
    let doc: Value = serde_json::from_slice(&ok_stdout(&out)).expect("JSON");
    let keys: Vec<String> = points(&doc).into_keys().collect();
    assert_eq!(keys, [format!("{rx_name}{{iface=eth0}}")]);
    let out = export(
        dir.path(),
        &[
            &range[..],
            &[
                "--metric",
                rx_name,
                "--metric",
                name(Role::TxBytes),
                "--match",
                "iface!=eth0",
            ],
        ]
        .concat(),
    );
    let doc: Value = serde_json::from_slice(&ok_stdout(&out)).expect("JSON");
    assert_eq!(points(&doc).len(), 2, "rx and tx of wlan0");
}

#[test]
fn bad_input_exits_2_and_leaves_nothing_behind() {
    let (dir, _) = three_hours();
    let d = dir.path();
    std::fs::write(d.join("keep.json"), "old").expect("write");
    let err = bad(&export(
        d,
        &["--metric", "net_rx_byte", "--output", "keep.json"],
    ));
    assert!(err.contains("'net_rx_byte'"), "{err}");
    assert!(
        err.contains(&format!("{}, ", name(Role::RxBytes))),
        "lists the known: {err}"
    );
    let err = bad(&export(
        d,
        &[
            "--since",
            "2025-03-02",
            "--until",
            "2025-03-01",
            "--output",
            "keep.json",
        ],
    ));
    assert!(err.contains("backwards"), "{err}");
    for hours in [
        "0",
        "-1",
        "1e999",
        "184467440737095516160",
        "x",
        "NaN",
        "inf",
    ] {
        let err = bad(&export(d, &["--hours", hours, "--output", "keep.json"]));
        assert!(err.contains("--hours"), "{hours}: {err}");
    }
    let err = bad(&export(d, &["--match", "iface", "--output", "keep.json"]));
    assert!(err.contains("--match"), "{err}");
    let err = bad(&export(d, &["--output", "no/such/dir/out.json"]));
    assert!(err.contains("cannot write in no/such/dir"), "{err}");
    let err = bad(&export(d, &["--output", "."]));
    assert!(err.contains("is a directory"), "{err}");
    assert_eq!(
        std::fs::read_to_string(d.join("keep.json")).expect("read"),
        "old"
    );
    assert_eq!(
        files(d),
        ["keep.json"],
        "nothing written, no temporary file"
    );

    let empty = tempfile::tempdir().expect("tempdir");
    let err = bad(&export(empty.path(), &["--output", "x.json"]));
    assert!(
        err.contains("no history in h.db yet: run `bandwatch run` first"),
        "{err}"
    );
    let mut store =
        SqliteStore::open(&empty.path().join("h.db"), SqliteOptions::default()).expect("store");
    store.flush().expect("flush");
    drop(store);
    let err = bad(&export(empty.path(), &["--output", "x.json"]));
    assert!(err.contains("no history in h.db yet"), "{err}");
    assert_eq!(files(empty.path()), Vec::<String>::new());
}

#[test]
fn local_dates_and_times_follow_the_time_zone() {
    let (dir, _) = three_hours();
    let cet = |args: &[&str]| {
        bandwatch(dir.path())
            .env("TZ", "CET-1CEST,M3.5.0,M10.5.0/3")
            .args(["export", "--db", "h.db", "--step", "raw"])
            .args(args)
            .output()
            .expect("run")
    };
    let out = cet(&["--since", "2025-03-01", "--until", "2025-03-01 02:00"]);
    let doc: Value = serde_json::from_slice(&ok_stdout(&out)).expect("JSON");
    assert_eq!(
        doc["range"]["start"], "2025-02-28T23:00:00.000Z",
        "local midnight"
    );
    assert_eq!(doc["range"]["end"], "2025-03-01T01:00:00.000Z");
    let got = &points(&doc)[&format!("{}{{iface=eth0}}", name(Role::RxBytes))];
    assert_eq!(got.len(), 360, "the first hour of the history, 10 s apart");
    // The clocks skip 02:00–03:00 on the last Sunday of March.
    let err = bad(&cet(&["--since", "2025-03-30 02:30"]));
    assert!(
        err.contains("does not exist in the local time zone"),
        "{err}"
    );
}

#[test]
fn the_old_scripts_command_works_as_typed() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Ten minutes of 1 s ticks ending now.
    let now = SystemClock::new().wall().0;
    let start = now - now % MINUTE - 10 * MINUTE;
    history(&dir.path().join("h.db"), start, 1000, 600);
    let rx_eth0 = format!("{}{{iface=eth0}}", name(Role::RxBytes));
    let total: f64 = (0..600).map(|i| rx(i, 0)).sum();
    ok(&export(
        dir.path(),
        &["--hours", "72", "--output", "monitoring_report.json"],
    ));
    let doc = json_file(&dir.path().join("monitoring_report.json"));
    assert_eq!(doc["version"], 1);
    // Raw points are kept for 48 h: the finest tier that holds 72 h back is the minutes.
    assert_eq!(doc["tier"], "minute");
    let got = &points(&doc)[&rx_eth0];
    assert_eq!(got.len(), 10);
    assert_eq!(
        got.iter().map(|p| p.1).sum::<f64>(),
        total,
        "exact over the tier"
    );
    let out = export(dir.path(), &["--hours", "1"]);
    let doc: Value = serde_json::from_slice(&ok_stdout(&out)).expect("JSON on stdout");
    assert_eq!(doc["tier"], "raw", "the last hour is still raw");
    let got = &points(&doc)[&rx_eth0];
    assert_eq!(got.len(), 600);
    assert_eq!(got.iter().map(|p| p.1).sum::<f64>(), total);
}

#[test]
fn a_small_export_is_golden() {
    let dir = tempfile::tempdir().expect("tempdir");
    history(&dir.path().join("h.db"), MARCH, 30_000, 4);
    let range = [
        "--since",
        "2025-03-01T00:00:00Z",
        "--until",
        "2025-03-01T00:02:00Z",
    ];
    let metric = [
        "--metric",
        name(Role::RxBytes),
        "--metric",
        name(Role::RxRate),
    ];
    let out = export(
        dir.path(),
        &[&range[..], &metric, &["--step", "raw"]].concat(),
    );
    let text = String::from_utf8(ok_stdout(&out)).expect("utf-8");
    let doc: Value = serde_json::from_str(&text).expect("JSON");
    let generated = doc["generated"].as_str().expect("generated");
    insta::assert_snapshot!("small_raw_json", text.replace(generated, "GENERATED"));
    let out = export(
        dir.path(),
        &[&range[..], &metric, &["--step", "1m", "--format", "csv"]].concat(),
    );
    let text = String::from_utf8(ok_stdout(&out)).expect("utf-8");
    insta::assert_snapshot!("small_minute_csv", text);
}

/// Peak RSS in KiB of an export, as the binary reports it.
fn peak_kib(dir: &Path, since: &str, until: &str) -> (u64, u64) {
    let out = bandwatch(dir)
        .env("BANDWATCH_REPORT_PEAK_RSS", "1")
        .args([
            "export", "--db", "h.db", "--step", "1m", "--since", since, "--until", until,
        ])
        .args(["--output", "out.json"])
        .output()
        .expect("run");
    let err = ok(&out);
    let kib = err
        .lines()
        .find_map(|l| l.strip_prefix("peak_rss_kib="))
        .and_then(|rest| rest.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no peak line: {err}"));
    let doc = json_file(&dir.join("out.json"));
    let n = doc["series"]
        .as_array()
        .expect("series")
        .iter()
        .map(|s| s["points"].as_array().expect("points").len() as u64)
        .sum();
    (kib, n)
}

#[test]
fn memory_stays_flat_from_a_month_to_a_year_of_minutes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let year_start = MARCH - 365 * DAY;
    // One interface: its two deltas, its rate and link state, and the elapsed time.
    let t = std::time::Instant::now();
    history_of(
        &dir.path().join("h.db"),
        year_start,
        MINUTE,
        365 * 1440,
        &IFACES[..1],
    );
    eprintln!(
        "a year of minutes written in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = std::time::Instant::now();
    let (month, month_points) =
        peak_kib(dir.path(), "2025-02-01T00:00:00Z", "2025-03-01T00:00:00Z");
    let (year, year_points) = peak_kib(dir.path(), &rfc(year_start), "2025-03-01T00:00:00Z");
    let series = 5;
    assert_eq!(month_points, series * 28 * 1440);
    assert_eq!(year_points, series * 365 * 1440, "every minute of the year");
    eprintln!(
        "peak RSS: month {month} KiB, year {year} KiB; both exports in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    assert!(
        year * 2 <= month * 3 + 4 * 1024,
        "a year ({year} KiB) must not need much more than a month ({month} KiB)"
    );
}
