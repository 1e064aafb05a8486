//! `write()` throughput in points per second into a database file on disk: one frame (one
//! transaction) per call, as the background writer does at one tick per second; and ten
//! frames per call at one tick per 0.1 s (what the writer batches per one-second flush), where
//! series outgrow their heads and seal inside the writes.

use std::hint::black_box;
use std::time::{Duration, Instant};

use bandwatch_core::Frame;
use bandwatch_store::{SqliteOptions, SqliteStore, Store};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use frames::{frame_at, frame_every, template};

mod frames;

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

/// Times `iters` writes of ten 0.1 s frames each, with upkeep every five minutes of data time
/// as the writer would: outside the timing, or inside it when `with_upkeep` (sealing happens
/// in both, in shares that differ between designs, so the sum is the fair comparison).
fn timed_fast_writes(
    store: &mut SqliteStore,
    template: &Frame,
    tick: &mut i64,
    iters: u64,
    with_upkeep: bool,
) -> Duration {
    let mut spent = Duration::ZERO;
    for _ in 0..iters {
        let frames: Vec<Frame> = (0..10)
            .map(|k| frame_every(template, *tick + k, 100))
            .collect();
        let start = Instant::now();
        store.write(black_box(&frames)).expect("write");
        spent += start.elapsed();
        *tick += 10;
        if *tick % 3000 == 0 {
            let start = Instant::now();
            store.maintain(frames[9].ts).expect("maintain");
            if with_upkeep {
                spent += start.elapsed();
            }
        }
    }
    spent
}

fn bench_fast_write(c: &mut Criterion) {
    let mut group = c.benchmark_group("store_write_tenth_second");
    let n = 1000usize;
    group.throughput(Throughput::Elements(10 * n as u64));
    for (name, with_upkeep) in [("write", false), ("write_and_upkeep", true)] {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut store = SqliteStore::open(&dir.path().join("bench.db"), SqliteOptions::default())
            .expect("open");
        let template = template(n);
        let mut tick = 0i64;
        group.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
            b.iter_custom(|iters| {
                timed_fast_writes(&mut store, &template, &mut tick, iters, with_upkeep)
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_write, bench_fast_write);
criterion_main!(benches);
