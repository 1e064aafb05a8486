//! The process's peak resident memory, for the flat-memory test and the benchmark: with
//! `BANDWATCH_REPORT_PEAK_RSS=1` in the environment, an export ends by printing
//! `peak_rss_kib=N points=P` (the kernel's `VmHWM`, and the points written) on standard
//! error. Not a configuration key: it changes no behaviour, only measures it.

/// The variable that asks for the line.
pub const VAR: &str = "BANDWATCH_REPORT_PEAK_RSS";

/// Prints the line when asked and the kernel tells; `points` written.
pub fn report(points: u64) {
    if std::env::var_os(VAR).is_none_or(|v| v != "1") {
        return;
    }
    if let Some(kib) = std::fs::read_to_string("/proc/self/status")
        .ok()
        .as_deref()
        .and_then(vm_hwm_kib)
    {
        eprintln!("peak_rss_kib={kib} points={points}");
    }
}

/// `VmHWM` in KiB from the text of `/proc/<pid>/status`.
fn vm_hwm_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|n| n.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_high_water_mark() {
        let status =
            "Name:\tbandwatch\nVmPeak:\t  20000 kB\nVmHWM:\t    5120 kB\nVmRSS:\t 4000 kB\n";
        assert_eq!(super::vm_hwm_kib(status), Some(5120));
        assert_eq!(super::vm_hwm_kib("Name: x\n"), None);
    }
}
