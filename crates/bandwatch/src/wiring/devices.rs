//! The devices source of a run, from `[devices]`: the interfaces (globs matched against
//! `/sys/class/net`), the LAN (`devices.lan`, else the interfaces' own subnets), the backend
//! opened here so a missing privilege is known before anything runs, and the names. With
//! `enabled = "auto"` a source that cannot run is left out with one warning; with `true`
//! the run stops with the fix (exit 2).

use std::path::Path;
use std::time::Duration;

use bandwatch_collect::devices::capture::{CaptureBackend, CaptureConfig};
use bandwatch_collect::devices::conntrack::{ConntrackBackend, ConntrackConfig};
use bandwatch_collect::devices::ifaddrs::{interface_addresses, subnets_of};
use bandwatch_collect::devices::namer::SystemNamer;
use bandwatch_collect::devices::{
    AccountingConfig, Backend, DevicesConfig, DevicesSource, LanNets,
};
use bandwatch_collect::{InterfaceFilter, RealFs};
use bandwatch_core::SystemClock;

use crate::config::devices::{DeviceBackend, DevicesMode, DevicesSettings};
use crate::config::Config;
use crate::error::BadInput;

/// The devices source as a run reads it.
pub type Devices = DevicesSource<SystemClock>;

/// The devices source, or `None` when it is off or (with `"auto"`) cannot run here.
pub fn source(config: &Config) -> anyhow::Result<Option<Devices>> {
    let d = &config.devices;
    if d.mode == DevicesMode::Off {
        return Ok(None);
    }
    let real =
        config.paths.proc_root == Path::new("/proc") && config.paths.sys_root == Path::new("/sys");
    if !real && d.mode == DevicesMode::Auto {
        // A fixture tree describes another machine's interfaces; capture would open this one's.
        tracing::info!("devices source off: paths.proc_root/sys_root are not the machine's own");
        return Ok(None);
    }
    if d.mode == DevicesMode::Auto && d.backend == DeviceBackend::Capture && d.interfaces.is_empty()
    {
        // Capturing on every interface by default would cost a ring per interface on hosts
        // with dozens (containers, VPNs) and count a router's WAN side as devices: the user
        // says which side is the LAN, or turns it on for all with `enabled = true`.
        tracing::info!(
            "devices source off: devices.interfaces is empty; name the LAN side \
             (e.g. interfaces = [\"br-lan\"]) to count bytes per device"
        );
        return Ok(None);
    }
    let unavailable = |why: String| -> anyhow::Result<Option<Devices>> {
        if d.mode == DevicesMode::Auto {
            tracing::warn!("devices source off (devices.enabled = \"auto\"): {why}");
            Ok(None)
        } else {
            Err(BadInput(format!("devices: {why}")).into())
        }
    };
    let interfaces = match interfaces(&config.paths.sys_root, d) {
        Ok(i) => i,
        Err(why) => return unavailable(why),
    };
    let backend: Box<dyn Backend> = match d.backend {
        DeviceBackend::Capture => {
            let mut cfg = CaptureConfig::new(interfaces.clone()).with_ring_size(d.ring_size);
            cfg.promiscuous = d.promiscuous;
            match CaptureBackend::open(&cfg) {
                Ok(b) => Box::new(b),
                Err(e) => return unavailable(e.to_string()),
            }
        }
        DeviceBackend::Conntrack => {
            let cfg = ConntrackConfig {
                proc_root: config.paths.proc_root.clone(),
                ..ConntrackConfig::default()
            };
            match ConntrackBackend::open(&cfg) {
                Ok(b) => Box::new(b),
                Err(e) => return unavailable(e.to_string()),
            }
        }
    };
    let lan = lan(d, &interfaces);
    tracing::info!(
        backend = d.backend.as_str(),
        interfaces = %interfaces.join(","),
        lan = %lan,
        "counting bytes per LAN device"
    );
    let cfg = DevicesConfig {
        accounting: AccountingConfig {
            lan,
            max_tracked: d.max_tracked as usize,
            ..AccountingConfig::default()
        },
        active_floor: d.active_floor,
        linger: linger(d, config.monitor.interval),
    };
    let namer = SystemNamer::new(
        d.registry.clone(),
        d.leases_path(Path::exists),
        &config.paths.proc_root,
        // Opened afresh each time: dnsmasq replaces its leases file by renaming a new one.
        Box::new(RealFs),
    );
    let source = DevicesSource::threaded(cfg, backend, SystemClock::new())
        .map_err(|e| anyhow::anyhow!("starting the devices reader thread: {e}"))?
        .with_namer(Box::new(namer));
    Ok(Some(source))
}

/// The interfaces under `sys_root/class/net` the globs name (none given: all but loopback).
fn interfaces(sys_root: &Path, d: &DevicesSettings) -> Result<Vec<String>, String> {
    let exclude = if d.interfaces.is_empty() {
        vec!["lo".to_string()]
    } else {
        Vec::new()
    };
    let filter = InterfaceFilter::new(&d.interfaces, &exclude).map_err(|e| e.to_string())?;
    let dir = sys_root.join("class/net");
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| filter.matches(n))
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(format!(
            "no interface matches devices.interfaces = {:?}; name the LAN side, e.g. [\"br-lan\"]",
            d.interfaces
        ));
    }
    Ok(names)
}

/// `devices.lan`, else the subnets of the named interfaces, else the private ranges.
fn lan(d: &DevicesSettings, interfaces: &[String]) -> LanNets {
    if !d.lan.is_empty() {
        return LanNets::from_nets(d.lan.iter().copied());
    }
    if !d.interfaces.is_empty() {
        match interface_addresses() {
            Ok(all) => {
                let nets = subnets_of(&all, |i| interfaces.iter().any(|n| n == i));
                if !nets.is_empty() {
                    return LanNets::from_nets(nets);
                }
                tracing::warn!(
                    "the devices interfaces have no address; the LAN is the private ranges (set devices.lan)"
                );
            }
            Err(e) => {
                let why = "cannot read the interfaces' addresses; the LAN is the private ranges";
                tracing::warn!(error = %e, "{why} (set devices.lan)");
            }
        }
    }
    LanNets::private()
}

/// How long an idle device keeps getting zero samples: until its rolling sum has emptied
/// (the window plus one slot) and a run of activity has ended, with two ticks to spare.
fn linger(d: &DevicesSettings, interval: Duration) -> Duration {
    (d.threshold_window + d.threshold_window / 60).max(d.idle_gap) + interval * 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_captures_only_on_interfaces_it_was_given() {
        // Even as root: the defaults must not open a capture ring on every interface.
        let mut config = crate::config::defaults();
        assert_eq!(config.devices.mode, DevicesMode::Auto);
        assert!(config.devices.interfaces.is_empty());
        assert!(source(&config).expect("no error").is_none());
        config.devices.interfaces = vec!["no-such-iface*".into()];
        assert!(source(&config).expect("auto: off, not an error").is_none());
    }

    #[test]
    fn idle_devices_linger_past_the_longest_window() {
        let d = crate::config::defaults().devices;
        assert_eq!(
            linger(&d, Duration::from_secs(1)),
            Duration::from_secs(3600 + 60 + 2)
        );
    }

    #[test]
    fn interfaces_come_from_the_globs_and_leave_loopback_out() {
        let dir = tempfile::tempdir().expect("tmp");
        for n in ["lo", "br-lan", "eth0", "wlan0"] {
            std::fs::create_dir_all(dir.path().join("class/net").join(n)).expect("mkdir");
        }
        let mut d = crate::config::defaults().devices;
        assert_eq!(
            interfaces(dir.path(), &d).expect("some"),
            vec!["br-lan", "eth0", "wlan0"]
        );
        d.interfaces = vec!["br-*".into(), "wlan*".into()];
        assert_eq!(
            interfaces(dir.path(), &d).expect("some"),
            vec!["br-lan", "wlan0"]
        );
        d.interfaces = vec!["nope*".into()];
        let e = interfaces(dir.path(), &d).expect_err("none");
        assert!(e.contains("br-lan"), "{e}");
    }
}
