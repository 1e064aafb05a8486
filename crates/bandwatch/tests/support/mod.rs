//! Helpers shared by the integration tests: running the binary, and network namespaces
//! joined by a veth pair as real test hosts.
#![allow(dead_code)]

pub mod mail;
pub mod netns;
pub mod receiver;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use bandwatch_testkit::{have, require};

/// The raw `net_rx_bytes` points of one interface in a history database.
pub fn stored_rx_points(db: &Path, iface: &str) -> Vec<(bandwatch_core::Timestamp, f64)> {
    stored_points(
        db,
        &bandwatch_core::SeriesKey::with_label("net_rx_bytes", "iface", iface),
    )
}

/// Every raw point of one series in a history database, in time order.
pub fn stored_points(
    db: &Path,
    key: &bandwatch_core::SeriesKey,
) -> Vec<(bandwatch_core::Timestamp, f64)> {
    use bandwatch_store::Store as _;
    let store = bandwatch_store::SqliteStore::open(db, bandwatch_store::SqliteOptions::default())
        .expect("open store");
    store
        .query_raw(
            key,
            bandwatch_core::Timestamp(0),
            bandwatch_core::Timestamp(i64::MAX),
        )
        .expect("query")
}

/// The bandwatch binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_bandwatch")
}

/// A command for the binary with a clean environment (no BANDWATCH_* leaking in from the
/// developer's shell) and `dir` as working directory. The dashboard listens on a port of its
/// own choosing, so tests running side by side never compete for 8080.
pub fn bandwatch(dir: &Path) -> Command {
    let mut c = Command::new(bin());
    c.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("BANDWATCH_WEB_LISTEN", "127.0.0.1:0");
    c
}

/// `bandwatch run` in `dir` reading `<tree>/proc` and `<tree>/sys` (a fixture tree, or a
/// fake kernel's root); add the flags and environment the test wants.
pub fn run_on(dir: &Path, tree: &Path) -> Command {
    let mut c = bandwatch(dir);
    c.arg("run")
        .arg("--proc-root")
        .arg(tree.join("proc"))
        .arg("--sys-root")
        .arg(tree.join("sys"));
    c
}

/// eth0's `rx_bytes` in one line of `bandwatch run --json`.
pub fn eth0_rx(line: &str) -> u64 {
    tick_json(line)["interfaces"]["eth0"]["rx_bytes"]
        .as_u64()
        .expect("rx_bytes")
}

/// One line of `bandwatch run --json`, parsed; panics showing the line when it is not JSON.
pub fn tick_json(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

/// `bandwatch alerts --json --db <db>` in `dir` with extra arguments: one object per alert.
pub fn alerts_json(dir: &Path, db: &str, args: &[&str]) -> Vec<serde_json::Value> {
    let out = bandwatch(dir)
        .args(["alerts", "--json", "--db", db])
        .args(args)
        .output()
        .expect("alerts");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
}

/// True when this process runs as root.
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    })
}

/// Whether a test that needs root and some programs can run. When it cannot, it says why;
/// with BANDWATCH_REQUIRE_ROOT_TESTS=1 (set by .ci/run) it fails instead of skipping.
pub fn root_test_ready(test: &str, programs: &[&str]) -> bool {
    let mut missing = Vec::new();
    if !is_root() {
        missing.push("root (network namespaces)".to_string());
    }
    for p in programs {
        if !have(p) {
            missing.push(format!("the `{p}` program"));
        }
    }
    require(
        test,
        &missing,
        "run as root with iproute2 and iperf3 installed (CI does: bash .ci/run)",
    )
}

/// A child whose stdout lines arrive on a channel.
pub struct LineChild {
    /// The process.
    pub child: Child,
    /// Its stdout, line by line.
    pub lines: Receiver<String>,
    /// Its stderr, line by line.
    pub errs: Receiver<String>,
}

impl LineChild {
    /// Spawns the command with stdout and stderr piped into channels.
    pub fn spawn(mut cmd: Command) -> Self {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let lines = pump(child.stdout.take().expect("stdout"));
        let errs = pump(child.stderr.take().expect("stderr"));
        Self { child, lines, errs }
    }

    /// Waits for the next stdout line.
    pub fn next_line(&self, timeout: Duration) -> String {
        self.lines.recv_timeout(timeout).unwrap_or_else(|e| {
            panic!(
                "no output line within {timeout:?}: {e}; stderr: {}",
                self.drain_errs()
            )
        })
    }

    /// Waits until a stderr line contains `needle`, and returns that line.
    pub fn wait_stderr(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(l) = self.errs.recv_timeout(Duration::from_millis(100)) {
                if l.contains(needle) {
                    return l;
                }
            }
        }
        panic!("stderr never said {needle:?}");
    }

    /// Whatever stderr said so far.
    pub fn drain_errs(&self) -> String {
        self.errs.try_iter().collect::<Vec<_>>().join("\n")
    }

    /// Sends SIGTERM and waits for the exit; returns stdout lines not yet read.
    pub fn terminate(self) -> (std::process::ExitStatus, Vec<String>, String) {
        self.stop_with("-TERM")
    }

    /// Sends a signal (`-TERM`, `-INT`) and waits for the exit; returns stdout lines not yet
    /// read and all of stderr not yet read.
    pub fn stop_with(mut self, signal: &str) -> (std::process::ExitStatus, Vec<String>, String) {
        let _ = Command::new("kill")
            .arg(signal)
            .arg(self.child.id().to_string())
            .status();
        let status = wait_timeout(&mut self.child, Duration::from_secs(20));
        let rest: Vec<String> = self.lines.iter().collect();
        let errs: Vec<String> = self.errs.iter().collect();
        (status, rest, errs.join("\n"))
    }
}

impl Drop for LineChild {
    /// A test that failed half-way must not leave bandwatch running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pump<R: std::io::Read + Send + 'static>(r: R) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for a child to exit, killing it when it overstays.
pub fn wait_timeout(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("process did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
