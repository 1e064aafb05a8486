//! A database outage through the background writer: a proxy in front of the real server cuts
//! every connection for 10 s while frames keep arriving every 100 ms; afterwards every frame
//! is in the database exactly once. (The shared servers themselves are never stopped.)

mod common;
mod sqlcommon;

use std::thread;
use std::time::{Duration, Instant};

use bandwatch_core::Timestamp;
use bandwatch_store::{SqlOptions, SqlStore, Store, StoreWriter, WriterConfig};
use bandwatch_testkit::proxy::Proxy;
use common::{delta_key, elapsed_key, frame, T0};
use sqlcommon::{upstream, FreshDb, Server};

const STEP_MS: i64 = 100;

fn outage(server: Server) {
    let Some(db) = FreshDb::create(server) else {
        return;
    };
    let proxy = Proxy::start(upstream(server));
    let opts = SqlOptions {
        connect_timeout: Duration::from_secs(2),
        ..SqlOptions::default()
    };
    let store = SqlStore::connect(&db.url_via(proxy.port), opts).expect("connect");
    let cfg = WriterConfig {
        flush_every: Duration::from_millis(200),
        retry_initial: Duration::from_millis(100),
        retry_max: Duration::from_secs(1),
        close_timeout: Duration::from_secs(20),
        ..WriterConfig::default()
    };
    let (handle, join) = StoreWriter::spawn(Box::new(store), cfg).expect("spawn");
    let start = Instant::now();
    let mut n = 0i64;
    let mut cut_at = None;
    let mut restored = false;
    // 3 s healthy, 10 s cut, 4 s healthy again; one frame every 100 ms throughout.
    while start.elapsed() < Duration::from_secs(17) {
        let t = start.elapsed();
        if cut_at.is_none() && t >= Duration::from_secs(3) {
            proxy.cut();
            cut_at = Some(n);
        }
        if !restored && t >= Duration::from_secs(13) {
            proxy.restore();
            restored = true;
        }
        assert!(handle.send(frame(n, STEP_MS)), "queue full at frame {n}");
        n += 1;
        thread::sleep(Duration::from_millis(100));
    }
    let counters = handle.counters();
    let summary = handle.close();
    join.join().expect("writer thread");
    let stats = counters.snapshot();
    assert!(
        stats.failed_writes > 0,
        "the outage was not noticed: {stats:?}"
    );
    assert_eq!(summary.frames_written as i64, n, "{summary:?} {stats:?}");
    assert_eq!(summary.frames_dropped, 0, "{summary:?}");
    assert!(cut_at.is_some_and(|c| c > 10));

    // Read back directly from the server, not through the proxy.
    let store = SqlStore::connect(&db.url, SqlOptions::default()).expect("reconnect");
    let all = (Timestamp(0), Timestamp(i64::MAX));
    for key in [delta_key().as_ref().clone(), elapsed_key()] {
        let raw = store.query_raw(&key, all.0, all.1).expect("query");
        assert_eq!(raw.len() as i64, n, "{key}: every frame once");
        let expected: Vec<Timestamp> = (0..n).map(|i| Timestamp(T0 + (i + 1) * STEP_MS)).collect();
        let got: Vec<Timestamp> = raw.iter().map(|(t, _)| *t).collect();
        assert_eq!(got, expected, "{key}");
    }
    assert_eq!(
        db.int("SELECT COUNT(*) FROM bw_samples"),
        4 * n,
        "delta, rate, gauge and elapsed rows, no duplicates"
    );
}

#[test]
fn mysql_outage_loses_and_doubles_nothing() {
    outage(Server::MySql);
}

#[test]
fn postgres_outage_loses_and_doubles_nothing() {
    outage(Server::Postgres);
}
