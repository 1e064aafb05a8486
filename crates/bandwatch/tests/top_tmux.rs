//! `bandwatch top` as a person sees it: the real binary in a tmux pane, read back with
//! `capture-pane`, over a fake kernel whose eth0 receives 10 Mbit/s.
//!
//! Standalone, the screen must show that rate, switch to bytes on `u`, and `q` must exit 0
//! with the terminal given back, at once although a probe round is still waiting for a
//! silent HTTP server. Attached (`--connect`) to a real `bandwatch run` that wants a token,
//! the token from `BANDWATCH_WEB_TOKEN` must show the agent's rate and `q` exit 0; a wrong
//! token must exit 2 naming `--web-token` and `BANDWATCH_WEB_TOKEN`, before the screen changes.

mod support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use bandwatch_testkit::kernel::FakeKernel;
use bandwatch_testkit::{require_program, this_test, wait_for};
use support::LineChild;

/// 25 000 bytes every 20 ms: 10.00 Mbit/s on eth0.
const STEP: u64 = 25_000;
/// The agent's token in the attached tests.
const TOKEN: &str = "correct-horse-battery";

/// A tmux server of this test's own (`-L`), so no other session is touched, with one 80×24
/// pane named `top`.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts the server running `script` in the pane; `None` (the test skipped) without tmux.
    fn start(script: &Path) -> Option<Self> {
        let test = this_test();
        if !require_program(&test, "tmux", "install tmux (apt-get install tmux)") {
            return None;
        }
        let tag: String = test
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let tmux = Self {
            socket: format!("bandwatch-{tag}-{}", std::process::id()),
        };
        let out = tmux.run(&[
            "new-session",
            "-d",
            "-s",
            "top",
            "-x",
            "80",
            "-y",
            "24",
            &format!("sh {}", quoted(&script.display().to_string())),
        ]);
        assert!(out.status.success(), "tmux new-session: {out:?}");
        Some(tmux)
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "top"]).stdout).into_owned()
    }

    fn keys(&self, keys: &str) {
        let out = self.run(&["send-keys", "-t", "top", keys]);
        assert!(out.status.success(), "send-keys: {out:?}");
    }

    /// Waits until the screen shows eth0 at about 10 Mbps, and returns that screen.
    fn wait_for_eth0_at_10_mbps(&self) -> String {
        let mut screen = String::new();
        let shown = wait_for(Duration::from_secs(30), || {
            screen = self.screen();
            eth0_mbps(&screen).is_some_and(|r| (8.0..=12.0).contains(&r))
        });
        assert!(shown, "eth0 at about 10 Mbps on screen:\n{screen}");
        screen
    }

    /// Sends `q`; the exit status must follow within `limit`, with the alternate screen left.
    fn quit(&self, dir: &Path, limit: Duration) -> String {
        self.keys("q");
        let code = exit_code(dir, limit)
            .unwrap_or_else(|| panic!("`q` ends bandwatch top:\n{}", self.screen()));
        let after = self.screen();
        assert!(
            !after.contains("Interfaces ("),
            "the alternate screen is left on exit:\n{after}"
        );
        code
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// `s` in single quotes for sh.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A script in `dir` that runs the binary there with `args` in a clean environment plus
/// `env`, its stderr into `dir/stderr` and its exit status into `dir/exit`, then keeps the
/// pane open so that it can still be read.
fn script(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> PathBuf {
    let path = dir.join("top.sh");
    let q = |p: &Path| quoted(&p.display().to_string());
    let env: Vec<String> = env
        .iter()
        .map(|(k, v)| format!("{k}={}", quoted(v)))
        .collect();
    let args: Vec<String> = args.iter().map(|a| quoted(a)).collect();
    let text = format!(
        "cd {dir} || exit 9\n\
         env -i PATH=\"$PATH\" HOME={dir} TERM=\"$TERM\" NO_COLOR=1 {env} {bin} {args} 2> {stderr}\n\
         echo $? > {exit}\n\
         sleep 600\n",
        dir = q(dir),
        env = env.join(" "),
        bin = quoted(support::bin()),
        args = args.join(" "),
        stderr = q(&dir.join("stderr")),
        exit = q(&dir.join("exit")),
    );
    std::fs::write(&path, text).expect("script");
    path
}

/// The exit status the script wrote, once it is there (within `limit`).
fn exit_code(dir: &Path, limit: Duration) -> Option<String> {
    let exit = dir.join("exit");
    let mut code = String::new();
    let written = wait_for(limit, || {
        code = std::fs::read_to_string(&exit).unwrap_or_default();
        code.ends_with('\n')
    });
    written.then(|| code.trim().to_string())
}

/// The figure before ` Mbps` on eth0's row of the interfaces table.
fn eth0_mbps(screen: &str) -> Option<f64> {
    let row = eth0_row(screen)?;
    let words: Vec<&str> = row.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "Mbps")?;
    words.get(at.checked_sub(1)?)?.parse().ok()
}

/// eth0's row of the interfaces table (focused or not), without its borders.
fn eth0_row(screen: &str) -> Option<&str> {
    screen
        .lines()
        .filter_map(|l| l.split(['┃', '│']).nth(1))
        .find(|row| row.starts_with("eth0 "))
}

/// An HTTP server on loopback that takes connections and never answers: a probe of it waits
/// for its whole timeout.
fn silent_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming() {
            held.push(conn);
        }
    });
    port
}

/// `bandwatch run` over `kernel` with its dashboard on a loopback port of its own and
/// [`TOKEN`] required; returns it with the dashboard's address.
fn agent(dir: &Path, kernel: &FakeKernel) -> (LineChild, String) {
    let mut cmd = support::run_on(dir, kernel.root());
    cmd.args(["--quiet", "--db", "h.db", "--interval", "0.5"])
        .args(["--listen", "127.0.0.1:0", "--web-token", TOKEN])
        .env("BANDWATCH_SYSTEM", "false");
    let run = LineChild::spawn(cmd);
    let line = run.wait_stderr("dashboard: http://", Duration::from_secs(20));
    let url = line
        .split("dashboard: ")
        .nth(1)
        .expect("url")
        .trim()
        .trim_end_matches('/')
        .to_string();
    (run, url)
}

#[test]
fn top_shows_real_rates_switches_units_and_quits_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kernel = FakeKernel::start(STEP);
    // The first probe round waits 60 s for the silent server; `q` must not.
    let config = format!(
        "[probe]\ninterval = \"120s\"\ntimeout = \"60s\"\ncount = 1\n\
         targets = [{{ name = \"silent\", target = \"http://127.0.0.1:{}/\" }}]\n",
        silent_server()
    );
    std::fs::write(dir.path().join("bandwatch.toml"), config).expect("config");
    let (proc_root, sys_root) = (kernel.proc_root(), kernel.sys_root());
    let script = script(
        dir.path(),
        &[
            "top",
            "--interval",
            "0.5",
            "--proc-root",
            &proc_root.display().to_string(),
            "--sys-root",
            &sys_root.display().to_string(),
        ],
        &[],
    );
    let Some(tmux) = Tmux::start(&script) else {
        return;
    };

    let screen = tmux.wait_for_eth0_at_10_mbps();
    for part in [
        "Interfaces",
        "Devices",
        "Probes",
        "Alerts firing",
        "q quit",
        "peak ↓",
    ] {
        assert!(screen.contains(part), "{part} on screen:\n{screen}");
    }
    eprintln!("{screen}");

    tmux.keys("u");
    let mut screen = String::new();
    let bytes = wait_for(Duration::from_secs(10), || {
        screen = tmux.screen();
        screen.contains("[bytes]") && eth0_row(&screen).is_some_and(|r| r.contains("MiB/s"))
    });
    assert!(bytes, "rates in bytes after `u`:\n{screen}");

    // Well within the probe's 60 s: the process does not wait for the round under way.
    let code = tmux.quit(dir.path(), Duration::from_secs(20));
    assert_eq!(code, "0", "exit status");
}

#[test]
fn top_attached_to_a_running_agent_shows_its_rates_with_the_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kernel = FakeKernel::start(STEP);
    let (run, url) = agent(dir.path(), &kernel);
    let view = tempfile::tempdir().expect("tempdir");
    let script = script(
        view.path(),
        &["top", "--connect", &url],
        &[("BANDWATCH_WEB_TOKEN", TOKEN)],
    );
    let Some(tmux) = Tmux::start(&script) else {
        return;
    };

    let screen = tmux.wait_for_eth0_at_10_mbps();
    assert!(
        screen.contains(&url),
        "the agent's address in the title:\n{screen}"
    );
    eprintln!("{screen}");

    let code = tmux.quit(view.path(), Duration::from_secs(20));
    assert_eq!(code, "0", "exit status");
    let stderr = std::fs::read_to_string(view.path().join("stderr")).unwrap_or_default();
    assert!(
        !stderr.contains(TOKEN),
        "the token is never shown: {stderr}"
    );
    let (status, _, errs) = run.terminate();
    assert!(status.success(), "the agent: {errs}");
}

#[test]
fn top_attached_with_a_wrong_token_exits_2_naming_the_token_settings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kernel = FakeKernel::start(STEP);
    let (_run, url) = agent(dir.path(), &kernel);
    let view = tempfile::tempdir().expect("tempdir");
    let wrong = "not-the-right-token";
    // In a terminal: without one, top would refuse for that before asking the agent.
    let script = script(
        view.path(),
        &["top", "--connect", &url],
        &[("BANDWATCH_WEB_TOKEN", wrong)],
    );
    let Some(tmux) = Tmux::start(&script) else {
        return;
    };

    let code = exit_code(view.path(), Duration::from_secs(20))
        .unwrap_or_else(|| panic!("top ends by itself:\n{}", tmux.screen()));
    let stderr = std::fs::read_to_string(view.path().join("stderr")).expect("stderr");
    assert_eq!(code, "2", "bad input: {stderr}");
    for part in ["--web-token", "BANDWATCH_WEB_TOKEN", &url] {
        assert!(stderr.contains(part), "{part} in the message: {stderr}");
    }
    assert!(
        !stderr.contains(wrong),
        "the token is never shown: {stderr}"
    );
    assert!(
        !stderr.contains("panicked"),
        "a plain error, not a panic: {stderr}"
    );
}
