//! `bandwatch top` as a person sees it: the real binary in a tmux pane over a fake kernel
//! whose eth0 receives 10 Mbit/s, read back with `capture-pane`. The screen must show that
//! rate, switch to bytes on `u`, and `q` must exit 0 with the terminal given back.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use bandwatch_testkit::kernel::FakeKernel;
use bandwatch_testkit::{require_program, this_test, wait_for};

/// A tmux server of this test's own (`-L`), so no other session is touched.
struct Tmux {
    socket: String,
}

impl Tmux {
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
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
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

fn script(dir: &Path, kernel: &FakeKernel) -> std::path::PathBuf {
    let path = dir.join("top.sh");
    let text = format!(
        "cd '{dir}' || exit 9\n\
         env -i PATH=\"$PATH\" HOME='{dir}' TERM=\"$TERM\" NO_COLOR=1 '{bin}' top \
         --interval 0.5 --proc-root '{proc}' --sys-root '{sys}'\n\
         echo $? > '{dir}/exit'\n\
         sleep 600\n",
        dir = dir.display(),
        bin = support::bin(),
        proc = kernel.proc_root().display(),
        sys = kernel.sys_root().display(),
    );
    std::fs::write(&path, text).expect("script");
    path
}

#[test]
fn top_shows_real_rates_switches_units_and_quits_cleanly() {
    if !require_program(&this_test(), "tmux", "install tmux (apt-get install tmux)") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    // 25 000 bytes every 20 ms: 10.00 Mbit/s.
    let kernel = FakeKernel::start(25_000);
    let tmux = Tmux {
        socket: format!("bandwatch-top-{}", std::process::id()),
    };
    let script = script(dir.path(), &kernel);
    let out = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "top",
        "-x",
        "80",
        "-y",
        "24",
        &format!("sh '{}'", script.display()),
    ]);
    assert!(out.status.success(), "tmux new-session: {out:?}");

    let mut screen = String::new();
    let shown = wait_for(Duration::from_secs(30), || {
        screen = tmux.screen();
        eth0_mbps(&screen).is_some_and(|r| (8.0..=12.0).contains(&r))
    });
    assert!(shown, "eth0 at about 10 Mbps on screen:\n{screen}");
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
    let bytes = wait_for(Duration::from_secs(10), || {
        screen = tmux.screen();
        screen.contains("[bytes]") && eth0_row(&screen).is_some_and(|r| r.contains("MiB/s"))
    });
    assert!(bytes, "rates in bytes after `u`:\n{screen}");

    tmux.keys("q");
    let exit = dir.path().join("exit");
    let exited = wait_for(Duration::from_secs(20), || exit.exists());
    assert!(exited, "`q` ends bandwatch top:\n{}", tmux.screen());
    let code = std::fs::read_to_string(&exit).expect("exit code");
    assert_eq!(code.trim(), "0", "exit status");
    let after = tmux.screen();
    assert!(
        !after.contains("Interfaces ("),
        "the alternate screen is left on exit:\n{after}"
    );
}
