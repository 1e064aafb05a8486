//! Writes a history for `scripts/bench-export.sh`: `DAYS` of samples every `STEP_MS` ending
//! now, for `IFACES` interfaces, into the SQLite file `PATH`, as `bandwatch run` stores them:
//! per interface the rx/tx byte and packet deltas, the rx/tx rates (kept in rollups only) and
//! the link state, plus the frame's elapsed time. Retention is long enough that nothing is
//! pruned, so every raw point stays exportable.
//!
//! `cargo run --release -p bandwatch --example export_bench_history -- PATH DAYS IFACES STEP_MS`

use std::sync::Arc;
use std::time::Duration;

use bandwatch_collect::catalog;
use bandwatch_core::{
    Clock as _, Frame, Role, SampleKind, Seconds, SeriesKey, SystemClock, Timestamp,
};
use bandwatch_store::{Retention, SqliteOptions, SqliteStore, Store as _};

/// The series of one interface, by role, and how each is kept.
const SERIES: [(Role, SampleKind); 7] = [
    (Role::RxBytes, SampleKind::Delta),
    (Role::TxBytes, SampleKind::Delta),
    (Role::RxPackets, SampleKind::Delta),
    (Role::TxPackets, SampleKind::Delta),
    (Role::RxRate, SampleKind::Rate),
    (Role::TxRate, SampleKind::Rate),
    (Role::LinkUp, SampleKind::Gauge),
];

fn arg(n: usize, what: &str) -> String {
    std::env::args().nth(n).unwrap_or_else(|| {
        panic!("usage: export_bench_history PATH DAYS IFACES STEP_MS (no {what})")
    })
}

fn main() {
    let path = arg(1, "PATH");
    let days: i64 = arg(2, "DAYS").parse().expect("DAYS: a whole number");
    let ifaces: usize = arg(3, "IFACES").parse().expect("IFACES: a whole number");
    let step_ms: i64 = arg(4, "STEP_MS").parse().expect("STEP_MS: a whole number");
    let long = Duration::from_secs(3650 * 86_400);
    let opts = SqliteOptions {
        retention: Retention {
            raw: long,
            minute: long,
            hour: long,
        },
        ..SqliteOptions::default()
    };
    let mut store = SqliteStore::open(std::path::Path::new(&path), opts).expect("open the store");
    let names: Vec<String> = (0..ifaces).map(|i| format!("eth{i}")).collect();
    let keys: Vec<Vec<(Arc<SeriesKey>, SampleKind, f64)>> = names
        .iter()
        .map(|iface| {
            SERIES
                .iter()
                .map(|(role, kind)| {
                    let factor = catalog()
                        .by_role(*role)
                        .and_then(|d| d.derives_from)
                        .map_or(1.0, |d| d.factor);
                    (
                        Arc::new(SeriesKey::with_label(
                            catalog().name_of(*role),
                            "iface",
                            iface,
                        )),
                        *kind,
                        factor,
                    )
                })
                .collect()
        })
        .collect();
    let now = SystemClock::new().wall().0;
    let end = now - now % step_ms;
    let ticks = days * 86_400_000 / step_ms;
    let secs = step_ms as f64 / 1000.0;
    let mut batch = Vec::with_capacity(10_000);
    for t in 0..ticks {
        let ts = end - (ticks - t) * step_ms;
        let mut f = Frame::new("netdev", Timestamp(ts), Seconds(secs));
        for (n, series) in keys.iter().enumerate() {
            // A traffic level that moves with the tick and differs per interface.
            let bytes = (1000 + (t * 7919 + n as i64 * 104_729) % 1_000_000) as f64;
            for (key, kind, factor) in series {
                let v = match kind {
                    SampleKind::Delta => bytes,
                    SampleKind::Rate => bytes * factor / secs,
                    SampleKind::Gauge => 1.0,
                };
                f.push(Arc::clone(key), v, *kind);
            }
        }
        batch.push(f);
        if batch.len() == batch.capacity() {
            store.write(&batch).expect("write");
            batch.clear();
        }
    }
    store.write(&batch).expect("write");
    store.flush().expect("flush");
    store.maintain(Timestamp(now)).expect("maintain");
    println!("{ticks} frames of {} series", ifaces * SERIES.len() + 1);
}
