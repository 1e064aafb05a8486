use std::net::IpAddr;

use proptest::prelude::*;

use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn mac(last: u8) -> Mac {
    Mac([0x02, 0, 0, 0, 0, last])
}

fn pkt(src: (&str, Option<Mac>), dst: (&str, Option<Mac>), len: u64) -> PacketMeta {
    PacketMeta {
        src_mac: src.1,
        dst_mac: dst.1,
        src_ip: Some(ip(src.0)),
        dst_ip: Some(ip(dst.0)),
        wire_len: len,
    }
}

fn acc(max: usize) -> Accounting {
    Accounting::new(AccountingConfig {
        max_tracked: max,
        ..AccountingConfig::default()
    })
}

fn find(d: &Drained, key: DeviceKey) -> Counts {
    d.devices
        .iter()
        .find(|x| x.key == key)
        .map(|x| x.counts)
        .unwrap_or_default()
}

const ROUTER: Option<Mac> = Some(Mac([0x02, 0, 0, 0, 0, 0xfe]));

#[test]
fn internet_traffic_counts_to_the_lan_side_by_mac() {
    let mut a = acc(16);
    a.set_now(Timestamp(1000));
    // Upload: the laptop's MAC is the source.
    a.packet(&pkt(
        ("192.168.1.20", Some(mac(1))),
        ("1.1.1.1", ROUTER),
        100,
    ));
    a.set_now(Timestamp(2000));
    // Download: the laptop's MAC is the destination, the router's the source.
    a.packet(&pkt(
        ("1.1.1.1", ROUTER),
        ("192.168.1.20", Some(mac(1))),
        1500,
    ));
    // Its IPv6 privacy address is the same device.
    a.packet(&pkt(
        ("fd00::1234", Some(mac(1))),
        ("2001:db8::1", ROUTER),
        80,
    ));
    let d = a.drain();
    assert_eq!(d.devices.len(), 1, "{d:?}");
    let laptop = &d.devices[0];
    assert_eq!(laptop.key, DeviceKey::Mac(mac(1)));
    assert_eq!(
        laptop.counts,
        Counts {
            rx: 1500,
            tx: 180,
            lan_rx: 0,
            lan_tx: 0
        }
    );
    assert_eq!(laptop.ip(), Some(ip("fd00::1234")));
    assert_eq!(
        laptop.ips.iter().collect::<Vec<_>>(),
        [ip("fd00::1234"), ip("192.168.1.20")]
    );
    assert_eq!(laptop.mac, Some(mac(1)));
    assert_eq!(
        (laptop.first_seen, laptop.last_seen),
        (Timestamp(1000), Timestamp(2000))
    );
    assert_eq!(d.totals.observed, 1680);
    assert_eq!(d.totals.packets, 3);
    assert_eq!(d.tracked, 1);
}

#[test]
fn lan_to_lan_is_never_internet_usage() {
    let mut a = acc(16);
    a.packet(&pkt(
        ("192.168.1.20", Some(mac(1))),
        ("192.168.1.30", Some(mac(2))),
        1000,
    ));
    // mDNS and a broadcast: the sender's lan_tx, no receiver device.
    a.packet(&pkt(
        ("192.168.1.20", Some(mac(1))),
        ("224.0.0.251", Some(Mac([1, 0, 0x5e, 0, 0, 0xfb]))),
        90,
    ));
    a.packet(&pkt(
        ("192.168.1.20", Some(mac(1))),
        ("192.168.1.255", Some(Mac([0xff; 6]))),
        60,
    ));
    // DHCP discover: no address yet, known by its MAC.
    a.packet(&pkt(
        ("0.0.0.0", Some(mac(3))),
        ("255.255.255.255", Some(Mac([0xff; 6]))),
        342,
    ));
    let d = a.drain();
    let one = find(&d, DeviceKey::Mac(mac(1)));
    assert_eq!((one.rx, one.tx, one.lan_tx, one.lan_rx), (0, 0, 1150, 0));
    let two = find(&d, DeviceKey::Mac(mac(2)));
    assert_eq!((two.rx, two.tx, two.lan_rx, two.lan_tx), (0, 0, 1000, 0));
    let three = d
        .devices
        .iter()
        .find(|x| x.key == DeviceKey::Mac(mac(3)))
        .unwrap();
    assert_eq!(three.counts.lan_tx, 342);
    assert_eq!(three.ip(), None, "0.0.0.0 is no address");
    assert_eq!(d.devices.len(), 3, "groups are not devices: {d:?}");
    assert_eq!(d.totals.lan, 1492);
    assert_eq!(d.totals.transit, 0);
}

#[test]
fn without_link_headers_devices_are_keyed_by_ip() {
    let mut a = acc(16);
    a.packet(&pkt(("10.0.0.5", None), ("8.8.8.8", None), 70));
    a.packet(&pkt(("8.8.8.8", None), ("10.0.0.5", None), 130));
    // A loopback capture's all-zero MACs name no device.
    let zero = Some(Mac([0; 6]));
    a.packet(&pkt(("10.0.0.6", zero), ("10.0.0.5", zero), 50));
    let d = a.drain();
    let five = find(&d, DeviceKey::Ip(ip("10.0.0.5")));
    assert_eq!((five.rx, five.tx, five.lan_rx), (130, 70, 50));
    assert_eq!(find(&d, DeviceKey::Ip(ip("10.0.0.6"))).lan_tx, 50);
}

#[test]
fn keying_by_ip_keeps_the_mac_seen() {
    let mut a = Accounting::new(AccountingConfig {
        identity: Identity::Ip,
        ..AccountingConfig::default()
    });
    a.packet(&pkt(
        ("192.168.1.20", Some(mac(1))),
        ("1.1.1.1", ROUTER),
        100,
    ));
    a.packet(&pkt(
        ("192.168.1.21", Some(mac(1))),
        ("1.1.1.1", ROUTER),
        100,
    ));
    let d = a.drain();
    assert_eq!(d.devices.len(), 2);
    assert!(d.devices.iter().all(|x| x.mac == Some(mac(1))));
}

#[test]
fn transit_and_non_ip_are_counted_apart() {
    let mut a = acc(16);
    a.packet(&pkt(("1.1.1.1", ROUTER), ("8.8.8.8", Some(mac(1))), 500));
    a.packet(&PacketMeta {
        src_mac: Some(mac(1)),
        dst_mac: Some(Mac([0xff; 6])),
        src_ip: None,
        dst_ip: None,
        wire_len: 42,
    });
    let d = a.drain();
    assert!(d.devices.is_empty());
    assert_eq!(
        d.totals,
        Totals {
            observed: 542,
            packets: 2,
            lan: 0,
            non_ip: 42,
            transit: 500
        }
    );
}

#[test]
fn a_full_table_evicts_the_least_recently_seen_into_other() {
    let mut a = acc(2);
    let up = |a: &mut Accounting, host: &str, n| a.packet(&pkt((host, None), ("1.1.1.1", None), n));
    up(&mut a, "10.0.0.1", 10);
    up(&mut a, "10.0.0.2", 20);
    up(&mut a, "10.0.0.1", 1); // .1 is now the most recent
    up(&mut a, "10.0.0.3", 30); // evicts .2
    let d = a.drain();
    assert_eq!(d.evicted, 1);
    assert_eq!(d.other.tx, 20);
    assert_eq!(d.tracked, 2);
    let keys: Vec<_> = d.devices.iter().map(|x| x.key.to_string()).collect();
    assert_eq!(keys, ["10.0.0.3", "10.0.0.1"], "most recent first");
    assert_eq!(find(&d, DeviceKey::Ip(ip("10.0.0.1"))).tx, 11);
    // The next interval starts from zero; an idle device is not reported.
    up(&mut a, "10.0.0.3", 5);
    let d = a.drain();
    assert_eq!(d.devices.len(), 1);
    assert_eq!(d.devices[0].counts.tx, 5);
    assert_eq!((d.evicted, d.other), (0, Counts::default()));
    assert!(a.drain().devices.is_empty());
}

#[test]
fn with_no_room_every_device_is_other() {
    let mut a = acc(0);
    a.packet(&pkt(("10.0.0.1", None), ("1.1.1.1", None), 10));
    let d = a.drain();
    assert!(d.devices.is_empty());
    assert_eq!(d.other.tx, 10);
}

#[test]
fn a_hundred_thousand_sources_stay_within_the_bound() {
    let mut a = acc(4096);
    for i in 0..100_000u32 {
        let src = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 | i));
        a.packet(&PacketMeta {
            src_mac: None,
            dst_mac: None,
            src_ip: Some(src),
            dst_ip: Some(ip("1.1.1.1")),
            wire_len: 100,
        });
        assert!(a.tracked() <= 4096);
    }
    let d = a.drain();
    assert_eq!(d.tracked, 4096);
    assert_eq!(d.evicted, 100_000 - 4096);
    assert_eq!(d.devices.len(), 4096);
    let held: u64 = d.devices.iter().map(|x| x.counts.tx).sum();
    assert_eq!(held + d.other.tx, 10_000_000);
    assert!(a.index.len() <= 4096);
}

#[test]
fn conntrack_flows_count_ip_bytes_by_direction() {
    let mut a = acc(16);
    let flow = |s: &str, d: &str, o, r| FlowBytes {
        orig_src: ip(s),
        orig_dst: ip(d),
        orig_bytes: o,
        reply_bytes: r,
    };
    a.flow(&flow("192.168.1.20", "1.1.1.1", 100, 9000));
    a.flow(&flow("192.168.1.20", "192.168.1.30", 40, 60));
    a.flow(&flow("1.2.3.4", "192.168.1.30", 500, 700));
    a.flow(&flow("1.2.3.4", "5.6.7.8", 1, 2));
    let d = a.drain();
    let twenty = find(&d, DeviceKey::Ip(ip("192.168.1.20")));
    assert_eq!(
        twenty,
        Counts {
            rx: 9000,
            tx: 100,
            lan_rx: 60,
            lan_tx: 40
        }
    );
    let thirty = find(&d, DeviceKey::Ip(ip("192.168.1.30")));
    assert_eq!(
        thirty,
        Counts {
            rx: 500,
            tx: 700,
            lan_rx: 40,
            lan_tx: 60
        }
    );
    assert_eq!(d.totals.lan, 100);
    assert_eq!(d.totals.transit, 3);
    assert_eq!(d.totals.observed, 9100 + 100 + 1200 + 3);
    assert_eq!(d.totals.packets, 0);
}

#[test]
fn recent_ips_keep_four_distinct_newest_first() {
    let mut r = RecentIps::default();
    for s in [
        "10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.3", "10.0.0.4", "10.0.0.5",
    ] {
        r.note(ip(s));
    }
    let got: Vec<_> = r.iter().map(|x| x.to_string()).collect();
    assert_eq!(got, ["10.0.0.5", "10.0.0.4", "10.0.0.3", "10.0.0.1"]);
}

/// One generated event: a packet or a flow from small pools of addresses, or a drain.
#[derive(Debug, Clone)]
enum Event {
    Packet(PacketMeta),
    Flow(FlowBytes),
    Drain,
}

fn any_ip() -> impl Strategy<Value = Option<IpAddr>> {
    prop::sample::select(vec![
        None,
        Some(ip("192.168.1.1")),
        Some(ip("192.168.1.2")),
        Some(ip("192.168.1.3")),
        Some(ip("10.9.9.9")),
        Some(ip("fd00::1")),
        Some(ip("fe80::2")),
        Some(ip("1.1.1.1")),
        Some(ip("2001:db8::1")),
        Some(ip("224.0.0.251")),
        Some(ip("255.255.255.255")),
        Some(ip("0.0.0.0")),
        Some(ip("ff02::1")),
    ])
}

fn any_mac() -> impl Strategy<Value = Option<Mac>> {
    prop::sample::select(vec![
        None,
        Some(mac(1)),
        Some(mac(2)),
        Some(mac(3)),
        Some(mac(4)),
        Some(Mac([0; 6])),
        Some(Mac([0xff; 6])),
        Some(Mac([1, 0, 0x5e, 0, 0, 1])),
    ])
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        6 => (any_mac(), any_mac(), any_ip(), any_ip(), 0u64..70_000).prop_map(|(sm, dm, si, di, len)| {
            // A frame either has both IP addresses or none.
            let (si, di) = if si.is_some() && di.is_some() { (si, di) } else { (None, None) };
            Event::Packet(PacketMeta { src_mac: sm, dst_mac: dm, src_ip: si, dst_ip: di, wire_len: len })
        }),
        2 => (any_ip(), any_ip(), 0u64..1 << 40, 0u64..1 << 40).prop_filter_map("flows have addresses", |(s, d, o, r)| {
            Some(Event::Flow(FlowBytes { orig_src: s?, orig_dst: d?, orig_bytes: o, reply_bytes: r }))
        }),
        1 => Just(Event::Drain),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Every byte lands in exactly one place: Σ devices (rx + tx) + other (rx + tx) + LAN +
    /// non-IP + transit == all bytes observed, whatever the table's bound and however often
    /// it is drained; LAN bytes are counted once, and the per-device LAN counts never exceed
    /// them; the table never holds more than its bound.
    #[test]
    fn every_byte_is_counted_exactly_once(
        events in prop::collection::vec(event(), 0..300),
        max in 0usize..6,
        by_ip in any::<bool>(),
    ) {
        let mut a = Accounting::new(AccountingConfig {
            max_tracked: max,
            identity: if by_ip { Identity::Ip } else { Identity::MacOrIp },
            ..AccountingConfig::default()
        });
        let mut fed = 0u64;
        let mut per_interval = Vec::new();
        for e in &events {
            match e {
                Event::Packet(p) => { fed += p.wire_len; a.packet(p); }
                Event::Flow(f) => { fed += f.orig_bytes + f.reply_bytes; a.flow(f); }
                Event::Drain => per_interval.push(a.drain()),
            }
            prop_assert!(a.tracked() <= max);
        }
        per_interval.push(a.drain());
        let mut seen = 0u64;
        let mut observed = 0u64;
        for d in &per_interval {
            let mut devices = Counts::default();
            for x in &d.devices {
                prop_assert!(!x.counts.is_zero());
                devices.add(&x.counts);
            }
            devices.add(&d.other);
            let t = d.totals;
            prop_assert_eq!(devices.internet() + t.lan + t.non_ip + t.transit, t.observed);
            prop_assert!(devices.lan_tx <= t.lan);
            observed += t.observed;
            seen += devices.internet() + t.lan + t.non_ip + t.transit;
            let mut keys: Vec<_> = d.devices.iter().map(|x| x.key).collect();
            keys.sort_unstable();
            keys.dedup();
            prop_assert_eq!(keys.len(), d.devices.len(), "a device appears once per drain");
        }
        prop_assert_eq!(observed, fed);
        prop_assert_eq!(seen, fed);
    }
}
