//! `bandwatch run` under a service manager's notification protocol (systemd `Type=notify`):
//! the test listens on a unix datagram socket of its own, passes it as `NOTIFY_SOCKET` with
//! a short `WATCHDOG_USEC`, and expects READY=1 only once the first tick is in the history,
//! WATCHDOG=1 again and again while it runs, and STOPPING=1 after SIGTERM.

mod support;

use std::os::linux::net::SocketAddrExt as _;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::path::Path;
use std::time::{Duration, Instant};

use bandwatch_core::{SeriesKey, Timestamp};
use bandwatch_store::{SqliteOptions, SqliteStore, Store as _};
use bandwatch_testkit::kernel::FakeKernel;
use support::{run_on, LineChild};

/// Only a guard against a hung test; nothing is sequenced by it.
const WAIT: Duration = Duration::from_secs(20);

/// The next datagram, or `None` once `deadline` passed.
fn next_message(socket: &UnixDatagram, deadline: Instant) -> Option<String> {
    let left = deadline.checked_duration_since(Instant::now())?;
    socket
        .set_read_timeout(Some(left.max(Duration::from_millis(1))))
        .expect("timeout");
    let mut buf = [0u8; 4096];
    let n = socket.recv(&mut buf).ok()?;
    Some(String::from_utf8_lossy(&buf[..n]).into_owned())
}

/// Whether a message sets `key=value` (messages are newline-separated assignments).
fn says(message: &str, assignment: &str) -> bool {
    message.lines().any(|l| l == assignment)
}

/// Raw points of eth0's received bytes, read beside the running agent.
fn stored_points(db: &Path) -> usize {
    let store = SqliteStore::open_read_only(db, SqliteOptions::default()).expect("open");
    store
        .query_raw(
            &SeriesKey::with_label("net_rx_bytes", "iface", "eth0"),
            Timestamp(0),
            Timestamp(i64::MAX),
        )
        .expect("query")
        .len()
}

/// Runs the agent notifying `socket_name`, and checks READY, the watchdog and STOPPING on
/// `socket`.
fn check_protocol(socket: &UnixDatagram, socket_name: &str) {
    let kernel = FakeKernel::start(1000);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = run_on(dir.path(), kernel.root());
    cmd.args(["--quiet", "--interval", "0.1", "--db", "h.db"])
        .env("NOTIFY_SOCKET", socket_name)
        // A ping at least every 150 ms.
        .env("WATCHDOG_USEC", "300000");
    let bw = LineChild::spawn(cmd);

    let deadline = Instant::now() + WAIT;
    let mut before_ready = Vec::new();
    loop {
        let m = next_message(socket, deadline)
            .unwrap_or_else(|| panic!("no READY=1; got {before_ready:?}; {}", bw.drain_errs()));
        if says(&m, "READY=1") {
            break;
        }
        before_ready.push(m);
    }
    assert!(
        before_ready.iter().all(|m| m == "WATCHDOG=1"),
        "only pings may come before READY: {before_ready:?}"
    );
    // READY means stored: the first tick is already in the history.
    assert!(
        stored_points(&dir.path().join("h.db")) > 0,
        "READY=1 came before anything was stored"
    );

    let mut pings = 0;
    while pings < 5 {
        let m = next_message(socket, deadline)
            .unwrap_or_else(|| panic!("only {pings} watchdog pings; {}", bw.drain_errs()));
        assert!(!says(&m, "READY=1"), "READY=1 twice");
        if m == "WATCHDOG=1" {
            pings += 1;
        }
    }

    let (status, _, stderr) = bw.terminate();
    assert!(status.success(), "exit {status}: {stderr}");
    let mut after = Vec::new();
    while let Some(m) = next_message(socket, Instant::now() + Duration::from_millis(200)) {
        after.push(m);
    }
    let stopping = after
        .iter()
        .position(|m| says(m, "STOPPING=1"))
        .unwrap_or_else(|| panic!("no STOPPING=1 after SIGTERM: {after:?}"));
    assert!(
        after[stopping..].iter().all(|m| !says(m, "READY=1")),
        "{after:?}"
    );
}

#[test]
fn ready_once_stored_then_watchdog_pings_then_stopping_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("notify");
    let socket = UnixDatagram::bind(&path).expect("bind");
    check_protocol(&socket, path.to_str().expect("utf-8 path"));
}

#[test]
fn an_abstract_socket_name_works_too() {
    let name = format!("bandwatch-sd-notify-test-{}", std::process::id());
    let addr = SocketAddr::from_abstract_name(name.as_bytes()).expect("addr");
    let socket = UnixDatagram::bind_addr(&addr).expect("bind");
    check_protocol(&socket, &format!("@{name}"));
}

#[test]
fn a_bad_notify_socket_is_said_and_the_run_goes_on() {
    let kernel = FakeKernel::start(1000);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = run_on(dir.path(), kernel.root());
    cmd.args(["--quiet", "--interval", "0.1", "--db", "h.db"])
        .env("NOTIFY_SOCKET", "not-a-path");
    let bw = LineChild::spawn(cmd);
    bw.wait_stderr("NOTIFY_SOCKET=not-a-path", WAIT);
    bw.wait_stderr("bandwatch started", WAIT);
    let (status, _, stderr) = bw.terminate();
    assert!(status.success(), "exit {status}: {stderr}");
}
