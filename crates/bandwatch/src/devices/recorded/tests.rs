// Rates here are exact by construction (whole bytes over whole seconds, computed once).
#![allow(clippy::float_cmp)]

use std::sync::Arc;

use bandwatch_core::{Frame, SampleKind, Seconds};
use bandwatch_store::{SqliteOptions, SqliteStore};

use super::*;

/// 2026-01-01T00:00Z: a month's and a day's start.
const T0: i64 = 1_767_225_600_000;
const HOUR: i64 = 60 * MINUTE_MS;

struct Dev {
    labels: [(&'static str, &'static str); 3],
    /// Bytes down and up in minute `k` (from T0), when it moves.
    bytes: fn(i64) -> Option<(f64, f64)>,
}

const DEVICES: [Dev; 3] = [
    // Moves every even hour.
    Dev {
        labels: [
            ("device", "Laptop"),
            ("ip", "192.168.1.20"),
            ("mac", "aa:bb:cc:dd:ee:01"),
        ],
        bytes: |k| ((k / 60) % 2 == 0).then_some((1_000_000.0, 50_000.0)),
    },
    // Only yesterday evening, 20:00 to 22:00; no MAC seen.
    Dev {
        labels: [
            ("device", "192.168.1.30"),
            ("ip", "192.168.1.30"),
            ("mac", ""),
        ],
        bytes: |k| {
            (44 * 60..46 * 60)
                .contains(&k)
                .then_some((5_000_000.0, 100_000.0))
        },
    },
    // The last half hour, fast enough to go over the `unknown` limit.
    Dev {
        labels: [
            ("device", "aa:bb:cc:dd:ee:03"),
            ("ip", "192.168.1.40"),
            ("mac", "aa:bb:cc:dd:ee:03"),
        ],
        bytes: |k| (k > 51 * 60 - 30).then_some((4_000_000.0, 200_000.0)),
    },
];

/// Minute frames from T0 to 03:00 on the 3rd, as the devices source writes them: deltas,
/// rates, `device_active` while moving and once after, the source's elapsed time.
fn history() -> SqliteStore {
    let mut store = SqliteStore::open_in_memory(SqliteOptions::default()).expect("store");
    let elapsed = Arc::new(SeriesKey::new(
        ELAPSED_METRIC,
        Labels::from_pairs([("source", SOURCE_NAME)]),
    ));
    let frames: Vec<Frame> = (1..=51 * 60)
        .map(|k| {
            let mut f = Frame::new(SOURCE_NAME, Timestamp(T0 + k * MINUTE_MS), Seconds(60.0));
            f.push(Arc::clone(&elapsed), 60.0, SampleKind::Gauge);
            for d in &DEVICES {
                let key = |m: &str| Arc::new(SeriesKey::new(m, Labels::from_pairs(d.labels)));
                match (d.bytes)(k) {
                    Some((rx, tx)) => {
                        f.push(key("device_rx_bytes"), rx, SampleKind::Delta);
                        f.push(key("device_tx_bytes"), tx, SampleKind::Delta);
                        f.push(key("device_active"), 1.0, SampleKind::Gauge);
                    }
                    None if (d.bytes)(k - 1).is_some() => {
                        f.push(key("device_active"), 0.0, SampleKind::Gauge);
                    }
                    None => {}
                }
            }
            f
        })
        .collect();
    store.write(&frames).expect("write");
    store
}

fn registry() -> Registry {
    Registry::from_json(
        r#"{ "unknown": { "bandwidth_threshold": 100000000, "max_active_time": 10800 },
             "192.168.1.20": { "name": "Laptop", "bandwidth_threshold": 500000000, "max_active_time": 18000 } }"#,
    )
    .expect("registry")
}

fn span() -> Span {
    Span {
        now: Timestamp(T0 + 51 * HOUR),
        day: Timestamp(T0 + 48 * HOUR),
        month: Timestamp(T0),
        since: Timestamp(T0 + 51 * HOUR - 31 * 24 * HOUR),
        window: Duration::from_secs(3600),
    }
}

#[test]
fn the_table_of_a_generated_history() {
    let store = history();
    let rows = devices(&store, &registry(), span(), DeviceSort::Total).expect("devices");
    insta::assert_snapshot!(table(&rows));
}

#[test]
fn sums_are_exact_and_the_threshold_is_judged_over_the_window() {
    let store = history();
    let rows = devices(&store, &registry(), span(), DeviceSort::Ip).expect("devices");
    let names: Vec<&str> = rows.iter().map(|r| r.device.as_str()).collect();
    assert_eq!(names, ["Laptop", "192.168.1.30", "aa:bb:cc:dd:ee:03"]);
    let laptop = &rows[0];
    // Today (the 3rd) until 03:00: minutes 00:00 (the frame at 00:00 closes minute 23:59 of
    // the 2nd, an odd hour: nothing) … the even hours 00 and 02: 120 minutes.
    assert_eq!(laptop.today_rx_bytes, 120 * 1_000_000);
    // The month: hours 0, 2, …, 50 of 51 hours, minus minute 0 (no frame at T0).
    assert_eq!(laptop.month_rx_bytes, (26 * 60 - 1) * 1_000_000);
    assert_eq!(laptop.active_today_s, 120 * 60);
    assert_eq!(laptop.rx_bps, 0.0, "idle in the newest frame (03:00)");
    assert!(!laptop.threshold.over);
    let tv = &rows[1];
    assert_eq!((tv.today_rx_bytes, tv.month_rx_bytes), (0, 120 * 5_000_000));
    assert_eq!(tv.last_seen.as_deref(), Some("2026-01-02T21:59:00.000Z"));
    let phone = &rows[2];
    assert_eq!(phone.rx_bps, 4_000_000.0 * 8.0 / 60.0);
    assert_eq!(phone.threshold.bytes, 30 * 4_200_000);
    assert_eq!(phone.threshold.limit, Some(100_000_000));
    assert!(phone.threshold.over);
}

#[test]
fn an_empty_history_has_no_rows() {
    let store = SqliteStore::open_in_memory(SqliteOptions::default()).expect("store");
    let rows = devices(&store, &registry(), span(), DeviceSort::Total).expect("devices");
    assert!(rows.is_empty());
}
