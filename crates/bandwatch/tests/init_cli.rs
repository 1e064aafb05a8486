//! `bandwatch init`: on a real terminal (a tmux pane, driven with send-keys and read with
//! capture-pane) it asks its questions, proposes the default gateway of the route table it
//! reads, keeps the SMTP password off the screen and out of the summary, and writes a file
//! that `config check` accepts; interrupted, it leaves nothing behind. Without a terminal,
//! or with `--defaults`, it writes the defaults; it never replaces a file without `--force`.
//!
//! The terminal test needs tmux; without it it is SKIPPED, or fails when
//! BANDWATCH_REQUIRE_ROOT_TESTS=1.

mod support;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use bandwatch_testkit::{require_program, this_test, wait_for};
use support::bandwatch;

const NET_DEV: &str = "\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0:  500000     400    0    0    0     0          0         0   200000     300    0    0    0     0       0          0
 wlan0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
";

/// An address as this machine's kernel prints it in `/proc/net/route`.
fn hex(a: [u8; 4]) -> String {
    format!("{:08X}", u32::from_ne_bytes(a))
}

/// A proc tree whose route table has its default route through 192.168.1.1 on eth0.
fn proc_tree(dir: &Path) -> PathBuf {
    let proc = dir.join("proc");
    std::fs::create_dir_all(proc.join("net")).expect("mkdir");
    std::fs::write(proc.join("net/dev"), NET_DEV).expect("net/dev");
    let route = format!(
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
         eth0\t{}\t{}\t0003\t0\t0\t100\t{}\t0\t0\t0\n\
         eth0\t{}\t{}\t0001\t0\t0\t100\t{}\t0\t0\t0\n",
        hex([0; 4]),
        hex([192, 168, 1, 1]),
        hex([0; 4]),
        hex([192, 168, 1, 0]),
        hex([0; 4]),
        hex([255, 255, 255, 0]),
    );
    std::fs::write(proc.join("net/route"), route).expect("net/route");
    proc
}

fn names(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    n.sort();
    n
}

fn config_check(dir: &Path, file: &str) -> Output {
    bandwatch(dir)
        .args(["config", "check", "--config", file])
        .output()
        .expect("config check")
}

// ---------------------------------------------------------------------------------------------
// A tmux pane as the terminal.

/// A tmux server of this test's own (its own socket), killed when dropped.
struct Pane {
    socket: String,
}

impl Pane {
    /// Runs `command` in a new 160x50 pane with `dir` as working directory.
    fn start(dir: &Path, command: &str) -> Self {
        let socket = format!(
            "bw-init-{}-{}",
            std::process::id(),
            this_test().replace([':', ' '], "-")
        );
        let pane = Self { socket };
        let ok = pane
            .tmux()
            .args(["new-session", "-d", "-x", "160", "-y", "50", "-c"])
            .arg(dir)
            .arg(command)
            .status()
            .expect("tmux runs");
        assert!(ok.success(), "tmux new-session failed");
        pane
    }

    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]).stdin(Stdio::null());
        c
    }

    /// Everything on the screen and in its history.
    fn text(&self) -> String {
        let out = self
            .tmux()
            .args(["capture-pane", "-p", "-J", "-S", "-1000"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows `needle` (questions appear as the program asks them).
    fn wait(&self, needle: &str) {
        let shown = wait_for(Duration::from_secs(20), || self.text().contains(needle));
        assert!(
            shown,
            "the terminal never showed {needle:?}:\n{}",
            self.text()
        );
    }

    /// Types `keys` and Enter, once the screen shows `after`.
    fn answer(&self, after: &str, keys: &str) {
        self.wait(after);
        if !keys.is_empty() {
            let ok = self
                .tmux()
                .args(["send-keys", "-l", keys])
                .status()
                .expect("send-keys");
            assert!(ok.success());
        }
        let ok = self
            .tmux()
            .args(["send-keys", "Enter"])
            .status()
            .expect("send-keys");
        assert!(ok.success());
    }

    fn keys(&self, key: &str) {
        let ok = self
            .tmux()
            .args(["send-keys", key])
            .status()
            .expect("send-keys");
        assert!(ok.success());
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}

/// The pane's command: init, then its exit code on the screen. The shell outlives a Ctrl+C
/// (its trap handler is not inherited: init gets the default, and dies of it).
fn init_in_pane(proc: &Path, extra: &str) -> String {
    format!(
        "trap : INT; env -i PATH=/usr/bin:/bin HOME=/tmp TERM=xterm {} init --proc-root {} {extra}; echo INIT-EXIT=$?; sleep 60",
        support::bin(),
        proc.display()
    )
}

#[test]
fn on_a_terminal_it_asks_and_never_shows_the_password() {
    if !require_program(&this_test(), "tmux", "apt-get install -y tmux") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let proc = proc_tree(dir.path());
    let work = dir.path().join("work");
    std::fs::create_dir(&work).expect("mkdir");
    let pane = Pane::start(&work, &init_in_pane(&proc, ""));
    pane.answer("this machine has eth0, wlan0", "eth*");
    pane.answer("Upload (sending) limit in Mbit/s [50]", "twenty");
    pane.answer("is not a number of megabits", "20");
    pane.answer("Download (receiving) limit in Mbit/s [100]", "");
    pane.wait("your default gateway is 192.168.1.1 (on eth0)");
    pane.answer("Router address or host name, or none [192.168.1.1]", "");
    pane.answer("Notify by email, webhook or none [none]", "email");
    pane.answer("SMTP server", "smtp.example.com");
    pane.answer("SMTP port (587 for STARTTLS) [587]", "");
    pane.answer("SMTP user name", "alerts@example.com");
    pane.answer("SMTP password (not shown as you type)", "hunter2-s3cret");
    pane.answer("Sender address [alerts@example.com]", "");
    pane.answer("Send alerts to", "ops@example.com, noc@example.com");
    pane.wait("INIT-EXIT=");
    let screen = pane.text();
    assert!(screen.contains("INIT-EXIT=0"), "{screen}");
    assert!(
        !screen.contains("hunter2"),
        "the password reached the screen:\n{screen}"
    );
    assert!(screen.contains("wrote bandwatch.toml"), "{screen}");
    assert!(
        screen.contains("password saved in the file, not shown"),
        "{screen}"
    );

    let file = work.join("bandwatch.toml");
    let text = std::fs::read_to_string(&file).expect("written");
    assert!(text.contains("interfaces = [\"eth*\"]"), "{text}");
    assert!(text.contains("upload_mbps = 20.0"), "{text}");
    assert!(text.contains("target = \"192.168.1.1\""), "{text}");
    assert!(text.contains("password = \"hunter2-s3cret\""), "{text}");
    assert!(
        text.starts_with("# bandwatch configuration, written by `bandwatch init`"),
        "{text}"
    );
    let mode = std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a file with a password is its owner's");
    assert_eq!(names(&work), ["bandwatch.toml"], "nothing else was left");

    let check = config_check(&work, "bandwatch.toml");
    let out = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(out.contains("# configuration is valid"), "{out}");
    assert!(
        !out.contains("hunter2"),
        "config check shows no password: {out}"
    );
}

#[test]
fn interrupted_it_leaves_nothing() {
    if !require_program(&this_test(), "tmux", "apt-get install -y tmux") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let proc = proc_tree(dir.path());
    let work = dir.path().join("work");
    std::fs::create_dir(&work).expect("mkdir");
    std::fs::write(work.join("bandwatch.toml"), "# mine\n").expect("old file");
    let pane = Pane::start(&work, &init_in_pane(&proc, "--force"));
    pane.answer("Names or globs", "");
    pane.answer("Upload (sending) limit", "");
    pane.wait("Download (receiving) limit");
    pane.keys("C-c");
    pane.wait("INIT-EXIT=");
    assert!(!pane.text().contains("INIT-EXIT=0"), "{}", pane.text());
    assert_eq!(
        names(&work),
        ["bandwatch.toml"],
        "no half-written or temporary file"
    );
    assert_eq!(
        std::fs::read_to_string(work.join("bandwatch.toml")).expect("old"),
        "# mine\n"
    );
    // Ctrl+D stops it as cleanly, saying nothing was written.
    let pane = Pane::start(&work, &init_in_pane(&proc, "--force"));
    pane.wait("Names or globs");
    pane.keys("C-d");
    pane.wait("INIT-EXIT=1");
    assert!(
        pane.text().contains("nothing was written"),
        "{}",
        pane.text()
    );
    assert_eq!(
        std::fs::read_to_string(work.join("bandwatch.toml")).expect("old"),
        "# mine\n"
    );
}

#[test]
fn defaults_are_written_without_a_terminal_and_never_over_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let proc = proc_tree(dir.path());
    let run = |args: &[&str]| {
        bandwatch(dir.path())
            .arg("init")
            .arg("--proc-root")
            .arg(&proc)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("init")
    };
    let first = run(&["--defaults"]);
    let shown = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(shown.contains("wrote bandwatch.toml"), "{shown}");
    assert!(shown.contains("the router at 192.168.1.1"), "{shown}");
    assert!(
        !shown.contains('?') && !shown.contains("[50]"),
        "no questions: {shown}"
    );
    let file = dir.path().join("bandwatch.toml");
    let text = std::fs::read_to_string(&file).expect("written");
    assert!(
        text.contains("upload_mbps = 50.0") && text.contains("interfaces = []"),
        "{text}"
    );
    let mode = std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
    let check = config_check(dir.path(), "bandwatch.toml");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    // Without a terminal (stdin is not one) and without --defaults: the same, no questions.
    std::fs::write(&file, "# mine\n").expect("mine");
    let again = run(&[]);
    let err = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bandwatch.toml exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&file).expect("kept"), "# mine\n");
    let forced = run(&["--force"]);
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    assert_eq!(std::fs::read_to_string(&file).expect("new"), text);
    assert_eq!(names(dir.path()), ["bandwatch.toml", "proc"]);

    // Elsewhere, with the directories it needs; a broken file there is no obstacle to init.
    let other = run(&["--defaults", "--config", "etc/bandwatch/config.toml"]);
    let shown = String::from_utf8_lossy(&other.stdout);
    assert!(
        other.status.success(),
        "{}",
        String::from_utf8_lossy(&other.stderr)
    );
    assert!(
        shown.contains("bandwatch config check --config etc/bandwatch/config.toml"),
        "{shown}"
    );
    let check = config_check(dir.path(), "etc/bandwatch/config.toml");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    std::fs::write(&file, "this is [not toml").expect("broken");
    let out = run(&["--defaults", "--config", "fresh.toml"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
