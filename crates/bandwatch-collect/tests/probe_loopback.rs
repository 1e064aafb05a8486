//! Real probes to 127.0.0.1 and ::1: ICMP echo, TCP connect and HTTP GET against listeners
//! the test starts, and one round over many loopback aliases.

mod probe_support;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use bandwatch_collect::probe::metric::{
    push_report, LABEL_TARGET, PROBE_HTTP_STATUS, PROBE_LOSS_PERCENT, PROBE_UP,
};
use bandwatch_collect::probe::{IcmpMode, ProbeConfig, Prober, Target};
use bandwatch_collect::run_round;
use bandwatch_core::{Frame, Seconds, Timestamp};

fn quick(count: u32) -> ProbeConfig {
    ProbeConfig {
        count,
        timeout: Duration::from_secs(1),
        gap: Duration::from_millis(10),
    }
}

fn ipv6_loopback_usable() -> bool {
    std::net::UdpSocket::bind("[::1]:0").is_ok()
}

#[test]
fn icmp_echo_to_ipv4_and_ipv6_loopback() {
    let mut targets = vec![Target::icmp(IpAddr::V4(Ipv4Addr::LOCALHOST))];
    let v6 = ipv6_loopback_usable();
    if v6 {
        targets.push(Target::icmp(IpAddr::V6(Ipv6Addr::LOCALHOST)));
    }
    let prober = match Prober::open_for(&targets) {
        Ok(p) => p,
        Err(e) => {
            // The message must carry both fixes; without either, there is nothing to probe.
            let msg = e.to_string();
            assert!(
                msg.contains("sysctl -w net.ipv4.ping_group_range=\"0 2147483647\""),
                "{msg}"
            );
            assert!(msg.contains("setcap cap_net_raw+ep "), "{msg}");
            println!("SKIPPED icmp: {msg}");
            return;
        }
    };
    println!(
        "ICMP mode: v4 {:?}, v6 {:?}",
        prober.icmp_v4_mode(),
        prober.icmp_v6_mode()
    );
    let start = Instant::now();
    let report = prober.run(&targets, &quick(5)).expect("round");
    for r in &report.results {
        let s = &r.stats;
        assert_eq!((s.sent, s.received), (5, 5), "{}: {s:?}", r.name);
        assert!(s.reachable);
        assert!(
            s.rtt_max.expect("max") < Duration::from_millis(100),
            "{s:?}"
        );
        assert!(s.jitter.is_some());
    }
    // All answered, so the round ends well before the timeout.
    assert!(
        start.elapsed() < Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );
    if v6 {
        assert!(report.icmp_v6_mode.is_some());
    }
    assert!(matches!(
        report.icmp_v4_mode,
        Some(IcmpMode::Datagram | IcmpMode::Raw)
    ));
}

#[test]
fn tcp_connect_to_a_listener_and_to_a_closed_port() {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let open = l.local_addr().expect("addr");
    // A port that was just free: bind, note, release.
    let closed = TcpListener::bind("127.0.0.1:0")
        .and_then(|c| c.local_addr())
        .expect("closed port");
    let mut targets = vec![Target::tcp(open), Target::tcp(closed)];
    let _l6 = if ipv6_loopback_usable() {
        let l6 = TcpListener::bind("[::1]:0").expect("bind v6");
        targets.push(Target::tcp(l6.local_addr().expect("addr")));
        Some(l6)
    } else {
        None
    };
    let report = run_round(&targets, &quick(3)).expect("round");
    let up = &report.results[0].stats;
    assert_eq!((up.sent, up.received), (3, 3), "{up:?}");
    assert!(up.rtt_avg.expect("avg") < Duration::from_millis(100));
    let down = &report.results[1];
    assert!(!down.stats.reachable, "{down:?}");
    assert!((down.stats.loss_percent - 100.0).abs() < 1e-9);
    assert!(
        down.last_error
            .as_deref()
            .is_some_and(|e| e.contains("refused")),
        "{down:?}"
    );
    if let Some(r6) = report.results.get(2) {
        assert_eq!(r6.stats.received, 3, "{r6:?}");
    }
    assert_eq!(
        report.icmp_v4_mode, None,
        "no ICMP socket is opened for TCP targets"
    );
}

#[test]
fn http_get_reports_status_and_time_to_first_byte() {
    let ok: SocketAddr = probe_support::http_server("127.0.0.1:0", 200);
    let missing = probe_support::http_server("127.0.0.1:0", 404);
    let targets = vec![
        Target::http(&format!("http://{ok}/health")),
        Target::http(&format!("http://{missing}/nope")),
        Target::http("https://127.0.0.1:1/"),
    ];
    let report = run_round(&targets, &quick(2)).expect("round");
    let [a, b, tls] = &report.results[..] else {
        panic!("three results")
    };
    assert_eq!((a.http_status, a.stats.received), (Some(200), 2), "{a:?}");
    assert!(a.stats.rtt_avg.expect("ttfb") < Duration::from_millis(200));
    // Any answer counts as reachable; the status is its own series for rules to watch.
    assert_eq!(
        (b.http_status, b.stats.reachable),
        (Some(404), true),
        "{b:?}"
    );
    // https:// is probed (tests/probe_https.rs); nothing listens on port 1.
    assert!(!tls.stats.reachable);
    assert!(
        tls.last_error
            .as_deref()
            .is_some_and(|e| e.contains("refused")),
        "{tls:?}"
    );

    let mut frame = Frame::new("probe", Timestamp::from_secs(0), Seconds(1.0));
    push_report(&mut frame, &report);
    assert_eq!(
        frame.find(PROBE_HTTP_STATUS, LABEL_TARGET, &a.name),
        Some(200.0)
    );
    assert_eq!(frame.find(PROBE_UP, LABEL_TARGET, &tls.name), Some(0.0));
    assert_eq!(
        frame.find(PROBE_LOSS_PERCENT, LABEL_TARGET, &a.name),
        Some(0.0)
    );
}

#[test]
fn bad_settings_are_refused() {
    let cfg = ProbeConfig {
        count: 0,
        ..ProbeConfig::default()
    };
    let err = run_round(&[], &cfg).expect_err("count 0");
    assert_eq!(err.to_string(), "probe setting 'count' must be > 0");
    let d = ProbeConfig::default();
    assert_eq!((d.count, d.timeout), (5, Duration::from_secs(5)));
}

/// Many ICMP targets in one round: 127.0.0.2 … (`BANDWATCH_PROBE_SCALE`, default 200), all
/// answered, in far less than one probe per target in series would take. Prints wall and
/// CPU time for the README.
#[test]
fn one_round_over_many_loopback_aliases() {
    let n: u32 = std::env::var("BANDWATCH_PROBE_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let targets: Vec<Target> = (0..n)
        .map(|i| Target::icmp(IpAddr::V4(Ipv4Addr::from(0x7f00_0002 + i))))
        .collect();
    let Ok(prober) = Prober::open_for(&targets) else {
        println!("SKIPPED: no ICMP socket");
        return;
    };
    let cfg = ProbeConfig {
        count: 5,
        timeout: Duration::from_secs(2),
        gap: Duration::from_millis(200),
    };
    let (wall0, cpu0) = (Instant::now(), probe_support::cpu_time());
    let report = prober.run(&targets, &cfg).expect("round");
    let (wall, cpu) = (
        wall0.elapsed(),
        probe_support::cpu_time().saturating_sub(cpu0),
    );
    let received: u32 = report.results.iter().map(|r| r.stats.received).sum();
    println!(
        "PROBE SCALE: {n} targets x 5 ICMP ({:?}) in one round: wall {wall:?}, cpu {cpu:?}, \
         received {received}/{}",
        report.icmp_v4_mode,
        n * 5
    );
    assert_eq!(received, n * 5);
    // 4 gaps of 200 ms plus the last replies; nowhere near n × anything.
    assert!(wall < Duration::from_secs(2), "{wall:?}");
}

#[test]
fn probe_source_emits_one_frame_per_round() {
    use bandwatch_collect::probe::metric::{PROBE_RTT_SECONDS, PROBE_SENT};
    use bandwatch_collect::Source;
    use bandwatch_core::FakeClock;

    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let t = Target::tcp(l.local_addr().expect("addr"));
    let name = t.name.clone();
    let clock = FakeClock::new(Timestamp::from_secs(1_700_000_000));
    let mut src = bandwatch_collect::ProbeSource::new(vec![t], quick(2), clock).expect("source");
    assert_eq!(src.name(), "probe");
    let frame = src.collect().expect("collect").expect("frame");
    assert_eq!(frame.source, "probe");
    assert_eq!(frame.find(PROBE_UP, LABEL_TARGET, &name), Some(1.0));
    assert_eq!(frame.find(PROBE_SENT, LABEL_TARGET, &name), Some(2.0));
    let rtt = frame
        .samples
        .iter()
        .filter(|s| s.series.metric == PROBE_RTT_SECONDS)
        .count();
    assert_eq!(rtt, 3, "min, avg and max");
}
