//! Cost of one `NetdevSource::collect` tick through the real file system: a fixture tree
//! with 1 and with 64 interfaces (each with its sysfs files), and this machine's /proc and
//! /sys. The target is well under 0.5 ms per tick for a handful of interfaces.

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;

use bandwatch_collect::{NetdevConfig, NetdevSource, RealFs, Source};
use bandwatch_core::SystemClock;
use criterion::{criterion_group, criterion_main, Criterion};

fn bench_tick(c: &mut Criterion, label: &str, cfg: NetdevConfig) {
    let mut src = NetdevSource::new(cfg, RealFs, SystemClock::new());
    if let Err(e) = src.collect() {
        eprintln!("skipping {label}: {e}");
        return;
    }
    c.bench_function(label, |b| b.iter(|| black_box(src.collect())));
}

fn netdev_tick(c: &mut Criterion) {
    let one = support::Tree::from_64_fixture(|name| name == "eth0");
    bench_tick(c, "netdev_tick/fixture_1_iface", one.config());
    let all = support::Tree::from_64_fixture(|_| true);
    bench_tick(c, "netdev_tick/fixture_64_ifaces", all.config());
    bench_tick(c, "netdev_tick/real_proc_sys", NetdevConfig::default());
}

criterion_group!(benches, netdev_tick);
criterion_main!(benches);
