//! A private InfluxDB 1.x per test: its own config, data and log in a temp dir, HTTP on a
//! free port of 127.0.0.1, killed on drop; and the InfluxQL helpers the tests read back with.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::http::{self, percent_encode};
use crate::{free_port, require, wait_for};

/// How to get influxd when it is missing.
const FIX: &str = "install it with `apt-get install -y influxdb` or name it in BANDWATCH_INFLUXD";

/// The influxd binary (`BANDWATCH_INFLUXD` when set, else on `PATH` or in /usr/bin), or
/// `None` after [`require`] said SKIPPED (it fails when `BANDWATCH_REQUIRE_ROOT_TESTS=1`).
pub fn binary_or_skip(test: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let candidates: Vec<PathBuf> = match std::env::var_os("BANDWATCH_INFLUXD") {
        Some(explicit) => vec![PathBuf::from(explicit)],
        None => std::env::split_paths(&path)
            .map(|d| d.join("influxd"))
            .chain([PathBuf::from("/usr/bin/influxd")])
            .collect(),
    };
    let found = candidates.into_iter().find(|p| p.is_file());
    let missing: &[&str] = if found.is_some() { &[] } else { &["influxd"] };
    require(test, missing, FIX);
    found
}

/// A private InfluxDB 1.x with all its state in a temp dir; killed on drop.
pub struct Influxd {
    bin: PathBuf,
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// The HTTP port on 127.0.0.1.
    pub port: u16,
}

impl Influxd {
    /// Starts a server on a free port, or `None` when influxd is missing (see
    /// [`binary_or_skip`]).
    pub fn start(test: &str) -> Option<Self> {
        Self::start_on(test, free_port())
    }

    /// Starts a server on the given port, or `None` when influxd is missing.
    pub fn start_on(test: &str, port: u16) -> Option<Self> {
        let bin = binary_or_skip(test)?;
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

    /// Base URL of the server.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("influxd.log")
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Starts the process (again) on the same directories and port and waits for `/ping`.
    pub fn launch(&mut self) {
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
            http::get(port, "/ping").is_ok_and(|r| r.status == 204)
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

    /// Runs an InfluxQL statement that changes something (`CREATE DATABASE …`).
    pub fn exec(&self, q: &str) {
        let target = format!("/query?q={}", percent_encode(q));
        let resp = http::request(self.port, "POST", &target, &[], b"").expect("POST /query");
        assert!(resp.status / 100 == 2, "{q}: {} {}", resp.status, resp.body);
    }

    /// Runs a query in `db` with millisecond epochs and returns the first series' columns and
    /// rows (both empty when there is none).
    pub fn rows(&self, db: &str, q: &str) -> (Vec<String>, Vec<Vec<Value>>) {
        let target = format!(
            "/query?db={}&epoch=ms&q={}",
            percent_encode(db),
            percent_encode(q)
        );
        let body = http::get(self.port, &target).expect("GET /query").json();
        let result = &body["results"][0];
        assert!(result.get("error").is_none(), "{q}: {body}");
        let series = &result["series"][0];
        let columns = each(&series["columns"], |v| {
            v.as_str().unwrap_or_default().to_string()
        });
        let values = each(&series["values"], |r| {
            r.as_array().cloned().unwrap_or_default()
        });
        (columns, values)
    }

    /// The first value (after the time) of the first row a query answers, `None` when there
    /// is no row.
    pub fn scalar(&self, db: &str, q: &str) -> Option<Value> {
        let (_, rows) = self.rows(db, q);
        rows.first().and_then(|r| r.get(1)).cloned()
    }

    /// The single number a `SELECT count(…)` answers (0 when there are no rows).
    pub fn count(&self, db: &str, q: &str) -> i64 {
        self.scalar(db, q)
            .as_ref()
            .and_then(Value::as_i64)
            .unwrap_or(0)
    }
}

/// `f` of every element of a JSON array (nothing when `v` is not one).
fn each<T>(v: &Value, f: impl Fn(&Value) -> T) -> Vec<T> {
    v.as_array()
        .map(|items| items.iter().map(f).collect())
        .unwrap_or_default()
}

impl Drop for Influxd {
    fn drop(&mut self) {
        self.kill();
    }
}
