//! Shared pieces of the influx tests: a private `influxd` per test, a tiny HTTP receiver for
//! the v2 API, and frame builders.
#![allow(dead_code)]

pub mod receiver;

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bandwatch_core::{Frame, Labels, SampleKind, Seconds, SeriesKey, Timestamp};
use bandwatch_export::influx::{Api, InfluxConfig};
use serde_json::Value;

/// A series key from a metric and label pairs.
pub fn series(metric: &str, labels: &[(&str, &str)]) -> Arc<SeriesKey> {
    Arc::new(SeriesKey::new(
        metric,
        Labels::from_pairs(labels.iter().copied()),
    ))
}

/// Counter deltas of one netdev tick (one second long).
#[derive(Debug, Clone, Copy)]
pub struct NetTotals {
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub rx_packets: u64,
    pub tx_packets: u64,
}

/// A netdev frame over one second: the total and one interface with the same counts, two rx
/// errors, one rx drop, and a link gauge; rates are derived from the deltas.
pub fn netdev_frame(ts: Timestamp, iface: &str, t: &NetTotals) -> Frame {
    let mut f = Frame::new("netdev", ts, Seconds(1.0));
    for scope in [("scope", "total"), ("iface", iface)] {
        let s = |m: &str| series(m, &[scope]);
        f.push(s("net_rx_bytes"), t.rx_bytes as f64, SampleKind::Delta);
        f.push(s("net_tx_bytes"), t.tx_bytes as f64, SampleKind::Delta);
        f.push(s("net_rx_packets"), t.rx_packets as f64, SampleKind::Delta);
        f.push(s("net_tx_packets"), t.tx_packets as f64, SampleKind::Delta);
        f.push(
            s("net_rx_bits_per_second"),
            t.rx_bytes as f64 * 8.0,
            SampleKind::Rate,
        );
        f.push(
            s("net_tx_bits_per_second"),
            t.tx_bytes as f64 * 8.0,
            SampleKind::Rate,
        );
    }
    let i = |m: &str| series(m, &[("iface", iface)]);
    f.push(i("net_rx_errors"), 2.0, SampleKind::Delta);
    f.push(i("net_tx_errors"), 0.0, SampleKind::Delta);
    f.push(i("net_rx_drops"), 1.0, SampleKind::Delta);
    f.push(i("net_tx_drops"), 0.0, SampleKind::Delta);
    f.push(i("net_up"), 1.0, SampleKind::Gauge);
    f
}

/// A system frame with one CPU gauge.
pub fn system_frame(ts: Timestamp, cpu: f64) -> Frame {
    let mut f = Frame::new("system", ts, Seconds(1.0));
    f.push(series("system_cpu_percent", &[]), cpu, SampleKind::Gauge);
    f
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind 127.0.0.1:0")
        .local_addr()
        .expect("local addr")
        .port()
}

/// A v1 configuration for a server at 127.0.0.1:`port`, tuned for quick tests.
pub fn v1_config(port: u16, database: &str, buffer_dir: &Path) -> InfluxConfig {
    let mut c = InfluxConfig::new(
        format!("http://127.0.0.1:{port}"),
        Api::V1 {
            database: database.into(),
            username: None,
            password: None,
        },
        buffer_dir,
    );
    c.host_tag = "testhost".into();
    c.flush_every = Duration::from_millis(200);
    c.timeout = Duration::from_secs(3);
    c.retry_initial = Duration::from_millis(100);
    c.retry_max = Duration::from_secs(1);
    c
}

/// Polls `cond` every 50 ms until it holds or `limit` passes; returns whether it held.
pub fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    cond()
}

/// The influxd binary (`BANDWATCH_INFLUXD` when set, else on `PATH`), or `None` after
/// printing SKIPPED (a failure when `BANDWATCH_REQUIRE_ROOT_TESTS=1`).
pub fn influxd_or_skip(test: &str) -> Option<PathBuf> {
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
pub struct Influxd {
    bin: PathBuf,
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// The HTTP port on 127.0.0.1.
    pub port: u16,
    http: reqwest::blocking::Client,
}

impl Influxd {
    /// Starts a server on a free port, or `None` when influxd is missing (see
    /// [`influxd_or_skip`]).
    pub fn start(test: &str) -> Option<Self> {
        Self::start_on(test, free_port())
    }

    /// Starts a server on the given port.
    pub fn start_on(test: &str, port: u16) -> Option<Self> {
        let bin = influxd_or_skip(test)?;
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
        fs::write(root.join("influxdb.conf"), config).expect("write influxdb.conf");
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("http client");
        let mut server = Self {
            bin,
            dir,
            child: None,
            port,
            http,
        };
        server.launch();
        Some(server)
    }

    /// Base URL of the server.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("influxd.log")
    }

    /// Starts the process (again) on the same directories and port and waits for `/ping`.
    pub fn launch(&mut self) {
        assert!(self.child.is_none(), "influxd already running");
        let log = fs::OpenOptions::new()
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
        let ping = format!("{}/ping", self.url());
        let ready = wait_for(Duration::from_secs(30), || {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("influxd exited with {status}:\n{}", self.log());
            }
            self.http
                .get(&ping)
                .send()
                .is_ok_and(|r| r.status().as_u16() == 204)
        });
        assert!(
            ready,
            "influxd did not answer /ping in 30 s:\n{}",
            self.log()
        );
    }

    /// Kills the process (SIGKILL: the harshest outage) and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Runs an InfluxQL statement that changes something (`CREATE DATABASE …`).
    pub fn exec(&self, q: &str) {
        let resp = self
            .http
            .post(format!("{}/query", self.url()))
            .query(&[("q", q)])
            .send()
            .expect("POST /query");
        assert!(resp.status().is_success(), "{q}: {:?}", resp.text());
    }

    /// Runs a query with millisecond epochs and returns the first series' rows
    /// (empty when there is none).
    pub fn rows(&self, db: &str, q: &str) -> (Vec<String>, Vec<Vec<Value>>) {
        let text = self
            .http
            .get(format!("{}/query", self.url()))
            .query(&[("db", db), ("q", q), ("epoch", "ms")])
            .send()
            .expect("GET /query")
            .text()
            .expect("query body");
        let body: Value = serde_json::from_str(&text).expect("query JSON");
        let s = &body["results"][0];
        assert!(s.get("error").is_none(), "{q}: {body}");
        let series = &s["series"][0];
        let columns = series["columns"]
            .as_array()
            .map(|c| {
                c.iter()
                    .map(|v| v.as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default();
        let values = series["values"]
            .as_array()
            .map(|rows| {
                rows.iter()
                    .map(|r| r.as_array().cloned().unwrap_or_default())
                    .collect()
            })
            .unwrap_or_default();
        (columns, values)
    }

    /// The single number a `SELECT count(…)` answers (0 when there are no rows).
    pub fn count(&self, db: &str, q: &str) -> i64 {
        let (_, rows) = self.rows(db, q);
        rows.first()
            .and_then(|r| r.get(1))
            .and_then(Value::as_i64)
            .unwrap_or(0)
    }
}

impl Drop for Influxd {
    fn drop(&mut self) {
        self.kill();
    }
}
