//! `bandwatch report` over generated histories: every row checked exactly against the
//! generator's own sums (days to months, several interfaces, the total, a device with two
//! addresses), a billing day crossing a month end, a leap day, both clock changes of a
//! year in Central Europe (a 23- and a 25-hour day), golden text and JSON of each view,
//! the CSV, the chart, and the errors (exit 2).

mod support;

use std::path::Path;
use std::process::Output;
use std::sync::Arc;

use bandwatch_core::{
    Clock as _, Frame, Labels, SampleKind, Seconds, SeriesKey, SystemClock, Timestamp,
};
use bandwatch_store::{SqliteOptions, SqliteStore, Store as _};
use serde_json::Value;
use support::bandwatch;

/// Central European time, as a POSIX rule (no tzdata needed).
const CET: &str = "CET-1CEST,M3.5.0,M10.5.0/3";
/// Minutes between generated samples.
const STEP_MIN: i64 = 10;
const MINUTE: i64 = 60_000;

const IFACES: [&str; 2] = ["eth0", "wlan0"];

/// An RFC 3339 instant as a timestamp.
fn at(s: &str) -> Timestamp {
    Timestamp(
        chrono::DateTime::parse_from_rfc3339(s)
            .expect("test time")
            .timestamp_millis(),
    )
}

/// The bytes interface `i` moved in direction `dir` (0 rx, 1 tx) in the sample at `t`:
/// distinct per sample, so a sample counted twice or missed changes every sum.
fn delta(i: usize, dir: usize, t: Timestamp) -> u64 {
    let k = (t.0 / MINUTE) as u64;
    let base = [[5_000_000, 700_000], [900_000, 120_000]][i][dir];
    base + (k * 7919 + i as u64 * 31 + dir as u64 * 17) % 100_000
}

/// The device `laptop` (two addresses) downloads this much in the sample at `t`.
fn device_delta(ip: usize, t: Timestamp) -> u64 {
    1000 + ((t.0 / MINUTE) as u64 * 13 + ip as u64) % 500
}

/// The sample instants in `[from, to)`: every STEP_MIN minutes, 30 s into the minute.
fn samples(from: Timestamp, to: Timestamp) -> impl Iterator<Item = Timestamp> {
    let step = STEP_MIN * MINUTE;
    let first = from.0.div_euclid(step) * step;
    (0..)
        .map(move |k| Timestamp(first + k * step + 30_000))
        .skip_while(move |t| *t < from)
        .take_while(move |t| *t < to)
}

fn key(metric: &str, labels: &[(&str, &str)]) -> Arc<SeriesKey> {
    Arc::new(SeriesKey::new(
        metric,
        Labels::from_pairs(labels.iter().copied()),
    ))
}

/// Writes the samples of `[from, to)` into a history at `path`, then the upkeep a running
/// agent does (hour rollups of the closed hours).
fn generate(path: &Path, from: Timestamp, to: Timestamp) {
    let mut store = SqliteStore::open(path, SqliteOptions::default()).expect("store");
    let frames: Vec<Frame> = samples(from, to)
        .map(|t| {
            let mut f = Frame::new("netdev", t, Seconds((STEP_MIN * 60) as f64));
            let mut total = [0u64; 2];
            for (i, iface) in IFACES.iter().enumerate() {
                for (dir, metric) in ["net_rx_bytes", "net_tx_bytes"].iter().enumerate() {
                    let d = delta(i, dir, t);
                    total[dir] += d;
                    f.push(
                        key(metric, &[("iface", iface)]),
                        d as f64,
                        SampleKind::Delta,
                    );
                }
            }
            f.push(
                key("net_rx_bytes", &[("scope", "total")]),
                total[0] as f64,
                SampleKind::Delta,
            );
            f.push(
                key("net_tx_bytes", &[("scope", "total")]),
                total[1] as f64,
                SampleKind::Delta,
            );
            for (ip, addr) in ["192.168.1.20", "192.168.1.21"].iter().enumerate() {
                let l = [("device", "laptop"), ("ip", *addr)];
                f.push(
                    key("device_rx_bytes", &l),
                    device_delta(ip, t) as f64,
                    SampleKind::Delta,
                );
                f.push(key("device_tx_bytes", &l), 10.0, SampleKind::Delta);
            }
            f
        })
        .collect();
    for chunk in frames.chunks(2000) {
        store.write(chunk).expect("write");
    }
    store.maintain(to).expect("maintain");
    store.flush().expect("flush");
}

/// What was written: the generated range.
type Written = (Timestamp, Timestamp);

/// What the generator wrote (over `w`) for interface `i` in `[a, b)`: (rx, tx).
fn expected(w: Written, i: usize, a: Timestamp, b: Timestamp) -> (u64, u64) {
    let (a, b) = (a.max(w.0), b.min(w.1));
    samples(a, b).fold((0, 0), |(r, t), s| (r + delta(i, 0, s), t + delta(i, 1, s)))
}

/// `bandwatch report ARGS --db h.db` in `dir` with the Central European zone.
fn report(dir: &Path, args: &[&str]) -> Output {
    bandwatch(dir)
        .env("TZ", CET)
        .arg("report")
        .args(args)
        .args(["--db", "h.db"])
        .output()
        .expect("run")
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = report(dir, &all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8")
}

/// Each row of each series against the generator, by the row's own start and end.
fn check_rows(doc: &Value, written: Written) {
    for s in doc["series"].as_array().expect("series") {
        let name = s["name"].as_str().expect("name");
        for r in s["rows"].as_array().expect("rows") {
            let (a, b) = (
                at(r["start"].as_str().expect("start")),
                at(r["end"].as_str().expect("end")),
            );
            let want = match name {
                "total" => {
                    let (x, y) = (expected(written, 0, a, b), expected(written, 1, a, b));
                    (x.0 + y.0, x.1 + y.1)
                }
                other => expected(
                    written,
                    IFACES.iter().position(|i| *i == other).expect("iface"),
                    a,
                    b,
                ),
            };
            assert_eq!(
                (r["rx_bytes"].as_u64(), r["tx_bytes"].as_u64()),
                (Some(want.0), Some(want.1)),
                "{name} {r}"
            );
            assert_eq!(r["total_bytes"].as_u64(), Some(want.0 + want.1));
        }
    }
}

/// A history from 2026-01-05 to 2026-04-20 (the spring clock change inside).
fn history() -> (&'static tempfile::TempDir, Written) {
    // Written once and shared: the tests only read it.
    static HISTORY: std::sync::OnceLock<(tempfile::TempDir, Written)> = std::sync::OnceLock::new();
    let h = HISTORY.get_or_init(|| history_of("2026-01-05T00:00:00Z", "2026-04-20T00:00:00Z"));
    (&h.0, h.1)
}

/// A history of `[from, to)` in a directory of its own.
fn history_of(from: &str, to: &str) -> (tempfile::TempDir, Written) {
    let dir = tempfile::tempdir().expect("tempdir");
    let w = (at(from), at(to));
    generate(&dir.path().join("h.db"), w.0, w.1);
    (dir, w)
}

#[test]
fn every_view_sums_exactly_what_was_written() {
    let (dir, w) = history();
    let d = dir.path();
    for (view, begin, end) in [
        ("hourly", "2026-03-29T00:00", "2026-03-29T05:00"),
        ("daily", "2026-03-01", "2026-04-19"),
        ("weekly", "2026-01-05", "2026-04-19"),
        ("monthly", "2026-01-01", "2026-04-30"),
        ("yearly", "2026-01-01", "2026-12-31"),
        ("top", "2026-01-01", "2026-04-30"),
    ] {
        let doc = json(d, &[view, "--begin", begin, "--end", end]);
        assert_eq!(doc["version"], 1);
        assert_eq!(doc["view"], view);
        assert_eq!(doc["series"].as_array().expect("series").len(), 2, "{view}");
        check_rows(&doc, w);
        let doc = json(d, &[view, "--begin", begin, "--end", end, "--total"]);
        check_rows(&doc, w);
    }
    // Monthly rows add up to the whole history.
    let doc = json(
        d,
        &[
            "monthly",
            "--begin",
            "2026-01-01",
            "--end",
            "2026-04-30",
            "--iface",
            "eth0",
        ],
    );
    let want = expected(w, 0, w.0, w.1);
    assert_eq!(doc["series"][0]["rx_bytes"].as_u64(), Some(want.0));
    assert_eq!(doc["series"][0]["tx_bytes"].as_u64(), Some(want.1));
}

#[test]
fn the_spring_forward_day_has_23_hours_summed_exactly() {
    let (dir, w) = history();
    let doc = json(
        dir.path(),
        &[
            "daily",
            "--begin",
            "2026-03-29",
            "--end",
            "2026-03-29",
            "--iface",
            "eth0",
        ],
    );
    let row = &doc["series"][0]["rows"][0];
    assert_eq!(row["period"], "2026-03-29");
    assert_eq!(row["start"], "2026-03-29T00:00:00+01:00");
    assert_eq!(row["end"], "2026-03-30T00:00:00+02:00");
    let want = expected(w, 0, at("2026-03-28T23:00:00Z"), at("2026-03-29T22:00:00Z"));
    assert_eq!(row["rx_bytes"].as_u64(), Some(want.0));
    let secs = 23.0 * 3600.0;
    let rate = (want.0 + want.1) as f64 * 8.0 / secs;
    assert!(
        (row["avg_bits_per_second"].as_f64().expect("rate") - rate).abs() < 0.01,
        "{row}"
    );
}

#[test]
fn the_fall_back_day_has_25_hours_summed_exactly() {
    let (dir, w) = history_of("2026-10-20T00:00:00Z", "2026-10-30T00:00:00Z");
    let doc = json(
        dir.path(),
        &[
            "daily",
            "--begin",
            "2026-10-24",
            "--end",
            "2026-10-26",
            "--iface",
            "wlan0",
        ],
    );
    let rows = doc["series"][0]["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1]["period"], "2026-10-25");
    assert_eq!(rows[1]["start"], "2026-10-25T00:00:00+02:00");
    assert_eq!(rows[1]["end"], "2026-10-26T00:00:00+01:00");
    let want = expected(w, 1, at("2026-10-24T22:00:00Z"), at("2026-10-25T23:00:00Z"));
    assert_eq!(rows[1]["tx_bytes"].as_u64(), Some(want.1));
    check_rows(&doc, w);
    // The repeated hour 02:00 appears twice in the hourly view, each an hour of its own.
    let doc = json(
        dir.path(),
        &[
            "hourly",
            "--begin",
            "2026-10-25T01:00",
            "--end",
            "2026-10-25T04:00",
            "--iface",
            "eth0",
        ],
    );
    let labels: Vec<&str> = doc["series"][0]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["period"].as_str().expect("period"))
        .collect();
    assert_eq!(
        labels,
        [
            "2026-10-25 01:00",
            "2026-10-25 02:00",
            "2026-10-25 02:00",
            "2026-10-25 03:00"
        ]
    );
    check_rows(&doc, w);
}

#[test]
fn a_billing_day_crosses_the_month_end() {
    let (dir, w) = history();
    for flag in [&["--billing-day", "15"][..], &[][..]] {
        let mut args = vec![
            "monthly",
            "--begin",
            "2026-01-20",
            "--end",
            "2026-04-10",
            "--iface",
            "eth0",
        ];
        args.extend_from_slice(flag);
        let mut cmd = bandwatch(dir.path());
        cmd.env("TZ", CET)
            .arg("report")
            .args(&args)
            .args(["--db", "h.db", "--json"]);
        if flag.is_empty() {
            // The same through the configuration key's environment variable.
            cmd.env("BANDWATCH_BILLING_DAY", "15");
        }
        let out = cmd.output().expect("run");
        let doc: Value = serde_json::from_slice(&stdout(&out).into_bytes()).expect("JSON");
        assert_eq!(doc["billing_day"], 15);
        let rows = doc["series"][0]["rows"].as_array().expect("rows");
        let periods: Vec<&str> = rows
            .iter()
            .map(|r| r["period"].as_str().expect("p"))
            .collect();
        assert_eq!(periods, ["2026-01-15", "2026-02-15", "2026-03-15"]);
        assert_eq!(rows[0]["end"], "2026-02-15T00:00:00+01:00");
        check_rows(&doc, w);
    }
}

#[test]
fn a_leap_day_is_a_day_of_its_own() {
    let (dir, w) = history_of("2024-02-27T00:00:00Z", "2024-03-03T00:00:00Z");
    let doc = json(
        dir.path(),
        &[
            "daily",
            "--begin",
            "2024-02-28",
            "--end",
            "2024-03-01",
            "--iface",
            "eth0",
        ],
    );
    let rows = doc["series"][0]["rows"].as_array().expect("rows");
    let periods: Vec<&str> = rows
        .iter()
        .map(|r| r["period"].as_str().expect("p"))
        .collect();
    assert_eq!(periods, ["2024-02-28", "2024-02-29", "2024-03-01"]);
    check_rows(&doc, w);
}

#[test]
fn a_device_sums_all_its_addresses() {
    let (dir, _) = history();
    let doc = json(
        dir.path(),
        &[
            "daily",
            "--begin",
            "2026-02-01",
            "--end",
            "2026-02-01",
            "--device",
            "laptop",
        ],
    );
    let s = &doc["series"][0];
    assert_eq!(s["kind"], "device");
    let (a, b) = (at("2026-01-31T23:00:00Z"), at("2026-02-01T23:00:00Z"));
    let want: u64 = samples(a, b)
        .map(|t| device_delta(0, t) + device_delta(1, t))
        .sum();
    assert_eq!(s["rows"][0]["rx_bytes"].as_u64(), Some(want));
}

#[test]
fn golden_text_and_json_of_each_view() {
    let (dir, _) = history();
    for (view, begin, end) in [
        ("hourly", "2026-03-29T00:00", "2026-03-29T05:00"),
        ("daily", "2026-03-25", "2026-03-31"),
        ("weekly", "2026-02-01", "2026-03-31"),
        ("monthly", "2026-01-01", "2026-04-30"),
        ("top", "2026-01-01", "2026-04-30"),
    ] {
        let args = [view, "--begin", begin, "--end", end];
        insta::assert_snapshot!(
            format!("report_{view}_text"),
            stdout(&report(dir.path(), &args))
        );
        let mut j = args.to_vec();
        j.extend(["--json", "--iface", "eth0"]);
        insta::assert_snapshot!(
            format!("report_{view}_json"),
            stdout(&report(dir.path(), &j))
        );
    }
    let csv = stdout(&report(
        dir.path(),
        &[
            "weekly",
            "--begin",
            "2026-03-01",
            "--end",
            "2026-03-31",
            "--csv",
        ],
    ));
    assert!(csv.starts_with("kind,name,period,start,end,rx_bytes,"));
    insta::assert_snapshot!("report_weekly_csv", csv);
    // Years from the oldest record on, over a history that ended in a year that is over
    // (a running year's rate would change every day).
    let (old, _) = history_of("2024-12-28T00:00:00Z", "2025-01-03T00:00:00Z");
    let args = ["yearly", "--end", "2025-12-31"];
    insta::assert_snapshot!("report_yearly_text", stdout(&report(old.path(), &args)));
    let j = ["yearly", "--end", "2025-12-31", "--json", "--iface", "eth0"];
    insta::assert_snapshot!("report_yearly_json", stdout(&report(old.path(), &j)));
}

#[test]
fn the_default_rows_count_back_from_now_and_the_current_one_is_partial() {
    let dir = tempfile::tempdir().expect("tempdir");
    let now = SystemClock::new().wall();
    let from = now.add_millis(-3 * 86_400_000);
    generate(&dir.path().join("h.db"), from, now);
    let w = (from, now);
    let doc = json(dir.path(), &["hourly", "--iface", "eth0"]);
    let rows = doc["series"][0]["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 24, "vnstat's 24 hours");
    let last = rows.last().expect("last");
    assert_eq!(last["partial"], true, "{last}");
    assert!(rows[..23].iter().all(|r| r["partial"] == false));
    check_rows(&doc, w);
    let text = stdout(&report(dir.path(), &["daily", "--limit", "3"]));
    assert!(text.contains(" *"), "{text}");
    assert!(text.contains("* still running"), "{text}");
    // The whole history, day by day, adds up to what was written.
    let doc = json(dir.path(), &["daily", "--begin", "-5d", "--iface", "eth0"]);
    let want = expected(w, 0, from, now);
    assert_eq!(doc["series"][0]["rx_bytes"].as_u64(), Some(want.0));
}

#[test]
fn a_chart_of_one_series() {
    let (dir, _) = history();
    let out = report(
        dir.path(),
        &[
            "daily",
            "--begin",
            "2026-03-01",
            "--end",
            "2026-03-10",
            "--iface",
            "eth0",
            "--chart",
            "c.svg",
        ],
    );
    stdout(&out);
    let svg = std::fs::read_to_string(dir.path().join("c.svg")).expect("chart");
    let doc = roxmltree::Document::parse(&svg).expect("SVG");
    let bars = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some("#1F77B4"))
        .count();
    // Ten days' received bars, and the legend's swatch when text could be drawn.
    assert!(bars == 10 || bars == 11, "{bars}");
    let out = report(
        dir.path(),
        &["daily", "--iface", "eth0", "--chart", "c.png"],
    );
    stdout(&out);
    let png = std::fs::read(dir.path().join("c.png")).expect("png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

fn fails_with(dir: &Path, args: &[&str], message: &str) {
    let out = report(dir, args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(message), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_input_exits_2_with_a_message() {
    let (dir, _) = history();
    let d = dir.path();
    fails_with(
        d,
        &["daily", "--iface", "eth9"],
        "no interface 'eth9' in the history; it has eth0, wlan0",
    );
    fails_with(
        d,
        &["daily", "--device", "tv"],
        "no device 'tv' in the history; it has laptop",
    );
    fails_with(
        d,
        &["daily", "--begin", "2026-03-10", "--end", "2026-03-01"],
        "is not before --end",
    );
    fails_with(
        d,
        &["daily", "--begin", "last tuesday"],
        "--begin: 'last tuesday' is not a date or time",
    );
    fails_with(d, &["daily", "--end", "-99999999999999999d"], "--end:");
    fails_with(
        d,
        &["daily", "--iface", "eth0", "--chart", "c.jpg"],
        "neither an .svg nor a .png",
    );
    fails_with(
        d,
        &["daily", "--chart", "c.svg"],
        "--chart draws one series but the report has 2",
    );
    fails_with(d, &["daily", "--limit", "0"], "--limit 0");
    fails_with(
        d,
        &["daily", "--limit", "99999999999999999999999"],
        "--limit",
    );
    fails_with(d, &["daily", "--csv", "--json"], "choose one output format");
    fails_with(
        d,
        &["monthly", "--billing-day", "32"],
        "calendar.billing_day",
    );
    fails_with(
        d,
        &["hourly", "--begin", "1971-01-01"],
        "more than 100000 rows",
    );
    fails_with(d, &["caps"], "no data caps are configured");
}

#[test]
fn an_empty_or_missing_history_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = report(dir.path(), &["daily"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("no history in h.db yet: run `bandwatch run` first"),
        "{err}"
    );
    let mut store =
        SqliteStore::open(&dir.path().join("h.db"), SqliteOptions::default()).expect("store");
    store.flush().expect("flush");
    drop(store);
    let out = report(dir.path(), &["daily"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("no history in h.db yet"), "{err}");
    assert!(out.stdout.is_empty());
}
