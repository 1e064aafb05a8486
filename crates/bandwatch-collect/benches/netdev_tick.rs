//! Cost of one `NetdevSource::collect` tick through the real file system: a fixture tree
//! with 1 and with 64 interfaces (each with its sysfs files), and this machine's /proc and
//! /sys (opening each file every tick, and keeping files open as `bandwatch run` does). The target is well under 0.5 ms per tick for a handful of interfaces.

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;

use bandwatch_collect::{FileSystem, KeptOpenFs, NetdevConfig, NetdevSource, RealFs, Source};
use bandwatch_core::SystemClock;
use criterion::{criterion_group, criterion_main, Criterion};

fn bench_tick<F: FileSystem>(c: &mut Criterion, label: &str, cfg: NetdevConfig, fs: F) {
    let mut src = NetdevSource::new(cfg, fs, SystemClock::new());
    if let Err(e) = src.collect() {
        eprintln!("skipping {label}: {e}");
        return;
    }
    c.bench_function(label, |b| b.iter(|| black_box(src.collect())));
}

fn netdev_tick(c: &mut Criterion) {
    let one = support::Tree::from_64_fixture(|name| name == "eth0");
    bench_tick(c, "netdev_tick/fixture_1_iface", one.config(), RealFs);
    let all = support::Tree::from_64_fixture(|_| true);
    bench_tick(c, "netdev_tick/fixture_64_ifaces", all.config(), RealFs);
    bench_tick(
        c,
        "netdev_tick/real_proc_sys_reopen",
        NetdevConfig::default(),
        RealFs,
    );
    // What `bandwatch run` uses on the real /proc and /sys: files kept open.
    bench_tick(
        c,
        "netdev_tick/real_proc_sys_kept_open",
        NetdevConfig::default(),
        KeptOpenFs::default(),
    );
}

criterion_group!(benches, netdev_tick);
criterion_main!(benches);
