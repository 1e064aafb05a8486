//! Estimates of the bytes in-memory maps and keys occupy, for [`HeldMemory`](crate::HeldMemory).

use std::mem::size_of;

use bandwatch_core::SeriesKey;

/// Bytes of a hash map with `capacity` usable slots of `(K, V)` (its table only, not what the
/// entries point to): hashbrown keeps a power-of-two number of buckets, at most 7/8 of them
/// usable, and one control byte per bucket plus one group of them.
pub(crate) fn hash_map_bytes<K, V>(capacity: usize) -> u64 {
    if capacity == 0 {
        return 0;
    }
    let buckets = (capacity * 8).div_ceil(7).next_power_of_two();
    (buckets * (size_of::<(K, V)>() + 1) + 16) as u64
}

/// Heap bytes of one series key: its strings and its label pairs.
pub(crate) fn key_heap_bytes(key: &SeriesKey) -> u64 {
    let pair = size_of::<(String, String)>();
    let labels: usize = key
        .labels
        .iter()
        .map(|(k, v)| k.len() + v.len() + pair)
        .sum();
    (key.metric.len() + labels) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustc_hash::FxHashMap;

    #[test]
    fn the_estimate_covers_the_table_a_map_allocates() {
        let mut map: FxHashMap<i64, u64> = FxHashMap::default();
        assert_eq!(hash_map_bytes::<i64, u64>(map.capacity()), 0);
        for i in 0..1000 {
            map.insert(i, 0);
        }
        // 1000 entries need 1024 buckets at most 7/8 full: 2048 buckets of 17 bytes.
        assert_eq!(hash_map_bytes::<i64, u64>(map.capacity()), 2048 * 17 + 16);
    }
}
