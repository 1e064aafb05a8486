//! `bandwatch replay`: recorded samples through the configured rules. The expected events of
//! each recording under `tests/replay` are checked in next to it (`.out`); set
//! BANDWATCH_BLESS=1 to rewrite them after a deliberate change.

mod support;

use std::path::{Path, PathBuf};

use support::bandwatch;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/replay")
}

fn replay(recording: &str, extra: &[&str]) -> std::process::Output {
    let cwd = tempfile::tempdir().expect("tempdir");
    bandwatch(cwd.path())
        .arg("replay")
        .arg(dir().join(recording))
        .arg("--config")
        .arg(dir().join("rules.toml"))
        .args(extra)
        .output()
        .expect("run")
}

fn golden(recording: &str, expected: &str, extra: &[&str]) {
    let out = replay(recording, extra);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let path = dir().join(expected);
    if std::env::var("BANDWATCH_BLESS").is_ok() {
        std::fs::write(&path, &stdout).expect("bless");
    }
    assert_eq!(
        stdout,
        std::fs::read_to_string(&path).unwrap_or_default(),
        "replay of {recording}"
    );
}

#[test]
fn a_burst_in_run_json_output_fires_one_spike_and_the_threshold_then_resolves() {
    golden("burst.ndjson", "burst.out", &[]);
}

#[test]
fn every_crossing_is_an_alert_and_the_cooldown_only_holds_back_notifications() {
    // Upload at 80 Mbit/s, back under, then 200 Mbit/s ten seconds later: two alerts in the
    // history; the second, within the 15-minute cooldown, is not sent, nor is its end.
    golden("cooldown.ndjson", "cooldown.out", &[]);
    let out = replay("cooldown.ndjson", &["--json"]);
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let fired: Vec<(&str, bool)> = events
        .iter()
        .filter(|e| e["kind"] == "fired")
        .map(|e| (e["rule"].as_str().unwrap_or(""), e["notified"] == true))
        .collect();
    assert_eq!(
        fired,
        [("upload-threshold", true), ("upload-threshold", false)]
    );
}

#[test]
fn csv_link_state_changes_raise_and_resolve_link_down() {
    golden("link.csv", "link.out", &[]);
}

#[test]
fn json_events_are_one_object_per_line() {
    let out = replay("burst.ndjson", &["--json"]);
    assert!(out.status.success());
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert!(!events.is_empty());
    assert!(events
        .iter()
        .all(|e| e["id"].is_string() && e["kind"].is_string() && e["severity"].is_string()));
}

#[test]
fn bad_recordings_exit_2_naming_the_line() {
    let cwd = tempfile::tempdir().expect("tempdir");
    let bad = cwd.path().join("bad.csv");
    std::fs::write(&bad, "ts,series,value\n0,up,1\n1,up,many\n").expect("write");
    let out = bandwatch(cwd.path())
        .arg("replay")
        .arg(&bad)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.csv line 3: value 'many' is not a number (read as CSV because the file name ends in .csv)"),
        "{err}"
    );
    let out = bandwatch(cwd.path())
        .args(["replay", "missing.ndjson"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot read the recording missing.ndjson")
    );
}

#[test]
fn an_error_quoting_a_name_writes_no_terminal_escape() {
    let cwd = tempfile::tempdir().expect("tempdir");
    let out = bandwatch(cwd.path())
        .args(["replay", "gone\u{1b}[31mred.ndjson"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        !out.stderr.contains(&0x1b),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(r"gone\u{1b}[31mred.ndjson"), "{err}");
}

/// The defect: a recording of `run --json` whose first line was cut (the recording started
/// mid-line) was read as CSV and refused for a missing CSV header.
#[test]
fn a_broken_ndjson_recording_is_refused_as_ndjson_saying_why() {
    let cwd = tempfile::tempdir().expect("tempdir");
    let good = std::fs::read_to_string(dir().join("burst.ndjson")).expect("fixture");
    let second = good.lines().nth(1).expect("two lines");
    let cut = format!("{}\n{second}\n", &second[20..]);
    for (name, why) in [
        (
            "cut.ndjson",
            "(read as NDJSON because the file name ends in .ndjson)",
        ),
        (
            "cut.jsonl",
            "(read as NDJSON because the file name ends in .jsonl)",
        ),
    ] {
        let path = cwd.path().join(name);
        std::fs::write(&path, &cut).expect("write");
        let out = bandwatch(cwd.path())
            .arg("replay")
            .arg(&path)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("line 1: not a `bandwatch run --json` line"),
            "{err}"
        );
        assert!(err.contains(why), "{err}");
        assert!(!err.contains("header"), "{err}");
    }
    let path = cwd.path().join("recording");
    std::fs::write(&path, &cut).expect("write");
    let out = bandwatch(cwd.path())
        .arg("replay")
        .arg(&path)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("(read as CSV because its first line does not start with '{' as NDJSON does; name the file .ndjson or .csv to choose)"),
        "{err}"
    );
}
