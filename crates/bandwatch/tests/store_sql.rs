//! `bandwatch run --store URL` against real MariaDB and PostgreSQL servers: the history and
//! the compatibility tables (`network_usage`, `alerts`) follow the JSON ticks exactly, a 30 s
//! database outage during a run loses nothing, and a database that cannot be used at start is
//! exit 2 (or the SQLite file when the store is optional) without showing the password.
//!
//! Each test works in a fresh database it creates and drops, read back with the `mariadb` and
//! `psql` command-line clients. A server that is not running skips its tests (they pass,
//! printing SKIPPED) unless `BANDWATCH_REQUIRE_ROOT_TESTS=1`, which makes them fail.

mod support;

use std::collections::BTreeMap;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bandwatch_testkit::kernel::FakeKernel;
use bandwatch_testkit::proxy::Proxy;
use bandwatch_testkit::{free_port, have, require, this_test};
use support::{bandwatch, run_on, tick_json, LineChild};

const WAIT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------------
// The servers and a fresh database per test.

/// Which server a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    MySql,
    Postgres,
}

impl Server {
    fn port(self) -> u16 {
        match self {
            Server::MySql => 3306,
            Server::Postgres => 5432,
        }
    }

    fn client(self) -> &'static str {
        match self {
            Server::MySql => "mariadb",
            Server::Postgres => "psql",
        }
    }

    /// The Debian package of the client.
    fn client_package(self) -> &'static str {
        match self {
            Server::MySql => "mariadb-client",
            Server::Postgres => "postgresql-client",
        }
    }

    /// The URL of database `name` on this server, reached at `port`.
    fn url(self, name: &str, port: u16) -> String {
        match self {
            Server::MySql => format!("mysql://root@127.0.0.1:{port}/{name}"),
            Server::Postgres => format!("postgres://postgres@127.0.0.1:{port}/{name}"),
        }
    }

    /// True when the server answers and its client is installed; otherwise SKIPPED (or a
    /// failure when `BANDWATCH_REQUIRE_ROOT_TESTS=1`).
    fn available(self) -> bool {
        let addr = format!("127.0.0.1:{}", self.port());
        let up = TcpStream::connect_timeout(&addr.parse().expect("addr"), Duration::from_secs(2))
            .is_ok();
        let mut missing = Vec::new();
        if !up {
            missing.push(format!("a {self:?} server at {addr}"));
        }
        if !have(self.client()) {
            missing.push(format!("the `{}` client", self.client()));
        }
        let fix = format!(
            "start the server with `bash .ci/deps/databases.sh`, install the client with \
             `apt-get install -y {}`",
            self.client_package()
        );
        require(&this_test(), &missing, &fix)
    }

    /// Runs `sql` in `database` with the command-line client; rows of tab-separated text.
    fn query(self, database: &str, sql: &str) -> Vec<Vec<String>> {
        let port = self.port().to_string();
        let mut cmd = Command::new(self.client());
        match self {
            Server::MySql => {
                cmd.args(["-uroot", "-h127.0.0.1", "-P", &port, "-N", "-B", "-e", sql])
                    .arg(database);
            }
            Server::Postgres => {
                cmd.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-F", "\t"])
                    .args(["-h", "127.0.0.1", "-p", &port, "-U", "postgres", "-d"])
                    .arg(database)
                    .args(["-c", sql]);
            }
        }
        let out = cmd.stdin(Stdio::null()).output().expect("database client");
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.split('\t').map(str::to_owned).collect())
            .collect()
    }

    /// The database that always exists, for creating and dropping others.
    fn admin_db(self) -> &'static str {
        match self {
            Server::MySql => "mysql",
            Server::Postgres => "postgres",
        }
    }

    /// `column` (a date-time) as `YYYY-MM-DD HH:MM:SS.mmm` text.
    fn datetime_text(self, column: &str) -> String {
        match self {
            Server::MySql => {
                format!("SUBSTRING(DATE_FORMAT({column}, '%Y-%m-%d %H:%i:%s.%f'), 1, 23)")
            }
            Server::Postgres => format!("to_char({column}, 'YYYY-MM-DD HH24:MI:SS.MS')"),
        }
    }
}

/// A database created for one test and dropped when this goes out of scope.
struct FreshDb {
    server: Server,
    name: String,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl FreshDb {
    /// A new empty database, or None when the server is not there (test skipped).
    fn create(server: Server) -> Option<Self> {
        if !server.available() {
            return None;
        }
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "bw_cli_{}_{}_{}",
            std::process::id(),
            nanos,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        server.query(server.admin_db(), &format!("CREATE DATABASE {name}"));
        Some(Self { server, name })
    }

    /// Its URL, straight to the server.
    fn url(&self) -> String {
        self.server.url(&self.name, self.server.port())
    }

    /// Its URL through a proxy on `port`.
    fn url_via(&self, port: u16) -> String {
        self.server.url(&self.name, port)
    }

    fn query(&self, sql: &str) -> Vec<Vec<String>> {
        self.server.query(&self.name, sql)
    }

    /// `network_usage` by timestamp text: (recv_rate, is_high_usage).
    fn usage(&self) -> BTreeMap<String, (f64, bool)> {
        let rows = self.query(&format!(
            "SELECT {}, recv_rate, CASE WHEN is_high_usage THEN 1 ELSE 0 END FROM network_usage",
            self.server.datetime_text("timestamp")
        ));
        let mut map = BTreeMap::new();
        for r in &rows {
            let recv: f64 = r[1].parse().expect("recv_rate");
            let old = map.insert(r[0].clone(), (recv, r[2] == "1"));
            assert!(old.is_none(), "network_usage has {} twice", r[0]);
        }
        assert_eq!(map.len(), rows.len());
        map
    }

    /// The stored raw `net_rx_bytes{scope="total"}` points: (count, sum, distinct instants).
    fn total_rx_points(&self) -> (i64, f64, i64) {
        let rows = self.query(
            "SELECT COUNT(*), COALESCE(SUM(s.value), 0), COUNT(DISTINCT s.ts) FROM bw_samples s \
             JOIN bw_series r ON r.id = s.series_id \
             WHERE r.series_key = 'net_rx_bytes{scope=\"total\"}' AND s.derived = 0",
        );
        let r = &rows[0];
        (
            r[0].parse().expect("count"),
            r[1].parse().expect("sum"),
            r[2].parse().expect("distinct"),
        )
    }
}

impl Drop for FreshDb {
    fn drop(&mut self) {
        let sql = match self.server {
            Server::MySql => format!("DROP DATABASE IF EXISTS {}", self.name),
            Server::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        };
        self.server.query(self.server.admin_db(), &sql);
    }
}

// ---------------------------------------------------------------------------------------------
// Running bandwatch on the fake kernel.

/// `bandwatch run` on the fake kernel with the system source off.
fn run_cmd(dir: &Path, kernel: &FakeKernel, args: &[&str]) -> Command {
    let mut cmd = run_on(dir, kernel.root());
    cmd.env("BANDWATCH_SYSTEM", "false").args(args);
    cmd
}

/// One JSON tick: its instant as the database's date-time text, total rx bytes and rx bit/s.
struct Tick {
    ts: String,
    rx_bytes: u64,
    rx_bps: f64,
}

fn tick(line: &str) -> Tick {
    let v = tick_json(line);
    let ts = v["ts"].as_str().expect("ts");
    let ts = ts
        .strip_suffix('Z')
        .unwrap_or_else(|| panic!("ts in UTC: {ts}"))
        .replacen('T', " ", 1);
    Tick {
        ts,
        rx_bytes: v["total"]["rx_bytes"].as_u64().expect("rx_bytes"),
        rx_bps: v["total"]["rx_bps"].as_f64().expect("rx_bps"),
    }
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

// ---------------------------------------------------------------------------------------------
// 1. The history and the compatibility tables.

/// The download limit (Mbit/s) under the fake kernel's 4 Mbit/s.
const LIMIT_MBPS: f64 = 1.0;

fn run_keeps_its_history_in_the_database_and_the_compat_tables(server: Server) {
    let Some(db) = FreshDb::create(server) else {
        return;
    };
    // 10 kB every 20 ms = 4 Mbit/s.
    let kernel = FakeKernel::start(10_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let url = db.url();
    let limit = LIMIT_MBPS.to_string();
    let bw = LineChild::spawn(run_cmd(
        dir.path(),
        &kernel,
        &[
            "--json",
            "--interval",
            "0.2",
            "--db",
            "h.db",
            "--store",
            &url,
            "--download-threshold",
            &limit,
        ],
    ));
    let mut lines: Vec<String> = (0..8).map(|_| bw.next_line(WAIT)).collect();
    bw.wait_stderr("alert fired", WAIT);
    lines.push(bw.next_line(WAIT));
    let (status, rest, stderr) = bw.terminate();
    assert!(status.success(), "exit {status}: {stderr}");
    lines.extend(rest);
    let ticks: Vec<Tick> = lines.iter().map(|l| tick(l)).collect();

    let alerts = db.query(&format!(
        "SELECT alert_type, {}, COALESCE(recv_rate, -1) FROM alerts",
        server.datetime_text("timestamp")
    ));
    // The download limit is a threshold rule on an interface: the old tool's HIGH_USAGE.
    let fired: Vec<_> = alerts.iter().filter(|r| r[0] == "HIGH_USAGE").collect();
    assert!(
        !fired.is_empty(),
        "the alerts table has a HIGH_USAGE row for download-threshold: {alerts:?}"
    );
    for r in &fired {
        let recv: f64 = r[2].parse().expect("recv_rate");
        assert!(
            recv > LIMIT_MBPS * 125_000.0,
            "the alerts row carries the rate above the limit, in bytes/s: {r:?}"
        );
    }
    // The traffic never drops below the limit, so the alert fires once and stays firing.
    let fired_at = fired.iter().map(|r| r[1].clone()).min().expect("fired");

    let usage = db.usage();
    assert_eq!(
        usage.len(),
        ticks.len(),
        "one network_usage row per JSON tick: {usage:?}"
    );
    let mut high = 0;
    for t in &ticks {
        let &(recv, is_high) = usage
            .get(&t.ts)
            .unwrap_or_else(|| panic!("no network_usage row at {}: {usage:?}", t.ts));
        let want = t.rx_bps / 8.0;
        assert!(
            (recv - want).abs() < 1e-6,
            "at {}: recv_rate {recv} but JSON says {want} bytes/s",
            t.ts
        );
        assert_eq!(
            is_high,
            t.ts >= fired_at,
            "is_high_usage at {} (the alert fired at {fired_at})",
            t.ts
        );
        high += usize::from(is_high);
    }
    assert!(high > 0, "the fixture traffic exceeds the limit: {usage:?}");

    let (count, sum, distinct) = db.total_rx_points();
    let printed: u64 = ticks.iter().map(|t| t.rx_bytes).sum();
    assert_eq!(count, ticks.len() as i64, "one raw total rx point per tick");
    assert_eq!(distinct, count);
    assert!(
        (sum - printed as f64).abs() < 0.5,
        "stored {sum} vs printed {printed} bytes"
    );

    let out = bandwatch(dir.path())
        .args(["alerts", "--store", &url])
        .output()
        .expect("alerts");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "alerts: {stdout}{stderr}");
    assert!(
        stdout.contains("download-threshold"),
        "alerts lists the alert from the database: {stdout}{stderr}"
    );
}

#[test]
fn run_keeps_its_history_in_the_database_and_the_compat_tables_mariadb() {
    run_keeps_its_history_in_the_database_and_the_compat_tables(Server::MySql);
}

#[test]
fn run_keeps_its_history_in_the_database_and_the_compat_tables_postgres() {
    run_keeps_its_history_in_the_database_and_the_compat_tables(Server::Postgres);
}

// ---------------------------------------------------------------------------------------------
// 2. A 30 s outage.

const OUTAGE: Duration = Duration::from_secs(30);

fn a_30s_database_outage_loses_nothing(server: Server) {
    let Some(db) = FreshDb::create(server) else {
        return;
    };
    let proxy = Proxy::start(format!("127.0.0.1:{}", server.port()));
    let kernel = FakeKernel::start(1_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let url = db.url_via(proxy.port);
    let bw = LineChild::spawn(run_cmd(
        dir.path(),
        &kernel,
        &[
            "--json",
            "--interval",
            "0.2",
            "--db",
            "h.db",
            "--store",
            &url,
        ],
    ));
    let mut lines: Vec<String> = (0..5).map(|_| bw.next_line(WAIT)).collect();
    proxy.cut();
    let cut_at = Instant::now();
    while cut_at.elapsed() < OUTAGE {
        lines.push(bw.next_line(WAIT));
    }
    let during = lines.len() - 5;
    let outage_log = bw.drain_errs();
    proxy.restore();
    for _ in 0..10 {
        lines.push(bw.next_line(WAIT));
    }
    let (status, rest, stderr) = bw.terminate();
    assert!(status.success(), "exit {status}: {stderr}");
    lines.extend(rest);
    let stderr = format!("{outage_log}\n{stderr}");
    assert!(
        stderr.contains("history writes failing")
            && stderr.contains("the connection to the database server is lost"),
        "the outage was noticed and logged: {stderr}"
    );
    assert!(
        during >= 100,
        "sampling went on during the outage: {during} ticks in {OUTAGE:?}"
    );
    let ticks: Vec<Tick> = lines.iter().map(|l| tick(l)).collect();

    let usage = db.usage();
    let missing: Vec<&str> = ticks
        .iter()
        .map(|t| t.ts.as_str())
        .filter(|ts| !usage.contains_key(*ts))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} JSON ticks are not in network_usage ({} rows), first {:?}; stderr: {stderr}",
        missing.len(),
        ticks.len(),
        usage.len(),
        &missing[..missing.len().min(5)]
    );
    assert_eq!(
        usage.len(),
        ticks.len(),
        "network_usage has a row per JSON tick and nothing else"
    );

    let (count, sum, distinct) = db.total_rx_points();
    let printed: u64 = ticks.iter().map(|t| t.rx_bytes).sum();
    assert_eq!(
        count,
        ticks.len() as i64,
        "every JSON tick is in bw_samples exactly once; stderr: {stderr}"
    );
    assert_eq!(distinct, count);
    assert!(
        (sum - printed as f64).abs() < 0.5,
        "stored {sum} vs printed {printed} bytes"
    );
}

#[test]
fn a_30s_database_outage_loses_nothing_mariadb() {
    a_30s_database_outage_loses_nothing(Server::MySql);
}

#[test]
fn a_30s_database_outage_loses_nothing_postgres() {
    a_30s_database_outage_loses_nothing(Server::Postgres);
}

// ---------------------------------------------------------------------------------------------
// 3. A database that cannot be used at start.

/// `bandwatch run` that should refuse to start: returns (exit code, stderr).
fn run_refused(dir: &Path, kernel: &FakeKernel, url: &str) -> (Option<i32>, String) {
    let out = run_cmd(
        dir,
        kernel,
        &[
            "--quiet",
            "--interval",
            "0.2",
            "--duration",
            "1",
            "--db",
            "h.db",
            "--store",
            url,
        ],
    )
    .output()
    .expect("run");
    let (stdout, stderr) = text(&out);
    assert!(stdout.is_empty(), "{stdout}");
    (out.status.code(), stderr)
}

#[test]
fn an_unreachable_database_at_start_is_exit_2_and_hides_the_password() {
    let kernel = FakeKernel::start(1_000);
    let dir = tempfile::tempdir().expect("tempdir");

    for scheme in ["mysql", "postgres"] {
        let port = free_port();
        let url = format!("{scheme}://root:s3cret@127.0.0.1:{port}/x");
        let (code, stderr) = run_refused(dir.path(), &kernel, &url);
        assert_eq!(code, Some(2), "{url}: {stderr}");
        assert!(stderr.contains("store.url"), "names the key: {stderr}");
        assert!(
            stderr.contains(&format!("127.0.0.1:{port}")),
            "names the address: {stderr}"
        );
        assert!(!stderr.contains("s3cret"), "shows the password: {stderr}");
    }
    assert!(
        !dir.path().join("h.db").exists(),
        "no SQLite fallback unless the store is optional"
    );

    if Server::MySql.available() {
        let url = "mysql://root:wrongpw@127.0.0.1:3306/test";
        let (code, stderr) = run_refused(dir.path(), &kernel, url);
        assert_eq!(code, Some(2), "{url}: {stderr}");
        assert!(stderr.contains("store.url"), "names the key: {stderr}");
        assert!(
            stderr.contains("refused") && stderr.contains("'root'"),
            "says the server refused the user: {stderr}"
        );
        assert!(!stderr.contains("wrongpw"), "shows the password: {stderr}");
    }

    // Optional: an unreachable database (given by the environment this time) falls back to
    // the SQLite file and the run goes on.
    let port = free_port();
    let out = run_cmd(
        dir.path(),
        &kernel,
        &[
            "--quiet",
            "--interval",
            "0.2",
            "--duration",
            "1",
            "--db",
            "h.db",
        ],
    )
    .env(
        "BANDWATCH_STORE",
        format!("mysql://root:s3cret@127.0.0.1:{port}/x"),
    )
    .env("BANDWATCH_STORE_OPTIONAL", "true")
    .output()
    .expect("run");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        dir.path().join("h.db").exists(),
        "the SQLite file took over: {stderr}"
    );
    assert!(
        !support::stored_rx_points(&dir.path().join("h.db"), "eth0").is_empty(),
        "samples went to the SQLite file"
    );
    assert!(!stderr.contains("s3cret"), "shows the password: {stderr}");
}
