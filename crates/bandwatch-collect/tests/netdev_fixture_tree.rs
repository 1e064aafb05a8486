//! The netdev source through the real file system against fixture trees in a temp dir,
//! proving that `proc_root` and `sys_root` are honoured.

mod support;

use std::time::Duration;

use bandwatch_collect::netdev::metric::*;
use bandwatch_collect::{CollectError, Frame, NetdevSource, RealFs, Source};
use bandwatch_core::{FakeClock, Seconds, Timestamp};

fn value(f: &Frame, metric: &str, iface: &str) -> Option<f64> {
    f.find(metric, LABEL_IFACE, iface)
}

fn total(f: &Frame, metric: &str) -> Option<f64> {
    f.find(metric, LABEL_SCOPE, SCOPE_TOTAL)
}

#[test]
fn basic_tree_gives_exact_rates_link_state_and_total() {
    let tree = support::Tree::basic();
    let clock = FakeClock::new(Timestamp::from_secs(1_795_255_200));
    let mut src = NetdevSource::new(tree.config(), RealFs, clock.clone());
    assert!(src.collect().unwrap().is_none());

    tree.set_dev(&support::fixture_text("proc_net_dev_basic_later.txt"));
    clock.advance(Duration::from_secs(1));
    let f = src.collect().unwrap().expect("frame");
    assert_eq!(f.elapsed, Seconds(1.0));

    assert_eq!(value(&f, NET_RX_BYTES, "eth0"), Some(1_250_000.0));
    assert_eq!(value(&f, NET_RX_BITS_PER_SECOND, "eth0"), Some(10e6));
    assert_eq!(value(&f, NET_TX_BITS_PER_SECOND, "eth0"), Some(1e6));
    assert_eq!(value(&f, NET_RX_ERRORS, "eth0"), Some(1.0));
    assert_eq!(value(&f, NET_RX_DROPS, "eth0"), Some(2.0));
    assert_eq!(value(&f, NET_RX_MULTICAST, "eth0"), Some(3.0));
    assert_eq!(value(&f, NET_TX_DROPS, "wlan0"), Some(1.0));

    assert_eq!(value(&f, NET_UP, "eth0"), Some(1.0));
    assert_eq!(value(&f, NET_CARRIER, "eth0"), Some(1.0));
    assert_eq!(value(&f, NET_SPEED_BITS_PER_SECOND, "eth0"), Some(1e9));
    assert_eq!(value(&f, NET_UP, "docker0"), Some(0.0));
    assert_eq!(value(&f, NET_CARRIER, "docker0"), Some(0.0));
    assert_eq!(value(&f, NET_SPEED_BITS_PER_SECOND, "wlan0"), None);
    assert_eq!(value(&f, NET_UP, "wg0"), Some(1.0));
    assert_eq!(value(&f, NET_UP, "lo"), Some(1.0));
    // The MTU of every interface that has the file; wlan0's tree has none.
    assert_eq!(value(&f, NET_MTU_BYTES, "eth0"), Some(1500.0));
    assert_eq!(value(&f, NET_MTU_BYTES, "lo"), Some(65536.0));
    assert_eq!(value(&f, NET_MTU_BYTES, "wg0"), Some(1420.0));
    assert_eq!(value(&f, NET_MTU_BYTES, "wlan0"), None);
    assert_eq!(total(&f, NET_MTU_BYTES), None, "an MTU is not summed");

    // lo is a loopback by its flags and stays out of the total.
    assert_eq!(value(&f, NET_RX_BYTES, "lo"), Some(10_000.0));
    assert_eq!(total(&f, NET_RX_BYTES), Some(1_512_500.0));
    assert_eq!(total(&f, NET_TX_BYTES), Some(212_500.0));
    assert_eq!(total(&f, NET_RX_BITS_PER_SECOND), Some(12_100_000.0));
}

#[test]
fn proc_root_is_where_counters_are_read() {
    let tree = support::Tree::new();
    let mut src = NetdevSource::new(tree.config(), RealFs, FakeClock::new(Timestamp(0)));
    let err = src.collect().unwrap_err();
    let expected = tree.proc_root.join("net/dev");
    assert!(matches!(&err, CollectError::ReadCounters { path, .. } if *path == expected));
    assert!(
        err.to_string().contains(&*expected.to_string_lossy()),
        "{err}"
    );
}

#[test]
fn sys_root_is_where_link_state_is_read() {
    let tree = support::Tree::basic();
    let mut cfg = tree.config();
    cfg.sys_root = tree.proc_root.join("no-sysfs-here");
    let clock = FakeClock::new(Timestamp(0));
    let mut src = NetdevSource::new(cfg, RealFs, clock.clone());
    assert!(src.collect().unwrap().is_none());
    clock.advance(Duration::from_secs(1));
    let f = src.collect().unwrap().expect("frame");
    assert_eq!(value(&f, NET_RX_BYTES, "eth0"), Some(0.0));
    assert_eq!(value(&f, NET_UP, "eth0"), None, "no sysfs, no gauges");
    // Without flags lo is still known by name and stays out of the total.
    assert_eq!(total(&f, NET_RX_BYTES), Some(0.0));
}

#[test]
fn sixty_four_interfaces_are_all_reported() {
    let tree = support::Tree::from_64_fixture(|_| true);
    let clock = FakeClock::new(Timestamp(0));
    let mut src = NetdevSource::new(tree.config(), RealFs, clock.clone());
    assert!(src.collect().unwrap().is_none());
    assert_eq!(src.watched_interfaces(), 64);
    clock.advance(Duration::from_millis(100));
    let f = src.collect().unwrap().expect("frame");
    let ups = f
        .samples
        .iter()
        .filter(|s| s.series.metric == NET_UP)
        .count();
    assert_eq!(ups, 64);
    // 63 non-loopback links with speed, 64 with 19 counter series (17 counters' deltas and
    // rates, and received plus sent with its rate), up, carrier and MTU, plus 19 for the total.
    assert_eq!(f.samples.len(), 64 * 19 + 64 * 3 + 63 + 19);
    assert!(f.samples.iter().all(|s| s.value >= 0.0));
}
