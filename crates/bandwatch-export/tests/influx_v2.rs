//! The v2 write API against a local recording receiver (Debian has no InfluxDB 2): the
//! request shape, a 401 that names the problem without the token, and 429 + `Retry-After`.

mod influx_support;

use std::time::Duration;

use bandwatch_core::Timestamp;
use bandwatch_export::influx::{Api, Error, InfluxClient, InfluxConfig, InfluxWriter, LineEncoder};
use bandwatch_testkit::wait_for;
use influx_support::receiver::{Canned, Receiver};
use influx_support::{netdev_frame, system_frame, NetTotals};

const TOKEN: &str = "sekrit-token-0123456789";

fn v2_config(url: &str, dir: &std::path::Path) -> InfluxConfig {
    let mut c = InfluxConfig::new(
        url,
        Api::V2 {
            token: TOKEN.into(),
            org: "my org".into(),
            bucket: "bw".into(),
        },
        dir,
        bandwatch_collect::catalog(),
    );
    c.host_tag = "h".into();
    c.flush_every = Duration::from_millis(100);
    c.retry_initial = Duration::from_millis(20);
    c.retry_max = Duration::from_millis(200);
    c.timeout = Duration::from_secs(3);
    c
}

#[test]
fn request_shape() {
    let rx = Receiver::start(vec![]);
    let dir = tempfile::tempdir().unwrap();
    let (handle, join) = InfluxWriter::spawn(v2_config(&rx.url, dir.path())).unwrap();
    let frames = [
        netdev_frame(
            Timestamp(1_000),
            "eth0",
            &NetTotals {
                rx_bytes: 1,
                tx_bytes: 2,
                rx_packets: 3,
                tx_packets: 4,
            },
        ),
        system_frame(Timestamp(2_000), 50.0),
    ];
    for f in &frames {
        handle.send(f);
    }
    handle.close();
    join.join().unwrap();

    let reqs = rx.requests();
    assert_eq!(reqs.len(), 1, "one batch: {reqs:?}");
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.target, "/api/v2/write?org=my+org&bucket=bw&precision=ms");
    assert_eq!(
        r.header("authorization"),
        Some(format!("Token {TOKEN}").as_str())
    );
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let enc = LineEncoder::new("h", bandwatch_collect::catalog());
    let expected = enc.encode(&frames[0]).0 + &enc.encode(&frames[1]).0;
    assert_eq!(r.gunzip(), expected);
    assert_eq!(handle.stats().written_lines, 4);
}

#[test]
fn unauthorized_is_clear_and_never_shows_the_token() {
    let body = r#"{"code":"unauthorized","message":"unauthorized access"}"#;
    let rx = Receiver::start(vec![Canned::new(401, body), Canned::new(401, body)]);
    let dir = tempfile::tempdir().unwrap();
    let config = v2_config(&rx.url, dir.path());

    let err = InfluxClient::new(&config)
        .unwrap()
        .write_lines("m v=1 1\n")
        .unwrap_err();
    assert!(
        matches!(err, Error::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    let text = err.to_string();
    assert!(
        text.contains("401")
            && text.contains("unauthorized access")
            && text.contains("check the token"),
        "{text}"
    );
    for shown in [text, format!("{err:?}"), format!("{config:?}")] {
        assert!(!shown.contains(TOKEN), "{shown}");
    }

    // The writer drops such a batch (it would never succeed) rather than buffering it.
    let (handle, join) = InfluxWriter::spawn(config).unwrap();
    handle.send(&system_frame(Timestamp(1), 1.0));
    handle.close();
    join.join().unwrap();
    let stats = handle.stats();
    assert_eq!(
        (
            stats.dropped_lines,
            stats.failed_requests,
            stats.buffered_batches
        ),
        (1, 1, 0)
    );
    let last = handle.last_error().unwrap();
    assert!(last.contains("401") && !last.contains(TOKEN), "{last}");
}

#[test]
fn bad_request_is_dropped_with_the_server_message() {
    let rx = Receiver::start(vec![Canned::new(
        400,
        r#"{"error":"partial write: field type conflict"}"#,
    )]);
    let dir = tempfile::tempdir().unwrap();
    let err = InfluxClient::new(&v2_config(&rx.url, dir.path()))
        .unwrap()
        .write_lines("m v=1 1\n")
        .unwrap_err();
    assert!(
        matches!(err, Error::Rejected { status: 400, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("partial write: field type conflict"),
        "{err}"
    );
}

#[test]
fn retry_after_is_honoured() {
    let rx = Receiver::start(vec![
        Canned::new(429, r#"{"message":"slow down"}"#).header("Retry-After", "1"),
        Canned::new(503, "busy"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let (handle, join) = InfluxWriter::spawn(v2_config(&rx.url, dir.path())).unwrap();
    handle.send(&system_frame(Timestamp(1), 1.0));
    assert!(wait_for(Duration::from_secs(10), || handle
        .stats()
        .written_lines
        == 1));
    handle.close();
    join.join().unwrap();

    let reqs = rx.requests();
    assert_eq!(reqs.len(), 3, "429, 503, then 204");
    let waited = reqs[1].at - reqs[0].at;
    // Our own backoff starts at 20 ms; only the server's Retry-After explains a second.
    assert!(waited >= Duration::from_millis(950), "waited {waited:?}");
    assert!(
        reqs[2].at - reqs[1].at < Duration::from_millis(900),
        "503 without Retry-After uses the short backoff"
    );
    assert!(
        reqs.iter().all(|r| r.body == reqs[0].body),
        "the same batch is retried"
    );
    let stats = handle.stats();
    assert_eq!((stats.failed_requests, stats.dropped_lines), (2, 0));
}

#[test]
fn a_full_queue_drops_and_counts_without_blocking() {
    // A server that accepts connections but never answers keeps the writer busy.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let mut config = v2_config(&url, dir.path());
    config.queue_frames = 2;
    config.batch_lines = 1;
    config.timeout = Duration::from_secs(2);
    let (handle, join) = InfluxWriter::spawn(config).unwrap();
    let started = std::time::Instant::now();
    let refused = (0..50)
        .filter(|i| !handle.send(&system_frame(Timestamp(*i), 1.0)))
        .count() as u64;
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "send never blocks"
    );
    assert!(
        refused >= 47,
        "at most one in flight and two queued: {refused}"
    );
    assert_eq!(handle.stats().dropped_lines, refused);
    handle.close();
    join.join().unwrap();
    // What was accepted is on disk, not lost: the request timed out and was buffered.
    let stats = handle.stats();
    assert_eq!(stats.dropped_lines, refused, "{stats:?}");
    assert!(
        stats.buffered_batches >= 1 && stats.failed_requests >= 1,
        "{stats:?}"
    );
    drop(silent);
}
