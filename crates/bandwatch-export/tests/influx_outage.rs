//! A live writer through a real InfluxDB outage: the server is killed while frames keep
//! coming every 100 ms, then restarted on the same data and port; every point of the gap
//! must arrive, in the exact count.

mod influx_support;

use std::time::{Duration, Instant};

use bandwatch_core::Timestamp;
use bandwatch_export::influx::InfluxWriter;
use bandwatch_testkit::influxd::Influxd;
use bandwatch_testkit::wait_for;
use influx_support::{netdev_frame, v1_config, NetTotals};

const T0: i64 = 1_767_225_600_000;

#[test]
fn every_point_of_an_outage_arrives() {
    let Some(mut server) = Influxd::start("every_point_of_an_outage_arrives") else {
        return;
    };
    server.exec("CREATE DATABASE bw");
    let dir = tempfile::tempdir().unwrap();
    let (handle, join) = InfluxWriter::spawn(v1_config(server.port, "bw", dir.path())).unwrap();
    let totals = NetTotals {
        rx_bytes: 1_000,
        tx_bytes: 500,
        rx_packets: 10,
        tx_packets: 5,
    };
    let mut sent = 0_i64;
    let mut max_buffered = 0;
    let mut send_for = |span: Duration, sent: &mut i64| {
        let end = Instant::now() + span;
        while Instant::now() < end {
            let frame = netdev_frame(Timestamp(T0 + *sent * 1_000), "eth0", &totals);
            assert!(handle.send(&frame), "queue never fills here");
            *sent += 1;
            max_buffered = max_buffered.max(handle.stats().buffered_batches);
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    send_for(Duration::from_secs(2), &mut sent);
    server.kill();
    send_for(Duration::from_secs(10), &mut sent);
    server.launch();
    send_for(Duration::from_secs(2), &mut sent);

    let lines_per_frame = 3; // network_bandwidth, network_interface, net_up
    let all = (sent * lines_per_frame) as u64;
    let delivered = wait_for(Duration::from_secs(20), || {
        handle.stats().written_lines == all
    });
    let stats = handle.stats();
    assert!(delivered, "{stats:?} last error {:?}", handle.last_error());
    handle.close();
    join.join().unwrap();

    assert!(max_buffered > 0, "the outage was buffered on disk");
    assert!(stats.failed_requests > 0, "{stats:?}");
    assert_eq!(
        (stats.dropped_lines, stats.buffered_bytes),
        (0, 0),
        "{stats:?}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "buffer emptied"
    );
    let count = |q: &str| server.count("bw", q);
    assert_eq!(
        count("SELECT count(upload_mbps) FROM network_bandwidth"),
        sent
    );
    assert_eq!(
        count("SELECT count(bytes_recv) FROM network_interface"),
        sent
    );
    assert_eq!(
        count("SELECT sum(bytes_recv) FROM network_bandwidth"),
        sent * 1_000
    );
}
