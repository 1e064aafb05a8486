//! Target specs end to end on loopback: HTTPS against a self-signed server the test starts
//! (verification on and off), host-name ICMP and TCP targets, and a name that does not
//! resolve, all in one round.

mod probe_support;

use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::time::Duration;

use bandwatch_collect::probe::metric::{push_report, LABEL_TARGET, PROBE_HTTP_STATUS, PROBE_UP};
use bandwatch_collect::probe::{ProbeConfig, Prober, Target, TargetResult};
use bandwatch_core::{Frame, Seconds, Timestamp};

fn quick(count: u32) -> ProbeConfig {
    ProbeConfig {
        count,
        timeout: Duration::from_secs(2),
        gap: Duration::from_millis(10),
    }
}

fn find<'a>(results: &'a [TargetResult], name: &str) -> &'a TargetResult {
    results
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no result for {name}"))
}

#[test]
fn https_with_and_without_certificate_verification() {
    let addr = probe_support::https_server("127.0.0.1:0");
    let url = format!("https://127.0.0.1:{}/health", addr.port());
    let strict = Target::parse(Some("strict"), &url).expect("spec");
    let lax = Target::parse(Some("lax"), &url)
        .expect("spec")
        .with_tls_verify(false);
    let by_name = Target::parse(None, &format!("https://localhost:{}/", addr.port()))
        .expect("spec")
        .with_tls_verify(false);
    let targets = [strict, lax, by_name];
    let report = Prober::open_for(&targets)
        .expect("no ICMP needed")
        .run(&targets, &quick(3))
        .expect("round");

    let strict = find(&report.results, "strict");
    assert!(!strict.stats.reachable, "{strict:?}");
    let err = strict.last_error.as_deref().unwrap_or_default();
    println!("verification on: {err}");
    assert!(err.contains("certificate not trusted"), "{err}");
    assert!(err.contains("127.0.0.1"), "names the host: {err}");
    assert_eq!(strict.http_status, None);

    for r in &report.results[1..] {
        assert_eq!((r.stats.received, r.http_status), (3, Some(204)), "{r:?}");
        assert!(r.last_error.is_none(), "{r:?}");
        let rtt = r.stats.rtt_avg.expect("time to first byte");
        assert!(
            rtt > Duration::ZERO && rtt < Duration::from_secs(1),
            "{rtt:?}"
        );
    }

    let mut frame = Frame::new("probe", Timestamp::from_secs(0), Seconds(1.0));
    push_report(&mut frame, &report);
    assert_eq!(frame.find(PROBE_UP, LABEL_TARGET, "strict"), Some(0.0));
    assert_eq!(frame.find(PROBE_UP, LABEL_TARGET, "lax"), Some(1.0));
    assert_eq!(
        frame.find(PROBE_HTTP_STATUS, LABEL_TARGET, "lax"),
        Some(204.0)
    );
}

#[test]
fn host_names_resolve_each_round_and_a_bad_name_fails_alone() {
    // Listen where `localhost` resolves first, as the prober connects there.
    let first: SocketAddr = ("localhost", 0)
        .to_socket_addrs()
        .expect("localhost resolves")
        .next()
        .expect("an address");
    let l = TcpListener::bind(first).expect("bind");
    let tcp_spec = format!("tcp://localhost:{}", l.local_addr().expect("addr").port());
    let mut targets = vec![
        Target::parse(None, &tcp_spec).expect("tcp spec"),
        Target::parse(None, "tcp://nonexistent.invalid:80").expect("tcp spec"),
    ];
    let icmp = ["localhost", "nonexistent.invalid", "127.0.0.1"]
        .map(|s| Target::parse(None, s).expect("icmp spec"));
    let prober = match Prober::open_for(&[targets.clone(), icmp.to_vec()].concat()) {
        Ok(p) => {
            targets.extend(icmp);
            p
        }
        Err(e) => {
            println!("SKIPPED the ICMP half: {e}");
            Prober::open_for(&targets).expect("no ICMP needed")
        }
    };
    let report = prober.run(&targets, &quick(3)).expect("round");
    for r in &report.results {
        if r.name.contains("nonexistent.invalid") {
            assert!(!r.stats.reachable, "{r:?}");
            assert_eq!(r.stats.sent, 3, "{r:?}");
            let err = r.last_error.as_deref().unwrap_or_default();
            println!("{}: {err}", r.name);
            assert!(
                err.starts_with("cannot resolve nonexistent.invalid: "),
                "{err}"
            );
        } else {
            assert_eq!(r.stats.received, 3, "{r:?}");
            assert!(r.last_error.is_none(), "{r:?}");
        }
    }
    assert_eq!(report.results.len(), targets.len());
}
