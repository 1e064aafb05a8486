//! Helpers shared by the integration tests: running the binary, and network namespaces
//! joined by a veth pair as real test hosts.
#![allow(dead_code)]

pub mod netns;
pub mod receiver;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// The raw `net_rx_bytes` points of one interface in a history database.
pub fn stored_rx_points(db: &Path, iface: &str) -> Vec<(bandwatch_core::Timestamp, f64)> {
    use bandwatch_store::Store as _;
    let store = bandwatch_store::SqliteStore::open(db, bandwatch_store::SqliteOptions::default())
        .expect("open store");
    let key = bandwatch_core::SeriesKey::with_label("net_rx_bytes", "iface", iface);
    store
        .query_raw(
            &key,
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
/// developer's shell) and `dir` as working directory.
pub fn bandwatch(dir: &Path) -> Command {
    let mut c = Command::new(bin());
    c.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir);
    c
}

/// True when this process runs as root.
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    })
}

/// True when a program is on PATH.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
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
    if missing.is_empty() {
        return true;
    }
    let why = format!("{test} needs {}", missing.join(", "));
    assert!(
        std::env::var("BANDWATCH_REQUIRE_ROOT_TESTS").as_deref() != Ok("1"),
        "{why}, and BANDWATCH_REQUIRE_ROOT_TESTS=1 makes it mandatory"
    );
    eprintln!(
        "SKIPPED: {why}; run as root with iproute2 and iperf3 installed (CI does: bash .ci/run)"
    );
    false
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
