//! The disk buffer with the server away: it survives a writer restart and is delivered by
//! the next writer, and past its size bound the oldest batches go, counted.

mod influx_support;

use std::path::Path;
use std::time::Duration;

use bandwatch_core::Timestamp;
use bandwatch_export::influx::{gzip, InfluxConfig, InfluxWriter, LineEncoder};
use bandwatch_testkit::influxd::{self, Influxd};
use bandwatch_testkit::{free_port, wait_for};
use influx_support::{system_frame, v1_config};

const T0: i64 = 1_767_225_600_000;

fn ts(i: i64) -> Timestamp {
    Timestamp(T0 + i * 1_000)
}

fn files(dir: &Path) -> usize {
    std::fs::read_dir(dir).expect("buffer dir").count()
}

/// Runs a writer with the server away: sends `n` frames, closes, and returns its stats.
fn write_while_down(config: InfluxConfig, n: i64) -> bandwatch_export::influx::InfluxStats {
    let (handle, join) = InfluxWriter::spawn(config).expect("spawn writer");
    for i in 0..n {
        assert!(handle.send(&system_frame(ts(i), i as f64)));
    }
    handle.close();
    join.join().expect("writer thread");
    handle.stats()
}

/// Starts the server on `port`, lets a fresh writer replay the buffer plus one new frame.
fn replay(port: u16, config: InfluxConfig, expect_written: u64) -> Influxd {
    let server = Influxd::start_on("disk buffer replay", port).expect("influxd present");
    server.exec("CREATE DATABASE bw");
    let dir = config.buffer_dir.clone();
    let (handle, join) = InfluxWriter::spawn(config).expect("spawn writer");
    assert!(handle.send(&system_frame(ts(1_000), -1.0)));
    let ok = wait_for(Duration::from_secs(15), || {
        handle.stats().written_lines == expect_written
    });
    assert!(ok, "{:?} {:?}", handle.stats(), handle.last_error());
    handle.close();
    join.join().expect("writer thread");
    assert_eq!(files(&dir), 0);
    server
}

fn cpu_times(server: &Influxd) -> Vec<i64> {
    let (_, rows) = server.rows("bw", "SELECT value FROM system_cpu_percent");
    rows.iter()
        .map(|r| r[0].as_i64().expect("epoch ms"))
        .collect()
}

#[test]
fn buffer_survives_a_writer_restart() {
    if influxd::binary_or_skip("buffer_survives_a_writer_restart").is_none() {
        return;
    }
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let mut config = v1_config(port, "bw", dir.path());
    config.batch_lines = 10;
    let stats = write_while_down(config.clone(), 30);
    assert_eq!(
        (
            stats.written_lines,
            stats.dropped_lines,
            stats.buffered_batches
        ),
        (0, 0, 3),
        "{stats:?}"
    );
    assert_eq!(files(dir.path()), 3, "batches stay on disk after close");

    let server = replay(port, config, 31);
    let times = cpu_times(&server);
    let mut want: Vec<i64> = (0..30).map(|i| ts(i).0).collect();
    want.push(ts(1_000).0);
    assert_eq!(times, want);
}

#[test]
fn oldest_batches_go_when_the_buffer_is_full() {
    if influxd::binary_or_skip("oldest_batches_go_when_the_buffer_is_full").is_none() {
        return;
    }
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let mut config = v1_config(port, "bw", dir.path());
    config.batch_lines = 1;
    // Room for about five one-line batches.
    let one = gzip(
        &LineEncoder::new("testhost", bandwatch_collect::catalog())
            .encode(&system_frame(ts(10), 10.0))
            .0,
    )
    .len() as u64;
    config.buffer_max_bytes = one * 5 + one / 2;
    let stats = write_while_down(config.clone(), 20);
    let kept = stats.buffered_batches;
    assert!(kept > 0 && kept < 20, "{stats:?}");
    assert_eq!(stats.dropped_lines + kept, 20, "{stats:?}");
    assert!(stats.buffered_bytes <= config.buffer_max_bytes, "{stats:?}");

    // The next writer gets room for the live frame too (it queues behind the buffer).
    config.buffer_max_bytes = 1 << 20;
    let server = replay(port, config, kept + 1);
    let times = cpu_times(&server);
    let mut want: Vec<i64> = (20 - kept as i64..20).map(|i| ts(i).0).collect();
    want.push(ts(1_000).0);
    assert_eq!(times, want, "the newest survive");
    let (_, rows) = server.rows("bw", "SELECT value FROM system_cpu_percent LIMIT 1");
    assert_eq!(rows[0][1].as_f64(), Some(20.0 - kept as f64));
}
