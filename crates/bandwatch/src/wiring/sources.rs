//! The sources of a run, from the validated configuration: the interfaces, the system
//! figures, and one probe source per distinct schedule. Opening the ICMP sockets happens
//! here, so a missing privilege stops the start with the fix to apply.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use bandwatch_collect::netdev::{NetdevConfig, NetdevSource};
use bandwatch_collect::{
    FileSystem, InterfaceFilter, KeptOpenFs, ProbeConfig, ProbeSource, RealFs, Source,
    SystemConfig, SystemSource, Target,
};
use bandwatch_core::SystemClock;

use crate::config::probe::ProbeTarget;
use crate::config::Config;
use crate::error::BadInput;

/// The interface source as a run reads it.
pub type Netdev = NetdevSource<Box<dyn FileSystem>, SystemClock>;

/// A source and its interval, ready for the agent.
pub type Scheduled = (Box<dyn Source + Send>, Duration);

/// The netdev source, from the validated configuration.
pub fn netdev_source(config: &Config) -> anyhow::Result<Netdev> {
    let filter = InterfaceFilter::new(&config.monitor.interfaces, &config.monitor.exclude)
        .map_err(|e| BadInput(e.to_string()))?;
    let netdev = NetdevConfig {
        proc_root: config.paths.proc_root.clone(),
        sys_root: config.paths.sys_root.clone(),
        filter,
        loopback_in_total: config.monitor.loopback_in_total,
        ..NetdevConfig::default()
    };
    Ok(NetdevSource::new(
        netdev,
        file_system(config),
        SystemClock::new(),
    ))
}

/// The real procfs and sysfs are read through kept-open files (cheaper per tick); any other
/// root (a fixture tree, a copied snapshot) may hold regular files replaced between reads,
/// so those are opened afresh each time.
pub fn file_system(config: &Config) -> Box<dyn FileSystem> {
    let real =
        config.paths.proc_root == Path::new("/proc") && config.paths.sys_root == Path::new("/sys");
    if real {
        Box::new(KeptOpenFs::default())
    } else {
        Box::new(RealFs)
    }
}

/// Every source of a run with its interval: the interfaces, the system figures (when on),
/// and one probe source per distinct schedule.
pub fn all(config: &Config) -> anyhow::Result<Vec<Scheduled>> {
    let mut scheduled: Vec<Scheduled> =
        vec![(Box::new(netdev_source(config)?), config.monitor.interval)];
    if config.system.enabled {
        let source = SystemSource::new(
            SystemConfig {
                proc_root: config.paths.proc_root.clone(),
                ..SystemConfig::default()
            },
            file_system(config),
            SystemClock::new(),
        );
        scheduled.push((Box::new(source), config.system.interval));
    }
    for (cfg, every, targets) in probe_groups(&config.probe.targets) {
        let source = ProbeSource::new(targets, cfg, SystemClock::new())
            .map_err(|e| BadInput(format!("probe targets: {e}")))?;
        scheduled.push((Box::new(source), every));
    }
    Ok(scheduled)
}

/// Targets that share interval, count and timeout are probed in one round.
fn probe_groups(targets: &[ProbeTarget]) -> Vec<(ProbeConfig, Duration, Vec<Target>)> {
    let mut groups: BTreeMap<(Duration, u32, Duration), Vec<Target>> = BTreeMap::new();
    for t in targets {
        groups
            .entry((t.interval, t.count, t.timeout))
            .or_default()
            .push(t.target.clone());
    }
    groups
        .into_iter()
        .map(|((every, count, timeout), targets)| {
            (round_config(every, count, timeout), every, targets)
        })
        .collect()
}

/// Probes one second apart, like ping, unless the round would then not fit its interval.
pub fn round_config(every: Duration, count: u32, timeout: Duration) -> ProbeConfig {
    let room = every.saturating_sub(timeout) / count.max(1);
    ProbeConfig {
        count,
        timeout,
        gap: room.min(Duration::from_secs(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_fit_their_interval() {
        let c = round_config(Duration::from_secs(30), 5, Duration::from_secs(5));
        assert_eq!(c.gap, Duration::from_secs(1));
        let c = round_config(Duration::from_secs(2), 5, Duration::from_secs(1));
        assert_eq!(c.gap, Duration::from_millis(200));
    }
}
