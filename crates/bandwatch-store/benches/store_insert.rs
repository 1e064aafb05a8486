//! `write()` throughput in points per second: one frame (one transaction) per call, as the
//! background writer does at one tick per second, into a database file on disk.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bandwatch_core::{Frame, SampleKind, Seconds, SeriesKey, Timestamp};
use bandwatch_store::{SqliteOptions, SqliteStore, Store};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const T0: i64 = 1_767_225_600_000;

/// A frame with `n` samples over `n / 3` interfaces: a delta, its rate and a gauge each.
fn template(n: usize) -> Frame {
    let mut f = Frame::new("netdev", Timestamp(T0), Seconds(1.0));
    for i in 0..n {
        let iface = format!("eth{}", i / 3);
        let (metric, kind) = match i % 3 {
            0 => ("net_rx_bytes", SampleKind::Delta),
            1 => ("net_rx_bits_per_second", SampleKind::Rate),
            _ => ("net_link_up", SampleKind::Gauge),
        };
        f.push(
            Arc::new(SeriesKey::with_label(metric, "iface", &iface)),
            0.0,
            kind,
        );
    }
    f
}

/// The template stamped at tick `tick` with values that vary like traffic does.
fn frame_at(template: &Frame, tick: i64) -> Frame {
    let mut f = template.clone();
    f.ts = Timestamp(T0 + tick * 1000);
    for (i, s) in f.samples.iter_mut().enumerate() {
        s.ts = f.ts;
        s.value = match s.kind {
            SampleKind::Delta => ((tick * 7919 + i as i64 * 104_729) % 1_000_000) as f64,
            SampleKind::Rate => ((tick * 7919 + i as i64 * 104_729) % 1_000_000) as f64 * 8.0,
            SampleKind::Gauge => 1.0,
        };
    }
    f
}

/// Times `iters` writes, running upkeep every 60 frames outside the timing as the writer would.
fn timed_writes(store: &mut SqliteStore, template: &Frame, tick: &mut i64, iters: u64) -> Duration {
    let mut spent = Duration::ZERO;
    for _ in 0..iters {
        let frame = frame_at(template, *tick);
        let start = Instant::now();
        store
            .write(black_box(std::slice::from_ref(&frame)))
            .expect("write");
        spent += start.elapsed();
        *tick += 1;
        if *tick % 60 == 0 {
            store.maintain(frame.ts).expect("maintain");
        }
    }
    spent
}

fn bench_write(c: &mut Criterion) {
    let mut group = c.benchmark_group("store_write");
    for n in [60usize, 1000] {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut store = SqliteStore::open(&dir.path().join("bench.db"), SqliteOptions::default())
            .expect("open");
        let template = template(n);
        let mut tick = 0i64;
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("samples_per_frame", n), &n, |b, _| {
            b.iter_custom(|iters| timed_writes(&mut store, &template, &mut tick, iters));
        });
    }
    group.finish();
}

criterion_group!(benches, bench_write);
criterion_main!(benches);
