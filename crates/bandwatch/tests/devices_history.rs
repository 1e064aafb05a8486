//! `bandwatch devices` over a recorded history (`--db`): the devices the devices source
//! wrote, with exact byte sums, as JSON; an empty history says so.

mod support;

use std::sync::Arc;

use bandwatch_core::{Clock as _, Frame, Labels, SampleKind, Seconds, SeriesKey, SystemClock};
use bandwatch_store::{SqliteOptions, SqliteStore, Store as _, ELAPSED_METRIC};
use support::bandwatch;

/// Ten minutes of one device, ending a few seconds ago: 1,000 B down and 10 B up a minute.
fn write_history(path: &std::path::Path) {
    let mut store = SqliteStore::open(path, SqliteOptions::default()).expect("store");
    let now = SystemClock::new().wall();
    let labels = Labels::from_pairs([
        ("device", "Laptop"),
        ("ip", "192.168.1.20"),
        ("mac", "aa:bb:cc:dd:ee:01"),
    ]);
    let key = |m: &str| Arc::new(SeriesKey::new(m, labels.clone()));
    let frames: Vec<Frame> = (0..10)
        .rev()
        .map(|k| {
            let mut f = Frame::new(
                "devices",
                now.add_millis(-k * 60_000 - 5_000),
                Seconds(60.0),
            );
            f.push(
                Arc::new(SeriesKey::with_label(ELAPSED_METRIC, "source", "devices")),
                60.0,
                SampleKind::Gauge,
            );
            f.push(key("device_rx_bytes"), 1000.0, SampleKind::Delta);
            f.push(key("device_tx_bytes"), 10.0, SampleKind::Delta);
            f.push(key("device_active"), 1.0, SampleKind::Gauge);
            f
        })
        .collect();
    store.write(&frames).expect("write");
    store.flush().expect("flush");
}

#[test]
fn the_recorded_devices_as_json_and_a_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_history(&dir.path().join("h.db"));
    let out = bandwatch(dir.path())
        .args(["devices", "--json", "--db", "h.db", "--since", "1h"])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("JSON array");
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    assert_eq!(r["device"], "Laptop");
    assert_eq!(r["ip"], "192.168.1.20");
    // The last hour (the threshold window) holds all ten minutes, whatever the local time.
    assert_eq!(r["threshold"]["bytes"], 10_100, "{r}");
    assert_eq!(
        r["threshold"]["limit"],
        serde_json::Value::Null,
        "no registry here"
    );
    let table = bandwatch(dir.path())
        .args(["devices", "--db", "h.db"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.starts_with("DEVICE") && text.contains("Laptop"),
        "{text}"
    );
}

#[test]
fn an_empty_history_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("h.db");
    let mut store = SqliteStore::open(&db, SqliteOptions::default()).expect("store");
    store.flush().expect("flush");
    drop(store);
    let out = bandwatch(dir.path())
        .args(["devices", "--db", "h.db"])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(out.stdout.is_empty());
    assert!(err.contains("no device traffic recorded"), "{err}");
}
