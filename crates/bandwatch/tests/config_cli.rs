//! The configuration as a user meets it: every invalid config under `tests/configs/invalid`
//! gives exactly the message in its `.err` file and exit code 2, with nothing written; every
//! valid one passes `config check`; layers override each other in the documented order.
//! Set BANDWATCH_BLESS=1 to rewrite the `.err` files after a deliberate wording change.

mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use support::bandwatch;

/// Runs a command that should exit by itself; a `run` that wrongly starts is killed.
fn output_within(cmd: &mut std::process::Command, timeout: Duration) -> std::process::Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    support::wait_timeout(&mut child, timeout);
    child.wait_with_output().expect("output")
}

fn configs(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/configs")
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("configs dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// Files left in `dir` other than the config itself.
fn written(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != "bandwatch.toml")
        .collect()
}

#[test]
fn invalid_configs_give_their_exact_error_and_exit_2() {
    let bless = std::env::var("BANDWATCH_BLESS").is_ok();
    let mut failures = Vec::new();
    for file in configs("invalid") {
        for command in [&["config", "check"][..], &["run"][..]] {
            let dir = tempfile::tempdir().expect("tempdir");
            std::fs::copy(&file, dir.path().join("bandwatch.toml")).expect("copy");
            // Only the file speaks here: the test helper's dashboard address would override
            // a `web.listen` under test.
            let mut cmd = bandwatch(dir.path());
            cmd.env_remove("BANDWATCH_WEB_LISTEN").args(command);
            let out = output_within(&mut cmd, Duration::from_secs(20));
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            let expected_path = file.with_extension("err");
            if bless && command[0] == "config" {
                std::fs::write(&expected_path, &stderr).expect("bless");
            }
            let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
            let name = file
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            if out.status.code() != Some(2) {
                failures.push(format!(
                    "{name} {command:?}: exit {:?}, want 2",
                    out.status.code()
                ));
            }
            if stderr != expected {
                failures.push(format!(
                    "{name} {command:?}:\n  got:  {stderr}  want: {expected}"
                ));
            }
            if !out.stdout.is_empty() {
                failures.push(format!(
                    "{name} {command:?}: printed to stdout: {}",
                    String::from_utf8_lossy(&out.stdout)
                ));
            }
            let left = written(dir.path());
            if !left.is_empty() {
                failures.push(format!(
                    "{name} {command:?}: wrote {left:?} despite the error"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn valid_configs_pass_config_check() {
    for file in configs("valid") {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::copy(&file, dir.path().join("bandwatch.toml")).expect("copy");
        let out = bandwatch(dir.path())
            .args(["config", "check"])
            .output()
            .expect("run");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("# configuration is valid"), "{stdout}");
        assert!(
            stdout.contains("bandwatch.toml"),
            "names the file it read: {stdout}"
        );
    }
}

fn check_stdout(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = bandwatch(dir);
    cmd.args(["config", "check"]).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn interval_line(stdout: &str) -> &str {
    stdout
        .lines()
        .find(|l| l.starts_with("interval = "))
        .expect("interval line")
}

#[test]
fn layers_override_in_order_defaults_file_env_flags() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(
        interval_line(&check_stdout(dir.path(), &[], &[])),
        "interval = 1.0  # built-in default"
    );
    std::fs::write(
        dir.path().join("bandwatch.toml"),
        "[monitor]\ninterval = 2.0\n",
    )
    .expect("write");
    assert_eq!(
        interval_line(&check_stdout(dir.path(), &[], &[])),
        "interval = 2.0  # ./bandwatch.toml line 2"
    );
    std::fs::write(dir.path().join(".env"), "BANDWATCH_INTERVAL=3\n").expect("write");
    assert_eq!(
        interval_line(&check_stdout(dir.path(), &[], &[])),
        "interval = 3.0  # .env variable BANDWATCH_INTERVAL"
    );
    let env = [("BANDWATCH_INTERVAL", "4")];
    assert_eq!(
        interval_line(&check_stdout(dir.path(), &[], &env)),
        "interval = 4.0  # environment variable BANDWATCH_INTERVAL"
    );
    assert_eq!(
        interval_line(&check_stdout(dir.path(), &["--interval", "5"], &env)),
        "interval = 5.0  # command-line flag --interval"
    );
}

#[test]
fn config_path_comes_from_flag_then_xdg() {
    let dir = tempfile::tempdir().expect("tempdir");
    let xdg = dir.path().join("xdg");
    std::fs::create_dir_all(xdg.join("bandwatch")).expect("mkdir");
    std::fs::write(
        xdg.join("bandwatch/config.toml"),
        "[monitor]\ninterval = 7\n",
    )
    .expect("write");
    let out = check_stdout(
        dir.path(),
        &[],
        &[("XDG_CONFIG_HOME", xdg.to_str().expect("utf8"))],
    );
    assert!(
        interval_line(&out).starts_with("interval = 7.0  # "),
        "{out}"
    );
    let other = dir.path().join("other.toml");
    std::fs::write(&other, "[monitor]\ninterval = 8\n").expect("write");
    let out = check_stdout(
        dir.path(),
        &["--config", other.to_str().expect("utf8")],
        &[("XDG_CONFIG_HOME", xdg.to_str().expect("utf8"))],
    );
    assert!(
        interval_line(&out).starts_with("interval = 8.0  # "),
        "{out}"
    );
}

fn error_of(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = bandwatch(dir);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run");
    assert_eq!(out.status.code(), Some(2), "{args:?} {env:?} must exit 2");
    assert!(
        written(dir).is_empty(),
        "{args:?} {env:?} wrote {:?}",
        written(dir)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_values_from_env_and_flags_name_their_origin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = error_of(dir.path(), &["run"], &[("BANDWATCH_INTERVAL", "0")]);
    assert_eq!(e, "error: environment variable BANDWATCH_INTERVAL: key 'monitor.interval' must be between 0.1 and 3600 seconds (got 0); use e.g. 1 for one sample a second, or 0.1 for sub-second sampling\n");
    let e = error_of(dir.path(), &["run", "--interval", "0.05"], &[]);
    assert!(
        e.starts_with(
            "error: command-line flag --interval: key 'monitor.interval' must be between"
        ),
        "{e}"
    );
    let e = error_of(dir.path(), &["run", "--download-threshold=-3"], &[]);
    assert!(e.contains("command-line flag --download-threshold: key 'thresholds.download_mbps' must be a positive number"), "{e}");
    let e = error_of(dir.path(), &["run", "--upload-threshold", "fast"], &[]);
    assert!(
        e.contains("invalid value 'fast' for '--upload-threshold <MBPS>'"),
        "{e}"
    );
    let e = error_of(
        dir.path(),
        &["run"],
        &[("BANDWATCH_UPLOAD_THRESHOLD", "fast")],
    );
    assert!(e.contains("environment variable BANDWATCH_UPLOAD_THRESHOLD: key 'thresholds.upload_mbps' is not a number (got 'fast')"), "{e}");
    let e = error_of(dir.path(), &["run", "--config", "missing.toml"], &[]);
    assert!(e.contains("cannot read config file missing.toml"), "{e}");
    let e = error_of(dir.path(), &["run", "--interface", "[eth"], &[]);
    assert!(
        e.contains("command-line flag --interface: key 'monitor.interfaces'"),
        "{e}"
    );
}

#[test]
fn the_spike_monitor_environment_names_work_and_bad_values_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("DATA_RATE_THRESHOLD", "12500000"),
        ("SPIKE_MULTIPLIER", "4"),
        ("HISTORY_SIZE", "20"),
        ("CHECK_INTERVAL", "5"),
    ];
    let out = check_stdout(dir.path(), &[], &env);
    for line in [
        "total_mbps = 100.0  # environment variable DATA_RATE_THRESHOLD",
        "spike_factor = 4.0  # environment variable SPIKE_MULTIPLIER",
        "spike_window = 20  # environment variable HISTORY_SIZE",
        "interval = 5.0  # environment variable CHECK_INTERVAL",
    ] {
        assert!(out.lines().any(|l| l == line), "{line} in:\n{out}");
    }
    let cases = [
        ("DATA_RATE_THRESHOLD", "lots", "error: environment variable DATA_RATE_THRESHOLD: key 'thresholds.total_mbps' is not a positive number of bytes per second (got 'lots'); set it to a rate in bytes per second, e.g. 12500000 for 100 Mbit/s\n"),
        ("SPIKE_MULTIPLIER", "1", "error: environment variable SPIKE_MULTIPLIER: key 'thresholds.spike_factor' must be a number above 1 (got 1); give how many times the recent average counts as a spike, e.g. 3\n"),
        ("HISTORY_SIZE", "0", "error: environment variable HISTORY_SIZE: key 'thresholds.spike_window' must be between 1 and 86400 (got 0); use e.g. 60\n"),
        ("HISTORY_SIZE", "ten", "error: environment variable HISTORY_SIZE: key 'thresholds.spike_window' is not a whole number (got 'ten'); set it to a whole number such as 3\n"),
        ("CHECK_INTERVAL", "0", "error: environment variable CHECK_INTERVAL: key 'monitor.interval' must be between 0.1 and 3600 seconds (got 0); use e.g. 1 for one sample a second, or 0.1 for sub-second sampling\n"),
    ];
    for (var, value, want) in cases {
        assert_eq!(error_of(dir.path(), &["run"], &[(var, value)]), want);
    }
}

#[test]
fn dotenv_values_are_read_and_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join(".env"),
        "# local settings\nBANDWATCH_INTERVAL=abc\n",
    )
    .expect("write");
    let out = bandwatch(dir.path())
        .args(["config", "check"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains(
            ".env variable BANDWATCH_INTERVAL: key 'monitor.interval' is not a number (got 'abc')"
        ),
        "{e}"
    );
}

#[test]
fn unknown_bandwatch_env_vars_are_warned_about() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = bandwatch(dir.path())
        .args(["config", "check"])
        .env("BANDWATCH_INTERVL", "2")
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("BANDWATCH_INTERVL is not a bandwatch setting"));
}

#[test]
fn seed_email_environment_makes_a_channel_and_secrets_stay_hidden() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("bandwatch.toml"),
        "[[notify.channels]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"https://hooks.example.com/T0/SECRETPATH\"\nsecret = \"hmac-key-123\"\n",
    )
    .expect("write");
    let env = [
        ("SMTP_SERVER", "mail.example.com"),
        ("SMTP_PORT", "465"),
        ("EMAIL_USER", "bw@example.com"),
        ("EMAIL_PASSWORD", "hunter2-password"),
        ("ALERT_RECIPIENTS", "ops@example.com, noc@example.com"),
        ("ALERT_COOLDOWN_MINUTES", "20"),
    ];
    let out = check_stdout(dir.path(), &[], &env);
    // The environment gives this channel again, so it is shown as a comment (a table too
    // would be a second channel named "email" when the output is read back).
    assert!(
        out.contains("# name = \"email\"\n# type = \"email\""),
        "{out}"
    );
    assert!(
        out.contains("to = [\"ops@example.com\", \"noc@example.com\"]"),
        "{out}"
    );
    assert!(
        out.contains("cooldown = \"20m\"  # environment variable ALERT_COOLDOWN_MINUTES"),
        "{out}"
    );
    for secret in ["hunter2-password", "SECRETPATH", "hmac-key-123"] {
        assert!(
            !out.contains(secret),
            "{secret} leaked into config check: {out}"
        );
    }
    let bad = bandwatch(dir.path())
        .args(["config", "check"])
        .env("SMTP_SERVER", "m")
        .env("SMTP_PORT", "smtp")
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("SMTP_PORT"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

#[test]
fn huge_numbers_are_a_clear_error_not_a_panic() {
    let cases: [(&str, &str); 8] = [
        ("[monitor]\nduration = 1e30\n", "monitor.duration"),
        ("[probe]\ninterval = \"1e30\"\n", "probe.interval"),
        ("[probe]\ntimeout = \"1e30\"\n", "probe.timeout"),
        ("[probe]\nflap_window = \"1e30\"\n", "probe.flap_window"),
        ("[probe]\nrtt_limit = \"1e30\"\n", "probe.rtt_limit"),
        (
            "[probe]\ntargets = [{ name = \"r\", target = \"127.0.0.1\", interval = \"1e30\" }]\n",
            "probe.targets",
        ),
        ("[system]\ninterval = \"1e30\"\n", "system.interval"),
        ("[web]\nauto_refresh = \"1e30\"\n", "web.auto_refresh"),
    ];
    let check = |out: &std::process::Output, key: &str, how: &str| {
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{how}: {err}");
        assert!(err.contains(&format!("key '{key}'")), "{how}: {err}");
        assert!(!err.contains("panicked"), "{how}: {err}");
    };
    for (text, key) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("bandwatch.toml"), text).expect("write");
        let out = output_within(
            bandwatch(dir.path()).args(["config", "check"]),
            Duration::from_secs(20),
        );
        check(&out, key, text);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out = output_within(
        bandwatch(dir.path()).args(["config", "check", "--duration", "1e30"]),
        Duration::from_secs(20),
    );
    check(&out, "monitor.duration", "--duration 1e30");
    let out = output_within(
        bandwatch(dir.path())
            .env("BANDWATCH_DURATION", "1e30")
            .args(["config", "check"]),
        Duration::from_secs(20),
    );
    check(&out, "monitor.duration", "BANDWATCH_DURATION=1e30");
}

#[test]
fn store_durations_in_the_environment_may_be_bare_seconds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = output_within(
        bandwatch(dir.path())
            .env("BANDWATCH_FLUSH_INTERVAL", "0.5")
            .env("BANDWATCH_RAW_RETENTION", "86400")
            .env("BANDWATCH_MINUTE_RETENTION", "604800")
            .env("BANDWATCH_HOUR_RETENTION", "31536000")
            .args(["config", "check"]),
        Duration::from_secs(20),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (key, given) in [
        ("flush_interval", "0.5"),
        ("raw_retention", "86400"),
        ("minute_retention", "604800"),
        ("hour_retention", "31536000"),
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{key} =")))
            .unwrap_or_else(|| panic!("no {key} in:\n{text}"));
        assert!(
            line.contains(&format!("\"{given}\"")) && line.contains("BANDWATCH_"),
            "{line}"
        );
    }
}

/// Fails when `bytes` hold a control character other than a newline.
fn assert_no_raw_controls(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    assert!(
        !text
            .chars()
            .any(|c| (c.is_control() && c != '\n') || matches!(c, '\u{2028}' | '\u{2029}')),
        "{what} holds a raw control character: {text:?}"
    );
}

/// The defect: values quoted in errors and in `config check` reached the terminal raw, so a
/// config value could change the colours of (or clear) the terminal showing it.
#[test]
fn control_characters_in_values_never_reach_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("bandwatch.toml"),
        "[[notify.channels]]\nname = \"ops\\u001b[2J\"\ntype = \"pager\\u001b]0;pwned\\u0007\"\n",
    )
    .expect("write");
    let out = bandwatch(dir.path())
        .args(["config", "check"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert_no_raw_controls("the error", &out.stderr);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("notify channel 'ops\\u{1b}[2J': field 'type' 'pager\\u{1b}]0;pwned\\u{7}'"),
        "{err}"
    );

    std::fs::write(
        dir.path().join("bandwatch.toml"),
        "[monitor]\ninterfaces = [\"e\\u001b]0;x\\u0007*\", \"u\\u2028x\"]\n",
    )
    .expect("write");
    let out = check_stdout(dir.path(), &[], &[]);
    assert_no_raw_controls("config check", out.as_bytes());
    assert!(
        out.contains(
            r#"interfaces = ["e\u001B]0;x\u0007*", "u\u2028x"]  # ./bandwatch.toml line 2"#
        ),
        "{out}"
    );
}

/// The defect: a setting's variable holding bytes that are not UTF-8 was silently ignored,
/// so the run went on with another value than the one the user set.
#[test]
fn a_setting_variable_that_is_not_utf8_is_an_error() {
    use std::os::unix::ffi::OsStrExt as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = bandwatch(dir.path())
        .args(["config", "check"])
        .env("BANDWATCH_INTERVAL", std::ffi::OsStr::from_bytes(b"0.\xff"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: environment variable BANDWATCH_INTERVAL is not UTF-8 text, so it cannot be \
         read; set it to UTF-8 text or unset it\n"
    );
    // A variable bandwatch does not read may hold anything.
    let out = bandwatch(dir.path())
        .args(["config", "check"])
        .env("LESSOPEN", std::ffi::OsStr::from_bytes(b"\xff"))
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A few of the property tests' hostile values through the real binary: each is accepted
/// or refused with exit 2 and one clear line, never a panic (exit 101).
#[test]
fn hostile_values_exit_0_or_2_with_one_clear_line() {
    let files = [
        "[monitor]\ninterval = 1e30\n",
        "[monitor]\ninterval = nan\n",
        "[monitor]\ninterval = -inf\n",
        "[store]\nraw_retention = \"1e30s\"\n",
        "[store]\nflush_interval = \"18446744073709551616ms\"\n",
        "[thresholds]\ndownload_mbps = 1e308\n",
        "[probe]\ntargets = [\"tcp://[::1]:99999\", \"\\u202e\"]\n",
        "[notify]\ngroup_window = \"99999999999999999999years\"\n",
        "[[rules]]\nname = \"r\"\nmetric = \"net_rx_bits_per_second\"\ncondition = \"threshold\"\nabove = nan\n",
    ];
    let envs = [
        ("BANDWATCH_INTERVAL", "1e30"),
        ("BANDWATCH_RAW_RETENTION", "99999999999999999999h"),
        ("BANDWATCH_TARGETS", "u\u{2028}x,,,"),
    ];
    let flags = ["--interval=-1e30", "--interval=NaN", "--db=\u{1b}[2J"];
    let dir = tempfile::tempdir().expect("tempdir");
    let mut runs: Vec<(String, std::process::Command)> = Vec::new();
    for text in files {
        let sub = dir.path().join(format!("f{}", runs.len()));
        std::fs::create_dir_all(&sub).expect("mkdir");
        std::fs::write(sub.join("bandwatch.toml"), text).expect("write");
        let mut cmd = bandwatch(&sub);
        cmd.args(["config", "check"]);
        runs.push((text.to_string(), cmd));
    }
    for (var, value) in envs {
        let mut cmd = bandwatch(dir.path());
        cmd.args(["config", "check"]).env(var, value);
        runs.push((format!("{var}={value}"), cmd));
    }
    for flag in flags {
        let mut cmd = bandwatch(dir.path());
        cmd.args(["config", "check", flag]);
        runs.push((flag.to_string(), cmd));
    }
    for (what, mut cmd) in runs {
        let out = cmd.output().expect("run");
        let code = out.status.code();
        assert!(
            matches!(code, Some(0 | 2)),
            "{what:?}: exit {code:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if code == Some(2) {
            assert_no_raw_controls(&format!("{what:?}"), &out.stderr);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.starts_with("error: "), "{what:?}: {err}");
            // clap's own refusals carry a usage block; ours are one line.
            if !err.contains("Usage:") {
                assert_eq!(err.lines().count(), 1, "{what:?}: {err}");
            }
        }
    }
}

/// The defect: `config check > out.toml; config check --config out.toml` failed. The output
/// is a config that reads back, through the real binary, with rules, targets and channels.
#[test]
fn config_check_output_is_a_config_that_reads_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let valid = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs/valid");
    for name in [
        "rules.toml",
        "probes_and_system.toml",
        "notify_display_names.toml",
        "exports.toml",
    ] {
        std::fs::copy(valid.join(name), dir.path().join("bandwatch.toml")).expect("copy");
        let first = check_stdout(dir.path(), &[], &[]);
        std::fs::write(dir.path().join("out.toml"), &first).expect("write");
        let second = check_stdout(dir.path(), &["--config", "out.toml"], &[]);
        let values = |text: &str| -> Vec<String> {
            text.lines()
                .filter(|l| !l.starts_with('#'))
                .map(|l| l.split("  # ").next().unwrap_or(l).to_string())
                .collect()
        };
        assert_eq!(values(&second), values(&first), "{name}:\n{first}");
    }
}
