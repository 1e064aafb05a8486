//! The dashboard in a real browser: `bandwatch run` over a fake kernel (eth0 at 20 Mbit/s, a
//! download limit of 10 Mbit/s so an alert fires, and a probed device named like an XSS
//! attack), driven by Debian's Chromium through playwright-core (`tests/browser/dashboard.mjs`):
//! no console errors, no script but the page's own, charts (our canvas charts) that hold the
//! generated traffic, the range selector, the chart's axis arithmetic, a hover tooltip with
//! the values, drag-to-zoom across every chart and back (double-click, "Reset zoom"), live
//! numbers that follow new traffic within 2 s, an acknowledgement that survives a reload,
//! nothing run from the device name, a phone-size layout, sharp canvases at device scale 2,
//! and screenshots saved as artifacts (`target/tmp/dashboard/*.png`). Then
//! `tests/browser/first-chart.mjs` prints the time to the first chart on a first visit (a
//! figure, not a check) and the script bytes it transferred, which must stay within 300 kB.
//!
//! The same page served by `bandwatch serve` over the history that run records (beside it,
//! read-only) is checked by `tests/browser/read-only.mjs`: a visible "read-only: recorded
//! history" label, the recorded traffic and alerts, no Acknowledge, nothing live, and a
//! change refused with 409.
//!
//! The device table is checked by `tests/browser/devices.mjs` on `bandwatch serve` over a
//! history this test writes (four LAN devices, one recorded 30 hours ago too, one named like
//! an XSS attack): rows with the names, highest rate first, "new" on exactly the devices first
//! seen today, and a click that charts the device's recorded rates (the hostile name's too).
//!
//! Needs node, `npm ci` in tests/browser and /usr/bin/chromium (`.ci/run` installs them);
//! without them it is SKIPPED, or fails when BANDWATCH_REQUIRE_ROOT_TESTS=1.

mod support;

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use bandwatch_testkit::http;
use bandwatch_testkit::kernel::FakeKernel;
use serde_json::Value;
use support::LineChild;

const XSS: &str = "<img src=x onerror=alert(1)>";
/// Bytes per 20 ms: 20 Mbit/s.
const STEP: u64 = 50_000;

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

fn ready(test: &str) -> bool {
    let mut missing = Vec::new();
    if !bandwatch_testkit::have("node") {
        missing.push("node".to_string());
    }
    if !Path::new("/usr/bin/chromium").exists() {
        missing.push("/usr/bin/chromium".to_string());
    }
    if !browser_dir().join("node_modules/playwright-core").exists() {
        missing.push("playwright-core (npm ci in crates/bandwatch/tests/browser)".to_string());
    }
    bandwatch_testkit::require(
        test,
        &missing,
        "apt-get install -y chromium nodejs npm && npm ci --prefix crates/bandwatch/tests/browser",
    )
}

/// A TCP port that accepts (and drops) connections: the probed device.
fn device() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            drop(conn);
        }
    });
    port
}

/// The port in a `dashboard: http://127.0.0.1:PORT/…` line.
fn port_of(line: &str) -> u16 {
    line.split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|host| host.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"))
}

fn start(dir: &Path, kernel: &FakeKernel) -> (LineChild, u16) {
    let config = format!(
        "[thresholds]\ndownload_mbps = 10\n\n[probe]\ninterval = \"2s\"\ntimeout = \"1s\"\ntargets = [{{ name = \"{XSS}\", target = \"tcp://127.0.0.1:{}\" }}]\n",
        device()
    );
    std::fs::write(dir.join("bandwatch.toml"), config).expect("config");
    let mut cmd = support::run_on(dir, kernel.root());
    cmd.args(["--quiet", "--db", "h.db", "--listen", "127.0.0.1:0"])
        .env("BANDWATCH_SYSTEM", "false");
    let run = LineChild::spawn(cmd);
    let line = run.wait_stderr("dashboard: http://", Duration::from_secs(20));
    (run, port_of(&line))
}

/// Runs the browser script, answering its traffic cue; returns every check line.
fn drive(port: u16, kernel: &FakeKernel, out: &Path) -> Vec<Value> {
    let mut child = Command::new("node")
        .current_dir(browser_dir())
        .arg("dashboard.mjs")
        .args(["--url", &format!("http://127.0.0.1:{port}/#r=5m")])
        .arg("--out")
        .arg(out)
        .args(["--expect-rx-mbps", "20"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut checks = Vec::new();
    for line in BufReader::new(child.stdout.take().expect("stdout")).lines() {
        let line = line.expect("line");
        eprintln!("browser: {line}");
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if v["check"] == "ready-for-traffic" {
            kernel.set_step(STEP * 4);
            stdin.write_all(b"go\n").expect("go");
            stdin.flush().expect("flush");
            continue;
        }
        checks.push(v);
    }
    let status = child.wait().expect("node exits");
    assert!(
        status.success() || !checks.is_empty(),
        "the browser script failed to run: {status}"
    );
    checks
}

/// Runs the first-chart measurement and returns its lines (one per mode).
fn first_chart(port: u16) -> Vec<Value> {
    let out = Command::new("node")
        .current_dir(browser_dir())
        .arg("first-chart.mjs")
        .args(["--url", &format!("http://127.0.0.1:{port}/#r=5m")])
        .args(["--runs", "3"])
        .stderr(Stdio::inherit())
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "first-chart.mjs failed: {}",
        out.status
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .inspect(|l| eprintln!("first chart: {l}"))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn the_dashboard_works_in_a_real_browser() {
    if !ready("the_dashboard_works_in_a_real_browser") {
        return;
    }
    let kernel = FakeKernel::start(STEP);
    let dir = tempfile::tempdir().expect("tempdir");
    let (run, port) = start(dir.path(), &kernel);
    // Enough history for the charts, an alert on the 10 Mbit/s limit, and a probe round.
    let fired = bandwatch_testkit::wait_for(Duration::from_secs(30), || {
        http::get(port, "/api/v1/alerts")
            .is_ok_and(|r| r.json().as_array().is_some_and(|a| !a.is_empty()))
    });
    assert!(fired, "no alert fired; stderr: {}", run.drain_errs());
    std::thread::sleep(Duration::from_secs(6));
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
    let checks = drive(port, &kernel, &out);
    let failed: Vec<&Value> = checks.iter().filter(|c| c["ok"] != true).collect();
    assert!(failed.is_empty(), "browser checks failed: {failed:#?}");
    for needed in [
        "page-loads",
        "bandwidth-data",
        "no-third-party",
        "range-selector",
        "chart-units",
        "chart-hover",
        "chart-zoom",
        "live-numbers",
        "acknowledge",
        "xss",
        "phone",
        "hidpi",
        "desktop",
        "console-clean",
    ] {
        assert!(
            checks
                .iter()
                .any(|c| c["check"].as_str().is_some_and(|n| n.starts_with(needed))),
            "check {needed} did not run: {checks:#?}"
        );
    }
    // The acknowledgement is in the history, not only on the page.
    let alerts = http::get(port, "/api/v1/alerts").expect("alerts").json();
    assert!(
        alerts
            .as_array()
            .is_some_and(|a| a.iter().any(|x| !x["acked_at"].is_null())),
        "{alerts}"
    );
    for shot in [
        "dashboard.png",
        "dashboard-phone.png",
        "chart-hover.png",
        "chart-zoom.png",
    ] {
        assert!(out.join(shot).exists(), "no screenshot {shot}");
    }
    // The first chart's time is printed as a figure; the scripts' size is the check.
    let figures = first_chart(port);
    let cold = figures
        .iter()
        .find(|v| v["mode"] == "first visit")
        .unwrap_or_else(|| panic!("no first-visit figure: {figures:?}"));
    let body = cold["script_body_bytes"].as_u64().unwrap_or_default();
    assert!(
        body > 0 && body <= 300_000,
        "a first visit moved {body} bytes of script (at most 300 kB)"
    );
    if let Some(copy) = std::env::var_os("BANDWATCH_SCREENSHOT_TO") {
        std::fs::copy(out.join("dashboard.png"), copy).expect("copy the screenshot");
    }
    let (status, _, errs) = run.terminate();
    assert!(status.success(), "{errs}");
}

#[test]
fn the_read_only_dashboard_says_so_in_a_real_browser() {
    if !ready("the_read_only_dashboard_says_so_in_a_real_browser") {
        return;
    }
    let kernel = FakeKernel::start(STEP);
    let dir = tempfile::tempdir().expect("tempdir");
    let (run, run_port) = start(dir.path(), &kernel);
    let fired = bandwatch_testkit::wait_for(Duration::from_secs(30), || {
        http::get(run_port, "/api/v1/alerts")
            .is_ok_and(|r| r.json().as_array().is_some_and(|a| !a.is_empty()))
    });
    assert!(fired, "no alert fired; stderr: {}", run.drain_errs());
    let recorded = bandwatch_testkit::wait_for(Duration::from_secs(30), || {
        http::get(
            run_port,
            "/api/v1/series?metric=net_rx_bits_per_second&match=iface=eth0&start=-5m&step=1s",
        )
        .is_ok_and(|r| {
            r.json()["series"][0]["points"]
                .as_array()
                .is_some_and(|p| p.len() >= 5)
        })
    });
    assert!(recorded, "five seconds of traffic were not recorded");
    // The agent goes on recording; serve reads the same file beside it.
    let mut cmd = support::bandwatch(dir.path());
    cmd.args(["serve", "--db", "h.db", "--listen", "127.0.0.1:0"]);
    let serve = LineChild::spawn(cmd);
    let port = port_of(&serve.wait_stderr("dashboard: http://", Duration::from_secs(20)));
    // A recording that ended a day ago, served too.
    old_recording(&dir.path().join("old.db"));
    let mut cmd = support::bandwatch(dir.path());
    cmd.args(["serve", "--db", "old.db", "--listen", "127.0.0.1:0"]);
    let old = LineChild::spawn(cmd);
    let old_port = port_of(&old.wait_stderr("dashboard: http://", Duration::from_secs(20)));
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
    let node = Command::new("node")
        .current_dir(browser_dir())
        .arg("read-only.mjs")
        .args(["--url", &format!("http://127.0.0.1:{port}/#r=5m")])
        .args(["--old-url", &format!("http://127.0.0.1:{old_port}/#r=15m")])
        .arg("--out")
        .arg(&out)
        .stderr(Stdio::inherit())
        .output()
        .expect("node runs");
    assert_checks(
        &node.stdout,
        &[
            "page-loads",
            "read-only-label",
            "nothing-live",
            "recorded-data",
            "no-acknowledge",
            "change-refused",
            "console-clean",
            "range-follows-recording",
        ],
    );
    assert!(out.join("read-only.png").exists(), "no screenshot");
    let (status, _, errs) = serve.terminate();
    assert!(status.success(), "serve: {errs}");
    let (status, _, errs) = old.terminate();
    assert!(status.success(), "serve of the old recording: {errs}");
    let (status, _, errs) = run.terminate();
    assert!(status.success(), "run beside serve: {errs}");
}

/// Ten minutes of eth0 at 8 Mbit/s, one sample a second, that ended a day ago, as `run`
/// stores them (deltas, rates, the elapsed time).
fn old_recording(path: &Path) {
    use bandwatch_core::{Frame, SampleKind, Seconds, SeriesKey, Timestamp};
    use bandwatch_store::Store as _;
    use std::sync::Arc;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis();
    let end = i64::try_from(now).expect("ms") - 86_400_000;
    let key = |m: &str, l: &str, v: &str| Arc::new(SeriesKey::with_label(m, l, v));
    let frames: Vec<Frame> = (0..600)
        .map(|i| {
            let mut f = Frame::new("netdev", Timestamp(end - (600 - i) * 1000), Seconds(1.0));
            f.push(key("net_rx_bytes", "iface", "eth0"), 1e6, SampleKind::Delta);
            f.push(
                key("net_rx_bits_per_second", "iface", "eth0"),
                8e6,
                SampleKind::Rate,
            );
            f.push(
                key(bandwatch_store::ELAPSED_METRIC, "source", "netdev"),
                1.0,
                SampleKind::Gauge,
            );
            f
        })
        .collect();
    let mut store =
        bandwatch_store::SqliteStore::open(path, bandwatch_store::SqliteOptions::default())
            .expect("old history");
    store.write(&frames).expect("write");
    store.flush().expect("flush");
}

/// The devices of [`device_recording`]: label, IP, MAC, download and upload bits/s, new.
const LAN: [(&str, &str, &str, f64, f64, bool); 4] = [
    (
        "Laptop",
        "192.168.1.20",
        "aa:bb:cc:dd:ee:01",
        5e6,
        1e6,
        false,
    ),
    (
        "Smart TV",
        "192.168.1.40",
        "aa:bb:cc:dd:ee:04",
        40e6,
        0.5e6,
        true,
    ),
    ("192.168.1.9", "192.168.1.9", "", 150e3, 50e3, true),
    (XSS, "192.168.1.66", "aa:bb:cc:dd:ee:66", 8e3, 1e3, true),
];

/// Ten minutes of the [`LAN`] devices, one frame every 10 s up to now, as the devices source
/// stores them (with the LAN bridge's rates), and ten minutes of the laptop 30 hours ago (so
/// it is not new).
fn device_recording(path: &Path) {
    use bandwatch_core::{Frame, Labels, SampleKind, Seconds, SeriesKey, Timestamp};
    use bandwatch_store::Store as _;
    use std::sync::Arc;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis();
    let now = i64::try_from(now).expect("ms");
    let frame = |ts: i64, old: bool| {
        let mut f = Frame::new("devices", Timestamp(ts), Seconds(10.0));
        for (device, ip, mac, rx, tx, _) in LAN.iter().filter(|d| !old || d.0 == "Laptop") {
            let key = |m: &str| {
                Arc::new(SeriesKey::new(
                    m,
                    Labels::from_pairs([("device", *device), ("ip", *ip), ("mac", *mac)]),
                ))
            };
            f.push(key("device_rx_bytes"), rx * 10.0 / 8.0, SampleKind::Delta);
            f.push(key("device_tx_bytes"), tx * 10.0 / 8.0, SampleKind::Delta);
            f.push(key("device_rx_bits_per_second"), *rx, SampleKind::Rate);
            f.push(key("device_tx_bits_per_second"), *tx, SampleKind::Rate);
            f.push(
                key("device_active"),
                f64::from(u8::from(rx + tx > 0.0)),
                SampleKind::Gauge,
            );
        }
        f.push(
            Arc::new(SeriesKey::with_label(
                bandwatch_store::ELAPSED_METRIC,
                "source",
                "devices",
            )),
            10.0,
            SampleKind::Gauge,
        );
        // the LAN side's interface too, as run records it beside the devices
        for (bytes, rate, bps) in [
            ("net_rx_bytes", "net_rx_bits_per_second", 46e6),
            ("net_tx_bytes", "net_tx_bits_per_second", 2e6),
        ] {
            let key = |m: &str| Arc::new(SeriesKey::with_label(m, "iface", "br-lan"));
            f.push(key(bytes), bps * 10.0 / 8.0, SampleKind::Delta);
            f.push(key(rate), bps, SampleKind::Rate);
        }
        f.push(
            Arc::new(SeriesKey::with_label(
                bandwatch_store::ELAPSED_METRIC,
                "source",
                "netdev",
            )),
            10.0,
            SampleKind::Gauge,
        );
        f
    };
    let old = now - 30 * 3_600_000;
    let frames: Vec<Frame> = (0..60)
        .map(|i| frame(old + i * 10_000, true))
        .chain((0..60).map(|i| frame(now - (59 - i) * 10_000, false)))
        .collect();
    let mut store =
        bandwatch_store::SqliteStore::open(path, bandwatch_store::SqliteOptions::default())
            .expect("device history");
    store.write(&frames).expect("write");
    store.maintain(Timestamp(now)).expect("roll up");
    store.flush().expect("flush");
}

#[test]
fn the_device_table_works_in_a_real_browser() {
    if !ready("the_device_table_works_in_a_real_browser") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    device_recording(&dir.path().join("devices.db"));
    let mut cmd = support::bandwatch(dir.path());
    cmd.args(["serve", "--db", "devices.db", "--listen", "127.0.0.1:0"]);
    let serve = LineChild::spawn(cmd);
    let port = port_of(&serve.wait_stderr("dashboard: http://", Duration::from_secs(20)));
    // The API the page reads says the same (so a failure below is the page's).
    let api = http::get(port, "/api/v1/devices").expect("devices").json();
    let listed = api.as_array().map_or(0, Vec::len);
    assert_eq!(listed, LAN.len(), "{api:#}");
    let mut order: Vec<_> = LAN.iter().collect();
    order.sort_by(|a, b| (b.3 + b.4).total_cmp(&(a.3 + a.4)));
    let names: Vec<&str> = order.iter().map(|d| d.0).collect();
    let new: Vec<&str> = LAN.iter().filter(|d| d.5).map(|d| d.0).collect();
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
    let node = Command::new("node")
        .current_dir(browser_dir())
        .arg("devices.mjs")
        .args(["--url", &format!("http://127.0.0.1:{port}/#r=15m")])
        .arg("--out")
        .arg(&out)
        .args(["--names", &serde_json::to_string(&names).expect("json")])
        .args(["--new", &serde_json::to_string(&new).expect("json")])
        .stderr(Stdio::inherit())
        .output()
        .expect("node runs");
    assert_checks(
        &node.stdout,
        &[
            "page-loads",
            "device-rows",
            "device-order",
            "device-new",
            "device-xss",
            "device-chart",
            "console-clean",
        ],
    );
    assert!(out.join("devices.png").exists(), "no screenshot");
    let (status, _, errs) = serve.terminate();
    assert!(status.success(), "serve: {errs}");
}

/// A data cap on eth0 while the fake kernel receives: the page shows its bar with the
/// percentage the API gives, the forecast marked.
#[test]
fn the_cap_bars_show_in_a_real_browser() {
    if !ready("the_cap_bars_show_in_a_real_browser") {
        return;
    }
    let kernel = FakeKernel::start(STEP);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("bandwatch.toml"),
        "[[caps]]\nname = \"isp\"\ninterface = \"eth0\"\nperiod = \"day\"\nlimit = \"100MB\"\n",
    )
    .expect("config");
    let mut cmd = support::run_on(dir.path(), kernel.root());
    cmd.args(["--quiet", "--db", "h.db", "--listen", "127.0.0.1:0"])
        .env("BANDWATCH_SYSTEM", "false");
    let run = LineChild::spawn(cmd);
    let port = port_of(&run.wait_stderr("dashboard: http://", Duration::from_secs(20)));
    // the agent has counted a few ticks before the page loads
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while http::get(port, "/api/v1/caps")
        .map(|r| r.json())
        .map_or(true, |v| v["caps"].as_array().is_none_or(Vec::is_empty))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no cap in /api/v1/caps"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
    let node = Command::new("node")
        .current_dir(browser_dir())
        .arg("caps.mjs")
        .args(["--url", &format!("http://127.0.0.1:{port}/#r=5m")])
        .arg("--out")
        .arg(&out)
        .args(["--cap", "isp"])
        .stderr(Stdio::inherit())
        .output()
        .expect("node runs");
    assert_checks(
        &node.stdout,
        &[
            "page-loads",
            "caps-visible",
            "cap-percentage",
            "cap-bar",
            "console-clean",
        ],
    );
    let (status, _, errs) = run.terminate();
    assert!(status.success(), "run: {errs}");
}

/// Reads the browser script's report (one JSON object per line on `stdout`): every check
/// passed, and each of `needed` ran.
fn assert_checks(stdout: &[u8], needed: &[&str]) {
    let checks: Vec<Value> = String::from_utf8_lossy(stdout)
        .lines()
        .inspect(|l| eprintln!("browser: {l}"))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let failed: Vec<&Value> = checks.iter().filter(|c| c["ok"] != true).collect();
    assert!(failed.is_empty(), "browser checks failed: {failed:#?}");
    for needed in needed {
        assert!(
            checks.iter().any(|c| c["check"] == *needed),
            "check {needed} did not run: {checks:#?}"
        );
    }
}
