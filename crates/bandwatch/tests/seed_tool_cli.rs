//! People switching from the scripts bandwatch replaces: their `.env` file, their variable
//! names and their values work unchanged, and a name bandwatch does not read is said, not
//! silently ignored.

mod support;

use std::path::Path;

use support::bandwatch;

/// `config check` in `dir`: (exit code, stdout, stderr).
fn check(dir: &Path, env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut cmd = bandwatch(dir);
    cmd.args(["config", "check"]).envs(env.iter().copied());
    let out = cmd.output().expect("run");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn line<'a>(stdout: &'a str, key: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.starts_with(&format!("{key} = ")))
        .unwrap_or_else(|| panic!("no {key} in:\n{stdout}"))
}

#[test]
fn the_seed_tools_env_file_starts_and_sets_what_it_says() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dotenv/old-tool.env");
    std::fs::copy(fixture, dir.path().join(".env")).expect("copy");
    let (code, out, err) = check(dir.path(), &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        line(&out, "interval"),
        "interval = 5.0  # .env variable NETWORK_CHECK_INTERVAL"
    );
    for key in ["upload_mbps", "download_mbps"] {
        assert_eq!(
            line(&out, key),
            format!("{key} = 100.0  # .env variable BANDWIDTH_THRESHOLD_MBPS")
        );
    }
    assert_eq!(
        line(&out, "level"),
        "level = \"INFO\"  # .env variable LOG_LEVEL"
    );
    assert_eq!(
        line(&out, "file"),
        "file = \"logs/network_monitor.log\"  # .env variable LOG_FILE"
    );
    assert_eq!(
        line(&out, "auto_refresh"),
        "auto_refresh = \"true\"  # .env variable DASHBOARD_AUTO_REFRESH"
    );
    assert!(out.contains("username = \"your-email@gmail.com\""), "{out}");
    assert!(!out.contains("abcd"), "the app password leaked: {out}");
    assert!(!err.contains("warning"), "every name is known: {err}");
}

#[test]
fn a_bad_env_line_names_its_number_exits_2_and_hides_the_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join(".env"),
        "SMTP_SERVER=smtp.example.com\n# app password below\nEMAIL_PASSWORD=\"abcd efgh ijkl mnop\" x\n",
    )
    .expect("write");
    let (code, out, err) = check(dir.path(), &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(
            "error: .env line 3 (EMAIL_PASSWORD): has text after the closing quote of its value"
        ),
        "{err}"
    );
    assert!(!err.contains("abcd"), "{err}");
}

#[test]
fn dashboard_auto_refresh_true_and_false_are_on_and_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (given, shown) in [("true", "\"true\""), ("False", "\"False\""), ("5", "\"5\"")] {
        let (code, out, err) = check(dir.path(), &[("DASHBOARD_AUTO_REFRESH", given)]);
        assert_eq!(code, Some(0), "{given}: {err}");
        assert_eq!(
            line(&out, "auto_refresh"),
            format!("auto_refresh = {shown}  # environment variable DASHBOARD_AUTO_REFRESH")
        );
    }
    std::fs::write(
        dir.path().join("bandwatch.toml"),
        "[web]\nauto_refresh = false\n",
    )
    .expect("write");
    let (code, out, err) = check(dir.path(), &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(line(&out, "auto_refresh")
        .starts_with("auto_refresh = \"false\"  # ./bandwatch.toml line 2"));
    let (code, _, err) = check(dir.path(), &[("DASHBOARD_AUTO_REFRESH", "sometimes")]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("key 'web.auto_refresh'") && err.contains("true or false"),
        "{err}"
    );
}

#[test]
fn old_log_levels_are_accepted_in_any_case() {
    let dir = tempfile::tempdir().expect("tempdir");
    for level in ["DEBUG", "info", "Warning", "ERROR", "critical"] {
        let (code, _, err) = check(dir.path(), &[("LOG_LEVEL", level)]);
        assert_eq!(code, Some(0), "{level}: {err}");
    }
}

#[test]
fn names_that_look_like_the_seed_tools_but_are_not_read_are_warned_about() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join(".env"),
        "DASHBOARD_THEME=dark\nDATA_RATE_THRESHOLD=50\nSPIKE_MULTIPLIER=3\nHISTORY_SIZE=60\nCHECK_INTERVAL=5\n",
    )
    .expect("write");
    let (code, _, err) = check(dir.path(), &[("BANDWITH_THRESHOLD_MBPS", "10")]);
    assert_eq!(code, Some(0), "{err}");
    let warnings: Vec<&str> = err.lines().filter(|l| l.starts_with("warning: ")).collect();
    assert_eq!(
        warnings,
        [
            "warning: environment variable BANDWITH_THRESHOLD_MBPS looks like a setting of the scripts bandwatch replaces, but bandwatch does not read it, so it is ignored; the names it reads are listed under \"Configuration\" in the README",
            "warning: .env variable DASHBOARD_THEME looks like a setting of the scripts bandwatch replaces, but bandwatch does not read it, so it is ignored; the names it reads are listed under \"Configuration\" in the README",
        ],
        "{err}"
    );
}
