//! `bandwatch devices --pcap FILE`: the devices source's accounting run offline over a
//! capture file, printed as a table for people or a JSON array.
//!
//! Bytes are frame lengths on the wire (tshark's `frame.len`). `rx`/`tx` are internet traffic
//! from the device's side; `lan_rx`/`lan_tx` traffic with other LAN hosts, never counted as
//! internet usage. A summary (packets, LAN, non-IP and transit bytes, evictions) goes to
//! standard error, so `--json` output stays one document.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::IpAddr;
use std::path::Path;

use bandwatch_collect::devices::{
    Accounting, AccountingConfig, DeviceDelta, Drained, Identity, LanNets, PcapBackend,
};
use bandwatch_core::human::{escape_control, format};
use bandwatch_core::Unit;
use serde::Serialize;

use crate::cli::{DeviceBy, DeviceSort, DevicesArgs};
use crate::config::Config;
use crate::error::BadInput;

mod recorded;

/// One device as `--json` prints it (the output is an array of these).
#[derive(Debug, Serialize)]
pub struct DeviceRow {
    /// What tells it apart: its MAC, or its IP; `other` for evicted devices' sum.
    pub device: String,
    /// Its last IP address.
    pub ip: Option<String>,
    /// Its hardware address.
    pub mac: Option<String>,
    /// Its recent addresses, newest first.
    pub ips: Vec<String>,
    /// Bytes downloaded from the internet.
    pub rx_bytes: u64,
    /// Bytes uploaded to the internet.
    pub tx_bytes: u64,
    /// Bytes received from other LAN hosts.
    pub lan_rx_bytes: u64,
    /// Bytes sent to other LAN hosts, multicast or broadcast.
    pub lan_tx_bytes: u64,
    /// When it was first seen (RFC 3339, the capture's clock).
    pub first_seen: Option<String>,
    /// When it was last seen.
    pub last_seen: Option<String>,
}

impl From<&DeviceDelta> for DeviceRow {
    fn from(d: &DeviceDelta) -> Self {
        Self {
            device: d.key.to_string(),
            ip: d.ip().map(|ip| ip.to_string()),
            mac: d.mac.map(|m| m.to_string()),
            ips: d.ips.iter().map(|ip| ip.to_string()).collect(),
            rx_bytes: d.counts.rx,
            tx_bytes: d.counts.tx,
            lan_rx_bytes: d.counts.lan_rx,
            lan_tx_bytes: d.counts.lan_tx,
            first_seen: Some(d.first_seen.to_rfc3339()),
            last_seen: Some(d.last_seen.to_rfc3339()),
        }
    }
}

/// Runs the command: over the history without `--pcap`, else over the capture file.
pub fn command(config: &Config, args: &DevicesArgs, json: bool) -> anyhow::Result<()> {
    let Some(file) = &args.pcap else {
        return history_command(config, args, json);
    };
    let lan = if args.lan.is_empty() {
        LanNets::default()
    } else {
        LanNets::parse(&args.lan).map_err(|e| BadInput(format!("--lan: {e}")))?
    };
    let cfg = AccountingConfig {
        lan,
        max_tracked: args.max_tracked,
        identity: match args.by {
            DeviceBy::Mac => Identity::MacOrIp,
            DeviceBy::Ip => Identity::Ip,
        },
    };
    let drained = count(file, cfg)?;
    let rows = rows(&drained, args.sort);
    eprintln!("{}", summary(file, &drained));
    let text = if json {
        serde_json::to_string_pretty(&rows)? + "\n"
    } else {
        table(&rows)
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        // A reader that stopped early (`| head`) is not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// `bandwatch devices` without `--pcap`: the table (or JSON array) of the devices the
/// history recorded within `--since`.
fn history_command(config: &Config, args: &DevicesArgs, json: bool) -> anyhow::Result<()> {
    use bandwatch_core::Clock as _;
    let since = parse_since(&args.since)?;
    let Some(mut store) = crate::history::open_existing(config)? else {
        eprintln!(
            "no history at {}: bandwatch records devices while `bandwatch run` has the devices \
             source on ([devices] enabled); name another history with --db PATH or --store URL, \
             or count a capture with --pcap FILE",
            escape_control(&crate::history::describe(config))
        );
        return Ok(());
    };
    store.begin_read()?;
    let now = bandwatch_core::SystemClock::new().wall();
    let span = recorded::Span {
        now,
        day: local_start(now, false),
        month: local_start(now, true),
        since: now.add_millis(-i64::try_from(since.as_millis()).unwrap_or(i64::MAX)),
        window: config.devices.threshold_window,
    };
    let rows = recorded::devices(store.as_ref(), &config.devices.registry, span, args.sort);
    store.end_read();
    let rows = rows?;
    let text = if json {
        crate::output::escape_unsafe_chars(serde_json::to_string_pretty(&rows)?) + "\n"
    } else if rows.is_empty() {
        eprintln!(
            "no device traffic recorded in {} within {}; is the devices source on ([devices] \
             enabled = true)?",
            escape_control(&crate::history::describe(config)),
            args.since
        );
        return Ok(());
    } else {
        recorded::table(&rows)
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// `--since`: a duration such as `24h` or `7d`, greater than zero.
fn parse_since(text: &str) -> Result<std::time::Duration, BadInput> {
    humantime::parse_duration(text.trim())
        .ok()
        .filter(|d| !d.is_zero() && d.as_secs() < 100 * 365 * 86_400)
        .ok_or_else(|| {
            BadInput(format!(
                "--since: '{}' is not a duration; use e.g. 24h, 7d or 31d",
                escape_control(text)
            ))
        })
}

/// The start of the local day (or month) holding `now`.
fn local_start(now: bandwatch_core::Timestamp, month: bool) -> bandwatch_core::Timestamp {
    use chrono::{Datelike as _, TimeZone as _};
    let Some(local) = chrono::Local.timestamp_millis_opt(now.0).single() else {
        return now;
    };
    let date = local.date_naive();
    let date = if month {
        date.with_day(1).unwrap_or(date)
    } else {
        date
    };
    date.and_hms_opt(0, 0, 0)
        .and_then(|t| chrono::Local.from_local_datetime(&t).earliest())
        .map_or(now, |t| bandwatch_core::Timestamp(t.timestamp_millis()))
}

/// Reads the whole file through the accounting.
fn count(file: &Path, cfg: AccountingConfig) -> Result<Drained, BadInput> {
    let bad = |e: bandwatch_collect::devices::PcapFileError| BadInput(e.to_string());
    let mut backend = PcapBackend::open(file).map_err(bad)?;
    let mut acc = Accounting::new(cfg);
    while !backend.is_done() {
        backend.read(&mut acc).map_err(bad)?;
    }
    Ok(acc.drain())
}

fn rows(d: &Drained, sort: DeviceSort) -> Vec<DeviceRow> {
    let mut devices: Vec<&DeviceDelta> = d.devices.iter().collect();
    let by_ip = |x: &DeviceDelta| {
        (
            x.ip().is_none(),
            x.ip().unwrap_or(IpAddr::from([0u8; 4])),
            x.key,
        )
    };
    match sort {
        DeviceSort::Rx => devices.sort_by_key(|x| (std::cmp::Reverse(x.counts.rx), by_ip(x))),
        DeviceSort::Tx => devices.sort_by_key(|x| (std::cmp::Reverse(x.counts.tx), by_ip(x))),
        DeviceSort::Total => {
            devices.sort_by_key(|x| (std::cmp::Reverse(x.counts.internet()), by_ip(x)));
        }
        DeviceSort::Ip => devices.sort_by_key(|x| by_ip(x)),
    }
    let mut rows: Vec<DeviceRow> = devices.into_iter().map(DeviceRow::from).collect();
    if !d.other.is_zero() {
        rows.push(DeviceRow {
            device: "other".into(),
            ip: None,
            mac: None,
            ips: Vec::new(),
            rx_bytes: d.other.rx,
            tx_bytes: d.other.tx,
            lan_rx_bytes: d.other.lan_rx,
            lan_tx_bytes: d.other.lan_tx,
            first_seen: None,
            last_seen: None,
        });
    }
    rows
}

fn summary(file: &Path, d: &Drained) -> String {
    let t = &d.totals;
    let b = |v: u64| format(Unit::Bytes, v as f64);
    format!(
        "{}: {} packets, {} ({} bytes); LAN-to-LAN {}, non-IP {}, no LAN side {}; {} devices \
         held, {} evicted",
        escape_control(&file.display().to_string()),
        t.packets,
        b(t.observed),
        t.observed,
        b(t.lan),
        b(t.non_ip),
        b(t.transit),
        d.tracked,
        d.evicted
    )
}

/// The table for people: human units, names with control characters escaped, columns
/// aligned to the widest cell.
fn table(rows: &[DeviceRow]) -> String {
    const HEAD: [&str; 7] = ["DEVICE", "IP", "MAC", "DOWN", "UP", "LAN IN", "LAN OUT"];
    let b = |v: u64| format(Unit::Bytes, v as f64);
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                escape_control(&r.device).into_owned(),
                r.ip.clone().unwrap_or_else(|| "-".into()),
                r.mac.clone().unwrap_or_else(|| "-".into()),
                b(r.rx_bytes),
                b(r.tx_bytes),
                b(r.lan_rx_bytes),
                b(r.lan_tx_bytes),
            ]
        })
        .collect();
    let mut width = HEAD.map(str::len);
    for row in &cells {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cols: [&str; 7]| {
        let mut l = String::new();
        for (i, (c, w)) in cols.iter().zip(width).enumerate() {
            // Text columns to the left, byte counts to the right.
            let _ = if i < 3 {
                write!(l, "{c:<w$}  ")
            } else {
                write!(l, "{c:>w$}  ")
            };
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(HEAD);
    for row in &cells {
        line(row.each_ref().map(String::as_str));
    }
    if rows.is_empty() {
        out.push_str("(no LAN device in this capture; are its addresses in --lan?)\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(device: &str, ip: &str, rx: u64, tx: u64) -> DeviceRow {
        DeviceRow {
            device: device.into(),
            ip: Some(ip.into()),
            mac: None,
            ips: vec![ip.into()],
            rx_bytes: rx,
            tx_bytes: tx,
            lan_rx_bytes: 0,
            lan_tx_bytes: 7,
            first_seen: None,
            last_seen: None,
        }
    }

    #[test]
    fn the_table_is_aligned_with_human_units_and_escaped_names() {
        let rows = [
            row("192.168.1.20", "192.168.1.20", 3 << 20, 1536),
            row("evil\u{1b}[2J", "10.0.0.1", 10, 0),
        ];
        insta::assert_snapshot!(table(&rows), @r"
        DEVICE         IP            MAC      DOWN        UP  LAN IN  LAN OUT
        192.168.1.20   192.168.1.20  -    3.00 MiB  1.50 KiB     0 B      7 B
        evil\u{1b}[2J  10.0.0.1      -        10 B       0 B     0 B      7 B
        ");
        assert!(table(&[]).contains("no LAN device"));
    }
}
