//! Interfaces with hostile names, made for real in a network namespace: one whose name is not
//! UTF-8 (`bad\xff`), one holding U+2028 (`u\u2028x`) and one holding a terminal escape
//! (`e\x1b[31mx`), beside a veth that carries ping traffic. `bandwatch run` and
//! `bandwatch stats` inside the namespace must still sample the veth, show the odd names
//! escaped, and never write a control character to the terminal. Needs root, iproute2 and
//! ping: `.ci/run` makes this mandatory; elsewhere it says why it did not run.

mod support;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;
use support::netns::{sh, NetnsPair, VETH_A};
use support::{bin, root_test_ready};

const WAIT: Duration = Duration::from_secs(10);

/// The odd names as the kernel holds them, and as bandwatch must show them in JSON.
const ODD: [(&[u8], &str); 3] = [
    (b"bad\xff", "bad\\xff"),
    ("u\u{2028}x".as_bytes(), "u\u{2028}x"),
    (b"e\x1b[31mx", "e\u{1b}[31mx"),
];

/// Adds an interface named `name` (any bytes) in `ns` and sets it up: a dummy where the
/// kernel has the module, else an ifb (both are idle, stand-alone links).
fn add_odd_link(ns: &str, name: &[u8]) {
    let name = OsStr::from_bytes(name);
    let added = ["dummy", "ifb"].iter().any(|kind| {
        Command::new("ip")
            .args(["-n", ns, "link", "add"])
            .arg(name)
            .args(["type", kind])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    assert!(
        added,
        "cannot add a dummy or ifb link named {name:?} in {ns}"
    );
    let up = Command::new("ip")
        .args(["-n", ns, "link", "set"])
        .arg(name)
        .arg("up")
        .status()
        .expect("ip link set up");
    assert!(up.success(), "cannot set {name:?} up");
}

/// A command for the binary inside `ns`, with a clean environment in `dir`.
fn bandwatch_in(ns: &str, dir: &Path) -> Command {
    let mut cmd = NetnsPair::exec(ns, bin());
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("BANDWATCH_WEB_LISTEN", "127.0.0.1:0");
    cmd
}

/// A child whose stdout arrives as raw lines (they are checked byte by byte, so they are
/// not decoded on the way) and whose stderr is kept whole.
struct RawChild {
    child: Child,
    lines: Receiver<Vec<u8>>,
    stderr: Option<JoinHandle<Vec<u8>>>,
}

impl RawChild {
    fn spawn(mut cmd: Command) -> Self {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn bandwatch");
        let stdout = child.stdout.take().expect("stdout");
        let mut stderr = child.stderr.take().expect("stderr");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut line = Vec::new();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if tx.send(line).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut all = Vec::new();
            let _ = stderr.read_to_end(&mut all);
            all
        });
        Self {
            child,
            lines,
            stderr: Some(stderr),
        }
    }

    fn next_line(&self) -> Vec<u8> {
        self.lines
            .recv_timeout(WAIT)
            .unwrap_or_else(|e| panic!("no output line within {WAIT:?}: {e}"))
    }

    /// SIGTERM, then the exit status, the stdout lines not yet read and all of stderr.
    fn terminate(mut self) -> (std::process::ExitStatus, Vec<Vec<u8>>, Vec<u8>) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = support::wait_timeout(&mut self.child, Duration::from_secs(20));
        let rest = self.lines.iter().collect();
        let stderr = self
            .stderr
            .take()
            .map(|t| t.join().expect("stderr reader"))
            .unwrap_or_default();
        (status, rest, stderr)
    }
}

impl Drop for RawChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Fails when `bytes` hold a control character other than a newline (C0, DEL or C1), a
/// line or paragraph separator, or anything that is not UTF-8.
fn assert_terminal_safe(what: &str, bytes: &[u8]) {
    let text = std::str::from_utf8(bytes)
        .unwrap_or_else(|e| panic!("{what} is not UTF-8 ({e}): {bytes:?}"));
    for (i, c) in text.char_indices() {
        let bad = (c.is_control() && c != '\n') || matches!(c, '\u{2028}' | '\u{2029}');
        assert!(
            !bad,
            "{what} holds {c:?} at byte {i}: {:?}",
            &text[i.saturating_sub(80)..(i + 40).min(text.len())]
        );
    }
}

fn ping(from: &str, to_ip: &str) {
    sh(&[
        "ip", "netns", "exec", from, "ping", "-q", "-c", "10", "-i", "0.05", "-s", "1000", to_ip,
    ]);
}

#[test]
fn odd_interface_names_neither_stop_sampling_nor_reach_the_terminal_raw() {
    if !root_test_ready(
        "odd_interface_names_neither_stop_sampling_nor_reach_the_terminal_raw",
        &["ip", "ping"],
    ) {
        return;
    }
    let net = NetnsPair::new("n", 45);
    for (raw, _) in ODD {
        add_odd_link(&net.a, raw);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    json_run_samples_everything(&net, dir.path());
    console_run_shows_the_busy_veth(&net, dir.path());
    stats_lists_every_interface_escaped(&net, dir.path());
}

/// NDJSON: every interface, the veth with its traffic, the odd names escaped.
fn json_run_samples_everything(net: &NetnsPair, dir: &Path) {
    let mut cmd = bandwatch_in(&net.a, dir);
    cmd.args(["run", "--json", "--interval", "0.2", "--db", "json.db"]);
    let bw = RawChild::spawn(cmd);
    let mut lines = vec![bw.next_line()]; // the baseline has been taken
    ping(&net.b, &net.ip_a);
    // Lines printed while the ping ran are queued; the second line after them was surely
    // sampled after the last packet.
    lines.extend(bw.lines.try_iter());
    for _ in 0..2 {
        lines.push(bw.next_line());
    }
    let (status, rest, stderr) = bw.terminate();
    lines.extend(rest);
    assert!(
        status.success(),
        "bandwatch exited with {status}: {}",
        String::from_utf8_lossy(&stderr)
    );
    assert_terminal_safe("stderr of run --json", &stderr);
    let mut veth_rx = 0;
    for line in &lines {
        assert_terminal_safe("a line of run --json", line);
        let tick: Value = serde_json::from_slice(line).expect("a JSON line");
        let ifaces = tick["interfaces"].as_object().expect("interfaces");
        for (_, shown) in ODD {
            assert!(ifaces.contains_key(shown), "{shown:?} missing from {tick}");
        }
        veth_rx += ifaces[VETH_A]["rx_bytes"].as_u64().expect("rx_bytes");
    }
    assert!(
        veth_rx >= 10 * 1000,
        "ten 1000-byte pings reached {VETH_A}, bandwatch saw {veth_rx} bytes"
    );
    let log = String::from_utf8_lossy(&stderr);
    assert!(
        !log.contains("WARN"),
        "odd names are not worth a warning: {log}"
    );
}

/// The console line while the veth is busy, and its log.
fn console_run_shows_the_busy_veth(net: &NetnsPair, dir: &Path) {
    let mut cmd = bandwatch_in(&net.a, dir);
    cmd.args(["run", "--interval", "0.2", "--db", "console.db"]);
    let bw = RawChild::spawn(cmd);
    let mut lines = vec![bw.next_line()];
    ping(&net.b, &net.ip_a);
    lines.push(bw.next_line());
    let (status, rest, stderr) = bw.terminate();
    lines.extend(rest);
    assert!(status.success(), "{}", String::from_utf8_lossy(&stderr));
    assert_terminal_safe("stderr of run", &stderr);
    for line in &lines {
        assert_terminal_safe("a console line", line);
    }
    let console = String::from_utf8_lossy(&lines.concat()).into_owned();
    assert!(
        console.contains(&format!("| {VETH_A} ↓ ")),
        "the busy veth is on the console line: {console}"
    );
}

/// `bandwatch stats` lists every interface, each name escaped for the terminal.
fn stats_lists_every_interface_escaped(net: &NetnsPair, dir: &Path) {
    let out = bandwatch_in(&net.a, dir)
        .arg("stats")
        .output()
        .expect("stats");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_terminal_safe("stdout of stats", &out.stdout);
    assert_terminal_safe("stderr of stats", &out.stderr);
    let text = String::from_utf8_lossy(&out.stdout);
    for shown in [VETH_A, "bad\\xff", "u\\u{2028}x", "e\\u{1b}[31mx"] {
        assert!(
            text.contains(&format!("  {shown} ")),
            "{shown} missing:\n{text}"
        );
    }
    let out = bandwatch_in(&net.a, dir)
        .args(["stats", "--json"])
        .output()
        .expect("stats --json");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_terminal_safe("stdout of stats --json", &out.stdout);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let names: Vec<&str> = doc["interfaces"]
        .as_array()
        .expect("interfaces")
        .iter()
        .filter_map(|i| i["iface"].as_str())
        .collect();
    for (_, shown) in ODD {
        assert!(names.contains(&shown), "{shown:?} missing from {names:?}");
    }
}
