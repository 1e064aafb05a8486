//! Memory bounded by design: two hours of samples every 0.1 s from 200 interfaces, written the
//! way the background writer writes them (batches of frames, upkeep every five minutes of data
//! time), keep what the store holds in memory under a fixed number of bytes per series at every
//! step, and the second hour needs no more than the first.
//!
//! Time is the frames' own timestamps (an injected clock); nothing here reads a clock.

use std::sync::Arc;

use bandwatch_core::{Frame, SampleKind, Seconds, SeriesKey, Timestamp};
use bandwatch_store::{
    HeldMemory, Retention, SqliteOptions, SqliteStore, Store, HELD_BYTES_PER_SERIES, HOUR_MS,
};

/// 2026-01-01T00:00:00Z, aligned to the hour.
const T0: i64 = 1_767_225_600_000;
const IFACES: usize = 200;
/// The sampling interval the issue measured: 0.1 s.
const STEP_MS: i64 = 100;
/// Frames per transaction: larger than the writer's one second, so two hours take few
/// transactions; the head's bound holds between any two writes whatever their size.
const FRAMES_PER_WRITE: i64 = 100;
/// The writer's default upkeep interval (data time).
const MAINTAIN_MS: i64 = 300_000;
const HOURS: i64 = 2;
/// Memory that does not grow with series: map minimums, group control bytes.
const FIXED_BYTES: u64 = 64 * 1024;

/// The counters netdev writes per interface that the raw tier keeps (deltas). Rates are
/// rollup-only and held in no head, so they would only slow the test down.
const DELTAS: [&str; 4] = [
    "net_rx_bytes",
    "net_tx_bytes",
    "net_rx_packets",
    "net_tx_packets",
];

/// splitmix64: traffic-like noise the codecs cannot predict, the same on every run.
fn noise(a: u64, b: u64) -> u64 {
    let mut z = (a << 20 ^ b).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One frame with every interface's deltas; times and values are set per tick.
fn template() -> Frame {
    let mut f = Frame::new("netdev", Timestamp(T0), Seconds(STEP_MS as f64 / 1000.0));
    for i in 0..IFACES {
        let iface = format!("veth{i:03}");
        for metric in DELTAS {
            let key = Arc::new(SeriesKey::with_label(metric, "iface", &iface));
            f.push(key, 0.0, SampleKind::Delta);
        }
    }
    f
}

/// Stamps `f` as tick `tick`. One interface in four is busy (bytes up to ~1.25 MB and
/// packets up to ~1000 per 0.1 s); the others are mostly idle, as most of a host's many
/// interfaces are, with a small burst one tick in sixteen.
fn set_tick(f: &mut Frame, tick: i64) {
    f.ts = Timestamp(T0 + (tick + 1) * STEP_MS);
    for (i, s) in f.samples.iter_mut().enumerate() {
        let n = noise(tick as u64, i as u64);
        let (iface, counter) = (i / DELTAS.len(), i % DELTAS.len());
        let peak = match (iface % 4, counter) {
            (0, 0 | 1) => 1_250_000,
            (0, _) => 1000,
            _ if n % 16 == 0 => 1500,
            _ => 1,
        };
        s.ts = f.ts;
        s.value = (n / 16 % peak) as f64;
    }
}

/// The bytes the store may hold for `series` series.
fn bound(series: usize) -> u64 {
    HELD_BYTES_PER_SERIES * series as u64 + FIXED_BYTES
}

#[test]
fn hours_at_a_tenth_of_a_second_keep_memory_under_the_per_series_bound() {
    let opts = SqliteOptions {
        // Short raw retention keeps the in-memory database small; the store's own memory is
        // what is measured, and in memory the test spends its time in the store, not on disk.
        retention: Retention {
            raw: std::time::Duration::from_secs(600),
            ..Retention::default()
        },
        ..SqliteOptions::default()
    };
    let mut store = SqliteStore::open_in_memory(opts).expect("open");
    // One batch of frames, stamped anew for every write: no allocation per tick.
    let mut frames = vec![template(); FRAMES_PER_WRITE as usize];
    let ticks = HOURS * HOUR_MS / STEP_MS;
    let mut max_per_hour = [HeldMemory::default(); HOURS as usize];
    let mut maintained = T0;
    let mut tick = 0;
    let mut series = 0;
    while tick < ticks {
        for (t, f) in (tick..).zip(frames.iter_mut()) {
            set_tick(f, t);
        }
        let now = frames[frames.len() - 1].ts.0;
        store.write(&frames).expect("write");
        if now - maintained >= MAINTAIN_MS {
            store.maintain(Timestamp(now)).expect("maintain");
            maintained = now;
        }
        tick += FRAMES_PER_WRITE;

        if series == 0 {
            series = store.series().expect("series").len();
        }
        let held = store.held_memory();
        assert!(
            held.heads + held.rollups <= bound(series),
            "after {:.1} min of data: heads {} + open rollups {} bytes exceed {} bytes for {series} series",
            (now - T0) as f64 / 60_000.0,
            held.heads,
            held.rollups,
            bound(series)
        );
        let hour = ((now - T0 - 1) / HOUR_MS) as usize;
        let max = &mut max_per_hour[hour];
        max.heads = max.heads.max(held.heads);
        max.rollups = max.rollups.max(held.rollups);
        max.series_index = max.series_index.max(held.series_index);
    }
    let [first, second] = max_per_hour;
    eprintln!("peak per hour: {first:?}, {second:?} for {series} series");
    // Heads rise and fall as series seal, so exactly where the peak falls within an hour is
    // chance, worth a few heads either way; 1 % (~45 KB here) absorbs that. Anything that
    // grows with time adds more over an hour of 0.1 s samples: ~10,000 seals an hour, so
    // even a 16-byte leak per seal is ~160 KB, and one per sample is gigabytes.
    assert!(
        second.heads <= first.heads + first.heads / 100
            && second.rollups <= first.rollups
            && second.series_index <= first.series_index,
        "memory grew with time: hour 1 peaked at {first:?}, hour 2 at {second:?}"
    );
    // Sealing as it goes loses and repeats nothing: every point of one series, in order.
    let key = SeriesKey::with_label("net_tx_packets", "iface", "veth199");
    let raw = store
        .query_raw(&key, Timestamp(0), Timestamp(i64::MAX))
        .expect("query");
    let kept = 600 * 1000 / STEP_MS as usize;
    assert!(raw.len() >= kept, "{} raw points kept", raw.len());
    assert!(raw.windows(2).all(|w| w[1].0 .0 - w[0].0 .0 == STEP_MS));
}
