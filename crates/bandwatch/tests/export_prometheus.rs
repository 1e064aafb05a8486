//! `bandwatch run --prometheus` as a process: a private Prometheus scrapes it and sees exactly
//! what bandwatch measured from a fixture /proc and /sys tree, a live scrape of this machine
//! passes `promtool check metrics` in both formats, a fixture tree gives a checked-in golden
//! exposition, and a port that is taken is a clean exit 2.
//!
//! Set BANDWATCH_BLESS=1 to rewrite `tests/export/golden_metrics.prom` after a deliberate
//! change.

mod support;

use std::io::Write as _;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bandwatch_testkit::http::{self, percent_encode, Response};
use bandwatch_testkit::kernel::{dev_text, static_tree, write_atomic, FakeKernel, RX_START};
use bandwatch_testkit::{free_port, require_program, wait_for};
use support::{bandwatch, eth0_rx, run_on, LineChild};

const WAIT: Duration = Duration::from_secs(10);

/// How to get `prometheus` and `promtool` when they are missing.
const INSTALL_PROMETHEUS: &str = "install it with `apt-get install -y prometheus`";

/// A private Prometheus server scraping one target every second; killed on drop.
struct Prometheus {
    dir: tempfile::TempDir,
    child: Child,
    port: u16,
}

impl Prometheus {
    fn start(target_port: u16) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: bandwatch\n    scrape_interval: 1s\n    scrape_timeout: 1s\n    \
             static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n"
        );
        std::fs::write(dir.path().join("prometheus.yml"), config).expect("config");
        let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("log");
        let child = Command::new("prometheus")
            .current_dir(dir.path())
            .arg(format!(
                "--config.file={}",
                dir.path().join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("spawn prometheus");
        let mut server = Self { dir, child, port };
        let ready = wait_for(Duration::from_secs(30), || {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("prometheus exited with {status}:\n{}", server.log());
            }
            http::get(server.port, "/-/ready").is_ok_and(|r| r.status == 200)
        });
        assert!(ready, "prometheus not ready in 30 s:\n{}", server.log());
        server
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }

    /// The value of the single sample an instant query returns, `None` when there is none.
    fn query(&self, promql: &str) -> Option<f64> {
        let target = format!("/api/v1/query?query={}", percent_encode(promql));
        let body = http::get(self.port, &target).ok()?.json();
        assert_eq!(body["status"], "success", "{promql}: {body}");
        let result = body["data"]["result"].as_array()?;
        assert!(result.len() <= 1, "{promql}: more than one series: {body}");
        result.first()?["value"][1].as_str()?.parse().ok()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `promtool check metrics` on `body`: its exit status and everything it printed.
fn promtool_check(body: &str) -> (std::process::ExitStatus, String) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn promtool");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(body.as_bytes())
        .expect("promtool reads stdin");
    let out = child.wait_with_output().expect("promtool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status, text)
}

/// `bandwatch run` flags: JSON ticks every 0.2 s into `h.db`, the exporter on `port`.
fn exporter_args(port: &str) -> [&str; 8] {
    [
        "--json",
        "--interval",
        "0.2",
        "--db",
        "h.db",
        "--prometheus",
        "--prometheus-port",
        port,
    ]
}

/// GET /metrics from bandwatch once it answers.
fn scrape(port: u16, headers: &[(&str, &str)]) -> Response {
    let mut last = None;
    let ok = wait_for(WAIT, || {
        match http::request(port, "GET", "/metrics", headers, b"") {
            Ok(r) if r.status == 200 => {
                last = Some(r);
                true
            }
            _ => false,
        }
    });
    assert!(ok, "bandwatch did not serve /metrics on port {port}");
    last.expect("a response")
}

// ---------------------------------------------------------------------------------------

#[test]
fn prometheus_scrapes_bandwatch_and_sees_what_it_measured() {
    let test = "prometheus_scrapes_bandwatch_and_sees_what_it_measured";
    if !require_program(test, "prometheus", INSTALL_PROMETHEUS) {
        return;
    }
    // Still until bandwatch has its baseline, so the sum of deltas is exactly final − start.
    let mut kernel = FakeKernel::start(0);
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut cmd = run_on(dir.path(), kernel.root());
    cmd.env("BANDWATCH_SYSTEM", "false")
        .args(exporter_args(&port.to_string()));
    let bw = LineChild::spawn(cmd);
    let prom = Prometheus::start(port);
    let mut lines = vec![bw.next_line(WAIT)];
    kernel.set_step(10_000);
    for _ in 0..5 {
        lines.push(bw.next_line(WAIT));
    }
    let final_rx = kernel.halt();
    // Two more ticks so the final counter value has surely been sampled.
    lines.push(bw.next_line(WAIT));
    lines.push(bw.next_line(WAIT));
    let mut sum: u64 = lines.iter().map(|l| eth0_rx(l)).sum();
    assert_eq!(
        sum,
        final_rx - RX_START,
        "the JSON deltas add up to the counter's growth"
    );
    assert!(sum > 0, "the counter grew while bandwatch watched");

    let query = r#"bandwatch_network_receive_bytes_total{device="eth0"}"#;
    let mut seen = None;
    let matched = wait_for(Duration::from_secs(30), || {
        // Ticks keep coming (all zero now); keep the sum honest anyway.
        sum += bw.lines.try_iter().map(|l| eth0_rx(&l)).sum::<u64>();
        seen = prom.query(query);
        #[allow(clippy::cast_precision_loss)]
        let want = sum as f64;
        seen.is_some_and(|v| (v - want).abs() < 0.5)
    });
    assert!(
        matched,
        "Prometheus saw {query} = {seen:?}, bandwatch printed deltas summing to {sum}\n\
         prometheus log:\n{}\nbandwatch stderr:\n{}",
        prom.log(),
        bw.drain_errs()
    );
    let up = prom.query(r#"up{job="bandwatch"}"#);
    assert!(up.is_some_and(|v| (v - 1.0).abs() < 1e-9), "up = {up:?}");
    let link = prom.query(r#"bandwatch_network_up{device="eth0"}"#);
    assert!(
        link.is_some_and(|v| (v - 1.0).abs() < 1e-9),
        "bandwatch_network_up = {link:?}"
    );
    let (status, _, stderr) = bw.terminate();
    assert!(status.success(), "{stderr}");
}

/// The defect: the old exporter's `network_upload_mbps` and `network_download_mbps` did not
/// exist, so the Grafana queries people have (`rate(network_upload_mbps[5m])`) went empty.
/// A private Prometheus now finds both, the download one holding a total bandwatch printed.
#[test]
fn the_old_exporters_names_reach_prometheus() {
    let test = "the_old_exporters_names_reach_prometheus";
    if !require_program(test, "prometheus", INSTALL_PROMETHEUS) {
        return;
    }
    // 10 kB every 20 ms: 4 Mbit/s for as long as the test runs.
    let kernel = FakeKernel::start(10_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut cmd = run_on(dir.path(), kernel.root());
    cmd.env("BANDWATCH_SYSTEM", "false")
        .args(exporter_args(&port.to_string()));
    let bw = LineChild::spawn(cmd);
    let prom = Prometheus::start(port);
    let mut printed_mbps: Vec<f64> = Vec::new();
    let mut seen = None;
    let found = wait_for(Duration::from_secs(30), || {
        printed_mbps.extend(bw.lines.try_iter().filter_map(|l| {
            let v: serde_json::Value = serde_json::from_str(&l).ok()?;
            Some(v["total"]["rx_bps"].as_f64()? / 1e6)
        }));
        seen = prom.query("network_download_mbps");
        seen.is_some_and(|p| p > 0.0)
    });
    assert!(
        found,
        "network_download_mbps = {seen:?}\nprometheus log:\n{}",
        prom.log()
    );
    printed_mbps.extend(bw.lines.try_iter().filter_map(|l| {
        let v: serde_json::Value = serde_json::from_str(&l).ok()?;
        Some(v["total"]["rx_bps"].as_f64()? / 1e6)
    }));
    let seen = seen.expect("a value");
    assert!(
        printed_mbps.iter().any(|m| (m - seen).abs() < 1e-9),
        "network_download_mbps = {seen} is not a total bandwatch printed: {printed_mbps:?}"
    );
    let upload = prom.query("rate(network_upload_mbps[5m])");
    let answered = wait_for(Duration::from_secs(10), || {
        prom.query("rate(network_upload_mbps[5m])").is_some()
    });
    assert!(answered, "rate(network_upload_mbps[5m]) = {upload:?}");
    let (status, _, stderr) = bw.terminate();
    assert!(status.success(), "{stderr}");
}

#[test]
fn a_live_scrape_passes_promtool() {
    let test = "a_live_scrape_passes_promtool";
    if !require_program(test, "promtool", INSTALL_PROMETHEUS) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut cmd = bandwatch(dir.path());
    cmd.env("BANDWATCH_TARGETS", "127.0.0.1").args([
        "run",
        "--quiet",
        "--interval",
        "0.5",
        "--db",
        "h.db",
        "--prometheus",
        "--prometheus-port",
        &port.to_string(),
    ]);
    let bw = LineChild::spawn(cmd);
    // Wait until every kind of source has reported: network, system and the probe.
    let families = [
        "bandwatch_network_receive_bytes_total",
        "bandwatch_load1",
        "bandwatch_memory_total_bytes",
        "bandwatch_probe_up",
    ];
    let mut body = String::new();
    let complete = wait_for(Duration::from_secs(20), || {
        body = scrape(port, &[]).body;
        families.iter().all(|f| body.contains(f))
    });
    assert!(
        complete,
        "families missing from a live scrape ({:?}):\n{body}\nstderr:\n{}",
        families
            .iter()
            .filter(|f| !body.contains(*f))
            .collect::<Vec<_>>(),
        bw.drain_errs()
    );
    let plain = scrape(port, &[]);
    assert!(
        plain
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/plain; version=0.0.4")),
        "{:?}",
        plain.headers
    );
    let (status, report) = promtool_check(&plain.body);
    assert!(
        status.success() && report.trim().is_empty(),
        "promtool check metrics: {status}\n{report}\non:\n{}",
        plain.body
    );
    // Every sink of the run reports its queue and its counts, in the same checked exposition.
    for sink in ["console", "prometheus", "web", "store"] {
        for family in [
            "bandwatch_sink_queue_depth",
            "bandwatch_sink_written_total",
            "bandwatch_sink_dropped_total",
            "bandwatch_sink_retried_total",
        ] {
            let line = format!("{family}{{sink=\"{sink}\"}} ");
            assert!(
                plain.body.lines().any(|l| l.starts_with(&line)),
                "no {line} in a live scrape:\n{}",
                plain.body
            );
        }
    }

    let om = scrape(port, &[("Accept", "application/openmetrics-text")]);
    assert!(
        om.header("content-type")
            .is_some_and(|c| c.starts_with("application/openmetrics-text")),
        "{:?}",
        om.headers
    );
    assert!(om.body.ends_with("# EOF\n"), "{}", om.body);
    let (status, _, stderr) = bw.terminate();
    assert!(status.success(), "{stderr}");
}

/// Lines of an exposition that depend on time or the build, not on the fixture (a sink's
/// counts grow with every tick).
fn volatile(line: &str) -> bool {
    [
        "bandwatch_source_",
        "bandwatch_sink_",
        "bandwatch_build_info",
        "timestamp",
    ]
    .iter()
    .any(|v| line.contains(v))
}

/// The testkit's still tree with `eth0` at 1 Gbit/s.
fn static_fixture(root: &Path) {
    static_tree(root);
    std::fs::write(root.join("sys/class/net/eth0/speed"), "1000\n").expect("speed");
}

/// One step of traffic and CPU time: eth0 received 12 345 bytes in 12 packets (3 errors,
/// 2 drops, 7 multicast) and sent 678 bytes in 2 packets (1 error, 4 drops); the CPUs were
/// busy for half of 200 jiffies.
fn bump_counters(root: &Path) {
    let proc = root.join("proc");
    let head = dev_text(0, 0);
    let head: Vec<&str> = head.lines().take(3).collect();
    let dev = format!(
        "{}\n  eth0: {} 5012 3 2 0 0 0 7 7678 9 1 4 0 0 0 0\n",
        head.join("\n"),
        RX_START + 12_345
    );
    write_atomic(&proc.join("net/dev"), &dev);
    write_atomic(
        &proc.join("stat"),
        "cpu  150 0 150 900 0 0 0 0 0 0\ncpu0 75 0 75 450 0 0 0 0 0 0\ncpu1 75 0 75 450 0 0 0 0 0 0\n",
    );
}

#[test]
fn golden_metrics_from_a_fixture_tree() {
    let root = tempfile::tempdir().expect("tempdir");
    static_fixture(root.path());
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut cmd = run_on(dir.path(), root.path());
    cmd.env("BANDWATCH_SYSTEM_INTERVAL", "0.2")
        .args(exporter_args(&port.to_string()));
    let bw = LineChild::spawn(cmd);
    let _ = bw.next_line(WAIT);
    // Once both sources have their baselines, the counters move once, by known amounts.
    let started = wait_for(WAIT, || scrape(port, &[]).body.contains("bandwatch_load1"));
    assert!(started, "no system frame: {}", bw.drain_errs());
    bump_counters(root.path());
    for _ in 0..4 {
        let _ = bw.next_line(WAIT);
    }
    let families = [
        "bandwatch_cpu_busy_ratio",
        "bandwatch_load1",
        "bandwatch_swap_used_ratio",
        "bandwatch_network_speed_bytes",
        "bandwatch_network_receive_bytes_total",
    ];
    let mut body = String::new();
    let complete = wait_for(WAIT, || {
        body = scrape(port, &[]).body;
        families.iter().all(|f| body.contains(f))
    });
    assert!(complete, "families missing:\n{body}\n{}", bw.drain_errs());
    // Rates are back to 0 and nothing moves any more: two scrapes a tick apart agree.
    std::thread::sleep(Duration::from_millis(500));
    let again = scrape(port, &[]).body;
    let stable_lines = |b: &str| -> Vec<String> {
        b.lines()
            .filter(|l| !volatile(l))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        stable_lines(&body),
        stable_lines(&again),
        "the exposition settled"
    );
    let (status, _, stderr) = bw.terminate();
    assert!(status.success(), "{stderr}");
    let mut stable = String::new();
    for line in stable_lines(&body) {
        stable.push_str(&line);
        stable.push('\n');
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/export/golden_metrics.prom");
    if std::env::var("BANDWATCH_BLESS").is_ok() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &stable).expect("bless");
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stable == golden,
        "/metrics differs from {} (BANDWATCH_BLESS=1 rewrites it after a deliberate change):\n\
         --- golden\n{golden}\n--- scraped\n{stable}",
        path.display()
    );
}

#[test]
fn a_port_in_use_is_exit_2_naming_the_port() {
    let held = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = held.local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = bandwatch(dir.path())
        .env("BANDWATCH_SYSTEM", "false")
        .arg("run")
        .args(exporter_args(&port.to_string()))
        .stdin(Stdio::null())
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&port.to_string()) && stderr.contains("--prometheus-port"),
        "stderr names the port and the flag: {stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "no ticks were printed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!dir.path().join("h.db").exists(), "no database was created");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "nothing was written: {left:?}");
    drop(held);
}
