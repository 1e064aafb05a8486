//! Helpers shared by bandwatch's integration tests, so each exists once: a fake kernel tree
//! ([`kernel`]), a tiny HTTP/1.1 client ([`http`]), a private InfluxDB 1.x ([`influxd`]), a TCP
//! proxy that can cut the line ([`proxy`]), and the rule for tests whose prerequisites are
//! missing ([`require`]).
//!
//! Dev-only: it depends on nothing of ours (std, tempfile and serde_json only), so the tests of
//! any crate can use it.

pub mod http;
pub mod influxd;
pub mod kernel;
pub mod proxy;
pub mod router;

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable that turns a skipped test into a failed one (`.ci/run` sets it).
pub const REQUIRE_ENV: &str = "BANDWATCH_REQUIRE_ROOT_TESTS";

/// Whether tests must fail instead of skipping when something they need is missing.
pub fn required() -> bool {
    std::env::var(REQUIRE_ENV).as_deref() == Ok("1")
}

/// Whether `test` can run: `true` when nothing is `missing`. Otherwise it panics naming what
/// is missing and `fix` (how to get it) when `BANDWATCH_REQUIRE_ROOT_TESTS=1`, or prints
/// `SKIPPED: <test> needs …` and returns `false` so the test can return early and pass.
pub fn require<S: AsRef<str>>(test: &str, missing: &[S], fix: &str) -> bool {
    if missing.is_empty() {
        return true;
    }
    let what: Vec<&str> = missing.iter().map(AsRef::as_ref).collect();
    let why = format!("{test} needs {}", what.join(", "));
    assert!(
        !required(),
        "{why}; {fix} ({REQUIRE_ENV}=1 makes this test mandatory)"
    );
    eprintln!("SKIPPED: {why}; {fix}");
    false
}

/// [`require`] for one program that must be on `PATH`.
pub fn require_program(test: &str, program: &str, fix: &str) -> bool {
    let missing = if have(program) {
        Vec::new()
    } else {
        vec![format!("the `{program}` program")]
    };
    require(test, &missing, fix)
}

/// The running test's name (libtest names each test's thread after it), or "this test".
pub fn this_test() -> String {
    std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .unwrap_or("this test")
        .to_string()
}

/// True when a program is on `PATH`.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind 127.0.0.1:0")
        .local_addr()
        .expect("local addr")
        .port()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_missing_runs() {
        assert!(require::<&str>("t", &[], "nothing to do"));
    }

    #[test]
    fn something_missing_skips_or_fails() {
        let run = || require("t", &["the `no-such-program` program"], "install it");
        if required() {
            assert!(std::panic::catch_unwind(run).is_err());
        } else {
            assert!(!run());
        }
        assert!(!have("no-such-program-bandwatch"));
    }

    #[test]
    fn wait_for_sees_a_condition_that_comes_true() {
        let mut n = 0;
        assert!(wait_for(Duration::from_secs(5), || {
            n += 1;
            n > 2
        }));
        assert!(!wait_for(Duration::from_millis(120), || false));
    }

    #[test]
    fn free_ports_can_be_bound() {
        let port = free_port();
        TcpListener::bind(("127.0.0.1", port)).unwrap();
    }
}
