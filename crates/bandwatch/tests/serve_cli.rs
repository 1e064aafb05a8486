//! `bandwatch serve`: the dashboard and API over a recorded history, read-only, without
//! sampling. Beside a running agent it follows what the agent records and changes nothing
//! (acknowledging and silencing are 409; the agent runs on and stops cleanly); a file this
//! user may only read is served and left as it was, with nothing created beside it; a
//! history that is not there is exit 2 and is never created; a token is needed beyond
//! loopback and a foreign Origin is refused, as on the agent's own dashboard; and a
//! MySQL/MariaDB or PostgreSQL history is served read-only too (real servers; SKIPPED
//! without them unless BANDWATCH_REQUIRE_ROOT_TESTS=1).

mod support;

use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bandwatch_testkit::http;
use bandwatch_testkit::kernel::FakeKernel;
use bandwatch_testkit::{have, require, this_test, wait_for};
use serde_json::Value;
use support::{bandwatch, run_on, LineChild};

/// Bytes per 20 ms: 20 Mbit/s, above the 10 Mbit/s limit the tests set.
const STEP: u64 = 50_000;
const WAIT: Duration = Duration::from_secs(30);

/// The port in a `dashboard: http://HOST:PORT/…` line.
fn port_of(line: &str) -> u16 {
    line.split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|host| host.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"))
}

/// `bandwatch run` on the fake kernel in `dir` with a 10 Mbit/s download limit, plus `args`.
fn agent(dir: &Path, kernel: &FakeKernel, args: &[&str]) -> LineChild {
    let mut cmd = run_on(dir, kernel.root());
    cmd.args(["--quiet", "--no-web", "--download-threshold", "10"])
        .args(args)
        .env("BANDWATCH_SYSTEM", "false");
    LineChild::spawn(cmd)
}

/// `bandwatch serve` in `dir` with `args`; its port once it listens.
fn serve(mut cmd: Command, args: &[&str]) -> (LineChild, u16) {
    cmd.arg("serve").args(args);
    let child = LineChild::spawn(cmd);
    let line = child.wait_stderr("dashboard: http://", WAIT);
    (child, port_of(&line))
}

/// The number of raw eth0 download points in the last 5 minutes.
fn eth0_points(port: u16) -> usize {
    http::get(
        port,
        "/api/v1/series?metric=net_rx_bits_per_second&match=iface=eth0&start=-5m&step=1s",
    )
    .map_or(0, |r| {
        r.json()["series"][0]["points"]
            .as_array()
            .map_or(0, Vec::len)
    })
}

fn post_json(port: u16, target: &str, body: &str, extra: &[(&str, &str)]) -> http::Response {
    let mut headers = vec![("Content-Type", "application/json")];
    headers.extend_from_slice(extra);
    http::request(port, "POST", target, &headers, body.as_bytes()).expect("server answers")
}

fn alerts(port: u16) -> Vec<Value> {
    http::get(port, "/api/v1/alerts")
        .expect("alerts")
        .json()
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn beside_a_running_agent_it_follows_and_changes_nothing() {
    let kernel = FakeKernel::start(STEP);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("h.db");
    let run = agent(dir.path(), &kernel, &["--db", "h.db"]);
    assert!(
        wait_for(WAIT, || db.exists()
            && support::alerts_json(dir.path(), "h.db", &[]).len() == 1),
        "no alert fired: {}",
        run.drain_errs()
    );
    let (served, port) = serve(bandwatch(dir.path()), &["--db", "h.db"]);
    let config = http::get(port, "/api/v1/config").expect("config").json();
    assert_eq!(config["read_only"], true, "{config}");
    assert_eq!(
        http::get(port, "/api/v1/status").expect("status").json()["read_only"],
        true
    );
    // The newest recorded values stand in for live ones.
    let interfaces = http::get(port, "/api/v1/interfaces")
        .expect("interfaces")
        .json();
    assert!(
        interfaces.as_array().is_some_and(|a| a
            .iter()
            .any(|i| i["name"] == "eth0" && i["rx_bps"].as_f64().is_some_and(|v| v > 1e7))),
        "{interfaces}"
    );
    // What the agent records next is served too.
    let before = eth0_points(port);
    assert!(
        wait_for(WAIT, || eth0_points(port) >= before + 3),
        "serve did not follow the agent: {before} points, then {}",
        eth0_points(port)
    );

    // Changes are refused, and nothing changed in the history.
    let alert = &alerts(port)[0];
    let id = alert["id"].as_str().expect("alert id");
    let ack = post_json(
        port,
        &format!("/api/v1/alerts/{id}/ack"),
        r#"{"by":"ops"}"#,
        &[],
    );
    assert_eq!(ack.status, 409, "{}", ack.body);
    assert!(
        ack.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("read-only") && e.contains("bandwatch run")),
        "{}",
        ack.body
    );
    let silence = post_json(
        port,
        "/api/v1/silences",
        r#"{"matcher":"rule=download-threshold"}"#,
        &[],
    );
    assert_eq!(silence.status, 409, "{}", silence.body);
    let recorded = support::alerts_json(dir.path(), "h.db", &[]);
    assert!(recorded[0]["acked_at"].is_null(), "{recorded:?}");
    assert_eq!(
        http::get(port, "/api/v1/silences")
            .expect("silences")
            .json(),
        serde_json::json!([])
    );
    // A foreign page may not even ask.
    let cross = post_json(
        port,
        "/api/v1/silences",
        "{}",
        &[("Origin", "http://evil.example")],
    );
    assert_eq!(cross.status, 403, "{}", cross.body);

    let (status, _, errs) = served.terminate();
    assert!(status.success(), "serve: {errs}");
    // The agent never noticed: it goes on and stops as always.
    assert!(db.exists());
    let (status, _, errs) = run.terminate();
    assert!(status.success(), "{errs}");
    assert!(errs.contains("bandwatch stopped"), "{errs}");
}

#[test]
fn a_missing_history_is_exit_2_and_never_created() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = bandwatch(dir.path())
        .args(["serve", "--db", "none/h.db"])
        .output()
        .expect("serve");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no history database at none/h.db"), "{err}");
    assert!(
        err.contains("--db") && err.contains("nothing was created"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        0,
        "nothing made"
    );
}

#[test]
fn beyond_loopback_a_token_is_needed_as_on_the_agents_page() {
    let kernel = FakeKernel::start(STEP);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut run = agent(dir.path(), &kernel, &["--db", "h.db", "--duration", "2"]);
    let status = support::wait_timeout(&mut run.child, WAIT);
    assert!(status.success(), "{}", run.drain_errs());
    let (served, port) = serve(
        bandwatch(dir.path()),
        &["--db", "h.db", "--listen", "0.0.0.0:0"],
    );
    let denied = http::get(port, "/api/v1/config").expect("answer");
    assert_eq!(denied.status, 401, "{}", denied.body);
    drop(served);
    let (served, port) = serve(
        bandwatch(dir.path()),
        &[
            "--db",
            "h.db",
            "--listen",
            "0.0.0.0:0",
            "--web-token",
            "sekret-token",
        ],
    );
    let auth = [("Authorization", "Bearer sekret-token")];
    let ok = http::request(port, "GET", "/api/v1/config", &auth, b"").expect("answer");
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["read_only"], true);
    let (status, _, errs) = served.terminate();
    assert!(status.success(), "{errs}");
    assert!(
        !errs.contains("sekret-token"),
        "a token the user set is not printed: {errs}"
    );
}

/// A user who may only read the file and its directory: the history is served, nothing is
/// created beside it, and the file is left byte for byte as it was. Needs root, to record as
/// one user and serve as another.
#[test]
fn a_file_this_user_may_only_read_is_served_and_left_alone() {
    if !require(
        &this_test(),
        &if support::is_root() {
            vec![]
        } else {
            vec!["root (to serve as another user)"]
        },
        "run the tests as root (CI does: bash .ci/run)",
    ) {
        return;
    }
    let kernel = FakeKernel::start(STEP);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut run = agent(dir.path(), &kernel, &["--db", "h.db", "--duration", "3"]);
    let status = support::wait_timeout(&mut run.child, WAIT);
    assert!(status.success(), "{}", run.drain_errs());
    let db = dir.path().join("h.db");
    // Readable by all, writable by root alone: the directory too.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let listing = || {
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        names.sort();
        names
    };
    let (files, bytes) = (listing(), std::fs::read(&db).expect("db"));
    // Nobody may write here: the probe proves it (as root the test could not tell).
    let probe = Command::new("sh")
        .args(["-c", "touch probe"])
        .current_dir(dir.path())
        .uid(65534)
        .gid(65534)
        .stderr(Stdio::null())
        .status()
        .expect("sh");
    assert!(
        !probe.success(),
        "the directory must not be writable for nobody"
    );

    let mut cmd = bandwatch(dir.path());
    cmd.uid(65534).gid(65534);
    let (served, port) = serve(cmd, &["--db", "h.db"]);
    assert!(eth0_points(port) >= 1, "the recorded traffic is served");
    assert_eq!(alerts(port).len(), 1);
    assert_eq!(listing(), files, "nothing was created beside the history");
    let (status, _, errs) = served.terminate();
    assert!(status.success(), "{errs}");
    assert_eq!(
        std::fs::read(&db).expect("db"),
        bytes,
        "the file is as it was"
    );
    assert_eq!(listing(), files);
}

// ---------------------------------------------------------------------------------------------
// MySQL/MariaDB and PostgreSQL, through their command-line clients.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    MySql,
    Postgres,
}

impl Server {
    fn url(self, db: &str) -> String {
        match self {
            Server::MySql => format!("mysql://root@127.0.0.1:3306/{db}"),
            Server::Postgres => format!("postgres://postgres@127.0.0.1:5432/{db}"),
        }
    }

    /// Runs `sql` in `db`; rows of tab-separated text.
    fn query(self, db: &str, sql: &str) -> Vec<String> {
        let mut cmd = match self {
            Server::MySql => {
                let mut c = Command::new("mariadb");
                c.args(["-uroot", "-h127.0.0.1", "-N", "-B", "-e", sql, db]);
                c
            }
            Server::Postgres => {
                let mut c = Command::new("psql");
                c.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
                    .args(["-h", "127.0.0.1", "-U", "postgres", "-d", db, "-c", sql]);
                c
            }
        };
        let out = cmd.stdin(Stdio::null()).output().expect("database client");
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn admin_db(self) -> &'static str {
        match self {
            Server::MySql => "mysql",
            Server::Postgres => "postgres",
        }
    }

    fn available(self) -> bool {
        let (client, port) = match self {
            Server::MySql => ("mariadb", 3306),
            Server::Postgres => ("psql", 5432),
        };
        let addr = format!("127.0.0.1:{port}");
        let mut missing = Vec::new();
        if std::net::TcpStream::connect_timeout(
            &addr.parse().expect("addr"),
            Duration::from_secs(2),
        )
        .is_err()
        {
            missing.push(format!("a {self:?} server at {addr}"));
        }
        if !have(client) {
            missing.push(format!("the `{client}` client"));
        }
        require(
            &this_test(),
            &missing,
            "start it with `bash .ci/deps/databases.sh`",
        )
    }
}

/// A database made for one test, dropped at the end.
struct FreshDb {
    server: Server,
    name: String,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl FreshDb {
    fn create(server: Server) -> Option<Self> {
        if !server.available() {
            return None;
        }
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "bw_serve_{}_{nanos}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        server.query(server.admin_db(), &format!("CREATE DATABASE {name}"));
        Some(Self { server, name })
    }

    fn count(&self, table: &str) -> usize {
        self.server
            .query(&self.name, &format!("SELECT COUNT(*) FROM {table}"))[0]
            .trim()
            .parse()
            .expect("a count")
    }

    fn tables(&self) -> usize {
        let schema = match self.server {
            Server::MySql => "DATABASE()",
            Server::Postgres => "'public'",
        };
        self.server.query(
            &self.name,
            &format!(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = {schema}"
            ),
        )[0]
        .trim()
        .parse()
        .expect("a count")
    }
}

impl Drop for FreshDb {
    fn drop(&mut self) {
        let force = if self.server == Server::Postgres {
            " WITH (FORCE)"
        } else {
            ""
        };
        self.server.query(
            self.server.admin_db(),
            &format!("DROP DATABASE IF EXISTS {}{force}", self.name),
        );
    }
}

fn a_sql_history_is_served_read_only(kind: Server) {
    let Some(db) = FreshDb::create(kind) else {
        return;
    };
    let url = kind.url(&db.name);
    let dir = tempfile::tempdir().expect("tempdir");
    // An empty database is refused, and left empty.
    let out = bandwatch(dir.path())
        .args(["serve", "--store", &url])
        .output()
        .expect("serve");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no bandwatch history") && err.contains("--store"),
        "{err}"
    );
    assert_eq!(db.tables(), 0, "serve created nothing");

    let kernel = FakeKernel::start(STEP);
    let mut run = agent(dir.path(), &kernel, &["--store", &url, "--duration", "4"]);
    let status = support::wait_timeout(&mut run.child, WAIT);
    assert!(status.success(), "{}", run.drain_errs());
    let (samples, alerts_before) = (db.count("bw_samples"), db.count("bw_alert"));
    assert!(alerts_before >= 1, "the agent recorded an alert");

    let (served, port) = serve(bandwatch(dir.path()), &["--store", &url]);
    assert_eq!(
        http::get(port, "/api/v1/config").expect("config").json()["read_only"],
        true
    );
    assert!(eth0_points(port) >= 2, "the recorded traffic is served");
    let id = alerts(port)[0]["id"].as_str().expect("id").to_string();
    assert_eq!(
        post_json(port, &format!("/api/v1/alerts/{id}/ack"), "{}", &[]).status,
        409
    );
    assert_eq!(
        post_json(port, "/api/v1/silences", r#"{"matcher":"rule=x"}"#, &[]).status,
        409
    );
    let (status, _, errs) = served.terminate();
    assert!(status.success(), "{errs}");
    assert_eq!(db.count("bw_samples"), samples);
    assert_eq!(db.count("bw_silence"), 0);
    assert_eq!(
        db.server.query(
            &db.name,
            "SELECT COUNT(*) FROM bw_alert WHERE acked_at IS NOT NULL"
        )[0]
        .trim(),
        "0"
    );
}

#[test]
fn a_mysql_history_is_served_read_only() {
    a_sql_history_is_served_read_only(Server::MySql);
}

#[test]
fn a_postgres_history_is_served_read_only() {
    a_sql_history_is_served_read_only(Server::Postgres);
}
