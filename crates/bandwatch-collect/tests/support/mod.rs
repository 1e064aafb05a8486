//! On-disk `/proc` and `/sys` trees for the integration tests and the benchmark.

// Shared by tests/ and benches/ through `#[path]`; each uses only part of it.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use bandwatch_collect::NetdevConfig;

/// A checked-in file under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The text of a checked-in fixture file.
pub fn fixture_text(name: &str) -> String {
    fs::read_to_string(fixture(name)).expect("fixture file")
}

/// A temporary directory holding `proc/` and `sys/` roots.
pub struct Tree {
    _dir: tempfile::TempDir,
    /// The `proc_root` to configure.
    pub proc_root: PathBuf,
    /// The `sys_root` to configure.
    pub sys_root: PathBuf,
}

impl Tree {
    /// Empty roots: `proc/net/` and `sys/class/net/` exist, nothing else.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let proc_root = dir.path().join("proc");
        let sys_root = dir.path().join("sys");
        fs::create_dir_all(proc_root.join("net")).expect("mkdir proc/net");
        fs::create_dir_all(sys_root.join("class/net")).expect("mkdir sys/class/net");
        Self {
            _dir: dir,
            proc_root,
            sys_root,
        }
    }

    /// Roots with the basic fixture: `/proc/net/dev` and its sysfs tree.
    pub fn basic() -> Self {
        let tree = Self::new();
        tree.set_dev(&fixture_text("proc_net_dev_basic.txt"));
        copy_dir(&fixture("sys"), &tree.sys_root);
        tree
    }

    /// Roots with the named interfaces of the 64-interface fixture, each with a full set of
    /// sysfs files, as on a router.
    pub fn from_64_fixture(keep: impl Fn(&str) -> bool) -> Self {
        let tree = Self::new();
        let text = fixture_text("proc_net_dev_64.txt");
        let mut dev = String::new();
        for line in text.lines() {
            let name = line.split_once(':').map(|(n, _)| n.trim());
            match name {
                Some(n) if !line.contains('|') => {
                    if keep(n) {
                        dev.push_str(line);
                        dev.push('\n');
                        tree.add_link(n);
                    }
                }
                _ => {
                    dev.push_str(line);
                    dev.push('\n');
                }
            }
        }
        tree.set_dev(&dev);
        tree
    }

    /// Replaces `<proc_root>/net/dev`.
    pub fn set_dev(&self, text: &str) {
        fs::write(self.proc_root.join("net/dev"), text).expect("write net/dev");
    }

    /// Writes the sysfs files of a link that is up at 1 Gbit/s (`lo` gets loopback's).
    pub fn add_link(&self, iface: &str) {
        let files: &[(&str, &str)] = if iface == "lo" {
            &[
                ("operstate", "unknown"),
                ("carrier", "1"),
                ("flags", "0x9"),
                ("mtu", "65536"),
            ]
        } else {
            &[
                ("operstate", "up"),
                ("carrier", "1"),
                ("speed", "1000"),
                ("flags", "0x1003"),
                ("mtu", "1500"),
            ]
        };
        let dir = self.sys_root.join("class/net").join(iface);
        fs::create_dir_all(&dir).expect("mkdir iface");
        for (name, text) in files {
            fs::write(dir.join(name), format!("{text}\n")).expect("write sysfs file");
        }
    }

    /// A netdev configuration pointed at these roots.
    pub fn config(&self) -> NetdevConfig {
        NetdevConfig {
            proc_root: self.proc_root.clone(),
            sys_root: self.sys_root.clone(),
            ..NetdevConfig::default()
        }
    }
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}
