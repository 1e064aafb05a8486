//! What `generate` prints: a progress line per second, and the summary as text or as one
//! JSON object. Pure: the numbers in, text out.

use std::fmt::Write as _;

use bandwatch_core::catalog::Unit;
use bandwatch_core::human;
use bandwatch_generate::{Summary, Tick};
use serde::Serialize;

/// The rate of `bytes` over `secs`, as people read it.
fn rate(bytes: u64, secs: f64) -> String {
    human::format(Unit::BitsPerSecond, bps(bytes, secs))
}

fn bps(bytes: u64, secs: f64) -> f64 {
    if secs > 0.0 {
        bytes as f64 * 8.0 / secs
    } else {
        0.0
    }
}

/// One second's progress: the rates over it, and the payload so far.
pub fn progress_line(prev: Option<&Tick>, tick: &Tick) -> String {
    let (t0, s0, r0) = prev.map_or((0.0, 0, 0), |p| {
        (p.elapsed.as_secs_f64(), p.sent, p.received)
    });
    let secs = tick.elapsed.as_secs_f64() - t0;
    format!(
        "{:>5.0} s  up {:>12}  down {:>12}  sent {} B, received {} B",
        tick.elapsed.as_secs_f64(),
        rate(tick.sent - s0, secs),
        rate(tick.received - r0, secs),
        tick.sent,
        tick.received
    )
}

/// The summary as `--json` prints it.
#[derive(Debug, Serialize)]
pub struct SummaryJson {
    /// `loopback` (our own sink) or `peer`.
    pub mode: &'static str,
    /// The far end's address.
    pub peer: String,
    /// How long each direction sent, seconds.
    pub duration_s: f64,
    /// From the first connection to the report, seconds.
    pub elapsed_s: f64,
    /// Payload bytes we sent (upload).
    pub sent_bytes: u64,
    /// Payload bytes we received (download).
    pub received_bytes: u64,
    /// Upload payload rate over `upload_s`, bits/s; null without upload.
    pub upload_bps: Option<f64>,
    /// Download payload rate over `download_s`, bits/s; null without download.
    pub download_bps: Option<f64>,
    /// From our first upload byte until the far end had the last, seconds.
    pub upload_s: Option<f64>,
    /// From the first download byte until we had the last, seconds.
    pub download_s: Option<f64>,
    /// The upload rate asked for, bits/s.
    pub upload_target_bps: Option<u64>,
    /// The download rate asked for, bits/s.
    pub download_target_bps: Option<u64>,
    /// Upload payload bytes as the far end counted them.
    pub peer_received_bytes: u64,
    /// Download payload bytes as the far end counted them.
    pub peer_sent_bytes: u64,
    /// Control-protocol bytes (frames) both ways: not payload, part of the overhead.
    pub control_bytes: u64,
    /// The interface crossed, when known.
    pub interface: Option<InterfaceJson>,
}

/// What crossed the interface: the kernel's counts split into payload and overhead.
#[derive(Debug, Serialize)]
pub struct InterfaceJson {
    /// Its name.
    pub name: String,
    /// Bytes it received during the session (kernel counter delta).
    pub rx_bytes: u64,
    /// Bytes it sent.
    pub tx_bytes: u64,
    /// Of `rx_bytes`, payload: received, or on loopback sent + received (lo carries both).
    pub payload_rx_bytes: u64,
    /// Of `tx_bytes`, payload: sent, or on loopback sent + received.
    pub payload_tx_bytes: u64,
    /// `rx_bytes - payload_rx_bytes`: headers, acknowledgements, handshakes, control
    /// frames, and anything else that crossed the interface meanwhile.
    pub overhead_rx_bytes: i64,
    /// `tx_bytes - payload_tx_bytes`.
    pub overhead_tx_bytes: i64,
}

impl SummaryJson {
    /// The summary of a session; `loopback` when it ran to our own sink.
    pub fn new(s: &Summary, loopback: bool) -> Self {
        let duration_s = s
            .upload
            .iter()
            .chain(s.download.iter())
            .map(|w| w.plan.duration().as_secs_f64())
            .fold(0.0, f64::max);
        let sent = s.upload.map_or(0, |w| w.bytes);
        let received = s.download.map_or(0, |w| w.bytes);
        let (payload_rx, payload_tx) = if loopback {
            (sent + received, sent + received)
        } else {
            (received, sent)
        };
        Self {
            mode: if loopback { "loopback" } else { "peer" },
            peer: s.peer.to_string(),
            duration_s,
            elapsed_s: s.elapsed.as_secs_f64(),
            sent_bytes: sent,
            received_bytes: received,
            upload_bps: s.upload.map(|w| bps(w.bytes, w.took.as_secs_f64())),
            download_bps: s.download.map(|w| bps(w.bytes, w.took.as_secs_f64())),
            upload_s: s.upload.map(|w| w.took.as_secs_f64()),
            download_s: s.download.map(|w| w.took.as_secs_f64()),
            upload_target_bps: s.upload.map(|w| w.plan.rate_bps),
            download_target_bps: s.download.map(|w| w.plan.rate_bps),
            peer_received_bytes: s.upload.map_or(0, |w| w.peer_bytes),
            peer_sent_bytes: s.download.map_or(0, |w| w.peer_bytes),
            control_bytes: s.control_bytes,
            interface: s.link.as_ref().map(|l| InterfaceJson {
                name: l.name.clone(),
                rx_bytes: l.rx_bytes,
                tx_bytes: l.tx_bytes,
                payload_rx_bytes: payload_rx,
                payload_tx_bytes: payload_tx,
                overhead_rx_bytes: l.rx_bytes as i64 - payload_rx as i64,
                overhead_tx_bytes: l.tx_bytes as i64 - payload_tx as i64,
            }),
        }
    }

    /// Where our count and the far end's differ (a connection cut short), for a warning.
    pub fn mismatch(&self) -> Option<String> {
        let up = self.upload_bps.is_some() && self.sent_bytes != self.peer_received_bytes;
        let down = self.download_bps.is_some() && self.received_bytes != self.peer_sent_bytes;
        (up || down).then(|| {
            format!(
                "the far end counted {} B received and {} B sent, we {} B sent and {} B received",
                self.peer_received_bytes,
                self.peer_sent_bytes,
                self.sent_bytes,
                self.received_bytes
            )
        })
    }

    /// The summary as text.
    pub fn text(&self) -> String {
        let mut out = format!(
            "bandwatch generate: {} {}, {} s of payload ({:.1} s in all)\n",
            self.mode, self.peer, self.duration_s, self.elapsed_s
        );
        let _ = writeln!(
            out,
            "{:<9} {:>15}  {:>15} {:>14} {:>14}",
            "", "payload bytes", "far end counted", "rate", "target"
        );
        let mut way =
            |name: &str, bytes: u64, peer: u64, rate: Option<f64>, target: Option<u64>| {
                if let (Some(rate), Some(target)) = (rate, target) {
                    let _ = writeln!(
                        out,
                        "{name:<9} {bytes:>15}  {peer:>15} {:>14} {:>14}",
                        human::format(Unit::BitsPerSecond, rate),
                        human::format(Unit::BitsPerSecond, target as f64)
                    );
                }
            };
        way(
            "upload",
            self.sent_bytes,
            self.peer_received_bytes,
            self.upload_bps,
            self.upload_target_bps,
        );
        way(
            "download",
            self.received_bytes,
            self.peer_sent_bytes,
            self.download_bps,
            self.download_target_bps,
        );
        let _ = writeln!(
            out,
            "control   {} B of protocol frames (not payload)",
            self.control_bytes
        );
        if let Some(i) = &self.interface {
            let _ = writeln!(
                out,
                "{:<9} {}: received {} B = payload {} + overhead {}",
                "interface", i.name, i.rx_bytes, i.payload_rx_bytes, i.overhead_rx_bytes
            );
            let _ = writeln!(
                out,
                "{:<9} {}: sent     {} B = payload {} + overhead {}",
                "", i.name, i.tx_bytes, i.payload_tx_bytes, i.overhead_tx_bytes
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bandwatch_generate::client::Way;
    use bandwatch_generate::{LinkDelta, Plan};

    use super::*;

    fn summary() -> Summary {
        let plan = Plan::new(10_000_000, Duration::from_secs(2));
        Summary {
            peer: "127.0.0.1:40211".parse().expect("addr"),
            upload: Some(Way {
                plan,
                bytes: 2_500_000,
                peer_bytes: 2_500_000,
                took: Duration::from_millis(2_004),
            }),
            download: Some(Way {
                plan,
                bytes: 2_499_072,
                peer_bytes: 2_499_072,
                took: Duration::from_millis(2_001),
            }),
            control_bytes: 212,
            link: Some(LinkDelta {
                name: "lo".into(),
                rx_bytes: 5_010_000,
                tx_bytes: 5_010_000,
            }),
            elapsed: Duration::from_millis(2_340),
        }
    }

    #[test]
    fn the_text_summary_gives_exact_bytes_and_the_overhead() {
        insta::assert_snapshot!(SummaryJson::new(&summary(), true).text(), @r"
        bandwatch generate: loopback 127.0.0.1:40211, 2 s of payload (2.3 s in all)
                    payload bytes  far end counted           rate         target
        upload            2500000          2500000      9.98 Mbps     10.00 Mbps
        download          2499072          2499072      9.99 Mbps     10.00 Mbps
        control   212 B of protocol frames (not payload)
        interface lo: received 5010000 B = payload 4999072 + overhead 10928
                  lo: sent     5010000 B = payload 4999072 + overhead 10928
        ");
    }

    #[test]
    fn the_json_summary_has_the_documented_fields() {
        let mut s = summary();
        s.link = Some(LinkDelta {
            name: "eth0".into(),
            rx_bytes: 2_585_072,
            tx_bytes: 2_541_000,
        });
        let json = serde_json::to_string(&SummaryJson::new(&s, false)).expect("json");
        insta::assert_snapshot!(json, @r#"{"mode":"peer","peer":"127.0.0.1:40211","duration_s":2.0,"elapsed_s":2.34,"sent_bytes":2500000,"received_bytes":2499072,"upload_bps":9980039.92015968,"download_bps":9991292.353823088,"upload_s":2.004,"download_s":2.001,"upload_target_bps":10000000,"download_target_bps":10000000,"peer_received_bytes":2500000,"peer_sent_bytes":2499072,"control_bytes":212,"interface":{"name":"eth0","rx_bytes":2585072,"tx_bytes":2541000,"payload_rx_bytes":2499072,"payload_tx_bytes":2500000,"overhead_rx_bytes":86000,"overhead_tx_bytes":41000}}"#);
    }

    #[test]
    fn counts_that_differ_are_named() {
        let mut s = summary();
        assert_eq!(SummaryJson::new(&s, true).mismatch(), None);
        s.download = s.download.map(|w| Way { peer_bytes: 1, ..w });
        assert!(SummaryJson::new(&s, true)
            .mismatch()
            .is_some_and(|m| m.contains("1 B sent")));
    }

    #[test]
    fn progress_is_the_rate_over_the_last_second() {
        let t1 = Tick {
            elapsed: Duration::from_secs(1),
            sent: 125_000,
            received: 0,
        };
        let t2 = Tick {
            elapsed: Duration::from_secs(2),
            sent: 375_000,
            received: 1_250_000,
        };
        insta::assert_snapshot!(progress_line(Some(&t1), &t2), @"    2 s  up    2.00 Mbps  down   10.00 Mbps  sent 375000 B, received 1250000 B");
    }
}
