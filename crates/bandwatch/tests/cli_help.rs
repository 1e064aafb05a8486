//! `--help` of every command, as readable snapshots: each command lists only the options it
//! takes (`alerts` has no InfluxDB token, and its `--json` is not "one JSON object per tick").

mod support;

use support::bandwatch;

/// The commands, as typed after `bandwatch`, with their snapshot names.
const COMMANDS: &[(&str, &[&str])] = &[
    ("top", &[]),
    ("run", &["run"]),
    ("config_check", &["config", "check"]),
    ("alerts", &["alerts"]),
    ("notify_test", &["notify", "test"]),
    ("replay", &["replay"]),
    ("stats", &["stats"]),
    ("test", &["test"]),
    ("devices", &["devices"]),
    ("serve", &["serve"]),
    ("init", &["init"]),
    ("report", &["report"]),
    ("export", &["export"]),
    ("analyze", &["analyze"]),
    ("interfaces", &["interfaces"]),
    // "top" is the top level's name.
    ("top_command", &["top"]),
    ("completions", &["completions"]),
    ("man", &["man"]),
    ("generate", &["generate"]),
];

fn help(args: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = bandwatch(dir.path())
        .args(args)
        .arg("--help")
        .output()
        .expect("run");
    assert!(out.status.success(), "{args:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn every_command_has_a_stable_help() {
    for (name, args) in COMMANDS {
        insta::assert_snapshot!(format!("help_{name}"), help(args));
    }
}

#[test]
fn a_command_lists_only_its_own_options() {
    let alerts = help(&["alerts"]);
    for other in ["--influxdb-token", "--interval", "--listen", "per tick"] {
        assert!(
            !alerts.contains(other),
            "alerts --help shows {other}:\n{alerts}"
        );
    }
    for own in ["--since", "--json", "--db", "--store", "--config"] {
        assert!(alerts.contains(own), "alerts --help lacks {own}:\n{alerts}");
    }
    let run = help(&["run"]);
    assert!(
        run.contains("--influxdb-token") && run.contains("per tick"),
        "{run}"
    );
    let notify = help(&["notify", "test"]);
    assert!(!notify.contains("--json"), "{notify}");
    // serve samples nothing: no interval, interface or exporter options.
    let serve = help(&["serve"]);
    for other in [
        "--interval",
        "--interface",
        "--prometheus",
        "--json",
        "--no-web",
    ] {
        assert!(
            !serve.contains(other),
            "serve --help shows {other}:\n{serve}"
        );
    }
    for own in ["--db", "--store", "--listen", "--web-token", "read-only"] {
        assert!(serve.contains(own), "serve --help lacks {own}:\n{serve}");
    }
    let init = help(&["init"]);
    for own in ["--defaults", "--force", "--config"] {
        assert!(init.contains(own), "init --help lacks {own}:\n{init}");
    }
}

#[test]
fn options_before_the_command_apply_where_it_takes_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = bandwatch(dir.path())
        .args(["--interval", "5", "config", "check"])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("interval = 5.0  # command-line flag --interval"),
        "{stdout}"
    );
    let out = bandwatch(dir.path())
        .args(["--influxdb-token", "t0ken", "alerts"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--influxdb-token is not an option of `bandwatch alerts`"),
        "{err}"
    );
}

#[test]
fn a_negative_number_reaches_the_check_that_names_its_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    for args in [
        &["run", "--interval", "-1"][..],
        &["--interval", "-1"][..],
        &["config", "check", "--download-threshold", "-3"][..],
        &["config", "check", "--prometheus-port", "-80"][..],
    ] {
        let out = bandwatch(dir.path()).args(args).output().expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("key '"), "{args:?}: {err}");
        assert!(!err.contains("unexpected argument"), "{args:?}: {err}");
    }
}

#[test]
fn alerts_options_may_follow_its_own_subcommands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = bandwatch(dir.path())
        .args([
            "alerts",
            "silence",
            "rule=x",
            "--for",
            "1h",
            "--db",
            "missing.db",
        ])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("unexpected argument"), "{err}");
}
