//! `bandwatch interfaces`: every interface with its state, carrier, speed, MTU, MAC and
//! addresses, its rates now (two readings of the netdev source a second apart) and its
//! totals today and this month from the history (local calendar, exact sums of the stored
//! deltas). Honours `--proc-root`/`--sys-root`; works without a history.
//!
//! [`view`] is the pure part: the rows from a netdev frame, the MACs, the addresses and the
//! totals, and their text; this module reads the OS and the history behind narrow seams.

mod view;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use bandwatch_collect::netdev::metric::LABEL_IFACE;
use bandwatch_collect::{catalog, FileSystem, Source as _};
use bandwatch_core::calendar::{period_at, Period};
use bandwatch_core::{Clock as _, Role, SeriesKey, SystemClock, Timestamp};
use bandwatch_store::{delta_sum, Store};

use crate::config::Config;
pub use view::{Totals, Traffic};

/// Time between the two readings.
const GAP: std::time::Duration = std::time::Duration::from_secs(1);

/// The addresses of the machine's interfaces: a seam so the view is tested with fakes.
pub trait Addresses {
    /// `(interface, address/prefix)` pairs; `None` when they cannot be known for the
    /// interfaces shown (a fixture tree instead of the real /proc and /sys).
    fn addresses(&self) -> Option<Vec<(String, ipnet::IpNet)>>;
}

/// The kernel's own list (getifaddrs), only when the roots are the real /proc and /sys: a
/// fixture tree's interfaces are not the machine's.
struct KernelAddresses {
    real_roots: bool,
}

impl Addresses for KernelAddresses {
    fn addresses(&self) -> Option<Vec<(String, ipnet::IpNet)>> {
        if !self.real_roots {
            return None;
        }
        match bandwatch_collect::devices::ifaddrs::interface_host_addresses() {
            Ok(all) => Some(all.into_iter().map(|a| (a.interface, a.net)).collect()),
            Err(e) => {
                eprintln!("warning: cannot list the interfaces' addresses: {e}");
                None
            }
        }
    }
}

/// Runs `bandwatch interfaces`.
pub fn command(config: &Config, json: bool) -> anyhow::Result<()> {
    let frame = sample(config)?;
    let fs = crate::wiring::sources::file_system(config);
    let names = view::iface_names(frame.as_ref());
    let macs: Vec<Option<String>> = names
        .iter()
        .map(|n| mac(fs.as_ref(), &config.paths.sys_root, n))
        .collect();
    let real_roots =
        config.paths.proc_root == Path::new("/proc") && config.paths.sys_root == Path::new("/sys");
    let addresses = KernelAddresses { real_roots }.addresses();
    let now = SystemClock::new().wall();
    let history = totals(config, &names, now)?;
    let view = view::build(
        frame.as_ref(),
        &macs,
        addresses.as_deref(),
        history.as_deref(),
        crate::history::describe(config),
    );
    let text = if json {
        crate::output::escape_unsafe_chars(serde_json::to_string_pretty(&view)?) + "\n"
    } else {
        view.render()
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// A baseline reading of the interfaces, a pause, and the reading that has rates.
fn sample(config: &Config) -> anyhow::Result<Option<bandwatch_core::Frame>> {
    let mut netdev = crate::wiring::sources::netdev_source(config)?;
    if let Err(e) = netdev.collect() {
        tracing::debug!(error = %e, "baseline reading failed");
    }
    pause(GAP);
    Ok(netdev.collect().unwrap_or_else(|e| {
        eprintln!(
            "warning: cannot read the interfaces: {}",
            bandwatch_core::human::escape_control(&e.to_string())
        );
        None
    }))
}

/// Waits `d` on the system clock.
fn pause(d: std::time::Duration) {
    let clock = std::sync::Arc::new(SystemClock::new());
    let until = bandwatch_core::Clock::monotonic(clock.as_ref()) + d;
    bandwatch_agent::Wait::until(
        &bandwatch_agent::ClockWait::new(clock),
        until,
        &bandwatch_agent::Cancel::new(),
    );
}

/// The interface's hardware address from `<sys_root>/class/net/<iface>/address`; `None`
/// when absent or all zeros (loopback, tunnels).
fn mac(fs: &dyn FileSystem, sys_root: &Path, iface: &str) -> Option<String> {
    let path: PathBuf = sys_root.join("class/net").join(iface).join("address");
    let text = fs.read_attribute(&path).ok()?;
    view::parse_mac(&text)
}

/// Today's and this month's totals of each interface from the history; `None` when there
/// is no history (the command still works).
fn totals(
    config: &Config,
    names: &[String],
    now: Timestamp,
) -> anyhow::Result<Option<Vec<Totals>>> {
    if config.store.url.is_none() && !config.store.path.exists() {
        return Ok(None);
    }
    let mut store = crate::history::open_read_only(config)?;
    store.begin_read()?;
    let got = read_totals(store.as_ref(), names, now);
    store.end_read();
    got.map(Some)
}

fn read_totals(store: &dyn Store, names: &[String], now: Timestamp) -> anyhow::Result<Vec<Totals>> {
    let tz = chrono::Local;
    let cat = catalog();
    // The open minute counts: a reading a second old is today's.
    let end = now.add_millis(1);
    let start = |p: Period| period_at(&tz, p, now).map_or(now, |s| s.start);
    let (day, month) = (start(Period::Day), start(Period::MONTH));
    let sum = |role: Role, iface: &str, from: Timestamp| -> anyhow::Result<u64> {
        let key = SeriesKey::with_label(cat.name_of(role), LABEL_IFACE, iface);
        Ok(view::whole(delta_sum(store, &key, from, end)?.sum))
    };
    names
        .iter()
        .map(|n| {
            Ok(Totals {
                today: Traffic {
                    rx_bytes: sum(Role::RxBytes, n, day)?,
                    tx_bytes: sum(Role::TxBytes, n, day)?,
                },
                month: Traffic {
                    rx_bytes: sum(Role::RxBytes, n, month)?,
                    tx_bytes: sum(Role::TxBytes, n, month)?,
                },
            })
        })
        .collect()
}
