//! What `analyze` reads from the history, as plain points for the statistics: per interface
//! its exact byte totals, rate points at the range's resolution and byte buckets; per device
//! its totals and peaks; probes' rounds and RTTs; CPU, memory and disk gauges; the alerts
//! active in the range. Every metric is found by its catalogue role, none by name.

use std::collections::BTreeMap;

use bandwatch_collect::catalog;
use bandwatch_collect::devices::metric::LABEL_DEVICE;
use bandwatch_collect::netdev::metric::LABEL_IFACE;
use bandwatch_collect::probe::metric::{LABEL_STAT, LABEL_TARGET};
use bandwatch_collect::system::metric::{CPU_TOTAL, LABEL_CPU, LABEL_MOUNT};
use bandwatch_core::{Catalog, Labels, Role, SeriesKey, Timestamp};
use bandwatch_store::{
    covering_rollups, AlertQuery, AlertRecord, Covered, RollupPoint, Store, Tier, ELAPSED_METRIC,
};
use rustc_hash::FxHashMap;

use super::range::{Range, Resolution};
use super::stats::{whole, GaugePoint, RatePoint};
use crate::error::BadInput;

/// One direction of one interface or device.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Direction {
    /// Exact bytes in the range (the sum of the stored deltas).
    pub bytes: u64,
    /// Rate readings at the range's resolution.
    pub rates: Vec<RatePoint>,
    /// Bytes per rollup bucket (hour, else minute), for the busiest hours.
    pub buckets: Vec<(Timestamp, f64)>,
}

/// One interface's history in the range.
#[derive(Debug, Clone, PartialEq)]
pub struct IfaceInput {
    /// Its name.
    pub name: String,
    /// Received (download).
    pub rx: Direction,
    /// Sent (upload).
    pub tx: Direction,
    /// Its last known link speed in the range, bits/s.
    pub speed: Option<f64>,
}

/// One device's totals and peaks.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceInput {
    /// Its `device` label.
    pub name: String,
    /// Bytes downloaded.
    pub rx_bytes: u64,
    /// Bytes uploaded.
    pub tx_bytes: u64,
    /// Its largest download rate sample and the bucket it was in.
    pub rx_peak: Option<(Timestamp, f64)>,
    /// Its largest upload rate sample and the bucket it was in.
    pub tx_peak: Option<(Timestamp, f64)>,
}

/// One probe target's rounds in the range.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeInput {
    /// The `target` label.
    pub target: String,
    /// `probe_up` buckets with their width in seconds.
    pub up: Vec<(GaugePoint, f64)>,
    /// Average RTT of each round (or bucket), seconds.
    pub rtt: Vec<f64>,
}

/// Everything `analyze` summarises.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// The range.
    pub range: Range,
    /// The resolution of the rate points.
    pub resolution: Resolution,
    /// Interfaces, by name.
    pub interfaces: Vec<IfaceInput>,
    /// Devices, by name.
    pub devices: Vec<DeviceInput>,
    /// Probe targets, by name.
    pub probes: Vec<ProbeInput>,
    /// Total CPU busy percent.
    pub cpu: Vec<GaugePoint>,
    /// Memory used percent.
    pub memory: Vec<GaugePoint>,
    /// Used percent of each filesystem, by mount point.
    pub disks: Vec<(String, Vec<GaugePoint>)>,
    /// Alerts active at some time in the range.
    pub alerts: Vec<AlertRecord>,
}

/// Reads the range from `store`; `iface` keeps one interface (unknown: exit 2).
pub fn gather(
    store: &dyn Store,
    range: Range,
    resolution: Resolution,
    iface: Option<&str>,
) -> anyhow::Result<Input> {
    let cat = catalog();
    let all = store.series()?;
    let mut names = label_values(&all, cat.name_of(Role::RxBytes), LABEL_IFACE, cat);
    if let Some(want) = iface {
        if !names.iter().any(|n| n == want) {
            return Err(BadInput(format!(
                "--iface: no interface '{}' in the history; it holds {}",
                bandwatch_core::human::escape_control(want),
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ))
            .into());
        }
        names.retain(|n| n == want);
    }
    let reader = Reader {
        store,
        cat,
        range,
        resolution,
    };
    let elapsed = reader.elapsed(Role::RxRate)?;
    let mut interfaces = Vec::with_capacity(names.len());
    for name in names {
        interfaces.push(reader.interface(&name, &elapsed)?);
    }
    let mut alerts = store.alerts(&AlertQuery {
        since: Some(range.from),
        ..AlertQuery::default()
    })?;
    alerts.retain(|a| a.started < range.to);
    alerts.reverse();
    Ok(Input {
        range,
        resolution,
        interfaces,
        devices: reader.devices(&all)?,
        probes: reader.probes(&all)?,
        cpu: reader.gauge(&SeriesKey::with_label(
            cat.name_of(Role::CpuPercent),
            LABEL_CPU,
            CPU_TOTAL,
        ))?,
        memory: reader.gauge(&SeriesKey::new(
            cat.name_of(Role::MemoryPercent),
            Labels::new(),
        ))?,
        disks: label_values(&all, cat.name_of(Role::DiskPercent), LABEL_MOUNT, cat)
            .into_iter()
            .map(|m| {
                let key = SeriesKey::with_label(cat.name_of(Role::DiskPercent), LABEL_MOUNT, &m);
                reader.gauge(&key).map(|g| (m, g))
            })
            .collect::<anyhow::Result<_>>()?,
        alerts,
    })
}

/// The sorted distinct values of `label` on series of `metric`, aggregates left out.
fn label_values(all: &[SeriesKey], metric: &str, label: &str, cat: &Catalog) -> Vec<String> {
    let mut out: Vec<String> = all
        .iter()
        .filter(|k| k.metric == metric && !cat.is_aggregate(&k.labels))
        .filter_map(|k| k.labels.get(label))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The store, the catalogue and the range, for the readings below.
struct Reader<'a> {
    store: &'a dyn Store,
    cat: &'a Catalog,
    range: Range,
    resolution: Resolution,
}

/// Elapsed seconds of each frame of the source behind a rate, by frame time.
type Elapsed = FxHashMap<i64, f64>;

impl Reader<'_> {
    fn covering(&self, key: &SeriesKey) -> anyhow::Result<Vec<Covered>> {
        Ok(covering_rollups(
            self.store,
            key,
            self.range.from,
            self.range.to,
        )?)
    }

    /// The frame times and elapsed seconds of the source that carries `rate`'s delta (raw
    /// resolution only).
    fn elapsed(&self, rate: Role) -> anyhow::Result<Elapsed> {
        let source = self
            .cat
            .by_role(rate)
            .and_then(|m| m.derives_from)
            .and_then(|d| self.cat.source_of(d.delta));
        let (Resolution::Raw, Some(source)) = (self.resolution, source) else {
            return Ok(Elapsed::default());
        };
        let key = SeriesKey::with_label(ELAPSED_METRIC, "source", source);
        let points = self.store.query_raw(&key, self.range.from, self.range.to)?;
        Ok(points.into_iter().map(|(t, e)| (t.0, e)).collect())
    }

    fn interface(&self, name: &str, elapsed: &Elapsed) -> anyhow::Result<IfaceInput> {
        let dir = |bytes: Role, rate: Role| self.direction(name, bytes, rate, elapsed);
        let speed_key = SeriesKey::with_label(self.cat.name_of(Role::LinkSpeed), LABEL_IFACE, name);
        let speed = self
            .covering(&speed_key)?
            .iter()
            .rev()
            .find(|c| c.point.count > 0)
            .map(|c| c.point.last)
            .filter(|s| *s > 0.0);
        Ok(IfaceInput {
            name: name.to_string(),
            rx: dir(Role::RxBytes, Role::RxRate)?,
            tx: dir(Role::TxBytes, Role::TxRate)?,
            speed,
        })
    }

    fn direction(
        &self,
        iface: &str,
        bytes: Role,
        rate: Role,
        elapsed: &Elapsed,
    ) -> anyhow::Result<Direction> {
        let delta_key = SeriesKey::with_label(self.cat.name_of(bytes), LABEL_IFACE, iface);
        let rate_key = SeriesKey::with_label(self.cat.name_of(rate), LABEL_IFACE, iface);
        let buckets: Vec<(Timestamp, f64)> = self
            .covering(&delta_key)?
            .iter()
            .map(|c| (c.point.bucket, c.point.sum))
            .collect();
        let total: f64 = buckets.iter().map(|(_, b)| b).sum();
        let factor = self
            .cat
            .by_role(rate)
            .and_then(|m| m.derives_from)
            .map_or(8.0, |d| d.factor);
        let (from, to) = (self.range.from, self.range.to);
        let rates = match self.resolution {
            Resolution::Raw => self
                .store
                .query_raw(&delta_key, from, to)?
                .into_iter()
                .filter_map(|(t, d)| {
                    let e = elapsed.get(&t.0).copied().filter(|e| *e > 0.0)?;
                    let bps = d * factor / e;
                    Some(RatePoint {
                        at: t,
                        mean: bps,
                        max: bps,
                        weight: e,
                        seconds: e,
                    })
                })
                .collect(),
            Resolution::Minute => rate_buckets(
                &self.store.query_rollup(Tier::Minute, &rate_key, from, to)?,
                Tier::Minute,
            ),
            Resolution::Hour => rate_buckets(
                &self.store.query_rollup(Tier::Hour, &rate_key, from, to)?,
                Tier::Hour,
            ),
        };
        Ok(Direction {
            bytes: whole(total),
            rates,
            buckets,
        })
    }

    fn devices(&self, all: &[SeriesKey]) -> anyhow::Result<Vec<DeviceInput>> {
        let roles = [
            Role::DeviceRxBytes,
            Role::DeviceTxBytes,
            Role::DeviceRxRate,
            Role::DeviceTxRate,
        ];
        let mut keys: BTreeMap<&str, Vec<(Role, &SeriesKey)>> = BTreeMap::new();
        for key in all {
            let Some(role) = roles.iter().find(|r| self.cat.name_of(**r) == key.metric) else {
                continue;
            };
            if let Some(device) = key.labels.get(LABEL_DEVICE) {
                keys.entry(device).or_default().push((*role, key));
            }
        }
        let mut out = Vec::with_capacity(keys.len());
        for (device, keys) in keys {
            let mut sums = [0.0f64; 2];
            let mut peaks: [Option<(Timestamp, f64)>; 2] = [None, None];
            for (role, key) in keys {
                let covered = self.covering(key)?;
                match role {
                    Role::DeviceRxBytes | Role::DeviceTxBytes => {
                        let i = usize::from(role == Role::DeviceTxBytes);
                        sums[i] += covered.iter().map(|c| c.point.sum).sum::<f64>();
                    }
                    _ => {
                        let i = usize::from(role == Role::DeviceTxRate);
                        for c in covered.iter().filter(|c| c.point.count > 0) {
                            if peaks[i].is_none_or(|(_, v)| c.point.max > v) {
                                peaks[i] = Some((c.point.bucket, c.point.max));
                            }
                        }
                    }
                }
            }
            if sums[0] + sums[1] > 0.0 || peaks.iter().any(Option::is_some) {
                out.push(DeviceInput {
                    name: device.to_string(),
                    rx_bytes: whole(sums[0]),
                    tx_bytes: whole(sums[1]),
                    rx_peak: peaks[0],
                    tx_peak: peaks[1],
                });
            }
        }
        Ok(out)
    }

    fn probes(&self, all: &[SeriesKey]) -> anyhow::Result<Vec<ProbeInput>> {
        let up_metric = self.cat.name_of(Role::ProbeUp);
        let rtt_metric = self.cat.name_of(Role::ProbeRtt);
        let (from, to) = (self.range.from, self.range.to);
        let mut out = Vec::new();
        for target in label_values(all, up_metric, LABEL_TARGET, self.cat) {
            let up_key = SeriesKey::with_label(up_metric, LABEL_TARGET, &target);
            // Minutes where they are kept: down time is counted per bucket, and an hour
            // bucket would spread a four-minute outage over its hour.
            let tier = self.tier();
            let up: Vec<(GaugePoint, f64)> = self
                .store
                .query_rollup(tier, &up_key, from, to)?
                .iter()
                .filter(|p| p.bucket >= from)
                .map(|p| (gauge_point(p), width_seconds(tier)))
                .collect();
            let rtt_key = SeriesKey::new(
                rtt_metric,
                Labels::from_pairs([(LABEL_TARGET, target.as_str()), (LABEL_STAT, "avg")]),
            );
            let rtt: Vec<f64> = match self.resolution {
                Resolution::Raw => self
                    .store
                    .query_raw(&rtt_key, from, to)?
                    .into_iter()
                    .map(|(_, v)| v)
                    .collect(),
                Resolution::Minute | Resolution::Hour => self
                    .store
                    .query_rollup(tier, &rtt_key, from, to)?
                    .iter()
                    .filter(|p| p.count > 0)
                    .map(RollupPoint::mean)
                    .collect(),
            };
            if up.iter().any(|(p, _)| p.count > 0) || !rtt.is_empty() {
                out.push(ProbeInput { target, up, rtt });
            }
        }
        Ok(out)
    }

    /// The rollup tier of the resolution (minutes for raw).
    fn tier(&self) -> Tier {
        if self.resolution == Resolution::Hour {
            Tier::Hour
        } else {
            Tier::Minute
        }
    }

    fn gauge(&self, key: &SeriesKey) -> anyhow::Result<Vec<GaugePoint>> {
        Ok(self
            .covering(key)?
            .iter()
            .map(|c| gauge_point(&c.point))
            .collect())
    }
}

fn gauge_point(p: &RollupPoint) -> GaugePoint {
    GaugePoint {
        at: p.bucket,
        sum: p.sum,
        count: p.count,
        max: p.max,
    }
}

#[allow(clippy::cast_precision_loss)] // a bucket width in seconds
fn width_seconds(tier: Tier) -> f64 {
    (tier.width_ms() / 1000) as f64
}

/// Rate rollup buckets as rate points: their mean, their largest sample, weighed by their
/// sample count.
#[allow(clippy::cast_precision_loss)] // sample counts stay far below 2^52
fn rate_buckets(rows: &[RollupPoint], tier: Tier) -> Vec<RatePoint> {
    rows.iter()
        .filter(|p| p.count > 0)
        .map(|p| RatePoint {
            at: p.bucket,
            mean: p.mean(),
            max: p.max,
            weight: p.count as f64,
            seconds: width_seconds(tier),
        })
        .collect()
}
