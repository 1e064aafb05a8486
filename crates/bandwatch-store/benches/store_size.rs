//! Bytes on disk: 24 h at 1 s of 5 interfaces × 12 stored series with realistic traffic (a
//! noisy daily pattern of byte deltas, mostly-zero error counters, constant gauges), plus rates
//! (rollups only) and each frame's elapsed time. Reports bytes per raw sample, per live and per
//! sealed minute row, and projects the whole file at the default retentions from those rates
//! (24 h seals 18 h of minutes and keeps 6 h live, enough to measure both kinds of row).
//!
//! Run with `cargo bench -p bandwatch-store --bench store_size`.

use std::f64::consts::PI;
use std::sync::Arc;
use std::time::Instant;

use bandwatch_collect::netdev::metric as m;
use bandwatch_core::{Frame, SampleKind, Seconds, SeriesKey, Timestamp};
use bandwatch_store::{Retention, SqliteOptions, SqliteStore, Store, StoreStats};

const T0: i64 = 1_767_225_600_000;
const DAY_S: i64 = 86_400;

/// xorshift64*: a small deterministic noise source, so runs are comparable.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// One interface: its peak receive rate in bytes/s and its series keys.
struct Iface {
    peak_rx: f64,
    keys: Vec<(Arc<SeriesKey>, SampleKind)>,
}

const STORED: [(&str, SampleKind); 12] = [
    (m::NET_RX_BYTES, SampleKind::Delta),
    (m::NET_TX_BYTES, SampleKind::Delta),
    (m::NET_RX_PACKETS, SampleKind::Delta),
    (m::NET_TX_PACKETS, SampleKind::Delta),
    (m::NET_RX_ERRORS, SampleKind::Delta),
    (m::NET_TX_ERRORS, SampleKind::Delta),
    ("net_rx_dropped", SampleKind::Delta),
    ("net_tx_dropped", SampleKind::Delta),
    ("net_rx_multicast_packets", SampleKind::Delta),
    ("net_link_speed_bits_per_second", SampleKind::Gauge),
    (m::NET_MTU_BYTES, SampleKind::Gauge),
    ("net_link_up", SampleKind::Gauge),
];

fn ifaces() -> Vec<Iface> {
    let spec = [
        ("eth0", 4e6),
        ("eth1", 8e5),
        ("wlan0", 2e5),
        ("lo", 2e4),
        ("docker0", 500.0),
    ];
    spec.iter()
        .map(|(name, peak_rx)| {
            let mut keys: Vec<_> = STORED
                .iter()
                .map(|(m, k)| (Arc::new(SeriesKey::with_label(*m, "iface", name)), *k))
                .collect();
            for m in [m::NET_RX_BITS_PER_SECOND, m::NET_TX_BITS_PER_SECOND] {
                keys.push((
                    Arc::new(SeriesKey::with_label(m, "iface", name)),
                    SampleKind::Rate,
                ));
            }
            Iface {
                peak_rx: *peak_rx,
                keys,
            }
        })
        .collect()
}

/// The 14 values of one interface at second `s` (12 stored, then 2 rates), for `elapsed` seconds.
fn values(iface: &Iface, s: i64, elapsed: f64, noise: &mut Noise) -> [f64; 14] {
    let day = (PI * (s % DAY_S) as f64 / DAY_S as f64).sin().powi(2);
    let burst = if noise.chance(0.01) { 5.0 } else { 1.0 };
    let level = iface.peak_rx * elapsed * (0.15 + 0.85 * day) * burst;
    let rx = (level * (0.5 + noise.unit())).round();
    let tx = (level * 0.2 * (0.5 + noise.unit())).round();
    let rx_pkts = (rx / (700.0 + 600.0 * noise.unit())).round();
    let tx_pkts = (tx / (200.0 + 200.0 * noise.unit())).round();
    let rare = |noise: &mut Noise, p| {
        if noise.chance(p) {
            (1 + noise.next() % 3) as f64
        } else {
            0.0
        }
    };
    let rx_err = rare(noise, 0.0005);
    let tx_err = rare(noise, 0.0001);
    let rx_drop = rare(noise, 0.002);
    let tx_drop = rare(noise, 0.0005);
    let mcast = rare(noise, 0.05);
    [
        rx,
        tx,
        rx_pkts,
        tx_pkts,
        rx_err,
        tx_err,
        rx_drop,
        tx_drop,
        mcast,
        1e9,
        1500.0,
        1.0,
        rx * 8.0 / elapsed,
        tx * 8.0 / elapsed,
    ]
}

/// The frame of second `s`: ticks jitter by a few ms, and elapsed comes from a monotonic clock.
fn frame(ifaces: &[Iface], s: i64, prev_ts: i64, noise: &mut Noise) -> Frame {
    let ts = T0 + s * 1000 + (noise.next() % 5) as i64;
    let elapsed = (ts - prev_ts) as f64 / 1000.0 + (noise.next() % 1000) as f64 * 1e-9;
    let mut f = Frame::new("netdev", Timestamp(ts), Seconds(elapsed));
    for iface in ifaces {
        for ((key, kind), v) in iface.keys.iter().zip(values(iface, s, elapsed, noise)) {
            f.push(Arc::clone(key), v, *kind);
        }
    }
    f
}

fn simulate(store: &mut SqliteStore) -> i64 {
    let ifaces = ifaces();
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    let mut prev_ts = T0 - 1000;
    for s in 0..DAY_S {
        let f = frame(&ifaces, s, prev_ts, &mut noise);
        prev_ts = f.ts.0;
        store.write(std::slice::from_ref(&f)).expect("write");
        if s % 60 == 59 {
            store.maintain(f.ts).expect("maintain");
        }
    }
    prev_ts
}

/// Compressed payload per row by metric for one blob table, read from the file.
fn per_metric(conn: &rusqlite::Connection, table: &str) -> Vec<(String, u64, u64)> {
    let sql = format!(
        "SELECT s.metric, SUM(c.n), SUM(length(c.data)) FROM {table} c JOIN series s ON s.id = c.series_id
         GROUP BY s.metric ORDER BY s.metric"
    );
    let mut stmt = conn.prepare(&sql).expect("prepare");
    stmt.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get::<_, i64>(1)? as u64,
            r.get::<_, i64>(2)? as u64,
        ))
    })
    .expect("query")
    .collect::<Result<_, _>>()
    .expect("rows")
}

fn print_metrics(title: &str, unit: &str, metrics: &[(String, u64, u64)]) {
    println!("{title}");
    println!(
        "{:<34} {:>12} {:>12} {:>10}",
        "metric",
        format!("{unit}s"),
        "payload B",
        format!("B/{unit}")
    );
    for (metric, n, bytes) in metrics {
        println!(
            "{metric:<34} {n:>12} {bytes:>12} {:>10.3}",
            *bytes as f64 / *n as f64
        );
    }
    println!();
}

/// Page bytes and rows of each part of the file.
#[derive(Debug, Default)]
struct Parts {
    raw_bytes: u64,
    raw_samples: u64,
    live_bytes: u64,
    live_rows: u64,
    sealed_bytes: u64,
    sealed_rows: u64,
    hour_bytes: u64,
    hour_rows: u64,
    file_bytes: u64,
}

fn parts(conn: &rusqlite::Connection, stats: &StoreStats) -> Parts {
    let get = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).expect(sql) as u64;
    let pages = |names: &str| {
        get(&format!(
            "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN ({names})"
        ))
    };
    Parts {
        raw_bytes: stats.raw_bytes,
        raw_samples: stats.raw_samples,
        live_bytes: pages("'rollup_1m'"),
        live_rows: get("SELECT COUNT(*) FROM rollup_1m"),
        sealed_bytes: pages("'rollup_1m_blocks', 'rollup_1m_blocks_by_series'"),
        sealed_rows: get("SELECT COALESCE(SUM(n), 0) FROM rollup_1m_blocks"),
        hour_bytes: pages("'rollup_1h'"),
        hour_rows: stats.hour_rows,
        file_bytes: stats.file_bytes,
    }
}

fn per(bytes: u64, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else {
        bytes as f64 / n as f64
    }
}

fn print_parts(p: &Parts) {
    let line = |what: &str, bytes: u64, n: u64, unit: &str| {
        println!(
            "{what:<27}{bytes:>12}  {n:>9} {unit:<12} {:>8.3} B each",
            per(bytes, n)
        );
    };
    line("raw tier (pages)", p.raw_bytes, p.raw_samples, "samples");
    line(
        "minute rows, live (pages)",
        p.live_bytes,
        p.live_rows,
        "rows",
    );
    line("minute rows, sealed", p.sealed_bytes, p.sealed_rows, "rows");
    line("hour rows (pages)", p.hour_bytes, p.hour_rows, "rows");
    println!("whole file                 {:>12}", p.file_bytes);
    println!();
}

/// Whole-file size at the default retentions for this workload, from the measured rates.
fn print_projection(p: &Parts, raw_per_s: f64, series: u64) {
    let r = Retention::default();
    let series = series as f64;
    let raw = r.raw.as_secs_f64() * raw_per_s * per(p.raw_bytes, p.raw_samples);
    let minute_rows = series * r.minute.as_secs_f64() / 60.0;
    // Live rows: at most 9 h (3 h kept live plus one 6-hour block not yet sealed).
    let live_rows = series * 9.0 * 60.0;
    let live = per(p.live_bytes, p.live_rows);
    let before = minute_rows * live;
    let after = live_rows * live + (minute_rows - live_rows) * per(p.sealed_bytes, p.sealed_rows);
    // Hour rows have the minute rows' layout; 24 h gives too few for a stable page count.
    let hours = series * r.hour.as_secs_f64() / 3600.0 * live;
    let mb = |b: f64| b / 1e6;
    println!(
        "projected at default retention (raw 48 h, minutes 30 d, hours 2 y), {series} series:"
    );
    println!("  raw tier                  {:>10.1} MB", mb(raw));
    println!(
        "  minute rollups            {:>10.1} MB before (all rows live), {:.1} MB after (sealed)",
        mb(before),
        mb(after)
    );
    println!("  hour rollups (unchanged)  {:>10.1} MB", mb(hours));
    println!(
        "  whole file                {:>10.1} MB before, {:.1} MB after",
        mb(raw + before + hours),
        mb(raw + after + hours)
    );
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("size.db");
    let mut store = SqliteStore::open(&path, SqliteOptions::default()).expect("open");
    let start = Instant::now();
    let last = simulate(&mut store);
    store.flush().expect("flush");
    store.maintain(Timestamp(last)).expect("maintain");
    store.checkpoint().expect("checkpoint");
    let secs = start.elapsed().as_secs_f64();
    let stats = store.stats().expect("stats");
    drop(store);
    let conn = rusqlite::Connection::open(&path).expect("reopen");
    println!("24 h at 1 s, 5 interfaces x 12 stored series + elapsed (simulated in {secs:.1} s)");
    print_metrics("raw chunks", "sample", &per_metric(&conn, "chunks"));
    print_metrics(
        "sealed minute blocks",
        "row",
        &per_metric(&conn, "rollup_1m_blocks"),
    );
    let p = parts(&conn, &stats);
    print_parts(&p);
    let raw_per_s = stats.raw_samples as f64 / DAY_S as f64;
    print_projection(&p, raw_per_s, stats.series);
    let on_disk = std::fs::metadata(&path).map_or(0, |m| m.len());
    println!("file on disk after checkpoint {on_disk:>9}");
}
