//! `bandwatch interfaces` as a process: exact link facts from a fixture /proc and /sys
//! tree, today's and this month's totals from a history written here with known deltas,
//! "no history" without one, and this machine's loopback with its address.

mod support;

use std::path::Path;
use std::sync::Arc;

use bandwatch_core::{Clock as _, Frame, SampleKind, Seconds, SeriesKey, SystemClock};
use bandwatch_store::{SqliteOptions, SqliteStore, Store as _};
use bandwatch_testkit::kernel::static_tree;
use serde_json::Value;
use support::bandwatch;

/// The still tree, with eth0's MAC and a 1000 Mbit/s link.
fn tree(root: &Path) {
    static_tree(root);
    let eth0 = root.join("sys/class/net/eth0");
    std::fs::write(eth0.join("address"), "AA:BB:CC:DD:EE:01\n").expect("write");
    std::fs::write(eth0.join("speed"), "1000\n").expect("write");
    std::fs::write(root.join("sys/class/net/lo/address"), "00:00:00:00:00:00\n").expect("write");
}

fn interfaces(dir: &Path, args: &[&str]) -> (String, String) {
    let out = bandwatch(dir)
        .arg("interfaces")
        .args(["--proc-root", "proc", "--sys-root", "sys"])
        .args(args)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    (stdout, stderr)
}

#[test]
fn a_fixture_tree_without_history() {
    let root = tempfile::tempdir().expect("tempdir");
    tree(root.path());
    let (out, _) = interfaces(root.path(), &["--json"]);
    let doc: Value = serde_json::from_str(&out).expect("one JSON document");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["history"]["available"], false);
    let eth0 = &doc["interfaces"][1];
    assert_eq!(eth0["iface"], "eth0");
    assert_eq!(eth0["up"], true);
    assert_eq!(eth0["carrier"], true);
    assert_eq!(eth0["speed_bits_per_second"], 1e9);
    assert_eq!(eth0["mtu"], 1500);
    assert_eq!(eth0["mac"], "aa:bb:cc:dd:ee:01");
    // A fixture tree's interfaces are not this machine's: their addresses are unknown.
    assert_eq!(eth0["addresses"], Value::Null);
    assert_eq!(eth0["rx_bits_per_second"], 0.0);
    assert_eq!(eth0["today"], Value::Null);
    assert_eq!(doc["interfaces"][0]["mac"], Value::Null);
    let (text, _) = interfaces(root.path(), &[]);
    insta::assert_snapshot!("interfaces_fixture_text", text);
}

#[test]
#[allow(clippy::cast_precision_loss)]
fn totals_come_from_the_history() {
    let root = tempfile::tempdir().expect("tempdir");
    tree(root.path());
    let db = root.path().join("h.db");
    let mut store = SqliteStore::open(&db, SqliteOptions::default()).expect("store");
    // Three samples within the last few seconds: today's and this month's alike (unless
    // the test runs in the first seconds of a month).
    let now = SystemClock::new().wall();
    let frames: Vec<Frame> = (0..3)
        .map(|k| {
            let mut f = Frame::new("netdev", now.add_millis(-3000 + k * 1000), Seconds(1.0));
            let key = |m: &str| Arc::new(SeriesKey::with_label(m, "iface", "eth0"));
            f.push(
                key("net_rx_bytes"),
                1000.0 * (k + 1) as f64,
                SampleKind::Delta,
            );
            f.push(key("net_tx_bytes"), 7.0, SampleKind::Delta);
            f
        })
        .collect();
    store.write(&frames).expect("write");
    store.flush().expect("flush");
    drop(store);
    let (out, _) = interfaces(root.path(), &["--json", "--db", "h.db"]);
    let doc: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["history"]["available"], true);
    let eth0 = &doc["interfaces"][1];
    assert_eq!(eth0["today"]["rx_bytes"], 6000, "{eth0}");
    assert_eq!(eth0["today"]["tx_bytes"], 21);
    assert_eq!(eth0["month"]["rx_bytes"], 6000);
    assert_eq!(doc["interfaces"][0]["today"]["rx_bytes"], 0);
    let (text, _) = interfaces(root.path(), &["--db", "h.db"]);
    assert!(
        text.contains("  today       rx     5.86 KiB  tx         21 B"),
        "{text}"
    );
}

#[test]
fn this_machine_lists_loopback_with_its_address() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = bandwatch(dir.path())
        .args(["interfaces", "--json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let lo = doc["interfaces"]
        .as_array()
        .expect("interfaces")
        .iter()
        .find(|i| i["iface"] == "lo")
        .cloned()
        .unwrap_or_else(|| panic!("no lo: {doc}"));
    let addrs = lo["addresses"].as_array().expect("addresses");
    assert!(addrs.iter().any(|a| a == "127.0.0.1/8"), "{lo}");
    assert!(lo["rx_bits_per_second"].as_f64().is_some_and(|r| r >= 0.0));
}

#[test]
fn a_bad_root_exits_2_with_the_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = bandwatch(dir.path())
        .args([
            "interfaces",
            "--proc-root",
            "nowhere",
            "--sys-root",
            "nowhere",
        ])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("which has no net/dev"), "{err}");
}
