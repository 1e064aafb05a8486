//! The compressed chunk codec: one series over one window as two pco streams.
//!
//! Layout: `[kind u8][n varint][ts_len varint][ts stream][value stream]`. Timestamps are i64
//! (regular ticks delta-encode to almost nothing); values are i64 when every value is an exact
//! integer (counter deltas always are, and pco packs integers far tighter than their f64
//! bit patterns), else f64.

use pco::errors::PcoError;
use pco::standalone::{simple_compress, simple_decompress};
use pco::ChunkConfig;

use super::varint::{exact_i64, get_u64, put_u64};

const KIND_INTEGRAL: u8 = 1;
const KIND_FLOAT: u8 = 2;

/// Compresses parallel slices of timestamps (ms) and values.
pub(crate) fn encode(ts: &[i64], values: &[f64]) -> Result<Vec<u8>, PcoError> {
    debug_assert_eq!(ts.len(), values.len());
    let (kind, value_stream) = compress_values(values)?;
    let mut out = vec![kind];
    put_u64(&mut out, ts.len() as u64);
    if ts.is_empty() {
        return Ok(out);
    }
    let ts_stream = simple_compress(ts, &ChunkConfig::default())?;
    put_u64(&mut out, ts_stream.len() as u64);
    out.extend_from_slice(&ts_stream);
    out.extend_from_slice(&value_stream);
    Ok(out)
}

/// Compresses values as integers when every one is exactly an integer, else as f64; returns
/// the kind byte and the pco stream (empty for no values).
pub(crate) fn compress_values(values: &[f64]) -> Result<(u8, Vec<u8>), PcoError> {
    let config = ChunkConfig::default();
    let integral: Option<Vec<i64>> = values.iter().map(|v| exact_i64(*v)).collect();
    let kind = if integral.is_some() {
        KIND_INTEGRAL
    } else {
        KIND_FLOAT
    };
    if values.is_empty() {
        return Ok((kind, Vec::new()));
    }
    let stream = match integral {
        Some(ints) => simple_compress(&ints, &config)?,
        None => simple_compress(values, &config)?,
    };
    Ok((kind, stream))
}

/// The inverse of [`compress_values`]; the error says what was malformed.
pub(crate) fn decompress_values(kind: u8, stream: &[u8]) -> Result<Vec<f64>, String> {
    match kind {
        KIND_INTEGRAL => Ok(simple_decompress::<i64>(stream)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|v| v as f64)
            .collect()),
        KIND_FLOAT => simple_decompress(stream).map_err(|e| e.to_string()),
        other => Err(format!("unknown value kind {other}")),
    }
}

/// Decompresses a chunk into timestamps and values; the error says what was malformed.
pub(crate) fn decode(data: &[u8]) -> Result<(Vec<i64>, Vec<f64>), String> {
    let (&kind, _) = data.split_first().ok_or("empty chunk")?;
    let mut pos = 1;
    let n = get_u64(data, &mut pos).ok_or("truncated point count")?;
    let n = usize::try_from(n).map_err(|_| "point count out of range")?;
    if n == 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    let ts_len = get_u64(data, &mut pos).ok_or("truncated timestamp length")?;
    let ts_end = usize::try_from(ts_len)
        .ok()
        .and_then(|len| pos.checked_add(len))
        .filter(|end| *end <= data.len())
        .ok_or("timestamp stream longer than the chunk")?;
    let ts: Vec<i64> = simple_decompress(&data[pos..ts_end]).map_err(|e| e.to_string())?;
    let values = decompress_values(kind, &data[ts_end..])?;
    if ts.len() != n || values.len() != n {
        return Err(format!(
            "chunk says {n} points but holds {} timestamps and {} values",
            ts.len(),
            values.len()
        ));
    }
    Ok((ts, values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn round_trip(ts: &[i64], values: &[f64]) -> Vec<u8> {
        let data = encode(ts, values).unwrap();
        let (ts2, values2) = decode(&data).unwrap();
        assert_eq!(ts2, ts);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&values2), bits(values));
        data
    }

    #[test]
    fn integral_values_round_trip_compactly() {
        let ts: Vec<i64> = (0..600).map(|i| 1_700_000_000_000 + i * 1000).collect();
        let values: Vec<f64> = (0..600).map(|i| f64::from((i * 7919) % 5000)).collect();
        let data = round_trip(&ts, &values);
        assert_eq!(data[0], KIND_INTEGRAL);
        // 600 values below 5000 need 13 bits each; regular timestamps nearly nothing.
        assert!(data.len() < 600 * 2, "{} bytes", data.len());
    }

    #[test]
    fn fractional_and_special_values_round_trip() {
        let ts = [5, 9, 9, 20, 21];
        let values = [0.5, -0.0, f64::NAN, f64::INFINITY, 1e300];
        let data = round_trip(&ts, &values);
        assert_eq!(data[0], KIND_FLOAT);
    }

    #[test]
    fn empty_and_single_point() {
        round_trip(&[], &[]);
        round_trip(&[42], &[3.25]);
        round_trip(&[-7], &[12.0]);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode(&[]).is_err());
        assert!(decode(&[KIND_INTEGRAL, 3, 200]).is_err());
        let mut data = encode(&[1, 2, 3], &[1.0, 2.0, 3.0]).unwrap();
        data.truncate(data.len() - 2);
        assert!(decode(&data).is_err());
    }

    proptest! {
        #[test]
        fn any_points_round_trip(
            points in proptest::collection::vec((any::<i64>(), any::<f64>()), 0..300),
            ints in proptest::collection::vec(-1_000_000_i64..1_000_000, 0..300),
        ) {
            let (ts, values): (Vec<i64>, Vec<f64>) = points.into_iter().unzip();
            round_trip(&ts, &values);
            let ts: Vec<i64> = (0..ints.len() as i64).collect();
            let values: Vec<f64> = ints.iter().map(|v| *v as f64).collect();
            round_trip(&ts, &values);
        }
    }
}
