//! What a packaged install takes from the binary: `--version` with the commit, shell
//! completions and manual pages generated from the clap definition.

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use support::bandwatch;

/// Every command a person types first; completions and the manual must know them all.
const COMMANDS: &[&str] = &[
    "run",
    "config",
    "alerts",
    "notify",
    "replay",
    "stats",
    "test",
    "devices",
    "serve",
    "init",
    "analyze",
    "interfaces",
    "report",
    "export",
    "completions",
    "man",
];

fn run(dir: &Path, args: &[&str]) -> Output {
    bandwatch(dir).args(args).output().expect("run")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A broken configuration in the working directory: these commands must not read it.
fn broken_config_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("bandwatch.toml"), "[monitor\n").expect("write");
    dir
}

/// Whether `shell -n` (syntax check only) accepts `script`; `None` when the shell is absent.
fn syntax_ok(shell: &str, script: &str) -> Option<bool> {
    if !bandwatch_testkit::have(shell) {
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("completion");
    std::fs::write(&file, script).expect("write");
    let status = Command::new(shell)
        .arg("-n")
        .arg(&file)
        .stdout(Stdio::null())
        .status()
        .expect("shell");
    Some(status.success())
}

#[test]
fn completions_for_each_shell_know_every_command() {
    let dir = broken_config_dir();
    for shell in ["bash", "zsh", "fish"] {
        let out = run(dir.path(), &["completions", shell]);
        assert!(
            out.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let script = stdout(&out);
        for command in COMMANDS {
            assert!(
                script.contains(command),
                "{shell} completion lacks {command}"
            );
        }
        assert!(script.contains("interval"), "{shell}: no options");
        assert_ne!(
            syntax_ok(shell, &script),
            Some(false),
            "{shell} -n refuses the script"
        );
    }
}

#[test]
fn an_unknown_shell_exits_2_naming_the_shells() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(dir.path(), &["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("'tcsh'") && err.contains("bash, zsh, fish"),
        "{err}"
    );
    let out = run(dir.path(), &["--interval", "5", "completions", "bash"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--interval is not an option"), "{err}");
}

#[test]
fn the_manual_is_roff_with_the_usual_sections() {
    let dir = broken_config_dir();
    let out = run(dir.path(), &["man"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = stdout(&out);
    assert!(page.is_ascii(), "non-ASCII left in the page");
    let th = page
        .lines()
        .find(|l| l.starts_with(".TH "))
        .expect("a .TH header");
    assert!(th.starts_with(".TH bandwatch 1 "), "{th}");
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH DESCRIPTION",
        ".SH OPTIONS",
        ".SH SUBCOMMANDS",
        ".SH FILES",
        ".SH ENVIRONMENT",
        ".SH \"EXIT STATUS\"",
    ] {
        assert!(page.contains(section), "no {section}");
    }
    for command in COMMANDS {
        assert!(
            page.contains(&format!("bandwatch\\-{command}(1)")),
            "the manual does not list {command}"
        );
    }
    if bandwatch_testkit::have("groff") {
        let file = dir.path().join("bandwatch.1");
        std::fs::write(&file, &page).expect("write");
        let out = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(&file)
            .output()
            .expect("groff");
        let warnings = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && warnings.is_empty(),
            "groff: {warnings}"
        );
    }
}

#[test]
fn man_dir_writes_every_page_the_manual_refers_to() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pages = dir.path().join("man1");
    std::fs::create_dir(&pages).expect("mkdir");
    let out = run(
        dir.path(),
        &["man", "--dir", pages.to_str().expect("utf-8")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let top = std::fs::read_to_string(pages.join("bandwatch.1")).expect("bandwatch.1");
    let referred: Vec<&str> = top
        .lines()
        .filter_map(|l| l.strip_suffix("(1)"))
        .filter(|name| name.starts_with("bandwatch\\-"))
        .collect();
    assert!(referred.len() >= COMMANDS.len(), "{referred:?}");
    for name in referred {
        let file = format!("{}.1", name.replace("\\-", "-"));
        let page =
            std::fs::read_to_string(pages.join(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(page.contains(".TH "), "{file}");
    }
    assert!(pages.join("bandwatch-config-check.1").exists());

    let out = run(dir.path(), &["man", "--dir", "no/such/dir"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mkdir -p no/such/dir"), "{err}");
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(dir.path(), &["--version"]);
    assert!(out.status.success());
    let version = stdout(&out);
    let expected_start = format!("bandwatch {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(version.starts_with(&expected_start), "{version}");
    let head = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let commit = version[expected_start.len()..]
        .trim_end()
        .strip_suffix(')')
        .unwrap_or_else(|| panic!("{version}"));
    match head {
        // The commit of this checkout, `-dirty` when tracked files were changed.
        Some(head) => assert!(
            commit == head || commit == format!("{head}-dirty"),
            "{commit} is not HEAD ({head})"
        ),
        None => assert_eq!(commit, "unknown"),
    }
}
