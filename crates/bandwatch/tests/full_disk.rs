//! A real full disk under the history database: a small tmpfs the test mounts and fills.
//! Sampling and printing must go on, the log must say why writes fail, and once space is
//! back every printed tick must be in the store exactly once. Needs root (mount); `.ci/run`
//! makes it mandatory.

mod support;

use std::process::Command;
use std::time::Duration;

use support::netns::sh;
use support::{bandwatch, root_test_ready, LineChild};

const WAIT: Duration = Duration::from_secs(10);

struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn fill(path: &std::path::Path) {
    // dd stops with "No space left on device"; that is the point.
    let _ = Command::new("dd")
        .args(["if=/dev/zero", "bs=4k"])
        .arg(format!("of={}", path.display()))
        .output();
}

#[test]
fn a_full_disk_keeps_sampling_and_loses_nothing_once_space_returns() {
    if !root_test_ready(
        "a_full_disk_keeps_sampling_and_loses_nothing_once_space_returns",
        &["mount", "umount", "dd"],
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let disk = dir.path().join("disk");
    std::fs::create_dir(&disk).expect("mkdir");
    sh(&[
        "mount",
        "-t",
        "tmpfs",
        "-o",
        "size=2m",
        "tmpfs",
        disk.to_str().expect("utf8"),
    ]);
    let _mount = Mount(disk.clone());
    let db = disk.join("h.db");

    let mut cmd = bandwatch(dir.path());
    cmd.args([
        "run",
        "--json",
        "--interval",
        "0.1",
        "--interface",
        "lo",
        "--db",
    ])
    .arg(&db);
    let bw = LineChild::spawn(cmd);
    let mut lines = vec![bw.next_line(WAIT)];
    let filler = disk.join("filler");
    fill(&filler);
    for _ in 0..30 {
        lines.push(bw.next_line(WAIT)); // ticks keep coming while the disk is full
    }
    bw.wait_stderr("history writes failing", WAIT);
    std::fs::remove_file(&filler).expect("free the space");
    bw.wait_stderr("history writes recovered", Duration::from_secs(30));
    for _ in 0..5 {
        lines.push(bw.next_line(WAIT));
    }
    let (status, rest, stderr) = bw.terminate();
    assert!(status.success(), "{stderr}");
    lines.extend(rest);

    let points = support::stored_rx_points(&db, "lo");
    assert_eq!(
        points.len(),
        lines.len(),
        "every printed tick was stored once after the disk had space again"
    );
}
