//! How `bandwatch run` serves the dashboard: the URL it prints, a token generated (and then
//! required) when it listens beyond loopback, the token from `--web-token`, the seed tool's
//! `DASHBOARD_HOST`/`DASHBOARD_PORT`, `--no-web`, a chosen port that is taken (exit 2
//! naming it), and the names it answers to (a DNS-rebinding page is refused; a name in
//! `web.allowed_hosts` is served).

mod support;

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

use bandwatch_testkit::http;
use bandwatch_testkit::kernel::FakeKernel;
use support::LineChild;

fn run(
    dir: &Path,
    kernel: &FakeKernel,
    args: &[&str],
    env: &[(&str, &str)],
) -> std::process::Command {
    let mut cmd = support::run_on(dir, kernel.root());
    cmd.args(["--quiet", "--db", "h.db"])
        .env("BANDWATCH_SYSTEM", "false")
        .envs(env.iter().copied())
        .args(args);
    cmd
}

/// The URL line on stderr: (port, token).
fn announced(child: &LineChild) -> (u16, Option<String>) {
    let line = child.wait_stderr("dashboard: http://", Duration::from_secs(20));
    let url = line
        .split("dashboard: ")
        .nth(1)
        .expect("url")
        .trim()
        .to_string();
    let (base, token) = match url.split_once("/?token=") {
        Some((b, t)) => (b.to_string(), Some(t.to_string())),
        None => (url.trim_end_matches('/').to_string(), None),
    };
    let port = base
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    (port, token)
}

#[test]
fn beyond_loopback_a_token_is_generated_and_required() {
    let kernel = FakeKernel::start(1000);
    let dir = tempfile::tempdir().expect("tempdir");
    let child = LineChild::spawn(run(dir.path(), &kernel, &["--listen", "0.0.0.0:0"], &[]));
    let (port, token) = announced(&child);
    let token = token.expect("a token is printed for a non-loopback listener");
    assert_eq!(token.len(), 32);
    let denied = http::get(port, "/api/v1/config").expect("answer");
    assert_eq!(denied.status, 401, "{}", denied.body);
    assert!(denied.json()["error"]
        .as_str()
        .is_some_and(|e| e.contains("token")));
    assert_eq!(http::get(port, "/").expect("page").status, 401);
    let auth = format!("Bearer {token}");
    let ok = http::request(
        port,
        "GET",
        "/api/v1/config",
        &[("Authorization", &auth)],
        b"",
    )
    .expect("answer");
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json()["token_required"], true);
    let login = http::get(port, &format!("/?token={token}")).expect("login");
    assert_eq!(login.status, 303, "redirect after setting the cookie");
    let (status, _, errs) = child.terminate();
    assert!(status.success(), "{errs}");
    assert!(
        !errs.contains(&token),
        "the token appears once, in the URL line only"
    );
}

#[test]
fn a_given_token_and_the_seed_dashboard_variables_are_used() {
    let kernel = FakeKernel::start(1000);
    let dir = tempfile::tempdir().expect("tempdir");
    let port = bandwatch_testkit::free_port();
    let env = [
        ("DASHBOARD_HOST", "127.0.0.1"),
        ("DASHBOARD_PORT", &*port.to_string()),
        ("DASHBOARD_AUTO_REFRESH", "5"),
    ];
    let mut cmd = run(
        dir.path(),
        &kernel,
        &["--web-token", "correct-horse-battery"],
        &env,
    );
    // BANDWATCH_WEB_LISTEN would win over the seed variables.
    cmd.env_remove("BANDWATCH_WEB_LISTEN");
    let child = LineChild::spawn(cmd);
    let (got, token) = announced(&child);
    assert_eq!(got, port, "DASHBOARD_PORT is honoured");
    assert_eq!(token, None, "a token the user set is never printed");
    let ok = http::request(
        port,
        "GET",
        "/api/v1/snapshot",
        &[("Cookie", "bandwatch_token=correct-horse-battery")],
        b"",
    )
    .expect("answer");
    assert_eq!(ok.status, 200, "{}", ok.body);
    let config = http::request(
        port,
        "GET",
        "/api/v1/config",
        &[("Authorization", "Bearer correct-horse-battery")],
        b"",
    )
    .expect("answer");
    assert_eq!(
        config.json()["auto_refresh_s"],
        5.0,
        "DASHBOARD_AUTO_REFRESH is honoured"
    );
    let bearer = [("Authorization", "Bearer correct-horse-battery")];
    let catalog = http::request(port, "GET", "/api/v1/catalog", &bearer, b"")
        .expect("answer")
        .json();
    let metrics = catalog["metrics"]
        .as_array()
        .expect("the catalogue's metrics");
    assert_eq!(metrics.len(), bandwatch_collect::catalog().metrics().len());
    assert!(
        metrics
            .iter()
            .any(|m| m["role"] == "rx_rate" && m["source"] == "netdev"),
        "{catalog}"
    );
    let status = http::request(port, "GET", "/api/v1/status", &bearer, b"")
        .expect("answer")
        .json();
    assert!(
        status["sources"].is_array() && status["sinks"].is_array(),
        "{status}"
    );
    let (status, _, errs) = child.terminate();
    assert!(status.success(), "{errs}");
    assert!(!errs.contains("correct-horse-battery"), "{errs}");
    for log in logs_under(dir.path()) {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            !text.contains("correct-horse-battery"),
            "the token reached {}",
            log.display()
        );
    }
}

/// Every log file a run left under `dir`.
fn logs_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.to_string_lossy().contains(".log") {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn no_web_serves_nothing() {
    let kernel = FakeKernel::start(1000);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(dir.path(), &kernel, &["--no-web", "--duration", "1.5"], &[])
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("dashboard:"));
}

#[test]
fn a_chosen_port_in_use_is_exit_2_naming_it() {
    let kernel = FakeKernel::start(1000);
    let dir = tempfile::tempdir().expect("tempdir");
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let out = run(
        dir.path(),
        &kernel,
        &["--listen", &addr, "--duration", "5"],
        &[],
    )
    .output()
    .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot listen on {addr}")) && err.contains("--listen"),
        "{err}"
    );
    assert!(
        !dir.path().join("h.db").exists(),
        "nothing is written before the start is refused"
    );
}

#[test]
fn the_default_port_taken_only_skips_the_dashboard() {
    // Held here, or already held by something else: either way 8080 is taken.
    let _held = TcpListener::bind("127.0.0.1:8080");
    let kernel = FakeKernel::start(1000);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = run(dir.path(), &kernel, &["--duration", "2"], &[]);
    cmd.env_remove("BANDWATCH_WEB_LISTEN");
    let out = cmd.output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "sampling goes on: {err}");
    assert!(
        err.contains("the dashboard is not served") && err.contains("--listen"),
        "{err}"
    );
    assert!(
        err.contains("bandwatch stopped"),
        "it ran to its end: {err}"
    );
}

/// One raw HTTP/1.1 request to 127.0.0.1:`port` carrying `host` as its Host header, as a
/// browser sends it for a page whose name now resolves to this machine: (status, head, body).
fn raw(
    port: u16,
    method: &str,
    target: &str,
    host: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let extra: String = headers
        .iter()
        .flat_map(|(k, v)| [*k, ": ", *v, "\r\n"])
        .collect();
    let head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n{extra}\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).expect("send head");
    s.write_all(body.as_bytes()).expect("send body");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status");
    (status, head.to_string(), body.to_string())
}

#[test]
fn a_rebinding_name_is_refused_and_an_allowed_one_served() {
    let kernel = FakeKernel::start(1000);
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [("BANDWATCH_WEB_ALLOWED_HOSTS", "bandwatch.test, Other.Test")];
    let child = LineChild::spawn(run(dir.path(), &kernel, &[], &env));
    let (port, token) = announced(&child);
    assert_eq!(token, None, "loopback: no token to hide behind");
    let rebind = format!("rebind.example:{port}");
    let origin = format!("http://{rebind}");
    for target in ["/api/v1/config", "/api/v1/alerts", "/metrics", "/"] {
        let (status, _, body) = raw(port, "GET", target, &rebind, &[], "");
        assert_eq!(status, 421, "{target}: {body}");
        assert!(body.contains("web.allowed_hosts"), "{target}: {body}");
    }
    let json = ("Content-Type", "application/json");
    let silence = r#"{"matcher":"rule=download-threshold","duration":"30d"}"#;
    let (status, _, body) = raw(
        port,
        "POST",
        "/api/v1/silences",
        &rebind,
        &[json, ("Origin", &origin)],
        silence,
    );
    assert_eq!(status, 421, "a rebinding page creates no silence: {body}");

    let named = format!("bandwatch.test:{port}");
    let (status, _, body) = raw(port, "GET", "/api/v1/config", &named, &[], "");
    assert_eq!(status, 200, "a name in web.allowed_hosts is served: {body}");
    let other = format!("other.test:{port}");
    let (status, _, body) = raw(
        port,
        "POST",
        "/api/v1/silences",
        &other,
        &[json, ("Origin", &format!("http://{other}"))],
        r#"{"matcher":"rule=x","duration":"1h"}"#,
    );
    assert_eq!(
        status, 201,
        "from its own origin it may change state: {body}"
    );
    let silences = http::get(port, "/api/v1/silences").expect("answer").json();
    assert_eq!(
        silences.as_array().map(Vec::len),
        Some(1),
        "only the allowed name's silence: {silences}"
    );

    let (status, head, body) = raw(port, "DELETE", "/api/v1/config", &named, &[], "");
    assert_eq!(status, 405, "{body}");
    assert!(
        head.to_ascii_lowercase().contains("allow: get,head"),
        "{head}"
    );
    assert!(body.contains("\"error\""), "{body}");
    let (status, _, errs) = child.terminate();
    assert!(status.success(), "{errs}");
}
