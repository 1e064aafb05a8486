//! Behaviour of `NetdevSource::collect` on literal /proc/net/dev texts, with an in-memory
//! file system and a clock the tests move.

// Deltas are integers carried exactly in f64 and the rates here are exact binary fractions;
// comparing them exactly is the point of these tests.
#![allow(clippy::float_cmp)]

use std::io;
use std::time::Duration;

use std::fmt::Write as _;

use bandwatch_core::{FakeClock, Frame, SampleKind, Seconds, Timestamp};
use proptest::prelude::*;

use super::metric::*;
use super::{InterfaceFilter, NetdevConfig, NetdevSource};
use crate::error::CollectError;
use crate::fs::FakeFs;
use crate::Source;

const DEV: &str = "/fake/proc/net/dev";
const SYS_NET: &str = "/fake/sys/class/net";
const START: Timestamp = Timestamp(1_795_255_200_000);
const HEADER: &str = "\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
";

/// One interface line's counters (fifo, frame, colls etc. are printed as 0).
#[derive(Debug, Clone, Copy, Default)]
struct Row {
    name: &'static str,
    rx_bytes: u64,
    rx_packets: u64,
    rx_errs: u64,
    rx_drop: u64,
    rx_multicast: u64,
    tx_bytes: u64,
    tx_packets: u64,
    tx_errs: u64,
    tx_drop: u64,
}

fn row(name: &'static str, rx_bytes: u64, tx_bytes: u64) -> Row {
    Row {
        name,
        rx_bytes,
        tx_bytes,
        ..Row::default()
    }
}

/// The text the kernel would print for these rows.
fn dev(rows: &[Row]) -> String {
    let mut s = HEADER.to_owned();
    for r in rows {
        let _ = writeln!(
            s,
            "{:>6}: {:>7} {:>7} {:>4} {:>4}    0     0          0 {:>9} {:>8} {:>7} {:>4} {:>4}    0     0       0          0",
            r.name, r.rx_bytes, r.rx_packets, r.rx_errs, r.rx_drop, r.rx_multicast,
            r.tx_bytes, r.tx_packets, r.tx_errs, r.tx_drop
        );
    }
    s
}

struct Rig {
    fs: FakeFs,
    clock: FakeClock,
    src: NetdevSource<FakeFs, FakeClock>,
}

impl Rig {
    fn new() -> Self {
        Self::with(|_| {})
    }

    fn with(change: impl FnOnce(&mut NetdevConfig)) -> Self {
        let mut cfg = NetdevConfig {
            proc_root: "/fake/proc".into(),
            sys_root: "/fake/sys".into(),
            ..NetdevConfig::default()
        };
        change(&mut cfg);
        let fs = FakeFs::new();
        let clock = FakeClock::new(START);
        let src = NetdevSource::new(cfg, fs.clone(), clock.clone());
        Self { fs, clock, src }
    }

    fn baseline(&mut self, text: &str) {
        self.fs.set(DEV, text);
        assert!(
            self.src.collect().unwrap().is_none(),
            "first tick is a baseline"
        );
    }

    fn try_tick(&mut self, ms: u64, text: &str) -> crate::Result<Option<Frame>> {
        self.clock.advance(Duration::from_millis(ms));
        self.fs.set(DEV, text);
        self.src.collect()
    }

    fn tick(&mut self, ms: u64, text: &str) -> Frame {
        self.try_tick(ms, text).unwrap().expect("a frame")
    }

    fn sysfs(&self, iface: &str, file: &str, text: &str) {
        self.fs.set(format!("{SYS_NET}/{iface}/{file}"), text);
    }
}

fn of(frame: &Frame, metric: &str, iface: &str) -> Option<f64> {
    frame.find(metric, LABEL_IFACE, iface)
}

fn total(frame: &Frame, metric: &str) -> Option<f64> {
    frame.find(metric, LABEL_SCOPE, SCOPE_TOTAL)
}

fn ifaces_in(frame: &Frame) -> Vec<String> {
    let mut v: Vec<String> = frame
        .samples
        .iter()
        .filter_map(|s| s.series.labels.get(LABEL_IFACE).map(str::to_owned))
        .collect();
    v.dedup();
    v
}

#[test]
fn first_tick_is_a_baseline_and_defaults_are_the_real_roots() {
    let mut rig = Rig::new();
    assert_eq!(rig.src.name(), "netdev");
    rig.baseline(&dev(&[row("eth0", 1, 1)]));
    assert_eq!(rig.src.watched_interfaces(), 1);
    let d = NetdevConfig::default();
    assert_eq!(d.proc_root, std::path::Path::new("/proc"));
    assert_eq!(d.sys_root, std::path::Path::new("/sys"));
    assert!(!d.loopback_in_total);
    assert!((d.max_plausible_bps - 1e12).abs() < 1.0);
}

#[test]
fn normal_interval_gives_exact_deltas_and_rates() {
    let mut rig = Rig::new();
    rig.baseline(&format!(
        "{HEADER}  eth0:    1000      10    0    0    0     0          0         5      500       5    0    0    0     0       0          0\n"
    ));
    let f = rig.tick(
        1000,
        &format!("{HEADER}  eth0:  126000    1010    2    3    0     0          0         9     2500      25    1    4    0     0       0          0\n"),
    );
    assert_eq!(f.source, "netdev");
    assert_eq!(f.elapsed, Seconds(1.0));
    assert_eq!(f.ts, START.add_millis(1000));
    let expect = [
        (NET_RX_BYTES, 125_000.0),
        (NET_TX_BYTES, 2000.0),
        (NET_RX_PACKETS, 1000.0),
        (NET_TX_PACKETS, 20.0),
        (NET_RX_ERRORS, 2.0),
        (NET_TX_ERRORS, 1.0),
        (NET_RX_DROPS, 3.0),
        (NET_TX_DROPS, 4.0),
        (NET_RX_MULTICAST, 4.0),
        (NET_BYTES, 127_000.0),
        (NET_RX_BITS_PER_SECOND, 1_000_000.0),
        (NET_TX_BITS_PER_SECOND, 16_000.0),
        (NET_RX_PACKETS_PER_SECOND, 1000.0),
        (NET_TX_PACKETS_PER_SECOND, 20.0),
        (NET_RX_ERRORS_PER_SECOND, 2.0),
        (NET_TX_ERRORS_PER_SECOND, 1.0),
        (NET_RX_DROPS_PER_SECOND, 3.0),
        (NET_TX_DROPS_PER_SECOND, 4.0),
        (NET_BITS_PER_SECOND, 1_016_000.0),
    ];
    for (metric, value) in expect {
        assert_eq!(of(&f, metric, "eth0"), Some(value), "{metric}");
        assert_eq!(total(&f, metric), Some(value), "total {metric}");
    }
    // 19 series for eth0 and 19 for the total; no sysfs here, so no gauges.
    assert_eq!(f.samples.len(), 38);
    for s in &f.samples {
        let kind = info_for(&s.series.metric).map(|m| m.kind);
        assert_eq!(Some(s.kind), kind, "{}", s.series);
        assert_eq!(s.ts, f.ts);
    }
}

#[test]
fn counter_wrapping_at_32_bits_counts_across_the_wrap() {
    let mut rig = Rig::new();
    rig.baseline(&dev(&[row("eth0", 4_294_967_000, 0)]));
    let f = rig.tick(1000, &dev(&[row("eth0", 1000, 0)]));
    assert_eq!(of(&f, NET_RX_BYTES, "eth0"), Some(1296.0));
    assert_eq!(of(&f, NET_RX_BITS_PER_SECOND, "eth0"), Some(10_368.0));
}

#[test]
fn counter_restarting_counts_from_zero() {
    let mut rig = Rig::new();
    rig.baseline(&dev(&[row("eth0", 1000, 700)]));
    let f = rig.tick(1000, &dev(&[row("eth0", 200, 800)]));
    assert_eq!(of(&f, NET_RX_BYTES, "eth0"), Some(200.0));
    assert_eq!(of(&f, NET_TX_BYTES, "eth0"), Some(100.0));
}

#[test]
fn large_u64_counter_going_backwards_is_a_reset() {
    let mut rig = Rig::new();
    rig.baseline(&dev(&[row("eth0", 10_000_000_000, 0)]));
    let f = rig.tick(1000, &dev(&[row("eth0", 5000, 0)]));
    assert_eq!(of(&f, NET_RX_BYTES, "eth0"), Some(5000.0));
    assert_eq!(of(&f, NET_RX_BITS_PER_SECOND, "eth0"), Some(40_000.0));
}

#[test]
fn vanished_interface_is_baselined_again_when_it_returns() {
    let mut rig = Rig::new();
    rig.baseline(&dev(&[row("eth0", 0, 0), row("usb0", 5000, 5000)]));
    let f = rig.tick(1000, &dev(&[row("eth0", 100, 0)]));
    assert_eq!(ifaces_in(&f), ["eth0"]);
    assert_eq!(total(&f, NET_RX_BYTES), Some(100.0));
    // It comes back with counters far above the old ones: no giant delta.
    let f = rig.tick(
        1000,
        &dev(&[row("eth0", 200, 0), row("usb0", 9_000_000_000, 10)]),
    );
    assert_eq!(ifaces_in(&f), ["eth0"]);
    assert_eq!(total(&f, NET_RX_BYTES), Some(100.0));
    let f = rig.tick(
        1000,
        &dev(&[row("eth0", 300, 0), row("usb0", 9_000_000_500, 30)]),
    );
    assert_eq!(of(&f, NET_RX_BYTES, "usb0"), Some(500.0));
    assert_eq!(of(&f, NET_TX_BYTES, "usb0"), Some(20.0));
    assert_eq!(total(&f, NET_RX_BYTES), Some(600.0));
}

#[test]
fn new_interface_is_reported_from_its_second_tick() {
    let mut rig = Rig::new();
    rig.baseline(&dev(&[row("eth0", 0, 0)]));
    let f = rig.tick(1000, &dev(&[row("eth0", 10, 0), row("wg0", 123_456, 0)]));
    assert_eq!(ifaces_in(&f), ["eth0"]);
    assert_eq!(total(&f, NET_RX_BYTES), Some(10.0));
    assert_eq!(rig.src.watched_interfaces(), 2);
    let f = rig.tick(1000, &dev(&[row("eth0", 20, 0), row("wg0", 124_456, 0)]));
    assert_eq!(ifaces_in(&f), ["eth0", "wg0"]);
    assert_eq!(of(&f, NET_RX_BYTES, "wg0"), Some(1000.0));
    assert_eq!(total(&f, NET_RX_BYTES), Some(1010.0));
}

#[test]
fn late_tick_divides_by_the_real_elapsed_time() {
    let mut rig = Rig::new();
    rig.baseline(&dev(&[row("eth0", 0, 0)]));
    let f = rig.tick(3000, &dev(&[row("eth0", 375_000, 0)]));
    assert_eq!(f.elapsed, Seconds(3.0));
    assert_eq!(of(&f, NET_RX_BYTES, "eth0"), Some(375_000.0));
    assert_eq!(of(&f, NET_RX_BITS_PER_SECOND, "eth0"), Some(1_000_000.0));
    assert_eq!(total(&f, NET_RX_BITS_PER_SECOND), Some(1_000_000.0));
}

#[test]
fn wall_clock_steps_do_not_change_elapsed() {
    // Elapsed comes from the monotonic clock; the wall clock only stamps the frame.
    let mut rig = Rig::new();
    rig.baseline(&dev(&[row("eth0", 0, 0)]));
    rig.clock.set_wall(Timestamp::from_secs(0));
    let f = rig.tick(1000, &dev(&[row("eth0", 1000, 0)]));
    assert_eq!(f.elapsed, Seconds(1.0));
    assert_eq!(f.ts, Timestamp(1000));
    assert_eq!(of(&f, NET_RX_BITS_PER_SECOND, "eth0"), Some(8000.0));
}

fn loopback_rig(loopback_in_total: bool) -> Rig {
    let mut rig = Rig::with(|c| c.loopback_in_total = loopback_in_total);
    rig.sysfs("lo", "flags", "0x9\n");
    rig.sysfs("eth0", "flags", "0x1003\n");
    // A second loopback under another name is found by its flags.
    rig.sysfs("lo1", "flags", "0x49\n");
    rig.baseline(&dev(&[
        row("lo", 0, 0),
        row("eth0", 0, 0),
        row("lo1", 0, 0),
    ]));
    rig
}

#[test]
fn loopback_is_left_out_of_the_total_by_default() {
    let mut rig = loopback_rig(false);
    let f = rig.tick(
        1000,
        &dev(&[
            row("lo", 5000, 5000),
            row("eth0", 100, 10),
            row("lo1", 7, 7),
        ]),
    );
    assert_eq!(
        of(&f, NET_RX_BYTES, "lo"),
        Some(5000.0),
        "still reported itself"
    );
    assert_eq!(total(&f, NET_RX_BYTES), Some(100.0));
    assert_eq!(total(&f, NET_TX_BYTES), Some(10.0));
}

#[test]
fn loopback_counts_in_the_total_when_configured() {
    let mut rig = loopback_rig(true);
    let f = rig.tick(
        1000,
        &dev(&[
            row("lo", 5000, 5000),
            row("eth0", 100, 10),
            row("lo1", 7, 7),
        ]),
    );
    assert_eq!(total(&f, NET_RX_BYTES), Some(5107.0));
    assert_eq!(total(&f, NET_TX_BITS_PER_SECOND), Some(5017.0 * 8.0));
}

#[test]
fn loopback_without_sysfs_is_known_by_name() {
    let mut rig = Rig::new();
    rig.baseline(&dev(&[row("lo", 0, 0), row("eth0", 0, 0)]));
    let f = rig.tick(1000, &dev(&[row("lo", 900, 0), row("eth0", 100, 0)]));
    assert_eq!(total(&f, NET_RX_BYTES), Some(100.0));
}

#[test]
fn include_and_exclude_globs_pick_interfaces_and_the_total() {
    let include = vec!["eth*".to_owned(), "wl?0".to_owned()];
    let exclude = vec!["eth1".to_owned()];
    let filter = InterfaceFilter::new(&include, &exclude).unwrap();
    let mut rig = Rig::with(|c| c.filter = filter);
    let rows = |n: u64| {
        dev(&[
            row("eth0", n, 0),
            row("eth1", 10 * n, 0),
            row("wlp0", 100 * n, 0),
            row("docker0", 1000 * n, 0),
        ])
    };
    rig.baseline(&rows(1));
    assert_eq!(rig.src.watched_interfaces(), 2);
    let f = rig.tick(1000, &rows(2));
    assert_eq!(ifaces_in(&f), ["eth0", "wlp0"]);
    assert_eq!(total(&f, NET_RX_BYTES), Some(101.0));
}

#[test]
fn link_state_gauges_follow_sysfs() {
    let mut rig = Rig::new();
    rig.sysfs("eth0", "operstate", "up\n");
    rig.sysfs("eth0", "carrier", "1\n");
    rig.sysfs("eth0", "speed", "1000\n");
    rig.sysfs("ifb0", "operstate", "down\n");
    rig.fs
        .fail_with_os_error(format!("{SYS_NET}/ifb0/carrier"), 22);
    rig.fs
        .fail_with_os_error(format!("{SYS_NET}/ifb0/speed"), 22);
    rig.sysfs("wg0", "operstate", "unknown\n");
    rig.sysfs("wg0", "carrier", "1\n");
    rig.sysfs("wg0", "speed", "-1\n");
    let rows = dev(&[
        row("eth0", 0, 0),
        row("ifb0", 0, 0),
        row("wg0", 0, 0),
        row("veth9", 0, 0),
    ]);
    rig.baseline(&rows);
    let f = rig.tick(1000, &rows);
    assert_eq!(of(&f, NET_UP, "eth0"), Some(1.0));
    assert_eq!(of(&f, NET_CARRIER, "eth0"), Some(1.0));
    assert_eq!(of(&f, NET_SPEED_BITS_PER_SECOND, "eth0"), Some(1e9));
    assert_eq!(of(&f, NET_UP, "ifb0"), Some(0.0));
    assert_eq!(
        of(&f, NET_CARRIER, "ifb0"),
        Some(0.0),
        "EINVAL means no carrier"
    );
    assert_eq!(of(&f, NET_SPEED_BITS_PER_SECOND, "ifb0"), None);
    assert_eq!(
        of(&f, NET_UP, "wg0"),
        Some(1.0),
        "unknown with carrier is up"
    );
    assert_eq!(of(&f, NET_SPEED_BITS_PER_SECOND, "wg0"), None);
    // No sysfs files at all: counters still reported, gauges left out.
    assert_eq!(of(&f, NET_RX_BYTES, "veth9"), Some(0.0));
    assert_eq!(of(&f, NET_UP, "veth9"), None);
    assert_eq!(of(&f, NET_CARRIER, "veth9"), None);
    // The link goes down between ticks; sysfs is read every tick.
    rig.sysfs("eth0", "operstate", "down\n");
    rig.fs
        .fail_with_os_error(format!("{SYS_NET}/eth0/carrier"), 22);
    rig.fs
        .fail_with(format!("{SYS_NET}/eth0/speed"), io::ErrorKind::InvalidInput);
    let f = rig.tick(1000, &rows);
    assert_eq!(of(&f, NET_UP, "eth0"), Some(0.0));
    assert_eq!(of(&f, NET_CARRIER, "eth0"), Some(0.0));
    assert_eq!(of(&f, NET_SPEED_BITS_PER_SECOND, "eth0"), None);
    assert_eq!(total(&f, NET_UP), None, "the total has no gauges");
}

#[test]
fn implausible_delta_is_dropped_from_the_interface_and_total_for_one_tick() {
    let mut rig = Rig::with(|c| c.max_plausible_bps = 1e9);
    rig.baseline(&dev(&[row("eth0", 0, 0), row("eth1", 0, 0)]));
    // 200 MB in one second is 1.6 Gbit/s, above the 1 Gbit/s bound.
    let f = rig.tick(
        1000,
        &dev(&[row("eth0", 200_000_000, 50), row("eth1", 1000, 0)]),
    );
    assert_eq!(of(&f, NET_RX_BYTES, "eth0"), None);
    assert_eq!(of(&f, NET_RX_BITS_PER_SECOND, "eth0"), None);
    assert_eq!(
        of(&f, NET_TX_BYTES, "eth0"),
        Some(50.0),
        "other counters unaffected"
    );
    assert_eq!(total(&f, NET_RX_BYTES), Some(1000.0));
    assert_eq!(total(&f, NET_TX_BYTES), Some(50.0));
    assert_eq!(
        of(&f, NET_BYTES, "eth0"),
        Some(50.0),
        "received plus sent adds what was accepted"
    );
    assert_eq!(of(&f, NET_BITS_PER_SECOND, "eth0"), Some(400.0));
    assert_eq!(total(&f, NET_BYTES), Some(1050.0));
    // The glitch value is the new baseline; the next interval counts normally.
    let f = rig.tick(
        1000,
        &dev(&[row("eth0", 200_001_000, 50), row("eth1", 2000, 0)]),
    );
    assert_eq!(of(&f, NET_RX_BYTES, "eth0"), Some(1000.0));
    assert_eq!(total(&f, NET_RX_BYTES), Some(2000.0));
}

#[test]
fn deltas_over_many_ticks_sum_to_last_minus_first() {
    let mut rig = Rig::new();
    let (mut a, mut b) = (4_000_000_000_u64, 17_u64);
    let first = (a, b);
    rig.baseline(&dev(&[row("eth0", a, b), row("eth1", b, a)]));
    let (mut sum_a, mut sum_b, mut sum_total) = (0.0, 0.0, 0.0);
    let (mut sum_both, mut sum_both_total, mut bits) = (0.0, 0.0, 0.0);
    let mut seed = 12_345_u64;
    for i in 0..500 {
        // A small linear congruential generator: varied but repeatable steps.
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        a += seed >> 44;
        b += (seed >> 50) & 0xfff;
        let f = rig.tick(
            100 + (i % 7) * 50,
            &dev(&[row("eth0", a, b), row("eth1", b, a)]),
        );
        sum_a += of(&f, NET_RX_BYTES, "eth0").unwrap();
        sum_b += of(&f, NET_TX_BYTES, "eth0").unwrap();
        sum_total += total(&f, NET_RX_BYTES).unwrap();
        sum_both += of(&f, NET_BYTES, "eth0").unwrap();
        sum_both_total += total(&f, NET_BYTES).unwrap();
        // The rate over the interval is exactly the summed delta's, as for one direction.
        let rate = of(&f, NET_BITS_PER_SECOND, "eth0").unwrap();
        assert_eq!(rate, of(&f, NET_BYTES, "eth0").unwrap() * 8.0 / f.elapsed.0);
        bits += rate * f.elapsed.0;
    }
    assert_eq!(sum_a, (a - first.0) as f64);
    assert_eq!(sum_b, (b - first.1) as f64);
    assert_eq!(sum_total, ((a - first.0) + (b - first.1)) as f64);
    let both = ((a - first.0) + (b - first.1)) as f64;
    assert_eq!(sum_both, both, "received plus sent, exactly");
    assert_eq!(sum_both_total, 2.0 * both);
    assert!((bits / 8.0 - both).abs() < 1e-3 * both, "{bits}");
}

#[test]
fn unreadable_counters_fail_the_tick_and_elapsed_spans_from_the_last_success() {
    let mut rig = Rig::new();
    rig.baseline(&dev(&[row("eth0", 0, 0)]));
    rig.clock.advance(Duration::from_secs(1));
    rig.fs.remove(DEV);
    let err = rig.src.collect().unwrap_err();
    assert!(matches!(&err, CollectError::ReadCounters { path, .. } if path.as_os_str() == DEV));
    let msg = err.to_string();
    assert!(msg.contains(DEV) && msg.contains("proc_root"), "{msg}");
    let f = rig.tick(1000, &dev(&[row("eth0", 2000, 0)]));
    assert_eq!(f.elapsed, Seconds(2.0));
    assert_eq!(of(&f, NET_RX_BYTES, "eth0"), Some(2000.0));
    assert_eq!(of(&f, NET_RX_BITS_PER_SECOND, "eth0"), Some(8000.0));
}

#[test]
fn failed_first_read_leaves_the_baseline_for_later() {
    let mut rig = Rig::new();
    assert!(rig.src.collect().is_err());
    rig.baseline(&dev(&[row("eth0", 5, 0)]));
}

#[test]
fn malformed_counters_fail_the_tick_naming_the_line() {
    let mut rig = Rig::new();
    rig.baseline(&dev(&[row("eth0", 0, 0)]));
    let bad = format!("{HEADER}  eth0: 1 2 3\n");
    let err = rig.try_tick(1000, &bad).unwrap_err();
    assert!(matches!(&err, CollectError::MalformedCounters { source, .. } if source.line == 3));
    assert!(err.to_string().contains("line 3"), "{err}");
    // Nothing was consumed: the next good tick spans both seconds.
    let f = rig.tick(1000, &dev(&[row("eth0", 10, 0)]));
    assert_eq!(f.elapsed, Seconds(2.0));
}

#[test]
fn no_elapsed_time_reports_nothing_and_loses_nothing() {
    let mut rig = Rig::new();
    rig.baseline(&dev(&[row("eth0", 0, 0)]));
    assert!(rig
        .try_tick(0, &dev(&[row("eth0", 300, 0)]))
        .unwrap()
        .is_none());
    let f = rig.tick(1000, &dev(&[row("eth0", 500, 0)]));
    assert_eq!(of(&f, NET_RX_BYTES, "eth0"), Some(500.0));
}

#[test]
fn interface_called_total_does_not_collide_with_the_total() {
    let mut rig = Rig::new();
    rig.baseline(&dev(&[row("total", 0, 0), row("eth0", 0, 0)]));
    let f = rig.tick(1000, &dev(&[row("total", 7, 0), row("eth0", 5, 0)]));
    assert_eq!(of(&f, NET_RX_BYTES, "total"), Some(7.0));
    assert_eq!(total(&f, NET_RX_BYTES), Some(12.0));
}

#[test]
fn duplicate_lines_in_one_read_are_counted_once() {
    let mut rig = Rig::new();
    rig.baseline(&dev(&[row("eth0", 0, 0)]));
    let f = rig.tick(1000, &dev(&[row("eth0", 5, 0), row("eth0", 9, 0)]));
    assert_eq!(total(&f, NET_RX_BYTES), Some(5.0));
    assert_eq!(
        f.samples
            .iter()
            .filter(|s| s.series.metric == NET_RX_BYTES)
            .count(),
        2,
        "one for eth0, one for the total"
    );
}

/// What the source logs while `f` runs, without colours.
fn logged<T>(f: impl FnOnce() -> T) -> (T, String) {
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .finish();
    let out = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    (out, text)
}

/// `/proc/net/dev` bytes: the header, then one line per `(name, rx_bytes)`.
fn dev_bytes(rows: &[(&[u8], u64)]) -> Vec<u8> {
    let mut text = HEADER.as_bytes().to_vec();
    for (name, rx) in rows {
        text.extend_from_slice(b"  ");
        text.extend_from_slice(name);
        text.extend_from_slice(format!(": {rx} 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n").as_bytes());
    }
    text
}

/// The defect: one line the parser refused failed the whole tick, every tick, so every
/// interface went dark and the log got a warning per tick.
#[test]
fn a_bad_line_costs_only_its_interface_and_is_warned_about_once() {
    let mut rig = Rig::new();
    let text = |n: u64| format!("{}  bad0: 1 2 3\n", dev(&[row("eth0", n, 0)]));
    let ((), log) = logged(|| {
        rig.baseline(&text(0));
        for i in 1..=10 {
            let f = rig.tick(100, &text(i * 100));
            assert_eq!(ifaces_in(&f), ["eth0"]);
            assert_eq!(of(&f, NET_RX_BYTES, "eth0"), Some(100.0));
        }
    });
    assert_eq!(log.matches("WARN").count(), 1, "{log}");
    assert!(
        log.contains("line 4 (interface \"bad0\"): expected 16 counters after the name, found 3"),
        "{log}"
    );
    assert!(log.contains(DEV), "{log}");
}

#[test]
fn a_text_with_no_readable_line_still_fails_the_tick() {
    let mut rig = Rig::new();
    rig.fs.set(DEV, "this is not /proc/net/dev\nat all\n");
    let err = rig.src.collect().unwrap_err();
    assert!(matches!(&err, CollectError::MalformedCounters { source, .. } if source.line == 1));
}

/// The defect: an interface whose name is not UTF-8 made every read of /proc/net/dev fail
/// (`invalid utf-8 sequence`), and one holding U+2028 was refused as a name with
/// whitespace; either stopped all interface sampling.
#[test]
fn odd_names_are_sampled_labelled_escaped_with_sysfs_read_by_their_bytes() {
    use std::os::unix::ffi::OsStrExt as _;
    let mut rig = Rig::new();
    let bad: &[u8] = b"bad\xff";
    let sep = "u\u{2028}x".as_bytes();
    let esc: &[u8] = b"e\x1b[31mx";
    let dir = std::path::Path::new(SYS_NET).join(std::ffi::OsStr::from_bytes(bad));
    rig.fs.set(dir.join("operstate"), "up\n");
    rig.fs.set(dir.join("carrier"), "1\n");
    rig.fs.set(dir.join("speed"), "100\n");
    let rows = |n: u64| dev_bytes(&[(b"eth0", n), (bad, 2 * n), (sep, 3 * n), (esc, 4 * n)]);
    rig.fs.set(DEV, rows(0));
    assert!(rig.src.collect().unwrap().is_none());
    assert_eq!(rig.src.watched_interfaces(), 4);
    rig.clock.advance(Duration::from_secs(1));
    rig.fs.set(DEV, rows(1000));
    let f = rig.src.collect().unwrap().expect("a frame");
    assert_eq!(
        ifaces_in(&f),
        ["eth0", "bad\\xff", "u\u{2028}x", "e\u{1b}[31mx"]
    );
    assert_eq!(of(&f, NET_RX_BYTES, "eth0"), Some(1000.0));
    assert_eq!(of(&f, NET_RX_BYTES, "bad\\xff"), Some(2000.0));
    assert_eq!(of(&f, NET_RX_BYTES, "u\u{2028}x"), Some(3000.0));
    assert_eq!(of(&f, NET_RX_BYTES, "e\u{1b}[31mx"), Some(4000.0));
    assert_eq!(total(&f, NET_RX_BYTES), Some(10_000.0));
    // Link state came from the sysfs directory named by the raw bytes.
    assert_eq!(of(&f, NET_UP, "bad\\xff"), Some(1.0));
    assert_eq!(of(&f, NET_SPEED_BITS_PER_SECOND, "bad\\xff"), Some(1e8));
}

#[test]
fn patterns_match_names_as_shown() {
    let include = vec!["bad*".to_owned()];
    let filter = InterfaceFilter::new(&include, &[]).unwrap();
    let mut rig = Rig::with(|c| c.filter = filter);
    rig.fs.set(DEV, dev_bytes(&[(b"eth0", 0), (b"bad\xff", 0)]));
    rig.src.collect().unwrap();
    rig.clock.advance(Duration::from_secs(1));
    rig.fs.set(DEV, dev_bytes(&[(b"eth0", 5), (b"bad\xff", 7)]));
    let f = rig.src.collect().unwrap().unwrap();
    assert_eq!(ifaces_in(&f), ["bad\\xff"]);
}

/// A physical gigabit link: it has a bus device and says 1000 Mbit/s.
fn gigabit(rig: &Rig, iface: &str) {
    rig.sysfs(iface, "device/uevent", "DRIVER=e1000e\n");
    rig.sysfs(iface, "speed", "1000\n");
}

/// The defect: a counter jumping by 4,294,967,000 in a 0.1 s tick was reported as over
/// 100 Gbit/s (and fired threshold alerts) because the only bound was 1 Tbit/s.
#[test]
fn a_jump_beyond_twice_the_link_speed_is_discarded_and_logged_once() {
    let mut rig = Rig::new();
    gigabit(&rig, "eth0");
    // A veth says 10000 Mbit/s but is virtual: its speed is no limit.
    rig.sysfs("veth0", "speed", "10000\n");
    // Physical, speed unknown: the fixed bound.
    rig.sysfs("wlan0", "device/uevent", "DRIVER=iwlwifi\n");
    rig.sysfs("wlan0", "speed", "-1\n");
    let jump = 4_294_967_000;
    let ((), log) = logged(|| {
        rig.baseline(&dev(&[
            row("eth0", 1000, 0),
            row("veth0", 1000, 0),
            row("wlan0", 1000, 0),
        ]));
        let f = rig.tick(
            100,
            &dev(&[
                row("eth0", 1000 + jump, 10),
                row("veth0", 1000 + jump, 0),
                row("wlan0", 1000 + jump, 0),
            ]),
        );
        assert_eq!(of(&f, NET_RX_BYTES, "eth0"), None);
        assert_eq!(of(&f, NET_RX_BITS_PER_SECOND, "eth0"), None);
        assert_eq!(
            of(&f, NET_TX_BYTES, "eth0"),
            Some(10.0),
            "others unaffected"
        );
        assert_eq!(of(&f, NET_RX_BYTES, "veth0"), Some(jump as f64));
        assert_eq!(of(&f, NET_RX_BYTES, "wlan0"), Some(jump as f64));
        assert_eq!(total(&f, NET_RX_BYTES), Some(2.0 * jump as f64));
        // Full line rate over a second is real traffic and counts.
        let f = rig.tick(
            1000,
            &dev(&[
                row("eth0", 1000 + jump + 125_000_000, 10),
                row("veth0", 1000 + jump, 0),
                row("wlan0", 1000 + jump, 0),
            ]),
        );
        assert_eq!(of(&f, NET_RX_BITS_PER_SECOND, "eth0"), Some(1e9));
        // The same glitch again: discarded again, but not warned about again.
        let f = rig.tick(
            100,
            &dev(&[
                row("eth0", 1000 + 2 * jump + 125_000_000, 10),
                row("veth0", 1000 + jump, 0),
                row("wlan0", 1000 + jump, 0),
            ]),
        );
        assert_eq!(of(&f, NET_RX_BYTES, "eth0"), None);
    });
    assert_eq!(log.matches("WARN").count(), 1, "{log}");
    assert!(log.contains("iface=\"eth0\""), "{log}");
    assert!(log.contains("implied=34.36 Gbps"), "{log}");
    assert!(
        log.contains("bound=2.00 Gbps (twice the 1.00 Gbps link speed)"),
        "{log}"
    );
}

#[test]
fn the_fixed_bound_still_applies_where_the_speed_is_unknown() {
    let mut rig = Rig::new();
    rig.sysfs("veth0", "speed", "10000\n");
    let ((), log) = logged(|| {
        rig.baseline(&dev(&[row("veth0", 0, 0)]));
        // 20 TB in a second is 160 Tbit/s: beyond any link.
        let f = rig.tick(1000, &dev(&[row("veth0", 20_000_000_000_000, 0)]));
        assert_eq!(of(&f, NET_RX_BYTES, "veth0"), None);
    });
    assert!(
        log.contains("bound=1000.0 Gbps (the bound for a link of unknown speed)"),
        "{log}"
    );
}

fn assert_sane(frame: &Frame) -> Result<(), TestCaseError> {
    for s in &frame.samples {
        prop_assert!(
            s.value.is_finite() && s.value >= 0.0,
            "{} = {}",
            s.series,
            s.value
        );
        if s.kind == SampleKind::Delta {
            prop_assert_eq!(s.value.fract(), 0.0);
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn monotone_counters_sum_exactly_and_rates_are_finite(
        start in 0u64..(1 << 62),
        steps in prop::collection::vec((0u64..(1 << 40), 1u64..10_000), 1..40),
    ) {
        let mut rig = Rig::with(|c| c.max_plausible_bps = f64::INFINITY);
        let mut cur = start;
        rig.baseline(&dev(&[row("eth0", cur, cur / 2)]));
        let (mut sum_rx, mut sum_tx) = (0.0, 0.0);
        for (inc, ms) in steps {
            cur += inc;
            let f = rig.tick(ms, &dev(&[row("eth0", cur, cur / 2)]));
            assert_sane(&f)?;
            sum_rx += of(&f, NET_RX_BYTES, "eth0").unwrap_or(f64::NAN);
            sum_tx += total(&f, NET_TX_BYTES).unwrap_or(f64::NAN);
        }
        prop_assert_eq!(sum_rx, (cur - start) as f64);
        prop_assert_eq!(sum_tx, (cur / 2 - start / 2) as f64);
    }

    /// Whatever bytes /proc/net/dev holds on each tick, no panic and no insane value; the
    /// well-formed `eth0` line among them is always sampled.
    #[test]
    fn any_bytes_in_the_counters_file_never_panic(
        ticks in prop::collection::vec(
            (prop::collection::vec(any::<u8>(), 0..300), 0u64..1000),
            1..8,
        ),
    ) {
        let mut rig = Rig::new();
        let mut rx = 0;
        rig.baseline(&dev(&[row("eth0", rx, 0)]));
        for (junk, step) in ticks {
            rx += step;
            let mut text = junk.clone();
            text.push(b'\n');
            text.extend_from_slice(dev(&[row("eth0", rx, 0)]).as_bytes());
            rig.clock.advance(Duration::from_millis(100));
            rig.fs.set(DEV, text);
            let frame = rig.src.collect();
            prop_assert!(frame.is_ok(), "{:?}", frame.err());
            if let Some(f) = frame.unwrap() {
                assert_sane(&f)?;
                prop_assert_eq!(of(&f, NET_RX_BYTES, "eth0"), Some(step as f64));
            }
        }
    }

    #[test]
    fn any_counter_sequence_gives_no_negative_or_nan_value(
        steps in prop::collection::vec(
            (
                prop_oneof![
                    any::<u64>(),
                    0..=u64::from(u32::MAX),
                    (u64::from(u32::MAX) - 5000)..=u64::from(u32::MAX),
                ],
                any::<u64>(),
                0u64..5000,
            ),
            1..30,
        ),
    ) {
        let mut rig = Rig::new();
        rig.baseline(&dev(&[row("eth0", 0, 0)]));
        for (rx, tx, ms) in steps {
            let r = Row { rx_packets: rx / 1500, tx_errs: tx % 7, ..row("eth0", rx, tx) };
            if let Some(f) = rig.try_tick(ms, &dev(&[r])).unwrap() {
                prop_assert!(ms > 0);
                prop_assert!(f.elapsed.0 > 0.0);
                assert_sane(&f)?;
            }
        }
    }
}
