//! `bandwatch run --influxdb` as a process against a private InfluxDB 1.x: every tick it
//! printed reaches the server with exact byte counts, even across a 30 s outage in which the
//! server is killed and started again; and a writer with neither v1 nor v2 credentials is a
//! clean exit 2.

mod support;

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{bandwatch, LineChild};

// ---------------------------------------------------------------------------------------
// A fake kernel (as in run_cli.rs): eth0's rx counter grows by `step` bytes every 20 ms.

struct FakeKernel {
    root: tempfile::TempDir,
    rx: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

const RX_START: u64 = 5_000_000;

fn dev_text(rx: u64, tx: u64) -> String {
    format!(
        "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo:  1000  10 0 0 0 0 0 0  1000  10 0 0 0 0 0 0\n  eth0: {rx} {} 0 0 0 0 0 0 {tx} {} 0 0 0 0 0 0\n",
        rx / 1000,
        tx / 1000
    )
}

fn write_atomic(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).expect("write");
    std::fs::rename(&tmp, path).expect("rename");
}

/// `<root>/sys/class/net/{lo,eth0}` with link state files.
fn sys_tree(root: &Path) {
    for (iface, flags) in [("lo", "0x9"), ("eth0", "0x1003")] {
        let dir = root.join("sys/class/net").join(iface);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(
            dir.join("operstate"),
            if iface == "lo" { "unknown\n" } else { "up\n" },
        )
        .expect("write");
        std::fs::write(dir.join("carrier"), "1\n").expect("write");
        std::fs::write(dir.join("flags"), format!("{flags}\n")).expect("write");
    }
}

impl FakeKernel {
    fn start(bytes_per_step: u64) -> Self {
        let root = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(root.path().join("proc/net")).expect("mkdir");
        sys_tree(root.path());
        let dev = root.path().join("proc/net/dev");
        write_atomic(&dev, &dev_text(RX_START, 7_000));
        let rx = Arc::new(AtomicU64::new(RX_START));
        let stop = Arc::new(AtomicBool::new(false));
        let pace = Arc::new(AtomicU64::new(bytes_per_step));
        let thread = {
            let (counter, halt, bytes) = (Arc::clone(&rx), Arc::clone(&stop), Arc::clone(&pace));
            std::thread::spawn(move || {
                while !halt.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(20));
                    let add = bytes.load(Ordering::SeqCst);
                    if add == 0 {
                        continue;
                    }
                    let now = counter.fetch_add(add, Ordering::SeqCst) + add;
                    write_atomic(&dev, &dev_text(now, 7_000));
                }
            })
        };
        Self {
            root,
            rx,
            stop,
            thread: Some(thread),
        }
    }

    fn proc_root(&self) -> PathBuf {
        self.root.path().join("proc")
    }

    fn sys_root(&self) -> PathBuf {
        self.root.path().join("sys")
    }

    /// Stops the traffic and returns the final rx counter.
    fn halt(&mut self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().expect("kernel thread");
        }
        self.rx.load(Ordering::SeqCst)
    }
}

impl Drop for FakeKernel {
    fn drop(&mut self) {
        self.halt();
    }
}

// ---------------------------------------------------------------------------------------
// A tiny HTTP/1.1 client (no client crate among the dev-dependencies).

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind 127.0.0.1:0")
        .local_addr()
        .expect("local addr")
        .port()
}

struct Response {
    status: u16,
    body: String,
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&raw[..eol]);
        let size_hex = size_text.split(';').next().unwrap_or("0").trim();
        let size = usize::from_str_radix(size_hex, 16).unwrap_or(0);
        raw = &raw[eol + 2..];
        if size == 0 || raw.len() < size {
            return out;
        }
        out.extend_from_slice(&raw[..size]);
        raw = raw.get(size + 2..).unwrap_or_default();
    }
}

/// One request with `Connection: close`; `Err` when the server cannot be reached.
fn http(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
) -> std::io::Result<Response> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut req = format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: 0\r\n"
    );
    for (k, v) in headers {
        let _ = write!(req, "{k}: {v}\r\n");
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Ok(Response {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Polls `cond` every 100 ms until it holds or `limit` passes; returns whether it held.
fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    cond()
}

// ---------------------------------------------------------------------------------------
// A private influxd (after bandwatch-export's tests/influx_support).

/// The influxd binary (`BANDWATCH_INFLUXD` when set, else on `PATH`), or `None` after
/// printing SKIPPED (a failure when `BANDWATCH_REQUIRE_ROOT_TESTS=1`).
fn influxd_or_skip(test: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let candidates: Vec<PathBuf> = match std::env::var_os("BANDWATCH_INFLUXD") {
        Some(explicit) => vec![PathBuf::from(explicit)],
        None => std::env::split_paths(&path)
            .map(|d| d.join("influxd"))
            .chain([PathBuf::from("/usr/bin/influxd")])
            .collect(),
    };
    let found = candidates.into_iter().find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var("BANDWATCH_REQUIRE_ROOT_TESTS").as_deref() != Ok("1"),
            "{test}: influxd not found; install it with `apt-get install -y influxdb` \
             (BANDWATCH_REQUIRE_ROOT_TESTS=1 makes this test mandatory)"
        );
        eprintln!("SKIPPED {test}: influxd not found (apt-get install -y influxdb)");
    }
    found
}

/// A private InfluxDB 1.x with all its state in a temp dir; killed on drop.
struct Influxd {
    bin: PathBuf,
    dir: tempfile::TempDir,
    child: Option<Child>,
    port: u16,
}

impl Influxd {
    fn start(test: &str) -> Option<Self> {
        let bin = influxd_or_skip(test)?;
        let port = free_port();
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let config = format!(
            "reporting-disabled = true\n\
             bind-address = \"127.0.0.1:{rpc}\"\n\
             [meta]\n  dir = \"{root}/meta\"\n  logging-enabled = false\n\
             [data]\n  dir = \"{root}/data\"\n  wal-dir = \"{root}/wal\"\n  query-log-enabled = false\n\
             [http]\n  enabled = true\n  bind-address = \"127.0.0.1:{port}\"\n  log-enabled = false\n\
             [monitor]\n  store-enabled = false\n\
             [continuous_queries]\n  enabled = false\n\
             [subscriber]\n  enabled = false\n\
             [retention]\n  enabled = false\n",
            rpc = free_port(),
            root = root.display(),
        );
        std::fs::write(root.join("influxdb.conf"), config).expect("write influxdb.conf");
        let mut server = Self {
            bin,
            dir,
            child: None,
            port,
        };
        server.launch();
        Some(server)
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("influxd.log")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Starts the process (again) on the same directories and port and waits for `/ping`.
    fn launch(&mut self) {
        assert!(self.child.is_none(), "influxd already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("influxd log");
        let child = Command::new(&self.bin)
            .arg("run")
            .arg("-config")
            .arg(self.dir.path().join("influxdb.conf"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("spawn influxd");
        self.child = Some(child);
        let port = self.port;
        let ready = wait_for(Duration::from_secs(30), || {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("influxd exited with {status}:\n{}", self.log());
            }
            http(port, "GET", "/ping", &[]).is_ok_and(|r| r.status == 204)
        });
        assert!(
            ready,
            "influxd did not answer /ping in 30 s:\n{}",
            self.log()
        );
    }

    /// Kills the process (SIGKILL: the harshest outage) and waits for it.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Runs an InfluxQL statement that changes something (`CREATE DATABASE …`).
    fn exec(&self, q: &str) {
        let resp = http(
            self.port,
            "POST",
            &format!("/query?q={}", percent_encode(q)),
            &[],
        )
        .expect("POST /query");
        assert!(resp.status / 100 == 2, "{q}: {} {}", resp.status, resp.body);
    }

    /// The first value of the first row a query answers, `None` when there is no row.
    fn scalar(&self, db: &str, q: &str) -> Option<Value> {
        let target = format!(
            "/query?db={}&epoch=ms&q={}",
            percent_encode(db),
            percent_encode(q)
        );
        let resp = http(self.port, "GET", &target, &[]).expect("GET /query");
        let body: Value = serde_json::from_str(&resp.body)
            .unwrap_or_else(|e| panic!("{q}: not JSON ({e}): {}", resp.body));
        let result = &body["results"][0];
        assert!(result.get("error").is_none(), "{q}: {body}");
        result["series"][0]["values"][0].get(1).cloned()
    }
}

impl Drop for Influxd {
    fn drop(&mut self) {
        self.kill();
    }
}

fn total_rx(line: &str) -> u64 {
    let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    v["total"]["rx_bytes"].as_u64().expect("total rx_bytes")
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
    let mut cmd = bandwatch(dir.path());
    cmd.arg("run")
        .arg("--proc-root")
        .arg(kernel.proc_root())
        .arg("--sys-root")
        .arg(kernel.sys_root())
        .env("BANDWATCH_SYSTEM", "false")
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
