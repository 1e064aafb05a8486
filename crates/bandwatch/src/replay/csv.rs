//! Frames from CSV with the header `ts,series,value`: `ts` as RFC 3339 or Unix seconds,
//! `series` as `metric{label="value",…}` (quote the field when it holds commas), `value` in
//! base units. Consecutive rows with the same `ts` form one frame.

use std::sync::Arc;

use bandwatch_core::{Frame, SampleKind, Seconds, SeriesKey, Timestamp};

/// The frames of the file; `(line number, problem)` for the first bad line.
pub fn frames(lines: &[String]) -> Result<Vec<Frame>, (usize, String)> {
    let mut rows = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    match rows.next() {
        Some((_, header))
            if split(header)
                .iter()
                .map(|s| s.trim())
                .eq(["ts", "series", "value"]) => {}
        Some((i, _)) => {
            return Err((
                i + 1,
                "the first line must be the header ts,series,value".into(),
            ))
        }
        None => return Ok(Vec::new()),
    }
    let mut out: Vec<Frame> = Vec::new();
    for (i, line) in rows {
        let (ts, series, value) = row(line).map_err(|p| (i + 1, p))?;
        let same_tick = out.last().is_some_and(|f| f.ts == ts);
        if !same_tick {
            let elapsed = out.last().map_or(0.0, |f| (ts.0 - f.ts.0) as f64 / 1000.0);
            out.push(Frame::new("replay", ts, Seconds(elapsed)));
        }
        if let Some(frame) = out.last_mut() {
            frame.push(Arc::new(series), value, SampleKind::Gauge);
        }
    }
    Ok(out)
}

fn row(line: &str) -> Result<(Timestamp, SeriesKey, f64), String> {
    let fields = split(line);
    let [ts, series, value] = fields.as_slice() else {
        return Err(format!(
            "expected 3 fields (ts,series,value), found {}",
            fields.len()
        ));
    };
    let ts = timestamp(ts.trim())?;
    let series: SeriesKey = series.trim().parse().map_err(|e| format!("series {e}"))?;
    let value: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("value '{}' is not a number", value.trim()))?;
    Ok((ts, series, value))
}

fn timestamp(text: &str) -> Result<Timestamp, String> {
    if let Ok(secs) = text.parse::<f64>() {
        return Ok(Timestamp((secs * 1000.0).round() as i64));
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|d| Timestamp(d.timestamp_millis()))
        .map_err(|_| format!("ts '{text}' is neither RFC 3339 nor Unix seconds"))
}

/// Splits one CSV line on commas outside quoted fields. A field is quoted when it starts
/// with `"`; inside it `""` is a quote. A quote in the middle of an unquoted field is text,
/// so `net_up{iface="eth0"}` needs no quoting unless it holds a comma.
fn split(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let Some(field) = fields.last_mut() else {
            break;
        };
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            '"' if quoted => quoted = false,
            '"' if field.is_empty() => quoted = true,
            ',' if !quoted => fields.push(String::new()),
            c => field.push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(String::from).collect()
    }

    #[test]
    fn groups_rows_by_timestamp() {
        let f = frames(&lines(
            "ts,series,value\n0,net_rx_bits_per_second{iface=\"eth0\"},5\n0,\"net_tx_bits_per_second{iface=\"\"eth0\"\"}\",6\n1.5,net_rx_bits_per_second{iface=\"eth0\"},7\n",
        ))
        .unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].samples.len(), 2);
        assert_eq!(f[1].ts, Timestamp(1500));
        assert_eq!(
            f[1].find("net_rx_bits_per_second", "iface", "eth0"),
            Some(7.0)
        );
    }

    #[test]
    fn names_the_bad_line() {
        let err = frames(&lines("ts,series,value\n0,up,1\n1,up,lots\n")).unwrap_err();
        assert_eq!(err.0, 3);
        assert!(err.1.contains("'lots'"), "{}", err.1);
        assert_eq!(frames(&lines("when,what\n")).unwrap_err().0, 1);
    }
}
