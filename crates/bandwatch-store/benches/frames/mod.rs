//! The frames both insert benchmarks write: `n` samples over `n / 3` interfaces, stamped per
//! tick with values that vary like traffic does.

use std::sync::Arc;

use bandwatch_collect::netdev::metric as m;
use bandwatch_core::{Frame, SampleKind, Seconds, SeriesKey, Timestamp};

pub const T0: i64 = 1_767_225_600_000;

/// A frame with `n` samples over `n / 3` interfaces: a delta, its rate and a gauge each.
pub fn template(n: usize) -> Frame {
    let mut f = Frame::new("netdev", Timestamp(T0), Seconds(1.0));
    for i in 0..n {
        let iface = format!("eth{}", i / 3);
        let (metric, kind) = match i % 3 {
            0 => (m::NET_RX_BYTES, SampleKind::Delta),
            1 => (m::NET_RX_BITS_PER_SECOND, SampleKind::Rate),
            _ => ("net_link_up", SampleKind::Gauge),
        };
        f.push(
            Arc::new(SeriesKey::with_label(metric, "iface", &iface)),
            0.0,
            kind,
        );
    }
    f
}

/// The template stamped at tick `tick` of one per second, with values that vary like traffic does.
pub fn frame_at(template: &Frame, tick: i64) -> Frame {
    frame_every(template, tick, 1000)
}

/// The template stamped at tick `tick` of one per `step_ms`, with values that vary like traffic does.
pub fn frame_every(template: &Frame, tick: i64, step_ms: i64) -> Frame {
    let mut f = template.clone();
    f.ts = Timestamp(T0 + tick * step_ms);
    f.elapsed = Seconds(step_ms as f64 / 1000.0);
    for (i, s) in f.samples.iter_mut().enumerate() {
        s.ts = f.ts;
        s.value = match s.kind {
            SampleKind::Delta => ((tick * 7919 + i as i64 * 104_729) % 1_000_000) as f64,
            SampleKind::Rate => ((tick * 7919 + i as i64 * 104_729) % 1_000_000) as f64 * 8.0,
            SampleKind::Gauge => 1.0,
        };
    }
    f
}
