//! CPU busy share from `<proc_root>/stat`: the `cpu` lines' jiffy counters, turned into a
//! percentage over each interval.

use std::collections::HashMap;
use std::sync::Arc;

use bandwatch_core::{Frame, SampleKind, SeriesKey};

use super::metric::{CPU_TOTAL, LABEL_CPU, SYSTEM_CPU_PERCENT};

/// The counters of one `cpu` line that make up its time (in USER_HZ ticks). `guest` and
/// `guest_nice` are left out: the kernel already counts them in `user` and `nice`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuTimes {
    /// user, nice, system, idle, iowait, irq, softirq, steal, in the kernel's order.
    pub fields: [u64; 8],
}

impl CpuTimes {
    const IDLE: usize = 3;
    const IOWAIT: usize = 4;

    /// All time counted on this line.
    pub fn total(&self) -> u64 {
        self.fields.iter().sum()
    }

    /// Time spent idle, waiting for I/O included.
    pub fn idle(&self) -> u64 {
        self.fields[Self::IDLE] + self.fields[Self::IOWAIT]
    }
}

/// One `cpu` line: `label` is [`CPU_TOTAL`] for the summary line, else the core number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuLine<'a> {
    /// `total`, `0`, `1`, …
    pub label: &'a str,
    /// Its counters.
    pub times: CpuTimes,
}

/// The `cpu` lines of a `/proc/stat` text. Lines with fewer than four counters (older than
/// any supported kernel) or that are not numbers are skipped; counters a kernel does not
/// have yet (iowait before 2.5.41, steal before 2.6.11) read as 0.
pub fn parse_stat(text: &str) -> Vec<CpuLine<'_>> {
    text.lines().filter_map(parse_cpu_line).collect()
}

fn parse_cpu_line(line: &str) -> Option<CpuLine<'_>> {
    let mut words = line.split_ascii_whitespace();
    let name = words.next()?.strip_prefix("cpu")?;
    let label = if name.is_empty() {
        CPU_TOTAL
    } else if name.bytes().all(|b| b.is_ascii_digit()) {
        name
    } else {
        return None;
    };
    let mut times = CpuTimes::default();
    let mut n = 0;
    for (slot, word) in times.fields.iter_mut().zip(words) {
        *slot = word.parse().ok()?;
        n += 1;
    }
    (n >= 4).then_some(CpuLine { label, times })
}

/// Busy percent between two readings: `100 × (1 − Δidle / Δtotal)`. `None` when any counter
/// went backwards (a CPU brought back online restarts from 0) or no time was counted.
pub fn busy_percent(prev: &CpuTimes, now: &CpuTimes) -> Option<f64> {
    if now.fields.iter().zip(&prev.fields).any(|(n, p)| n < p) {
        return None;
    }
    let total = now.total() - prev.total();
    let busy = total.saturating_sub(now.idle() - prev.idle());
    // Same as 100 × (1 − Δidle/Δtotal), in an order that keeps whole percents exact.
    (total > 0).then(|| 100.0 * busy as f64 / total as f64)
}

/// The previous reading of each CPU and its series key.
#[derive(Default)]
pub(crate) struct CpuTracker {
    cpus: HashMap<String, (CpuTimes, Arc<SeriesKey>)>,
}

impl CpuTracker {
    /// Records `lines`, pushing the busy percent of every CPU seen before; CPUs gone from
    /// the list (taken offline) are forgotten.
    pub fn update(&mut self, lines: &[CpuLine<'_>], frame: &mut Frame) {
        let mut next = HashMap::with_capacity(lines.len());
        for line in lines {
            let entry = if let Some((label, (prev, key))) = self.cpus.remove_entry(line.label) {
                if let Some(pct) = busy_percent(&prev, &line.times) {
                    frame.push(Arc::clone(&key), pct, SampleKind::Gauge);
                }
                (label, (line.times, key))
            } else {
                let key = SeriesKey::with_label(SYSTEM_CPU_PERCENT, LABEL_CPU, line.label);
                (line.label.to_owned(), (line.times, Arc::new(key)))
            };
            next.insert(entry.0, entry.1);
        }
        self.cpus = next;
    }
}
