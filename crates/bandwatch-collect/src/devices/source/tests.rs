use std::sync::{Arc, Mutex};

use bandwatch_core::{FakeClock, Labels, SeriesKey, Timestamp};

use super::*;
use crate::devices::backend::{BackendStats, Observer};
use crate::devices::packet::{Mac, PacketMeta};

/// What one poll reports: packets and kernel drops.
type Poll = (Vec<PacketMeta>, u64);

/// A backend that replays what the test queued for each poll.
#[derive(Clone, Default)]
struct Script(Arc<Mutex<Vec<Poll>>>);

impl Script {
    fn queue(&self, packets: Vec<PacketMeta>, drops: u64) {
        self.0.lock().unwrap().push((packets, drops));
    }
}

impl Backend for Script {
    fn name(&self) -> &'static str {
        "script"
    }
    fn poll(&mut self, out: &mut dyn Observer) -> crate::Result<BackendStats> {
        let mut q = self.0.lock().unwrap();
        if q.is_empty() {
            return Ok(BackendStats::default());
        }
        let (packets, drops) = q.remove(0);
        for p in &packets {
            out.packet(p);
        }
        Ok(BackendStats {
            kernel_drops: drops,
            observed: packets.len() as u64,
        })
    }
}

fn up(src: &str, mac: u8, len: u64) -> PacketMeta {
    PacketMeta {
        src_mac: Some(Mac([2, 0, 0, 0, 0, mac])),
        dst_mac: Some(Mac([2, 0, 0, 0, 0, 0xfe])),
        src_ip: Some(src.parse().unwrap()),
        dst_ip: Some("1.1.1.1".parse().unwrap()),
        wire_len: len,
    }
}

fn down(dst: &str, mac: u8, len: u64) -> PacketMeta {
    PacketMeta {
        src_mac: Some(Mac([2, 0, 0, 0, 0, 0xfe])),
        dst_mac: Some(Mac([2, 0, 0, 0, 0, mac])),
        src_ip: Some("1.1.1.1".parse().unwrap()),
        dst_ip: Some(dst.parse().unwrap()),
        wire_len: len,
    }
}

fn value(f: &Frame, metric: &str, device: &str) -> Option<f64> {
    f.find(metric, m::LABEL_DEVICE, device)
}

/// A self-metric's value; they are whole numbers, so compared exactly as integers.
fn own(f: &Frame, metric: &str) -> u64 {
    f.samples
        .iter()
        .find(|s| s.series.metric == metric)
        .map(|s| s.value as u64)
        .unwrap()
}

struct Laptop;

impl Namer for Laptop {
    fn name(&self, d: &DeviceDelta) -> Option<String> {
        (d.ip() == Some("192.168.1.20".parse().unwrap())).then(|| "Laptop".to_string())
    }
}

fn source(script: &Script, clock: &FakeClock, max_tracked: usize) -> DevicesSource<FakeClock> {
    let mut cfg = DevicesConfig::default();
    cfg.accounting.max_tracked = max_tracked;
    DevicesSource::new(cfg, Box::new(script.clone()), clock.clone())
}

#[test]
fn a_tick_reports_exact_deltas_rates_and_activity_per_device() {
    let clock = FakeClock::new(Timestamp::from_secs(1_700_000_000));
    let script = Script::default();
    let mut src = source(&script, &clock, 16).with_namer(Box::new(Laptop));
    script.queue(
        vec![
            up("192.168.1.20", 1, 1000),
            down("192.168.1.20", 1, 9000),
            up("192.168.1.30", 2, 500),
        ],
        3,
    );
    clock.advance(Duration::from_secs(2));
    let f = src.collect().unwrap().unwrap();
    assert_eq!(f.source, "devices");
    assert_eq!(f.elapsed, Seconds(2.0));
    assert_eq!(value(&f, m::DEVICE_RX_BYTES, "Laptop"), Some(9000.0));
    assert_eq!(value(&f, m::DEVICE_TX_BYTES, "Laptop"), Some(1000.0));
    assert_eq!(
        value(&f, m::DEVICE_RX_BITS_PER_SECOND, "Laptop"),
        Some(36_000.0)
    );
    assert_eq!(
        value(&f, m::DEVICE_ACTIVE, "Laptop"),
        Some(1.0),
        "5 kB/s is above the floor"
    );
    // Unnamed: labelled with its key, the MAC.
    let other_host = "02:00:00:00:00:02";
    assert_eq!(value(&f, m::DEVICE_TX_BYTES, other_host), Some(500.0));
    assert_eq!(
        value(&f, m::DEVICE_ACTIVE, other_host),
        Some(0.0),
        "250 B/s is idle"
    );
    let laptop = f
        .samples
        .iter()
        .find(|s| s.series.labels.get("device") == Some("Laptop"))
        .unwrap();
    assert_eq!(laptop.series.labels.get("ip"), Some("192.168.1.20"));
    assert_eq!(laptop.series.labels.get("mac"), Some("02:00:00:00:00:01"));
    assert_eq!(own(&f, m::DEVICES_TRACKED), 2);
    assert_eq!(own(&f, m::DEVICES_KERNEL_DROPS), 3);
    assert_eq!(own(&f, m::DEVICES_OBSERVED_BYTES), 10_500);

    // Next tick: the laptop is idle: one last device_active 0, no byte series.
    clock.advance(Duration::from_secs(1));
    let f = src.collect().unwrap().unwrap();
    assert_eq!(value(&f, m::DEVICE_ACTIVE, "Laptop"), Some(0.0));
    assert_eq!(value(&f, m::DEVICE_RX_BYTES, "Laptop"), None);
    clock.advance(Duration::from_secs(1));
    let f = src.collect().unwrap().unwrap();
    assert_eq!(value(&f, m::DEVICE_ACTIVE, "Laptop"), None);
}

#[test]
fn no_time_passed_polls_nothing_and_loses_nothing() {
    let clock = FakeClock::new(Timestamp::from_secs(1_700_000_000));
    let script = Script::default();
    let mut src = source(&script, &clock, 16);
    script.queue(vec![up("192.168.1.20", 1, 1000)], 0);
    assert!(src.collect().unwrap().is_none());
    clock.advance(Duration::from_millis(500));
    let f = src.collect().unwrap().unwrap();
    assert_eq!(
        value(&f, m::DEVICE_TX_BYTES, "02:00:00:00:00:01"),
        Some(1000.0)
    );
    assert_eq!(
        value(&f, m::DEVICE_TX_BITS_PER_SECOND, "02:00:00:00:00:01"),
        Some(16_000.0)
    );
}

#[test]
fn evicted_devices_are_summed_as_other_and_counted() {
    let clock = FakeClock::new(Timestamp::from_secs(1_700_000_000));
    let script = Script::default();
    let mut src = source(&script, &clock, 2);
    script.queue(
        (1..=5)
            .map(|i| up(&format!("192.168.1.{i}"), i, 100))
            .collect(),
        0,
    );
    clock.advance(Duration::from_secs(1));
    let f = src.collect().unwrap().unwrap();
    assert_eq!(value(&f, m::DEVICE_TX_BYTES, "other"), Some(300.0));
    assert_eq!(own(&f, m::DEVICES_EVICTED), 3);
    assert_eq!(own(&f, m::DEVICES_TRACKED), 2);
    let devices: u64 = f
        .samples
        .iter()
        .filter(|s| s.series.metric == m::DEVICE_TX_BYTES)
        .map(|s| s.value as u64)
        .sum();
    assert_eq!(
        devices,
        own(&f, m::DEVICES_OBSERVED_BYTES),
        "other included, nothing lost"
    );
}

#[test]
fn every_emitted_metric_is_catalogued_with_its_labels() {
    let clock = FakeClock::new(Timestamp::from_secs(1_700_000_000));
    let script = Script::default();
    let mut src = source(&script, &clock, 1);
    script.queue(
        vec![up("192.168.1.1", 1, 5000), up("192.168.1.2", 2, 5000)],
        0,
    );
    clock.advance(Duration::from_secs(1));
    let f = src.collect().unwrap().unwrap();
    let catalog = crate::catalog();
    for s in &f.samples {
        let def = catalog
            .get(&s.series.metric)
            .unwrap_or_else(|| panic!("{}", s.series.metric));
        assert_eq!(def.kind, s.kind, "{}", s.series.metric);
        for (label, _) in s.series.labels.iter() {
            assert!(
                def.labels.contains(&label),
                "{} has {label}",
                s.series.metric
            );
        }
        assert_eq!(catalog.source_of(def.name), Some(SOURCE_NAME));
    }
}

#[test]
fn device_bytes_counts_both_directions_and_its_rate_derives_from_it() {
    let clock = FakeClock::new(Timestamp::from_secs(1_700_000_000));
    let script = Script::default();
    let mut src = source(&script, &clock, 16).with_namer(Box::new(Laptop));
    script.queue(
        vec![up("192.168.1.20", 1, 1000), down("192.168.1.20", 1, 9000)],
        0,
    );
    clock.advance(Duration::from_secs(2));
    let f = src.collect().unwrap().unwrap();
    assert_eq!(value(&f, m::DEVICE_BYTES, "Laptop"), Some(10_000.0));
    assert_eq!(
        value(&f, m::DEVICE_BITS_PER_SECOND, "Laptop"),
        Some(40_000.0)
    );
}

#[test]
fn an_idle_device_gets_zeros_while_it_lingers_then_nothing() {
    let clock = FakeClock::new(Timestamp::from_secs(1_700_000_000));
    let script = Script::default();
    let cfg = DevicesConfig {
        linger: Duration::from_secs(3),
        ..DevicesConfig::default()
    };
    let mut src = DevicesSource::new(cfg, Box::new(script.clone()), clock.clone())
        .with_namer(Box::new(Laptop));
    script.queue(vec![down("192.168.1.20", 1, 90_000)], 0);
    clock.advance(Duration::from_secs(1));
    let f = src.collect().unwrap().unwrap();
    assert_eq!(value(&f, m::DEVICE_ACTIVE, "Laptop"), Some(1.0));
    for _ in 0..2 {
        clock.advance(Duration::from_secs(1));
        let f = src.collect().unwrap().unwrap();
        assert_eq!(value(&f, m::DEVICE_BYTES, "Laptop"), Some(0.0));
        assert_eq!(value(&f, m::DEVICE_RX_BYTES, "Laptop"), Some(0.0));
        assert_eq!(value(&f, m::DEVICE_ACTIVE, "Laptop"), Some(0.0));
    }
    clock.advance(Duration::from_secs(1));
    let f = src.collect().unwrap().unwrap();
    assert_eq!(
        value(&f, m::DEVICE_BYTES, "Laptop"),
        None,
        "3 s after, it stops"
    );
    assert_eq!(value(&f, m::DEVICE_ACTIVE, "Laptop"), None);
}

#[test]
fn a_new_device_is_announced_once_and_not_when_the_history_knew_it() {
    let clock = FakeClock::new(Timestamp::from_secs(1_700_000_000));
    let script = Script::default();
    let mut src = source(&script, &clock, 16).announcing([DeviceKey::Mac(Mac([2, 0, 0, 0, 0, 2]))]);
    script.queue(
        vec![up("192.168.1.20", 1, 100), up("192.168.1.30", 2, 100)],
        0,
    );
    clock.advance(Duration::from_secs(1));
    let f = src.collect().unwrap().unwrap();
    let new = "02:00:00:00:00:01";
    assert_eq!(value(&f, m::DEVICE_NEW, new), Some(1.0));
    assert_eq!(
        value(&f, m::DEVICE_NEW, "02:00:00:00:00:02"),
        None,
        "known before"
    );
    script.queue(vec![up("192.168.1.20", 1, 100)], 0);
    clock.advance(Duration::from_secs(1));
    let f = src.collect().unwrap().unwrap();
    assert_eq!(
        value(&f, m::DEVICE_NEW, new),
        Some(0.0),
        "the next frame ends it"
    );
    script.queue(vec![up("192.168.1.20", 1, 100)], 0);
    clock.advance(Duration::from_secs(1));
    let f = src.collect().unwrap().unwrap();
    assert_eq!(value(&f, m::DEVICE_NEW, new), None);

    // What the history keeps of the frame is enough to know it after a restart.
    let seen: Vec<SeriesKey> = vec![
        SeriesKey::new(
            m::DEVICE_NEW,
            Labels::from_pairs([("device", "x"), ("ip", "192.168.1.20"), ("mac", new)]),
        ),
        SeriesKey::new(
            m::DEVICE_NEW,
            Labels::from_pairs([("device", "y"), ("ip", "192.168.1.40"), ("mac", "")]),
        ),
    ];
    assert_eq!(
        announced(&seen),
        vec![
            DeviceKey::Mac(Mac([2, 0, 0, 0, 0, 1])),
            DeviceKey::Ip("192.168.1.40".parse().unwrap())
        ]
    );
}

/// A backend that can wait: the reader thread polls it.
#[derive(Clone, Default)]
struct Waiting(Script);

impl Backend for Waiting {
    fn name(&self) -> &'static str {
        "waiting"
    }
    fn can_wait(&self) -> bool {
        true
    }
    fn wait(&mut self, _stop: std::os::fd::BorrowedFd<'_>, _t: Duration) -> crate::Result<()> {
        std::thread::sleep(Duration::from_millis(1));
        Ok(())
    }
    fn poll(&mut self, out: &mut dyn Observer) -> crate::Result<BackendStats> {
        self.0.poll(out)
    }
}

#[test]
fn a_waiting_backend_runs_on_a_reader_thread_and_loses_nothing() {
    let clock = FakeClock::new(Timestamp::from_secs(1_700_000_000));
    let script = Script::default();
    let mut src = DevicesSource::threaded(
        DevicesConfig::default(),
        Box::new(Waiting(script.clone())),
        clock.clone(),
    )
    .unwrap();
    assert!(src.is_threaded());
    assert_eq!(src.backend_name(), "waiting");
    script.queue(vec![up("192.168.1.20", 1, 700)], 2);
    script.queue(vec![up("192.168.1.20", 1, 300)], 1);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !script.0.lock().unwrap().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(20));
    clock.advance(Duration::from_secs(1));
    let f = src.collect().unwrap().unwrap();
    assert_eq!(
        value(&f, m::DEVICE_TX_BYTES, "02:00:00:00:00:01"),
        Some(1000.0)
    );
    assert_eq!(own(&f, m::DEVICES_KERNEL_DROPS), 3);
    drop(src); // joins the thread
    let inline = DevicesSource::threaded(
        DevicesConfig::default(),
        Box::new(script.clone()),
        clock.clone(),
    )
    .unwrap();
    assert!(!inline.is_threaded());
}
