//! A synthetic netdev-like timeline for store tests: timestamps are generated, never read from a clock.
//! Also the alert history the SQLite and SQL alert tests share, and small SQLite helpers.

// Shared by several test crates; each uses only part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use bandwatch_core::{
    alert_id, AlertEvent, EventKind, Frame, SampleKind, Seconds, SeriesKey, Severity, Timestamp,
};
use bandwatch_store::{MaintenanceReport, RollupPoint, SqliteOptions, SqliteStore, Store};

/// 2026-01-01T00:00:00Z, aligned to the hour.
pub const T0: i64 = 1_767_225_600_000;

/// The instant `secs` seconds after [`T0`].
pub fn ts(secs: i64) -> Timestamp {
    Timestamp(T0 + secs * 1000)
}

/// A SQLite store at `path` with the default options.
pub fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(path, SqliteOptions::default()).expect("open")
}

/// A SQLite store in memory with the default options.
pub fn memory() -> SqliteStore {
    SqliteStore::open_in_memory(SqliteOptions::default()).expect("open")
}

/// The schema version of the SQLite file at `path`.
pub fn user_version(path: &Path) -> i64 {
    rusqlite::Connection::open(path)
        .expect("open")
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("user_version")
}

/// Turns the SQLite file at `path` into what an older version left on disk: `sql` drops what
/// that version did not have and sets its `user_version`.
pub fn downgrade(path: &Path, sql: &str) {
    rusqlite::Connection::open(path)
        .expect("open")
        .execute_batch(sql)
        .expect(sql);
}

pub fn delta_key() -> Arc<SeriesKey> {
    Arc::new(SeriesKey::with_label("net_rx_bytes", "iface", "eth0"))
}

pub fn rate_key() -> Arc<SeriesKey> {
    Arc::new(SeriesKey::with_label(
        "net_rx_bits_per_second",
        "iface",
        "eth0",
    ))
}

pub fn gauge_key() -> Arc<SeriesKey> {
    Arc::new(SeriesKey::with_label(
        "net_link_speed_bits_per_second",
        "iface",
        "eth0",
    ))
}

pub fn elapsed_key() -> SeriesKey {
    SeriesKey::with_label("sample_elapsed_seconds", "source", "netdev")
}

/// Bytes received in tick `i`: a pseudo-random integer below 10 007 with a known total.
pub fn delta_at(i: i64) -> f64 {
    // splitmix64, so the codec cannot predict it from its neighbours.
    let mut z = (i as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) % 10_007) as f64
}

/// Link speed in tick `i`: drops to 100 Mbit/s for one hour in five.
pub fn gauge_at(i: i64) -> f64 {
    if (i / 3600) % 5 == 4 {
        1e8
    } else {
        1e9
    }
}

/// The frame of tick `i` of a timeline with `step_ms` between ticks, stamped at the end of its interval.
pub fn frame(i: i64, step_ms: i64) -> Frame {
    let ts = Timestamp(T0 + (i + 1) * step_ms);
    let elapsed = step_ms as f64 / 1000.0;
    let mut f = Frame::new("netdev", ts, Seconds(elapsed));
    let delta = delta_at(i);
    f.push(delta_key(), delta, SampleKind::Delta);
    f.push(rate_key(), delta * 8.0 / elapsed, SampleKind::Rate);
    f.push(gauge_key(), gauge_at(i), SampleKind::Gauge);
    f
}

/// The expected rollups of one series: bucket → (count, sum, min, max, last), built by the plainest loop.
#[derive(Debug, Default)]
pub struct Oracle {
    pub buckets: BTreeMap<i64, (u64, f64, f64, f64, f64)>,
}

impl Oracle {
    pub fn add(&mut self, width_ms: i64, ts: i64, v: f64) {
        let b = ts.div_euclid(width_ms) * width_ms;
        let e = self
            .buckets
            .entry(b)
            .or_insert((0, 0.0, f64::INFINITY, f64::NEG_INFINITY, 0.0));
        e.0 += 1;
        e.1 += v;
        e.2 = e.2.min(v);
        e.3 = e.3.max(v);
        e.4 = v;
    }

    /// Asserts that `points` hold exactly the oracle's buckets in `[from, to)`.
    pub fn check(&self, what: &str, points: &[RollupPoint], from: i64, to: i64) {
        let expected: Vec<_> = self.buckets.range(from..to).collect();
        assert_eq!(points.len(), expected.len(), "{what}: bucket count");
        for (p, (b, e)) in points.iter().zip(expected) {
            let got = (p.count, p.sum, p.min, p.max, p.last);
            assert_eq!((p.bucket.0, got), (*b, *e), "{what}: bucket {b}");
        }
    }
}

/// Writes ticks `0..n` in batches as the background writer would, with upkeep every
/// `maintain_ms` of data time and once at the end; returns the data time of the last frame
/// and what upkeep did in total.
pub fn run_timeline(
    store: &mut impl Store,
    n: i64,
    step_ms: i64,
    batch: i64,
    maintain_ms: i64,
) -> (i64, MaintenanceReport) {
    let mut total = MaintenanceReport::default();
    let mut maintained = T0;
    let mut i = 0;
    while i < n {
        let frames: Vec<_> = (i..(i + batch).min(n)).map(|j| frame(j, step_ms)).collect();
        let now = frames.last().map_or(T0, |f| f.ts.0);
        store.write(&frames).expect("write");
        if now - maintained >= maintain_ms {
            add(
                &mut total,
                store.maintain(Timestamp(now)).expect("maintain"),
            );
            maintained = now;
        }
        i += batch;
    }
    let end = T0 + n * step_ms;
    add(
        &mut total,
        store.maintain(Timestamp(end)).expect("maintain"),
    );
    (end, total)
}

fn add(total: &mut MaintenanceReport, r: MaintenanceReport) {
    total.chunks_sealed += r.chunks_sealed;
    total.points_sealed += r.points_sealed;
    total.hour_rows_built += r.hour_rows_built;
    total.chunks_pruned += r.chunks_pruned;
    total.minute_rows_sealed += r.minute_rows_sealed;
    total.minute_blocks_sealed += r.minute_blocks_sealed;
    total.minute_rows_pruned += r.minute_rows_pruned;
    total.hour_rows_pruned += r.hour_rows_pruned;
}

/// Minute and hour oracles for the delta, rate and gauge series over ticks `0..n`.
pub fn oracles(n: i64, step_ms: i64, width_ms: i64) -> [Oracle; 3] {
    let mut out = [Oracle::default(), Oracle::default(), Oracle::default()];
    for i in 0..n {
        let ts = T0 + (i + 1) * step_ms;
        let elapsed = step_ms as f64 / 1000.0;
        out[0].add(width_ms, ts, delta_at(i));
        out[1].add(width_ms, ts, delta_at(i) * 8.0 / elapsed);
        out[2].add(width_ms, ts, gauge_at(i));
    }
    out
}

/// The series the alert tests watch, one per interface.
pub fn alert_series(iface: &str) -> SeriesKey {
    SeriesKey::with_label("net_rx_bits_per_second", "iface", iface)
}

/// An event of the alert `rule` raised on `iface` starting at `T0 + started` seconds, happening
/// at `T0 + at` seconds; value and message name the instant so each event is recognisable.
pub fn alert_event(
    rule: &str,
    iface: &str,
    started: i64,
    kind: EventKind,
    severity: Severity,
    at: i64,
) -> AlertEvent {
    let series = alert_series(iface);
    let started = Timestamp(T0 + started * 1000);
    let at = Timestamp(T0 + at * 1000);
    AlertEvent {
        id: alert_id(rule, &series, started),
        rule: rule.to_owned(),
        series,
        kind,
        state: kind.state(),
        severity,
        value: (at.0 - T0) as f64 * 1000.0,
        reference: 5e5,
        message: format!("{kind} at {at}"),
        started,
        ended: (kind == EventKind::Resolved).then_some(at),
        at,
    }
}

/// Four alerts:
/// - `a` (rx_high on eth0, from 0 s): pending, fired medium, escalated high, resolved at 600 s;
/// - `b` (rx_high on eth1, from 300 s): fired low, still firing;
/// - `c` (link on eth2, from 1000 s): fired critical, resolved at 1100 s with severity low;
/// - `d` (rx_high on eth3, from 2000 s): pending low.
pub fn alert_history() -> Vec<AlertEvent> {
    use EventKind::{Escalated, Fired, Pending, Resolved};
    use Severity::{Critical, High, Low, Medium};
    vec![
        alert_event("rx_high", "eth0", 0, Pending, Medium, 0),
        alert_event("rx_high", "eth0", 0, Fired, Medium, 60),
        alert_event("rx_high", "eth0", 0, Escalated, High, 120),
        alert_event("rx_high", "eth1", 300, Fired, Low, 300),
        alert_event("rx_high", "eth0", 0, Resolved, High, 600),
        alert_event("link", "eth2", 1000, Fired, Critical, 1000),
        alert_event("link", "eth2", 1000, Resolved, Low, 1100),
        alert_event("rx_high", "eth3", 2000, Pending, Low, 2000),
    ]
}

/// The series keys (as text) of [`alert_series`] for these interfaces.
pub fn series_names(ifaces: &[&str]) -> Vec<String> {
    ifaces.iter().map(|i| alert_series(i).to_string()).collect()
}
