//! Values as the view writes them, through `bandwatch_core::human`.

use bandwatch_core::{human, Unit};

use crate::state::Units;

/// A rate given in bits/s, in the units chosen with `u`.
pub fn rate(units: Units, bits_per_second: f64) -> String {
    match units {
        Units::Bits => human::format(Unit::BitsPerSecond, bits_per_second),
        Units::Bytes => human::format(Unit::BytesPerSecond, bits_per_second / 8.0),
    }
}

/// The widest a rate gets in `units` (`999.9 Mbps`, `1023.99 KiB/s`), so columns never cut
/// a figure.
pub fn rate_width(units: Units) -> u16 {
    match units {
        Units::Bits => 10,
        Units::Bytes => 13,
    }
}

/// A percentage, or a dash when unknown.
pub fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| human::format(Unit::Percent, v))
}

/// A name from the network or the configuration, with control characters made visible.
pub fn name(text: &str) -> String {
    human::escape_control(text).into_owned()
}

/// How long ago `then` was, from `now` (milliseconds), in one short unit: `45s`, `12m`, `3h`.
pub fn ago(now_ms: i64, then_ms: i64) -> String {
    let s = (now_ms - then_ms).max(0) / 1000;
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else if s < 86_400 {
        format!("{}h", s / 3600)
    } else {
        format!("{}d", s / 86_400)
    }
}
