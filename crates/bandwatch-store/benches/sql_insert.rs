//! `SqlStore::write()` throughput in points per second against the local MariaDB and
//! PostgreSQL servers (each in a fresh database, dropped afterwards): one frame per call as the
//! writer does when healthy, and 10 frames per call as it does when catching up. A server
//! that is not running is skipped.

use std::hint::black_box;
use std::time::{Duration, Instant};

use bandwatch_core::{Frame, Timestamp};
use bandwatch_store::{SqlOptions, SqlStore, Store};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

#[allow(missing_docs, clippy::pedantic)]
#[path = "../tests/sqlcommon/mod.rs"]
mod sqlcommon;

use frames::{frame_at, template, T0};
use sqlcommon::{FreshDb, Server};

mod frames;

/// Times `iters` writes of `batch` frames each; upkeep every 60 ticks runs outside the timing.
fn timed_writes(
    store: &mut SqlStore,
    template: &Frame,
    batch: i64,
    tick: &mut i64,
    iters: u64,
) -> Duration {
    let mut spent = Duration::ZERO;
    for _ in 0..iters {
        let frames: Vec<Frame> = (0..batch).map(|k| frame_at(template, *tick + k)).collect();
        let start = Instant::now();
        store.write(black_box(&frames)).expect("write");
        spent += start.elapsed();
        let before = *tick;
        *tick += batch;
        if before / 60 != *tick / 60 {
            store
                .maintain(Timestamp(T0 + *tick * 1000))
                .expect("maintain");
        }
    }
    spent
}

fn bench_server(c: &mut Criterion, server: Server) {
    let Some(db) = FreshDb::create(server) else {
        return;
    };
    let mut store = SqlStore::connect(&db.url, SqlOptions::default()).expect("connect");
    let name = match server {
        Server::MySql => "mariadb",
        Server::Postgres => "postgres",
    };
    let mut group = c.benchmark_group(format!("sql_write_{name}"));
    group.measurement_time(Duration::from_secs(5));
    let template = template(1000);
    let mut tick = 0i64;
    for batch in [1i64, 10] {
        group.throughput(Throughput::Elements(1000 * batch as u64));
        group.bench_with_input(
            BenchmarkId::new("frames_of_1000_per_write", batch),
            &batch,
            |b, &batch| {
                b.iter_custom(|iters| timed_writes(&mut store, &template, batch, &mut tick, iters));
            },
        );
    }
    group.finish();
    drop(store);
    drop(db);
}

fn bench_write(c: &mut Criterion) {
    bench_server(c, Server::MySql);
    bench_server(c, Server::Postgres);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench_write
}
criterion_main!(benches);
