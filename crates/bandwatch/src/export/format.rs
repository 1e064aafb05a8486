//! What every export format is given, in the order the walk gives it: the document's header,
//! then series by series their points chunk by chunk, then the end. A format writes as it is
//! told and keeps nothing but the series it is in, so memory stays flat whatever the range.

use std::io::{self, Write};

use bandwatch_store::Resolution;

use super::range::Plan;
use super::select::Chosen;

/// One exported point: its time and value, and on the rollup tiers the bucket's extremes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Epoch milliseconds: the sample's instant, or the start of the rollup bucket.
    pub ts: i64,
    /// The value (see [`super::select::value_meaning`]).
    pub value: f64,
    /// The smallest and largest sample of a rollup bucket; `None` on the raw tier.
    pub bounds: Option<(f64, f64)>,
}

/// What the document says about itself.
#[derive(Debug, Clone, Copy)]
pub struct Header<'a> {
    /// When the export was made, epoch ms.
    pub generated: i64,
    /// The range and tier.
    pub plan: &'a Plan,
}

/// An export format being written.
pub trait Format {
    /// Starts the document.
    fn start(&mut self, header: &Header<'_>) -> io::Result<()>;
    /// Starts a series (only called when it has at least one point).
    fn series(&mut self, series: &Chosen, resolution: Resolution) -> io::Result<()>;
    /// Points of the current series, in time order.
    fn points(&mut self, points: &[Point]) -> io::Result<()>;
    /// Ends the current series.
    fn end_series(&mut self) -> io::Result<()>;
    /// Ends the document and flushes.
    fn finish(&mut self) -> io::Result<()>;
}

/// Integers below 2^53 are written without a fraction (deltas stay exact and read as
/// integers); other finite values in their shortest round-trip form.
pub fn write_number(out: &mut impl Write, v: f64) -> io::Result<()> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if v.fract() == 0.0 && v.abs() < EXACT {
        write!(out, "{}", v as i64)
    } else {
        serde_json::to_writer(out, &v).map_err(io::Error::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: f64) -> String {
        let mut b = Vec::new();
        write_number(&mut b, v).expect("write");
        String::from_utf8(b).expect("utf-8")
    }

    #[test]
    fn numbers_are_exact_and_short() {
        assert_eq!(text(1000.0), "1000");
        assert_eq!(text(-0.0), "0");
        assert_eq!(text(0.1), "0.1");
        assert_eq!(text(13_333.333_333_333_334), "13333.333333333334");
        assert_eq!(text(1e300), "1e+300");
        assert_eq!(text(9_007_199_254_740_993.0), "9007199254740992.0");
    }
}
