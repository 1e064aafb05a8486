//! The shape of the house, checked: the binary runs no loop and starts no thread (the agent
//! and the crates that own each server and runtime do), the agent depends only on the crates
//! DESIGN.md gives it, and no metric name is written outside the catalogue and tests — not in
//! Rust, not in the page's scripts.

use std::path::{Path, PathBuf};

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("crates/")
        .to_path_buf()
}

/// Every file under `dir` whose name ends with one of `exts`, skipping `node_modules`.
fn files(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name()
                .is_some_and(|n| n != "node_modules" && n != "target")
            {
                files(&p, exts, out);
            }
        } else if p
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| exts.contains(&x))
        {
            out.push(p);
        }
    }
}

/// The lines of a Rust file before its `#[cfg(test)] mod …` (the unit tests).
fn non_test_lines(text: &str) -> Vec<(usize, &str)> {
    let lines: Vec<&str> = text.lines().collect();
    let end = lines
        .windows(2)
        .position(|w| w[0].trim() == "#[cfg(test)]" && w[1].trim_start().starts_with("mod "))
        .unwrap_or(lines.len());
    lines[..end]
        .iter()
        .enumerate()
        .map(|(i, l)| (i + 1, *l))
        .collect()
}

fn is_test_file(p: &Path) -> bool {
    p.components().any(|c| c.as_os_str() == "tests") || p.ends_with("tests.rs")
}

#[test]
fn the_binary_starts_no_thread_and_runs_no_loop() {
    let mut sources = Vec::new();
    files(&crates_dir().join("bandwatch/src"), &["rs"], &mut sources);
    assert!(!sources.is_empty());
    let forbidden = [
        "std::thread",
        "thread::spawn",
        "thread::Builder",
        "thread::scope",
        "tokio::runtime",
        "tokio::spawn",
    ];
    let mut found = Vec::new();
    for p in &sources {
        let text = std::fs::read_to_string(p).expect("read");
        for (n, line) in non_test_lines(&text) {
            if forbidden.iter().any(|f| line.contains(f)) {
                found.push(format!("{}:{n}: {}", p.display(), line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "threads and runtimes belong to the agent and the crates that own them:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_agent_depends_only_on_core_collect_engine_and_store() {
    let manifest = std::fs::read_to_string(crates_dir().join("bandwatch-agent/Cargo.toml"))
        .expect("agent manifest");
    let table: toml::Table = manifest.parse().expect("toml");
    let ours: Vec<&String> = table["dependencies"]
        .as_table()
        .expect("[dependencies]")
        .keys()
        .filter(|k| k.starts_with("bandwatch"))
        .collect();
    let allowed = [
        "bandwatch-core",
        "bandwatch-collect",
        "bandwatch-engine",
        "bandwatch-store",
    ];
    assert!(
        ours.iter().all(|k| allowed.contains(&k.as_str())),
        "bandwatch-agent may depend on {allowed:?} only, not {ours:?}"
    );
}

#[test]
fn metric_names_are_written_only_in_the_catalogue_and_tests() {
    let names: Vec<&str> = bandwatch_collect::catalog()
        .metrics()
        .iter()
        .map(|m| m.name)
        .collect();
    let mut sources = Vec::new();
    files(&crates_dir(), &["rs"], &mut sources);
    let catalogue = |p: &Path| {
        p.ends_with("metric.rs") && p.components().any(|c| c.as_os_str() == "bandwatch-collect")
    };
    let mut found = Vec::new();
    for p in sources.iter().filter(|p| !is_test_file(p) && !catalogue(p)) {
        let text = std::fs::read_to_string(p).expect("read");
        for (n, line) in non_test_lines(&text) {
            for name in &names {
                if line.contains(&format!("\"{name}\"")) {
                    found.push(format!("{}:{n}: {name}", p.display()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "metric names outside the catalogue (take them from the source's metric.rs or the \
         catalogue by role):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_page_names_no_metric() {
    let names: Vec<&str> = bandwatch_collect::catalog()
        .metrics()
        .iter()
        .map(|m| m.name)
        .collect();
    let mut assets = Vec::new();
    files(
        &crates_dir().join("bandwatch-web/assets"),
        &["js", "mjs", "html"],
        &mut assets,
    );
    assert!(!assets.is_empty(), "the page's assets are found");
    let mut found = Vec::new();
    for p in &assets {
        let text = std::fs::read_to_string(p).expect("read");
        for name in &names {
            if text.contains(name) {
                found.push(format!("{}: {name}", p.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "the page must take metric names from /api/v1/catalog:\n{}",
        found.join("\n")
    );
}
