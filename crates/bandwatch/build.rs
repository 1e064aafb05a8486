//! Links the release agent with the code its sampling loop runs placed first, in one
//! contiguous run (`hot-symbols.txt`, made by `scripts/hot-symbols.sh`), and the code only its
//! start-up runs right after it (`start-symbols.txt`, `scripts/start-symbols.sh`). The kernel
//! maps code in runs of pages around each one used, so a loop whose functions are spread over
//! the whole binary keeps most of it resident; packed together, it keeps a few hundred kB, and
//! start-up packed too faults in less of the binary before the agent gives it back.
//! Symbols the list names that this build lacks are skipped, so a stale list only costs
//! memory, never the build.
//!
//! Only for release builds on x86_64 Linux with Rust's own linker (rust-lld, the default
//! there since Rust 1.90), the one combination where the ordering option is known to exist;
//! `BANDWATCH_NO_SYMBOL_ORDER=1` turns it off.
//!
//! It also embeds the git commit the binary is built from, for `bandwatch --version`
//! (`BANDWATCH_GIT_COMMIT`, see [`embed_commit`]).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    embed_commit();
    order_symbols();
}

/// Sets `BANDWATCH_GIT_COMMIT` for the crate: `git rev-parse --short HEAD`, with `-dirty` when
/// tracked files differ from that commit, or "unknown" where there is no git checkout (a
/// source package, a crate tarball). A packager who knows the commit may set
/// `BANDWATCH_GIT_COMMIT` in the build's environment instead.
///
/// The script runs again when HEAD moves or the index changes; an edit not yet staged is only
/// seen as `-dirty` at the next of those (CI and release builds are clean checkouts).
fn embed_commit() {
    println!("cargo:rerun-if-env-changed=BANDWATCH_GIT_COMMIT");
    let given = env::var("BANDWATCH_GIT_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty());
    let dir = env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from);
    let commit = given
        .or_else(|| commit_of(&dir))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=BANDWATCH_GIT_COMMIT={commit}");
}

/// The short commit of the checkout holding `dir`, `-dirty` when tracked files changed.
fn commit_of(dir: &Path) -> Option<String> {
    let commit = git(dir, &["rev-parse", "--short", "HEAD"])?;
    let mut watched = vec!["HEAD".to_string(), "index".into(), "packed-refs".into()];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watched.push(branch);
    }
    for name in watched {
        if let Some(path) = git(dir, &["rev-parse", "--git-path", &name]) {
            println!("cargo:rerun-if-changed={}", dir.join(path).display());
        }
    }
    // --no-optional-locks: a build must not rewrite the index of the checkout it reads.
    let changes = git(
        dir,
        &[
            "--no-optional-locks",
            "status",
            "--porcelain",
            "--untracked-files=no",
        ],
    )?;
    Some(if changes.is_empty() {
        commit
    } else {
        format!("{commit}-dirty")
    })
}

/// `git ARGS` run in `dir`: its trimmed output, or `None` when git is missing or fails.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The release link's symbol ordering (see the top of this file).
fn order_symbols() {
    println!("cargo:rerun-if-changed=hot-symbols.txt");
    println!("cargo:rerun-if-changed=start-symbols.txt");
    println!("cargo:rerun-if-env-changed=BANDWATCH_NO_SYMBOL_ORDER");
    let release = env::var("PROFILE").is_ok_and(|p| p == "release");
    let target = env::var("TARGET").is_ok_and(|t| t == "x86_64-unknown-linux-gnu");
    let opted_out = env::var_os("BANDWATCH_NO_SYMBOL_ORDER").is_some_and(|v| v == "1");
    let own_linker = !env::var("CARGO_ENCODED_RUSTFLAGS").is_ok_and(|f| f.contains("link"));
    if !(release && target && own_linker && lld_by_default()) || opted_out {
        return;
    }
    let Some(dir) = env::var_os("CARGO_MANIFEST_DIR") else {
        return;
    };
    let dir = PathBuf::from(dir);
    let Some(out) = env::var_os("OUT_DIR") else {
        return;
    };
    // the loop's functions first, then start-up's: one ordering file, in that order
    let mut order = String::new();
    for name in ["hot-symbols.txt", "start-symbols.txt"] {
        if let Ok(text) = std::fs::read_to_string(dir.join(name)) {
            order.push_str(&text);
            if !order.ends_with('\n') {
                order.push('\n');
            }
        }
    }
    if order.is_empty() {
        return;
    }
    let list = PathBuf::from(out).join("symbol-order.txt");
    if std::fs::write(&list, order).is_ok() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            list.display()
        );
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}

/// Whether this rustc links with rust-lld by default on x86_64 Linux (1.90 and later).
fn lld_by_default() -> bool {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Ok(out) = Command::new(rustc).arg("-vV").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(version) = text.lines().find_map(|l| l.strip_prefix("release: ")) else {
        return false;
    };
    let mut parts = version
        .split(['.', '-'])
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (1, 90)
}
