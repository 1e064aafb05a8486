//! `bandwatch run --influxdb` as a process against a private InfluxDB 1.x: every tick it
//! printed reaches the server with exact byte counts, even across a 30 s outage in which the
//! server is killed and started again; and a writer with neither v1 nor v2 credentials is a
//! clean exit 2.

mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use bandwatch_testkit::influxd::Influxd;
use bandwatch_testkit::kernel::FakeKernel;
use bandwatch_testkit::wait_for;
use support::{bandwatch, run_on, tick_json, LineChild};

fn total_rx(line: &str) -> u64 {
    tick_json(line)["total"]["rx_bytes"]
        .as_u64()
        .expect("total rx_bytes")
}

// ---------------------------------------------------------------------------------------

#[test]
fn run_writes_to_influxdb_and_a_30s_outage_loses_nothing() {
    let test = "run_writes_to_influxdb_and_a_30s_outage_loses_nothing";
    let Some(mut influx) = Influxd::start(test) else {
        return;
    };
    influx.exec("CREATE DATABASE bw");
    let kernel = FakeKernel::start(10_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let buffer = dir.path().join("influx-buffer");
    let mut cmd = run_on(dir.path(), kernel.root());
    cmd.env("BANDWATCH_SYSTEM", "false")
        .env("BANDWATCH_INFLUXDB_DATABASE", "bw")
        .env("BANDWATCH_INFLUXDB_BUFFER_DIR", &buffer)
        .args([
            "--json",
            "--interval",
            "0.5",
            "--db",
            "h.db",
            "--influxdb",
            "--influxdb-url",
            &influx.url(),
        ]);
    let mut bw = LineChild::spawn(cmd);
    let count_q = "SELECT count(upload_mbps) FROM network_bandwidth";
    let count = |influx: &Influxd| {
        influx
            .scalar("bw", count_q)
            .and_then(|v| v.as_u64())
            .unwrap_or(0)
    };
    let mut exited = None;
    let arrived = wait_for(Duration::from_secs(20), || {
        exited = bw.child.try_wait().expect("try_wait");
        exited.is_some() || count(&influx) >= 3
    });
    assert!(
        arrived && exited.is_none(),
        "no points reached InfluxDB ({} stored; bandwatch exit status {exited:?})\n\
         bandwatch stderr:\n{}",
        count(&influx),
        bw.drain_errs()
    );

    influx.kill();
    let outage = Instant::now();
    std::thread::sleep(Duration::from_secs(30));
    influx.launch();
    let during = outage.elapsed();
    // A few more ticks against the server that is back.
    std::thread::sleep(Duration::from_secs(3));
    let (status, rest, stderr) = bw.terminate();
    assert!(status.success(), "exit {status}: {stderr}");
    let lines: Vec<String> = rest;
    let ticks = lines.len() as u64;
    let printed_rx: u64 = lines.iter().map(|l| total_rx(l)).sum();
    assert!(
        ticks >= 60,
        "about 34 s at 0.5 s: {ticks} ticks (outage {during:?})"
    );
    assert!(printed_rx > 0, "the fake kernel's traffic was measured");

    // Everything bandwatch printed is in InfluxDB once it has exited.
    let mut stored = 0;
    let complete = wait_for(Duration::from_secs(10), || {
        stored = count(&influx);
        stored >= ticks
    });
    assert!(
        complete && stored == ticks,
        "{count_q} = {stored}, but bandwatch printed {ticks} ticks\nbandwatch stderr:\n{stderr}"
    );
    let sum = influx
        .scalar("bw", "SELECT sum(bytes_recv) FROM network_bandwidth")
        .and_then(|v| v.as_u64());
    assert_eq!(
        sum,
        Some(printed_rx),
        "sum(bytes_recv) against the JSON total rx_bytes\nbandwatch stderr:\n{stderr}"
    );
    eprintln!(
        "{ticks} ticks printed and stored, {printed_rx} bytes received in total, \
         outage {during:?}"
    );
    let per_iface = influx
        .scalar(
            "bw",
            "SELECT sum(bytes_recv) FROM network_interface WHERE interface = 'eth0'",
        )
        .and_then(|v| v.as_u64());
    assert_eq!(per_iface, Some(printed_rx), "eth0 carries all the traffic");
}

#[test]
fn influxdb_without_a_token_or_database_is_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = bandwatch(dir.path())
        .env("BANDWATCH_SYSTEM", "false")
        .args([
            "run",
            "--json",
            "--interval",
            "0.2",
            "--db",
            "h.db",
            "--influxdb",
            "--influxdb-url",
            "http://127.0.0.1:9",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("influxdb.token") && stderr.contains("--influxdb-token"),
        "stderr names the key and the flag: {stderr}"
    );
    assert!(out.stdout.is_empty(), "no ticks were printed");
    assert!(!dir.path().join("h.db").exists(), "no database was created");
}
