//! The MTU of each interface, read from the kernel for real: in a network namespace the
//! test creates, `ip link set … mtu 1400` on one end of a veth shows in `bandwatch stats`
//! (JSON and text) beside loopback's. Needs root and iproute2: `.ci/run` makes this
//! mandatory; elsewhere it says why it did not run.

mod support;

use std::path::Path;

use serde_json::Value;
use support::netns::{sh, NetnsPair, VETH_A};
use support::{bin, root_test_ready};

/// `bandwatch stats` run inside `ns`, with a clean environment in `dir`.
fn stats_in(ns: &str, dir: &Path, json: bool) -> String {
    let mut cmd = NetnsPair::exec(ns, bin());
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .arg("stats");
    if json {
        cmd.arg("--json");
    }
    let out = cmd.output().expect("stats");
    assert!(
        out.status.success(),
        "stats: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The `mtu` of `iface` in a `stats --json` document.
fn mtu_of(doc: &Value, iface: &str) -> Value {
    doc["interfaces"]
        .as_array()
        .expect("interfaces")
        .iter()
        .find(|i| i["iface"] == iface)
        .unwrap_or_else(|| panic!("{iface} missing: {doc}"))["mtu"]
        .clone()
}

/// The defect: the MTU was never read, though the old system monitor showed it.
#[test]
fn an_mtu_set_with_ip_link_shows_in_stats() {
    if !root_test_ready("an_mtu_set_with_ip_link_shows_in_stats", &["ip"]) {
        return;
    }
    let net = NetnsPair::new("m", 46);
    let dir = tempfile::tempdir().expect("tempdir");
    let doc: Value = serde_json::from_str(stats_in(&net.a, dir.path(), true).trim()).expect("JSON");
    assert_eq!(mtu_of(&doc, VETH_A), 1500, "a new veth's MTU");
    assert_eq!(mtu_of(&doc, "lo"), 65536);

    sh(&["ip", "-n", &net.a, "link", "set", VETH_A, "mtu", "1400"]);
    let doc: Value = serde_json::from_str(stats_in(&net.a, dir.path(), true).trim()).expect("JSON");
    assert_eq!(mtu_of(&doc, VETH_A), 1400);
    let text = stats_in(&net.a, dir.path(), false);
    let row = text
        .lines()
        .find(|l| l.starts_with(&format!("  {VETH_A} ")))
        .unwrap_or_else(|| panic!("no {VETH_A} row:\n{text}"));
    assert!(row.contains("mtu  1400"), "{row}");
}
