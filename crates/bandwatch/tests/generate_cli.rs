//! `bandwatch generate` on this machine's loopback: bad values are exit 2 with a message
//! naming the flag, the payload counts of both ends agree, every intensity sends its rate
//! within 5 %, and `bandwatch run --json` on `lo` saw at least what the generator counted.
//!
//! Loopback here is shared with everything else on the machine, so the comparison with
//! `bandwatch run` is a lower bound; the exact equality is checked on a loopback and a veth
//! of namespaces of their own (`netns_generate.rs`).
//!
//! Rates are counted at the sender, payload bytes over the duration asked for. The token
//! bucket makes up for stalls of up to 200 ms (a CPU busy with other work); that is the only
//! allowance for a loaded machine, and no tick-by-tick rate is checked.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::{bandwatch, LineChild};

/// `bandwatch generate` with `args`, its exit code, stdout and stderr.
fn generate(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = bandwatch(dir)
        .arg("generate")
        .args(args)
        .output()
        .expect("run bandwatch generate");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The one summary object of `generate --json`.
fn summary(dir: &std::path::Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = generate(dir, &all);
    assert_eq!(code, 0, "generate {args:?} failed: {stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one object on stdout: {stdout}");
    serde_json::from_str(lines[0]).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

fn u(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

fn f(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

#[test]
fn bad_values_are_exit_2_with_a_message_naming_the_flag() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (args, expected) in [
        (
            &["--download-intensity", "0"][..],
            "--download-intensity 0 is out of range: give 1 (1 Mbit/s) to 10 (1 Gbit/s)",
        ),
        (
            &["--upload-intensity", "11"],
            "--upload-intensity 11 is out of range: give 1 (1 Mbit/s) to 10 (1 Gbit/s)",
        ),
        (
            &["--download-only", "--upload-only"],
            "--download-only and --upload-only exclude each other",
        ),
        (&["--rate", "lots"], "--rate: 'lots' is not a rate"),
        (&["--duration", "0"], "--duration '0' is out of range"),
        (
            &["--serve", "--duration", "5"],
            "--duration is chosen by the sending side",
        ),
        (&["--upload-intensity", "x"], "--upload-intensity"),
    ] {
        let (code, stdout, stderr) = generate(dir.path(), args);
        assert_eq!(code, 2, "{args:?}: exit 2 expected; stderr: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: nothing on stdout: {stdout}");
    }
}

#[test]
fn a_loopback_run_counts_the_same_payload_at_both_ends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = summary(dir.path(), &["--duration", "1.5", "--rate", "40M"]);
    assert_eq!(s["mode"], "loopback");
    assert_eq!(s["duration_s"], 1.5);
    assert!(
        u(&s, "sent_bytes") > 0 && u(&s, "received_bytes") > 0,
        "{s}"
    );
    assert_eq!(u(&s, "sent_bytes"), u(&s, "peer_received_bytes"), "{s}");
    assert_eq!(u(&s, "received_bytes"), u(&s, "peer_sent_bytes"), "{s}");
    assert!(u(&s, "control_bytes") > 0, "{s}");
    let i = &s["interface"];
    assert_eq!(i["name"], "lo", "{s}");
    let payload = u(&s, "sent_bytes") + u(&s, "received_bytes");
    assert_eq!(
        u(i, "payload_rx_bytes"),
        payload,
        "lo carries both ways: {s}"
    );
    assert_eq!(
        u(i, "rx_bytes") as i64,
        payload as i64 + i["overhead_rx_bytes"].as_i64().expect("overhead"),
        "{s}"
    );
    assert!(
        u(i, "rx_bytes") >= payload,
        "the kernel saw at least the payload: {s}"
    );

    let only = summary(
        dir.path(),
        &[
            "--duration",
            "1",
            "--upload-only",
            "--upload-intensity",
            "3",
        ],
    );
    assert_eq!(u(&only, "received_bytes"), 0, "{only}");
    assert!(only["download_bps"].is_null(), "{only}");
    assert_eq!(u(&only, "upload_target_bps"), 4_641_589, "{only}");
}

#[test]
fn every_intensity_sends_within_5_percent_of_its_scale() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The README's table: 10^((i-1)/3) Mbit/s.
    let scale = [
        1_000_000.0,
        2_154_435.0,
        4_641_589.0,
        10_000_000.0,
        21_544_347.0,
        46_415_888.0,
        100_000_000.0,
        215_443_469.0,
        464_158_883.0,
        1_000_000_000.0,
    ];
    for (i, expected) in (1..=10).zip(scale) {
        let i = i.to_string();
        let s = summary(
            dir.path(),
            &[
                "--duration",
                "2",
                "--upload-intensity",
                &i,
                "--download-intensity",
                &i,
            ],
        );
        for key in ["upload_bps", "download_bps"] {
            let rate = f(&s, key);
            assert!(
                (rate - expected).abs() / expected < 0.05,
                "intensity {i}: {key} {rate} is not within 5% of {expected}: {s}"
            );
        }
        assert_eq!(u(&s, "upload_target_bps"), expected as u64, "{s}");
    }
}

#[test]
fn bandwatch_run_on_lo_saw_at_least_what_the_generator_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = bandwatch(dir.path());
    cmd.args([
        "run",
        "--json",
        "--interval",
        "0.2",
        "--interface",
        "lo",
        "--db",
    ])
    .arg(dir.path().join("bw.db"));
    let run = LineChild::spawn(cmd);
    let tick = Duration::from_secs(10);
    let mut lines = vec![run.next_line(tick)];
    let s = summary(dir.path(), &["--duration", "1.5", "--rate", "20M"]);
    for _ in 0..3 {
        lines.push(run.next_line(tick));
    }
    let (status, rest, stderr) = run.terminate();
    assert!(status.success(), "bandwatch run: {status}: {stderr}");
    lines.extend(rest);
    let seen: u64 = lines
        .iter()
        .map(|l| {
            support::tick_json(l)["interfaces"]["lo"]["rx_bytes"]
                .as_u64()
                .expect("lo rx_bytes")
        })
        .sum();
    let counted = u(&s["interface"], "rx_bytes");
    assert!(
        seen >= counted,
        "bandwatch run saw {seen} B on lo, less than the generator's {counted} B \
         (payload {} + overhead {}): {s}",
        u(&s["interface"], "payload_rx_bytes"),
        s["interface"]["overhead_rx_bytes"]
    );
}

#[test]
fn without_json_it_prints_progress_and_a_text_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, stdout, stderr) = generate(dir.path(), &["--duration", "2.2", "--rate", "8M"]);
    assert_eq!(code, 0, "{stderr}");
    let progress = stdout.lines().filter(|l| l.contains(" s  up ")).count();
    assert_eq!(progress, 2, "a line per whole second: {stdout}");
    for needle in [
        "payload bytes",
        "upload",
        "download",
        "control",
        "interface lo: received",
    ] {
        assert!(stdout.contains(needle), "{needle} missing: {stdout}");
    }
}
