//! `bandwatch stats` as a process: sane values on this machine, exact values from a fixture
//! /proc and /sys tree, and probe targets' last state and uptime from a history database
//! written here with known rounds.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bandwatch_core::{Frame, Labels, SampleKind, Seconds, SeriesKey, Timestamp};
use bandwatch_store::{SqliteOptions, SqliteStore, Store as _};
use bandwatch_testkit::kernel::static_tree;
use serde_json::Value;
use support::bandwatch;

fn stats_json(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Value {
    let out = bandwatch(dir)
        .args(["stats", "--json"])
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).expect("one JSON object")
}

fn percent_in_range(v: &Value, what: &str) -> f64 {
    let p = v
        .as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {v}"));
    assert!((0.0..=100.0).contains(&p), "{what} = {p}");
    p
}

#[test]
fn the_machine_reads_in_sane_ranges() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = stats_json(dir.path(), &[], &[]);
    let interval = doc["interval_seconds"].as_f64().expect("interval");
    assert!((0.5..5.0).contains(&interval), "{interval}");
    percent_in_range(&doc["cpu"]["total_percent"], "cpu total");
    let cores = doc["cpu"]["cores"].as_array().expect("cores");
    assert!(!cores.is_empty());
    for c in cores {
        percent_in_range(&c["percent"], "core");
    }
    assert!(doc["load"]["load1"].as_f64().is_some_and(|l| l >= 0.0));
    percent_in_range(&doc["memory"]["used_percent"], "memory");
    assert!(doc["memory"]["total_bytes"]
        .as_f64()
        .is_some_and(|t| t > 0.0));
    let fs = doc["filesystems"].as_array().expect("filesystems");
    assert!(!fs.is_empty(), "at least one filesystem: {doc}");
    for f in fs {
        percent_in_range(&f["used_percent"], "filesystem");
        assert!(f["mount"].as_str().is_some_and(|m| m.starts_with('/')));
    }
    let ifaces = doc["interfaces"].as_array().expect("interfaces");
    let lo = ifaces
        .iter()
        .find(|i| i["iface"] == "lo")
        .unwrap_or_else(|| panic!("lo missing: {doc}"));
    assert!(lo["rx_bits_per_second"].as_f64().is_some_and(|r| r >= 0.0));
    assert_eq!(doc["history"]["available"], false);
    assert_eq!(doc["targets"], Value::Array(Vec::new()));
}

#[test]
fn the_text_report_has_every_section_and_says_when_there_is_no_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = bandwatch(dir.path()).arg("stats").output().expect("run");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in ["CPU", "Load", "Memory", "Swap", "Interfaces", "  lo "] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    let no_db: Vec<_> = text
        .lines()
        .filter(|l| l.contains("no history database"))
        .collect();
    assert_eq!(no_db.len(), 1, "{text}");
}

fn fixture_args(root: &Path) -> [String; 4] {
    [
        "--proc-root".to_string(),
        root.join("proc").display().to_string(),
        "--sys-root".to_string(),
        root.join("sys").display().to_string(),
    ]
}

#[test]
fn a_fixture_tree_gives_exact_figures() {
    let root = tempfile::tempdir().expect("tempdir");
    static_tree(root.path());
    let args = fixture_args(root.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let doc = stats_json(root.path(), &args, &[]);
    assert_eq!(doc["memory"]["total_bytes"], 8_192_000_000.0);
    assert_eq!(doc["memory"]["available_bytes"], 2_048_000_000.0);
    assert_eq!(doc["memory"]["used_percent"], 75.0);
    assert_eq!(doc["swap"]["total_bytes"], 1_024_000_000.0);
    assert_eq!(doc["swap"]["used_percent"], 75.0);
    assert_eq!(doc["load"]["load1"], 1.5);
    assert_eq!(doc["load"]["load5"], 0.75);
    assert_eq!(doc["load"]["load15"], 0.25);
    assert_eq!(doc["filesystems"], Value::Array(Vec::new()));
    let names = iface_names(&doc);
    assert_eq!(names, ["lo", "eth0"]);
    assert_eq!(doc["interfaces"][1]["rx_bits_per_second"], 0.0);
    assert_eq!(doc["interfaces"][1]["up"], true);
    // The MTU the old system monitor showed, from each interface's sysfs `mtu`.
    assert_eq!(doc["interfaces"][0]["mtu"], 65536);
    assert_eq!(doc["interfaces"][1]["mtu"], 1500);

    let out = bandwatch(root.path())
        .arg("stats")
        .args(&args)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Memory   75.0% used, 1.91 GiB available of 7.63 GiB"),
        "{text}"
    );
    assert!(text.contains("Load     1.50 0.75 0.25"), "{text}");
    let eth0 = text
        .lines()
        .find(|l| l.starts_with("  eth0 "))
        .unwrap_or_else(|| panic!("no eth0 row:\n{text}"));
    assert!(eth0.contains("mtu  1500"), "{eth0}");
    assert!(text.contains("Swap     75.0% used of 976.56 MiB"), "{text}");
}

fn now_ms() -> i64 {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
    i64::try_from(d.as_millis()).expect("ms")
}

/// Two hours of one round a minute for `target`: up for the first hour, down for the last,
/// each round half-way through its minute; the last round had 12.5 ms and 100 % loss.
fn write_history(db: &Path, target: &str, now: i64) {
    write_rounds(db, target, now, |i| i < 60);
}

/// The instant of round `i` of [`write_rounds`].
fn round_at(now: i64, i: i64) -> i64 {
    now - (120 - i) * 60_000 + 30_000
}

/// Two hours of one round a minute for `target`, round `i` up when `up(i)`.
fn write_rounds(db: &Path, target: &str, now: i64, up: impl Fn(i64) -> bool) {
    let mut store = SqliteStore::open(db, SqliteOptions::default()).expect("open store");
    let key = |metric: &str| Arc::new(SeriesKey::with_label(metric, "target", target));
    let rtt = Arc::new(SeriesKey::new(
        "probe_rtt_seconds",
        Labels::from_pairs([("target", target), ("stat", "avg")]),
    ));
    let frames: Vec<Frame> = (0..120)
        .map(|i| {
            let ts = Timestamp(round_at(now, i));
            let mut f = Frame::new("probe", ts, Seconds(60.0));
            let up = up(i);
            f.push(
                key("probe_up"),
                if up { 1.0 } else { 0.0 },
                SampleKind::Gauge,
            );
            let loss = if up { 0.0 } else { 100.0 };
            f.push(key("probe_loss_percent"), loss, SampleKind::Gauge);
            f.push(Arc::clone(&rtt), 0.0125, SampleKind::Gauge);
            f
        })
        .collect();
    store.write(&frames).expect("write");
    store.flush().expect("flush");
}

#[test]
fn probe_history_gives_last_state_and_uptime() {
    let root = tempfile::tempdir().expect("tempdir");
    static_tree(root.path());
    let db = root.path().join("h.db");
    let now = now_ms();
    write_history(&db, "10.9.8.7", now);
    let args = fixture_args(root.path());
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    args.extend(["--db", "h.db"]);
    let env = [("BANDWATCH_TARGETS", "10.9.8.7,tcp://10.9.8.6:22")];
    let doc = stats_json(root.path(), &args, &env);
    assert_eq!(doc["history"]["available"], true);
    let targets = doc["targets"].as_array().expect("targets");
    assert_eq!(targets.len(), 2, "{doc}");
    let t = &targets[0];
    assert_eq!(t["name"], "10.9.8.7");
    assert_eq!(t["up"], false);
    assert_eq!(t["loss_percent"], 100.0);
    assert_eq!(t["rtt_avg_ms"], 12.5);
    // When it last answered: round 59, an hour ago (not its last round, which was down).
    assert_eq!(t["last_seen"], Timestamp(round_at(now, 59)).to_rfc3339());
    assert_eq!(t["uptime_percent"]["1h"], 0.0);
    assert_eq!(t["uptime_percent"]["24h"], 50.0);
    assert_eq!(t["uptime_percent"]["7d"], 50.0);
    let never = &targets[1];
    assert_eq!(never["name"], "tcp://10.9.8.6:22");
    assert!(never["up"].is_null() && never["uptime_percent"]["24h"].is_null());

    let out = bandwatch(root.path())
        .arg("stats")
        .args(&args)
        .envs(env)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("10.9.8.7"))
        .unwrap_or_else(|| panic!("no target row:\n{text}"));
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        cols[..8],
        ["10.9.8.7", "DOWN", "12.5", "ms", "100.0%", "0.0%", "50.0%", "50.0%"],
        "{row}"
    );
    assert!(!text.contains("no history database"), "{text}");
}

/// The defects: `stats` said "Targets none configured" while the history held rounds of a
/// target since removed from the configuration, and showed a "last seen" time for a target
/// that never answered (the API says `null`). Now the removed target is listed (its spec
/// `null`, marked in the text), and a target that never answered has no last seen.
#[test]
fn removed_and_never_answering_targets_are_shown_as_they_are() {
    let root = tempfile::tempdir().expect("tempdir");
    static_tree(root.path());
    let db = root.path().join("h.db");
    let now = now_ms();
    write_rounds(&db, "10.9.8.5", now, |_| false);
    write_rounds(&db, "old-router", now, |i| i == 100);
    let args = fixture_args(root.path());
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    args.extend(["--db", "h.db"]);

    // Nothing configured: both targets come from the history.
    let doc = stats_json(root.path(), &args, &[]);
    let targets = doc["targets"].as_array().expect("targets");
    let names: Vec<&str> = targets.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, ["10.9.8.5", "old-router"], "{doc}");
    assert!(targets.iter().all(|t| t["spec"].is_null()), "{doc}");
    assert!(targets[0]["last_seen"].is_null(), "never answered: {doc}");
    assert_eq!(targets[0]["up"], false);
    assert_eq!(
        targets[1]["last_seen"],
        Timestamp(round_at(now, 100)).to_rfc3339()
    );
    let out = bandwatch(root.path())
        .arg("stats")
        .args(&args)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("none configured"), "{text}");
    let row = |name: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no row for {name}:\n{text}"))
            .to_string()
    };
    let never = row("10.9.8.5");
    assert!(
        never.contains(" never") && never.ends_with("(no longer configured)"),
        "{never}"
    );

    // Configured, the same target is listed once, with its spec.
    let env = [("BANDWATCH_TARGETS", "10.9.8.5")];
    let doc = stats_json(root.path(), &args, &env);
    let targets = doc["targets"].as_array().expect("targets");
    assert_eq!(targets.len(), 2, "{doc}");
    assert_eq!(targets[0]["name"], "10.9.8.5");
    assert_eq!(targets[0]["spec"], "10.9.8.5");
    assert!(targets[0]["last_seen"].is_null());
    assert_eq!(targets[1]["name"], "old-router");
}

/// The defect: one interface whose name was not UTF-8 made the whole interface reading
/// fail ("none found"). Now every interface is listed, odd names escaped, and no control
/// character reaches the terminal.
#[test]
fn odd_interface_names_are_listed_escaped() {
    use std::os::unix::ffi::OsStrExt as _;
    let root = tempfile::tempdir().expect("tempdir");
    static_tree(root.path());
    let mut dev = bandwatch_testkit::kernel::dev_text(5_000_000, 7_000).into_bytes();
    for name in [
        b"bad\xff".as_slice(),
        "u\u{2028}x".as_bytes(),
        b"e\x1b[31mx",
    ] {
        dev.extend_from_slice(b"  ");
        dev.extend_from_slice(name);
        dev.extend_from_slice(b": 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
    }
    std::fs::write(root.path().join("proc/net/dev"), dev).expect("write");
    let bad_dir = root
        .path()
        .join("sys/class/net")
        .join(std::ffi::OsStr::from_bytes(b"bad\xff"));
    std::fs::create_dir_all(&bad_dir).expect("mkdir");
    std::fs::write(bad_dir.join("operstate"), "up\n").expect("write");
    let args = fixture_args(root.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    let out = bandwatch(root.path())
        .arg("stats")
        .args(&args)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    for (what, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = std::str::from_utf8(bytes).expect("UTF-8");
        assert!(
            !text
                .chars()
                .any(|c| (c.is_control() && c != '\n') || c == '\u{2028}'),
            "{what} holds a control character: {text:?}"
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("none found"), "{text}");
    let row = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("  {name} ")))
            .unwrap_or_else(|| panic!("no row for {name}:\n{text}"))
            .to_string()
    };
    assert!(
        row("bad\\xff").trim_end().ends_with("up"),
        "link state by the raw path"
    );
    row("u\\u{2028}x");
    row("e\\u{1b}[31mx");
    row("eth0");

    let doc = stats_json(root.path(), &args, &[]);
    let names = iface_names(&doc);
    assert_eq!(
        names,
        ["lo", "eth0", "bad\\xff", "u\u{2028}x", "e\u{1b}[31mx"]
    );
}

/// The interface names of a `stats --json` document, in order.
fn iface_names(doc: &Value) -> Vec<&str> {
    doc["interfaces"]
        .as_array()
        .expect("interfaces")
        .iter()
        .filter_map(|i| i["iface"].as_str())
        .collect()
}
