//! `bandwatch run` as a process, against a fixture /proc and /sys tree that a thread in the
//! test updates like a kernel would: JSON contract, exact totals, threshold warnings,
//! clean shutdown on SIGTERM, the log file, and a locked database that must not stop
//! sampling.

mod support;

use std::path::Path;
use std::time::Duration;

use bandwatch_testkit::kernel::FakeKernel;
use serde_json::Value;
use support::{bandwatch, eth0_rx, run_on, LineChild};

const WAIT: Duration = Duration::from_secs(10);

/// Run arguments under which the fake kernel's 40 Mbit/s crosses the download limit.
const OVER_10_MBPS: [&str; 7] = [
    "--quiet",
    "--interval",
    "0.2",
    "--db",
    "h.db",
    "--download-threshold",
    "10",
];

fn spawn_run(dir: &Path, kernel: &FakeKernel, extra: &[&str]) -> LineChild {
    let mut cmd = run_on(dir, kernel.root());
    cmd.args(extra);
    LineChild::spawn(cmd)
}

/// Asserts that the pieces occur in `text` in this order.
fn assert_in_order(text: &str, pieces: &[&str]) {
    let mut at = 0;
    for p in pieces {
        let found = text[at..]
            .find(p)
            .unwrap_or_else(|| panic!("{p} missing or out of order in {text}"));
        at += found + p.len();
    }
}

#[test]
fn json_ticks_follow_the_contract_and_sum_exactly() {
    let mut kernel = FakeKernel::start(10_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let bw = spawn_run(
        dir.path(),
        &kernel,
        &["--json", "--interval", "0.1", "--db", "h.db"],
    );
    let mut lines = vec![bw.next_line(WAIT)];
    let first: Value = serde_json::from_str(&lines[0]).expect("json");
    assert_in_order(
        &lines[0],
        &[
            "{\"ts\":",
            ",\"interval_s\":",
            ",\"interfaces\":{",
            "\"eth0\":{",
            "},\"total\":{\"rx_bytes\":",
        ],
    );
    let fields = [
        "rx_bytes",
        "tx_bytes",
        "rx_packets",
        "tx_packets",
        "rx_errors",
        "tx_errors",
        "rx_drops",
        "tx_drops",
        "rx_bps",
        "tx_bps",
    ];
    let total = first["total"].as_object().expect("total");
    assert_eq!(total.len(), fields.len());
    let quoted: Vec<String> = fields.iter().map(|f| format!("\"{f}\":")).collect();
    assert_in_order(
        &lines[0],
        &quoted.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(first["ts"].as_str().expect("ts").ends_with('Z'));
    for _ in 0..5 {
        lines.push(bw.next_line(WAIT));
    }
    let final_rx = kernel.halt();
    // Two more ticks so the final counter value has surely been sampled.
    lines.push(bw.next_line(WAIT));
    lines.push(bw.next_line(WAIT));
    let (status, rest, stderr) = bw.terminate();
    assert!(status.success(), "{stderr}");
    lines.extend(rest);
    let sum: u64 = lines.iter().map(|l| eth0_rx(l)).sum();
    // The baseline was taken at some counter value between 5,000,000 and the first tick.
    let baseline = final_rx - sum;
    assert!(
        (5_000_000..=final_rx).contains(&baseline),
        "sum {sum} of deltas is inconsistent with the counter {final_rx}"
    );
    assert_eq!(
        (final_rx - baseline) % 10_000,
        0,
        "deltas are whole steps of the fake kernel"
    );
    let total: u64 = lines
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("json")["total"]["rx_bytes"]
                .as_u64()
                .expect("n")
        })
        .sum();
    assert_eq!(total, sum, "loopback stays out of the total");
}

#[test]
fn sigterm_stops_cleanly_and_flushes_the_store() {
    let kernel = FakeKernel::start(1000);
    let dir = tempfile::tempdir().expect("tempdir");
    let bw = spawn_run(
        dir.path(),
        &kernel,
        &[
            "--quiet",
            "--interval",
            "0.1",
            "--db",
            "h.db",
            "--log-file",
            "logs/bw.log",
        ],
    );
    bw.wait_stderr("bandwatch started", WAIT);
    std::thread::sleep(Duration::from_millis(500));
    let (status, stdout, stderr) = bw.terminate();
    assert!(status.success(), "exit {status}: {stderr}");
    assert!(
        stdout.is_empty(),
        "--quiet prints nothing per tick: {stdout:?}"
    );
    assert!(stderr.contains("terminated (SIGTERM)"), "{stderr}");
    assert!(stderr.contains("bandwatch stopped"), "{stderr}");
    // The shutdown lines are read by people: words, not a debug struct or key=value pairs.
    let stopped = stderr
        .lines()
        .find(|l| l.contains("history writer stopped"))
        .unwrap_or_else(|| panic!("no writer line: {stderr}"));
    assert!(
        stopped.contains("frames written, 0 dropped") && stopped.ends_with("; flushed"),
        "{stopped}"
    );
    assert!(
        !stopped.contains('{') && !stopped.contains("frames_written"),
        "{stopped}"
    );
    // The file named is the current log, as logrotate users expect; only a day that has
    // ended is dated beside it.
    let logs: Vec<String> = std::fs::read_dir(dir.path().join("logs"))
        .expect("log dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(logs, ["bw.log"], "the log is the file named");
    let log = std::fs::read_to_string(dir.path().join("logs/bw.log")).expect("read log");
    assert!(
        log.contains("bandwatch started") && log.contains("bandwatch stopped"),
        "{log}"
    );
    let points = support::stored_rx_points(&dir.path().join("h.db"), "eth0");
    assert!(!points.is_empty(), "samples reached the store before exit");
}

#[test]
fn ctrl_c_stops_cleanly_too() {
    let kernel = FakeKernel::start(1000);
    let dir = tempfile::tempdir().expect("tempdir");
    let bw = spawn_run(
        dir.path(),
        &kernel,
        &["--json", "--interval", "0.1", "--db", "h.db"],
    );
    let _ = bw.next_line(WAIT);
    let (status, _, stderr) = bw.stop_with("-INT");
    assert!(status.success(), "exit {status}: {stderr}");
    assert!(stderr.contains("interrupted (Ctrl+C)"), "{stderr}");
    assert!(stderr.contains("bandwatch stopped"), "{stderr}");
}

#[test]
fn crossing_a_threshold_logs_a_warning_with_interface_direction_value_and_limit() {
    // 100 kB every 20 ms = 40 Mbit/s, above a 10 Mbit/s download limit.
    let kernel = FakeKernel::start(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let bw = spawn_run(dir.path(), &kernel, &OVER_10_MBPS);
    let line = bw.wait_stderr("alert fired: net_rx_bits_per_second on iface=eth0 is", WAIT);
    assert!(line.contains("WARN"), "{line}");
    assert!(
        line.contains("above the limit of 10.00 Mbps") && line.contains("download-threshold"),
        "{line}"
    );
    let (status, _, stderr) = bw.terminate();
    assert!(status.success(), "{stderr}");
}

#[test]
fn duration_stops_the_run_by_itself() {
    let kernel = FakeKernel::start(1000);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run_on(dir.path(), kernel.root())
        .args([
            "--json",
            "--interval",
            "0.1",
            "--duration",
            "1",
            "--db",
            "h.db",
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = String::from_utf8_lossy(&out.stdout).lines().count();
    // 1 s at 0.1 s: about ten ticks, the first of which is the silent baseline.
    assert!((5..=11).contains(&lines), "{lines} lines");
}

#[test]
fn a_locked_database_does_not_stop_sampling_and_nothing_is_lost() {
    let kernel = FakeKernel::start(1000);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("h.db");
    let bw = spawn_run(
        dir.path(),
        &kernel,
        &["--json", "--interval", "0.1", "--db", "h.db"],
    );
    let mut lines = vec![bw.next_line(WAIT)];
    let conn = rusqlite::Connection::open(&db).expect("open");
    conn.execute_batch("BEGIN EXCLUSIVE").expect("lock");
    // While the lock is held, ticks keep coming.
    for _ in 0..15 {
        lines.push(bw.next_line(WAIT));
    }
    conn.execute_batch("COMMIT").expect("unlock");
    drop(conn);
    for _ in 0..5 {
        lines.push(bw.next_line(WAIT));
    }
    let (status, rest, stderr) = bw.terminate();
    assert!(status.success(), "{stderr}");
    lines.extend(rest);
    assert!(
        stderr.to_lowercase().contains("lock"),
        "the log says the database was locked: {stderr}"
    );
    let points = support::stored_rx_points(&db, "eth0");
    assert_eq!(
        points.len(),
        lines.len(),
        "every printed tick was stored once"
    );
    let stored: f64 = points.iter().map(|(_, v)| v).sum();
    let printed: u64 = lines.iter().map(|l| eth0_rx(l)).sum();
    assert!(
        (stored - printed as f64).abs() < 0.5,
        "stored {stored} vs printed {printed}"
    );
}

/// The alerts in `dir/h.db`, as `bandwatch alerts --json` with `args` lists them.
fn alerts_json(dir: &Path, args: &[&str]) -> Vec<Value> {
    support::alerts_json(dir, "h.db", args)
}

#[test]
fn a_firing_alert_survives_a_restart_without_being_announced_again() {
    // 100 kB every 20 ms = 40 Mbit/s, above a 10 Mbit/s download limit, before and after.
    let kernel = FakeKernel::start(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let args = OVER_10_MBPS;
    let first = spawn_run(dir.path(), &kernel, &args);
    first.wait_stderr("alert fired", WAIT);
    let (status, _, stderr) = first.terminate();
    assert!(status.success(), "{stderr}");
    let firing = alerts_json(dir.path(), &["--state", "firing"]);
    assert_eq!(firing.len(), 1, "{firing:?}");
    assert_eq!(firing[0]["rule"], "download-threshold");

    let second = spawn_run(dir.path(), &kernel, &args);
    second.wait_stderr("alerts still open from the last run carry on", WAIT);
    std::thread::sleep(Duration::from_millis(1500));
    let (status, _, stderr) = second.terminate();
    assert!(status.success(), "{stderr}");
    assert!(
        !stderr.contains("alert fired"),
        "the open alert was announced again: {stderr}"
    );
    let all = alerts_json(dir.path(), &[]);
    assert_eq!(all.len(), 1, "still one alert: {all:?}");
    assert_eq!(all[0]["state"], "firing");
    let fired = all[0]["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "fired")
        .count();
    assert_eq!(fired, 1);
}

#[test]
fn alerts_can_be_acknowledged_and_silenced() {
    let kernel = FakeKernel::start(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let bw = spawn_run(dir.path(), &kernel, &OVER_10_MBPS);
    bw.wait_stderr("alert fired", WAIT);
    let (status, _, _) = bw.terminate();
    assert!(status.success());
    let id = alerts_json(dir.path(), &[])[0]["id"]
        .as_str()
        .expect("id")
        .to_string();

    let ack = bandwatch(dir.path())
        .args(["alerts", "ack", &id, "--db", "h.db"])
        .output()
        .expect("ack");
    assert!(
        ack.status.success(),
        "{}",
        String::from_utf8_lossy(&ack.stderr)
    );
    assert!(alerts_json(dir.path(), &[])[0]["acked_at"].is_number());
    let unknown = bandwatch(dir.path())
        .args(["alerts", "ack", "no-such-alert", "--db", "h.db"])
        .output()
        .expect("ack");
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no alert with id 'no-such-alert'"));

    let silence = bandwatch(dir.path())
        .args([
            "alerts",
            "silence",
            "rule=download-*,iface=eth0",
            "--for",
            "2h",
            "--comment",
            "planned backup",
            "--db",
            "h.db",
        ])
        .output()
        .expect("silence");
    assert!(
        silence.status.success(),
        "{}",
        String::from_utf8_lossy(&silence.stderr)
    );
    assert!(alerts_json(dir.path(), &[])[0]["silenced_until"].is_string());
    let table = bandwatch(dir.path())
        .args(["alerts", "--db", "h.db"])
        .output()
        .expect("table");
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("acknowledged") && text.contains("silenced until"),
        "{text}"
    );
}

#[test]
fn bad_alerts_arguments_exit_2_before_touching_the_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (args, needle) in [
        (
            &["alerts", "--since", "forever"][..],
            "--since 'forever' is not a duration",
        ),
        (
            &["alerts", "--severity", "urgent"][..],
            "--severity 'urgent' is not a severity",
        ),
        (
            &["alerts", "--state", "burning"][..],
            "--state 'burning' is not a state",
        ),
        (
            &["alerts", "silence", "iface=[eth", "--for", "1h"][..],
            "silence matcher 'iface=[eth'",
        ),
        (
            &["alerts", "silence", "iface=eth0", "--for", "soon"][..],
            "--for 'soon' is not a duration",
        ),
    ] {
        let out = bandwatch(dir.path())
            .args(args)
            .args(["--db", "h.db"])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(needle),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(!dir.path().join("h.db").exists(), "nothing was written");
}

const ESCALATING_RULE: &str = r#"
[[rules]]
name = "busy"
metric = "net_rx_bits_per_second"
match = { iface = "eth0" }
condition = "threshold"
above = 5e6
steps = [{ above = 5e6, severity = "medium" }, { above = 20e6, severity = "high" }]
"#;

#[test]
fn run_with_a_config_raises_escalates_and_resolves_into_the_log_and_the_store() {
    // 25 kB every 20 ms = 10 Mbit/s: above 5 Mbit/s, medium.
    let kernel = FakeKernel::start(25_000);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("bandwatch.toml"), ESCALATING_RULE).expect("config");
    let bw = spawn_run(
        dir.path(),
        &kernel,
        &["--quiet", "--interval", "0.2", "--db", "h.db"],
    );
    bw.wait_stderr("alert fired: net_rx_bits_per_second on iface=eth0", WAIT);
    kernel.set_step(100_000); // 40 Mbit/s: high
    bw.wait_stderr("alert escalated", WAIT);
    kernel.set_step(0);
    bw.wait_stderr("alert resolved", WAIT);
    let (status, _, stderr) = bw.terminate();
    assert!(status.success(), "{stderr}");
    let busy: Vec<Value> = alerts_json(dir.path(), &[])
        .into_iter()
        .filter(|a| a["rule"] == "busy")
        .collect();
    assert_eq!(busy.len(), 1, "{busy:?}");
    let kinds: Vec<&str> = busy[0]["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["fired", "escalated", "resolved"]);
    assert_eq!(busy[0]["max_severity"], "high");
    assert_eq!(busy[0]["state"], "resolved");
}

/// The defect: a counter jumping by 4,294,967,000 in a 0.1 s tick on a gigabit link was
/// reported as hundreds of Gbit/s and fired both threshold alerts, because the only bound
/// was 1 Tbit/s. Now the jump is discarded, said once in the log, and sampling goes on.
#[test]
fn a_jump_beyond_twice_the_link_speed_is_discarded_not_alerted() {
    use bandwatch_testkit::kernel::{dev_text, static_tree, write_atomic, RX_START, TX};
    let dir = tempfile::tempdir().expect("tempdir");
    static_tree(dir.path());
    let eth0 = dir.path().join("sys/class/net/eth0");
    std::fs::write(eth0.join("speed"), "1000\n").expect("write");
    std::fs::create_dir_all(eth0.join("device")).expect("mkdir");
    std::fs::write(eth0.join("device/uevent"), "DRIVER=e1000e\n").expect("write");
    let dev = dir.path().join("proc/net/dev");
    let mut cmd = run_on(dir.path(), dir.path());
    cmd.args([
        "--json",
        "--interval",
        "0.1",
        "--db",
        "h.db",
        "--download-threshold",
        "10",
        "--upload-threshold",
        "10",
    ]);
    let bw = LineChild::spawn(cmd);
    let mut lines = vec![bw.next_line(WAIT)];
    let jump = 4_294_967_000;
    write_atomic(&dev, &dev_text(RX_START + jump, TX + jump));
    for _ in 0..5 {
        lines.push(bw.next_line(WAIT));
    }
    // Ordinary traffic afterwards is counted as before.
    write_atomic(&dev, &dev_text(RX_START + jump + 1000, TX + jump));
    let mut seen_after = false;
    for _ in 0..50 {
        let line = bw.next_line(WAIT);
        seen_after = eth0_rx(&line) == 1000;
        lines.push(line);
        if seen_after {
            break;
        }
    }
    let (status, rest, stderr) = bw.terminate();
    assert!(status.success(), "{stderr}");
    lines.extend(rest);
    assert!(seen_after, "the next 1000 bytes were reported: {lines:?}");
    let rx: u64 = lines.iter().map(|l| eth0_rx(l)).sum();
    assert_eq!(rx, 1000, "the jump counted for nothing: {lines:?}");
    assert!(!stderr.contains("alert fired"), "{stderr}");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("discarded a counter jump"))
        .collect();
    assert_eq!(
        warnings.len(),
        1,
        "said once, not per counter or tick: {stderr}"
    );
    assert!(
        warnings[0].contains("iface=\"eth0\"")
            && warnings[0].contains("twice the 1.00 Gbps link speed"),
        "{}",
        warnings[0]
    );
}
