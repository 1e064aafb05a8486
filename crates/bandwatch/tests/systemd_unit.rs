//! deploy/bandwatch.service as systemd sees it: `systemd-analyze verify` accepts it (with the
//! devices source's commented settings switched on too), and `systemd-analyze security`
//! rates its exposure at most 2.0 ("OK") with only the capability the probes need.
//! Without `systemd-analyze` (Debian's `systemd` package) the tests are skipped, or fail
//! under BANDWATCH_REQUIRE_ROOT_TESTS=1 as in CI.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bandwatch_testkit::require_program;

/// The highest exposure `systemd-analyze security` may give the unit ("OK" goes to 2.0).
const MAX_EXPOSURE: f64 = 2.0;

/// The lines of the devices source that the unit carries commented out.
const DEVICES_LINES: &[&str] = &[
    "RestrictAddressFamilies=AF_PACKET",
    "AmbientCapabilities=CAP_NET_ADMIN",
    "CapabilityBoundingSet=CAP_NET_ADMIN",
];

fn unit_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/bandwatch.service")
}

fn unit_text() -> String {
    std::fs::read_to_string(unit_path()).expect("deploy/bandwatch.service")
}

fn ready(test: &str) -> bool {
    require_program(
        test,
        "systemd-analyze",
        "install Debian's systemd package (apt-get install systemd; CI does: bash .ci/run)",
    )
}

fn analyze(args: &[&str], unit: &Path) -> Output {
    Command::new("systemd-analyze")
        .args(args)
        .arg(unit)
        .output()
        .expect("systemd-analyze")
}

/// The unit as the package installs it, but starting the binary under test (verify checks
/// that ExecStart names an executable) and without the man page check (the page is only
/// installed by the package; .ci/package.sh verifies the installed unit in full).
fn verify(text: &str) -> Output {
    let dir = tempfile::tempdir().expect("tempdir");
    let unit = dir.path().join("bandwatch.service");
    let text = text.replace("/usr/bin/bandwatch", env!("CARGO_BIN_EXE_bandwatch"));
    std::fs::write(&unit, text).expect("write unit");
    analyze(&["verify", "--man=no"], &unit)
}

fn assert_verified(out: &Output, what: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && err.trim().is_empty(),
        "systemd-analyze verify refuses {what}: {err}"
    );
}

#[test]
fn the_unit_verifies_as_shipped_and_with_the_devices_settings_on() {
    if !ready("the_unit_verifies_as_shipped_and_with_the_devices_settings_on") {
        return;
    }
    let text = unit_text();
    assert_verified(&verify(&text), "the unit");
    let mut devices = text.clone();
    for line in DEVICES_LINES {
        let commented = format!("\n#{line}\n");
        assert!(devices.contains(&commented), "the unit lacks #{line}");
        devices = devices.replace(&commented, &format!("\n{line}\n"));
    }
    assert_verified(&verify(&devices), "the unit with the devices settings");
}

#[test]
fn the_unit_is_rated_ok_by_systemd_analyze_security() {
    if !ready("the_unit_is_rated_ok_by_systemd_analyze_security") {
        return;
    }
    let out = analyze(&["security", "--offline=true", "--no-pager"], &unit_path());
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "systemd-analyze security failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exposure: f64 = report
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for bandwatch.service: ")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no overall exposure in:\n{report}"));
    let open: Vec<&str> = report.lines().filter(|l| l.starts_with('✗')).collect();
    assert!(
        exposure <= MAX_EXPOSURE,
        "exposure {exposure} is over {MAX_EXPOSURE}; what is open:\n{}",
        open.join("\n")
    );
    // Every capability the default features need, and nothing more: raw sockets for the
    // ICMP probes; packet sockets stay refused until the devices source is switched on.
    assert!(
        report.contains("✓ RestrictAddressFamilies=~AF_PACKET"),
        "packet sockets are allowed by default:\n{report}"
    );
    let text = unit_text();
    let set: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.starts_with("AmbientCapabilities=") || l.starts_with("CapabilityBoundingSet=")
        })
        .collect();
    assert_eq!(
        set,
        [
            "AmbientCapabilities=CAP_NET_RAW",
            "CapabilityBoundingSet=CAP_NET_RAW"
        ]
    );
}

#[test]
fn the_unit_runs_the_packaged_binary_as_its_user_under_notify() {
    let text = unit_text();
    for line in [
        "Type=notify",
        "NotifyAccess=main",
        "User=bandwatch",
        "StateDirectory=bandwatch",
        "WorkingDirectory=/var/lib/bandwatch",
    ] {
        assert!(text.lines().any(|l| l == line), "the unit lacks {line}");
    }
    assert!(
        text.lines().any(|l| l.starts_with("WatchdogSec=")),
        "no watchdog"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("ExecStart=/usr/bin/bandwatch run")),
        "not the packaged binary"
    );
    assert!(
        !text.contains("DynamicUser="),
        "the package creates the user"
    );
}
