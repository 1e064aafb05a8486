//! Cost of one `SystemSource::collect` tick: the fixture `/proc` tree (with a fake
//! `statvfs`), and this machine's /proc with the real `statvfs`, opening each file every
//! tick and keeping them open as `bandwatch run` does for netdev.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use bandwatch_collect::{
    FakeFsUsage, FileSystem, KeptOpenFs, RealFs, Source, SystemConfig, SystemSource,
};
use bandwatch_core::SystemClock;
use criterion::{criterion_group, criterion_main, Criterion};

fn bench_tick<F: FileSystem>(c: &mut Criterion, label: &str, cfg: SystemConfig, fs: F) {
    let mut src = SystemSource::new(cfg, fs, SystemClock::new());
    if let Err(e) = src.collect() {
        eprintln!("skipping {label}: {e}");
        return;
    }
    c.bench_function(label, |b| b.iter(|| black_box(src.collect())));
}

fn system_tick(c: &mut Criterion) {
    let usage = FakeFsUsage::new();
    for mount in ["/", "/boot/efi", "/mnt/backup"] {
        usage.set(mount, 1_000_000_000, 500_000_000);
    }
    let fixture = SystemConfig {
        proc_root: Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/system/proc"),
        fs_usage: Arc::new(usage),
    };
    bench_tick(c, "system_tick/fixture", fixture, RealFs);
    bench_tick(
        c,
        "system_tick/real_proc_reopen",
        SystemConfig::default(),
        RealFs,
    );
    bench_tick(
        c,
        "system_tick/real_proc_kept_open",
        SystemConfig::default(),
        KeptOpenFs::default(),
    );
}

criterion_group!(benches, system_tick);
criterion_main!(benches);
