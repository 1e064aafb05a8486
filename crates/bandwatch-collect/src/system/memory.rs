//! Memory and swap from `<proc_root>/meminfo`, load averages from `<proc_root>/loadavg`.

/// What `/proc/meminfo` says, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    /// `MemTotal`.
    pub total: u64,
    /// `MemAvailable`, or `MemFree + Buffers + Cached` on kernels before 3.14.
    pub available: u64,
    /// `SwapTotal` (0 without swap).
    pub swap_total: u64,
    /// `SwapFree`.
    pub swap_free: u64,
}

impl Memory {
    /// Percent of memory not available.
    pub fn used_percent(&self) -> Option<f64> {
        percent_used(self.total, self.available)
    }

    /// Percent of swap in use; `None` without swap.
    pub fn swap_used_percent(&self) -> Option<f64> {
        percent_used(self.swap_total, self.swap_free)
    }
}

/// `100 × (1 − free/total)`, clamped to 0..=100; `None` when `total` is 0.
pub(crate) fn percent_used(total: u64, free: u64) -> Option<f64> {
    (total > 0).then(|| (100.0 * (1.0 - free as f64 / total as f64)).clamp(0.0, 100.0))
}

/// Parses a `/proc/meminfo` text; `None` without a `MemTotal` line.
pub fn parse_meminfo(text: &str) -> Option<Memory> {
    let (mut total, mut available) = (None, None);
    let (mut free, mut buffers, mut cached, mut swap_total, mut swap_free) = (0, 0, 0, 0, 0);
    for line in text.lines() {
        let Some((key, rest)) = line.split_once(':') else {
            continue;
        };
        let Some(bytes) = parse_kib(rest) else {
            continue;
        };
        match key {
            "MemTotal" => total = Some(bytes),
            "MemAvailable" => available = Some(bytes),
            "MemFree" => free = bytes,
            "Buffers" => buffers = bytes,
            "Cached" => cached = bytes,
            "SwapTotal" => swap_total = bytes,
            "SwapFree" => swap_free = bytes,
            _ => {}
        }
    }
    Some(Memory {
        total: total?,
        available: available.unwrap_or(free + buffers + cached),
        swap_total,
        swap_free,
    })
}

/// `"  16318412 kB"` → bytes. Every size in meminfo is in KiB despite the `kB`.
fn parse_kib(rest: &str) -> Option<u64> {
    let mut words = rest.split_ascii_whitespace();
    let n: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") => n.checked_mul(1024),
        None => Some(n),
        Some(_) => None,
    }
}

/// The 1, 5 and 15 minute load averages of a `/proc/loadavg` text.
pub fn parse_loadavg(text: &str) -> Option<[f64; 3]> {
    let mut words = text.split_ascii_whitespace();
    let mut next = || words.next()?.parse::<f64>().ok().filter(|v| v.is_finite());
    Some([next()?, next()?, next()?])
}
