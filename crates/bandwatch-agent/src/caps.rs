//! Data caps in the running agent: each `[[caps]]` entry's usage so far in its period (exact,
//! from the interface or device byte deltas), its forecast at the period's end, and the
//! gauges (`cap_*{cap}`) the snapshot, the rules, `/metrics` and the dashboard read.
//!
//! Seeded from the store at start (the period's usage through `delta_sum`, five weeks of
//! hourly usage for the forecast), then counted frame by frame as the uptime enrichment is.
//! The period follows the local calendar (`bandwatch_core::calendar`): at the billing
//! boundary the usage starts again at zero. The forecast is recomputed at most once a minute.

use std::collections::BTreeMap;
use std::sync::Arc;

use bandwatch_collect::caps::{
    CAP_FORECAST_BYTES, CAP_FORECAST_PERCENT, CAP_LIMIT_BYTES, CAP_PERIOD_END_TIMESTAMP_SECONDS,
    CAP_REACH_TIMESTAMP_SECONDS, CAP_USED_BYTES, CAP_USED_PERCENT, LABEL_CAP,
};
use bandwatch_collect::devices::metric::LABEL_DEVICE;
use bandwatch_collect::devices::SOURCE_NAME as DEVICES_SOURCE;
use bandwatch_collect::netdev::metric::LABEL_IFACE;
use bandwatch_collect::netdev::SOURCE_NAME as NETDEV_SOURCE;
use bandwatch_core::calendar::{period_at, Period, Span};
use bandwatch_core::{Frame, Role, SampleKind, SeriesKey, Timestamp};
use bandwatch_engine::forecast::{self, Forecast, HourUsage, Slot, HISTORY_MS, HOUR_MS};
use bandwatch_store::{delta_sum, hour_sums, Store};
use chrono::{Datelike as _, TimeZone, Timelike as _, Weekday};

/// How often the forecast is recomputed at most.
const FORECAST_EVERY_MS: i64 = 60_000;

/// What a cap counts: an interface's traffic or a LAN device's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CapTarget {
    /// An interface by name (`iface` label).
    Interface(String),
    /// A LAN device by its `device` label (its registered name, else its address).
    Device(String),
}

/// Which direction of traffic counts against a cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapDirection {
    /// Received (downloaded) bytes.
    Rx,
    /// Sent (uploaded) bytes.
    Tx,
    /// Both.
    Total,
}

impl CapDirection {
    /// The name used in configuration and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rx => "rx",
            Self::Tx => "tx",
            Self::Total => "total",
        }
    }
}

/// One data cap, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapSpec {
    /// Unique name: the `cap` label of its gauges.
    pub name: String,
    /// What it counts.
    pub target: CapTarget,
    /// Which direction counts.
    pub direction: CapDirection,
    /// The period its usage is counted over (a month from its billing day, a week, a day).
    pub period: Period,
    /// The limit in bytes (at least 1).
    pub limit: u64,
}

impl CapSpec {
    /// The delta metrics (by catalogue role) whose samples count against the cap.
    pub fn metrics(&self) -> Vec<&'static str> {
        let catalog = bandwatch_collect::catalog();
        let (rx, tx) = match self.target {
            CapTarget::Interface(_) => (Role::RxBytes, Role::TxBytes),
            CapTarget::Device(_) => (Role::DeviceRxBytes, Role::DeviceTxBytes),
        };
        let roles: &[Role] = match self.direction {
            CapDirection::Rx => &[rx],
            CapDirection::Tx => &[tx],
            CapDirection::Total => &[rx, tx],
        };
        roles.iter().map(|r| catalog.name_of(*r)).collect()
    }

    /// The label that names the target, and its value.
    pub fn label(&self) -> (&'static str, &str) {
        match &self.target {
            CapTarget::Interface(i) => (LABEL_IFACE, i),
            CapTarget::Device(d) => (LABEL_DEVICE, d),
        }
    }

    /// Whether a series counts against the cap.
    pub fn counts(&self, series: &SeriesKey) -> bool {
        let (label, value) = self.label();
        series.labels.get(label) == Some(value) && self.metrics().contains(&series.metric.as_str())
    }

    /// The source whose frames carry the cap's deltas (and so its gauges).
    fn source(&self) -> &'static str {
        match self.target {
            CapTarget::Interface(_) => NETDEV_SOURCE,
            CapTarget::Device(_) => DEVICES_SOURCE,
        }
    }

    /// The stored series that count against the cap: an interface's are known by name; a
    /// device's carry its address labels too, so they are looked up among the stored ones.
    pub fn stored_series(&self, store: &dyn Store) -> bandwatch_store::Result<Vec<SeriesKey>> {
        Ok(match &self.target {
            CapTarget::Interface(i) => self
                .metrics()
                .into_iter()
                .map(|m| SeriesKey::with_label(m, LABEL_IFACE, i))
                .collect(),
            CapTarget::Device(_) => store
                .series()?
                .into_iter()
                .filter(|k| self.counts(k))
                .collect(),
        })
    }
}

/// The local calendar the caps count in: their periods and the kind of each hour.
pub trait LocalCalendar: Send {
    /// The period of kind `period` holding `at`.
    fn period(&self, period: Period, at: Timestamp) -> Option<Span>;
    /// The kind of the hour holding `at` (weekday or weekend, local hour of day).
    fn slot(&self, at: Timestamp) -> Slot;
}

/// A [`LocalCalendar`] in a chrono time zone (`chrono::Local` in the binary).
#[derive(Debug, Clone)]
pub struct Zone<Tz>(pub Tz);

impl<Tz: TimeZone + Send> LocalCalendar for Zone<Tz> {
    fn period(&self, period: Period, at: Timestamp) -> Option<Span> {
        period_at(&self.0, period, at)
    }

    fn slot(&self, at: Timestamp) -> Slot {
        slot_in(&self.0, at)
    }
}

/// The kind of the hour holding `at` in zone `tz`.
pub fn slot_in<Tz: TimeZone>(tz: &Tz, at: Timestamp) -> Slot {
    match tz.timestamp_millis_opt(at.0).earliest() {
        Some(d) => Slot {
            weekend: matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
            #[allow(clippy::cast_possible_truncation)] // 0-23
            hour: d.hour() as u8,
        },
        None => Slot {
            weekend: false,
            hour: 0,
        },
    }
}

/// Where a cap stands at an instant: what the gauges, the report and the API show.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CapStatus {
    /// The current period.
    pub span: Span,
    /// Bytes used so far in it.
    pub used: f64,
    /// The limit in bytes.
    pub limit: f64,
    /// The forecast at the period's end.
    pub forecast: Forecast,
}

impl CapStatus {
    /// Used as a percent of the limit.
    pub fn used_percent(&self) -> f64 {
        percent(self.used, self.limit)
    }

    /// The forecast as a percent of the limit.
    pub fn forecast_percent(&self) -> f64 {
        percent(self.forecast.total, self.limit)
    }
}

fn percent(v: f64, limit: f64) -> f64 {
    if limit > 0.0 {
        v / limit * 100.0
    } else {
        0.0
    }
}

/// One cap's usage and history.
#[derive(Debug)]
struct Tracked {
    spec: CapSpec,
    span: Option<Span>,
    used: f64,
    /// Bytes per hour bucket over the last five weeks.
    hours: BTreeMap<Timestamp, f64>,
    /// When anything was first recorded.
    since: Option<Timestamp>,
    /// The last forecast, when it was made, and the usage it was made from.
    forecast: Option<(Forecast, Timestamp, f64)>,
    keys: Keys,
}

/// The gauges' series keys, built once.
#[derive(Debug)]
struct Keys {
    used: Arc<SeriesKey>,
    limit: Arc<SeriesKey>,
    used_percent: Arc<SeriesKey>,
    forecast: Arc<SeriesKey>,
    forecast_percent: Arc<SeriesKey>,
    end: Arc<SeriesKey>,
    reach: Arc<SeriesKey>,
}

impl Keys {
    fn new(cap: &str) -> Self {
        let k = |m: &str| Arc::new(SeriesKey::with_label(m, LABEL_CAP, cap));
        Self {
            used: k(CAP_USED_BYTES),
            limit: k(CAP_LIMIT_BYTES),
            used_percent: k(CAP_USED_PERCENT),
            forecast: k(CAP_FORECAST_BYTES),
            forecast_percent: k(CAP_FORECAST_PERCENT),
            end: k(CAP_PERIOD_END_TIMESTAMP_SECONDS),
            reach: k(CAP_REACH_TIMESTAMP_SECONDS),
        }
    }
}

/// The cap enrichment of interface and device frames.
pub struct Caps {
    calendar: Box<dyn LocalCalendar>,
    caps: Vec<Tracked>,
}

impl std::fmt::Debug for Caps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caps")
            .field("caps", &self.caps)
            .finish_non_exhaustive()
    }
}

impl Caps {
    /// Reads each cap's usage so far in its period and its last five weeks of hourly usage
    /// from `store`. A read that fails only costs history: it is logged and the cap counts
    /// from now.
    pub fn seed(
        store: &dyn Store,
        specs: Vec<CapSpec>,
        calendar: Box<dyn LocalCalendar>,
        now: Timestamp,
    ) -> Self {
        let caps = specs
            .into_iter()
            .map(|spec| {
                let mut t = Tracked::new(spec);
                if let Err(e) = t.seed(store, calendar.as_ref(), now) {
                    tracing::warn!(cap = %t.spec.name, error = %e, "cannot read the cap's history; it counts from now");
                    t = Tracked::new(t.spec);
                }
                t
            })
            .collect();
        Self { calendar, caps }
    }

    /// Counts the frame's deltas into the caps they belong to and appends each cap's gauges
    /// to the frames of its source.
    pub fn observe(&mut self, frame: &mut Frame) {
        for cap in &mut self.caps {
            if frame.source != cap.spec.source() {
                continue;
            }
            cap.roll(self.calendar.as_ref(), frame.ts);
            let mut added = 0.0;
            for s in &frame.samples {
                if s.kind == SampleKind::Delta && s.value.is_finite() && cap.spec.counts(&s.series)
                {
                    added += s.value;
                }
            }
            cap.add(frame.ts, added);
            let status = cap.status(self.calendar.as_ref(), frame.ts);
            if let Some(status) = status {
                cap.push(frame, &status);
            }
        }
    }

    /// Each cap's name and status at `now` (the forecast as last computed).
    pub fn statuses(&mut self, now: Timestamp) -> Vec<(String, Option<CapStatus>)> {
        let calendar = self.calendar.as_ref();
        self.caps
            .iter_mut()
            .map(|c| {
                c.roll(calendar, now);
                (c.spec.name.clone(), c.status(calendar, now))
            })
            .collect()
    }
}

impl Tracked {
    fn new(spec: CapSpec) -> Self {
        let keys = Keys::new(&spec.name);
        Self {
            spec,
            span: None,
            used: 0.0,
            hours: BTreeMap::new(),
            since: None,
            forecast: None,
            keys,
        }
    }

    fn seed(
        &mut self,
        store: &dyn Store,
        calendar: &dyn LocalCalendar,
        now: Timestamp,
    ) -> bandwatch_store::Result<()> {
        let (span, used, hours) = history(store, &self.spec, calendar, now)?;
        self.span = span;
        self.used = used;
        self.since = hours.first().map(|h| h.start);
        self.hours = hours
            .into_iter()
            .map(|h| (h.start.floor_to(HOUR_MS), h.bytes))
            .collect();
        Ok(())
    }

    /// Starts a new period when `at` is past the current one.
    fn roll(&mut self, calendar: &dyn LocalCalendar, at: Timestamp) {
        if self.span.is_some_and(|s| s.contains(at)) {
            return;
        }
        let next = calendar.period(self.spec.period, at);
        if self.span.is_none_or(|s| at >= s.end) {
            // a new period: what the old one used is history, not usage
            if self.span.is_some() {
                self.used = 0.0;
            }
            self.span = next;
            self.forecast = None;
        }
    }

    fn add(&mut self, at: Timestamp, bytes: f64) {
        if self.span.is_some_and(|s| s.contains(at)) {
            self.used += bytes;
        }
        *self.hours.entry(at.floor_to(HOUR_MS)).or_default() += bytes;
        self.since.get_or_insert(at);
        let oldest = Timestamp(at.0 - HISTORY_MS - HOUR_MS);
        while self
            .hours
            .first_key_value()
            .is_some_and(|(t, _)| *t < oldest)
        {
            self.hours.pop_first();
        }
    }

    /// The status at `now`, recomputing the forecast when the last one is a minute old.
    fn status(&mut self, calendar: &dyn LocalCalendar, now: Timestamp) -> Option<CapStatus> {
        let span = self.span?;
        #[allow(clippy::cast_precision_loss)] // a byte limit: exact below 2^53, close above
        let limit = self.spec.limit as f64;
        // A forecast made before anything was recorded is redone at once (it said nothing).
        let fresh = match self.forecast {
            Some((f, at, _)) => {
                f.method != forecast::Method::None && now.0 - at.0 < FORECAST_EVERY_MS && now >= at
            }
            None => false,
        };
        if !fresh {
            let history: Vec<HourUsage> = self
                .hours
                .iter()
                .map(|(t, b)| HourUsage {
                    start: *t,
                    bytes: *b,
                })
                .collect();
            let input = forecast::Input {
                history: &history,
                since: self.since.unwrap_or(now),
                now,
                end: span.end,
                used: self.used,
                limit,
            };
            let f = forecast::forecast(&input, |t| calendar.slot(t));
            self.forecast = Some((f, now, self.used));
        }
        let (f, _, used_then) = self.forecast?;
        // between recomputations the rest of the period stays as predicted
        let mut f = f;
        f.total = (f.total + self.used - used_then).max(self.used);
        if f.reach.is_none() && self.used >= limit {
            f.reach = Some(now);
        }
        Some(CapStatus {
            span,
            used: self.used,
            limit,
            forecast: f,
        })
    }

    fn push(&self, frame: &mut Frame, s: &CapStatus) {
        let k = &self.keys;
        let g = SampleKind::Gauge;
        frame.push(Arc::clone(&k.used), s.used, g);
        frame.push(Arc::clone(&k.limit), s.limit, g);
        frame.push(Arc::clone(&k.used_percent), s.used_percent(), g);
        frame.push(Arc::clone(&k.forecast), s.forecast.total, g);
        frame.push(Arc::clone(&k.forecast_percent), s.forecast_percent(), g);
        #[allow(clippy::cast_precision_loss)] // epoch milliseconds
        frame.push(Arc::clone(&k.end), s.span.end.0 as f64 / 1000.0, g);
        if let Some(r) = s.forecast.reach {
            #[allow(clippy::cast_precision_loss)] // epoch milliseconds
            frame.push(Arc::clone(&k.reach), r.0 as f64 / 1000.0, g);
        }
    }
}

/// A cap's period at `now`, its usage in it up to `now`, and its hourly usage over the last
/// five weeks (the first hour starting at its first recorded minute), from the store: the same reads for the agent's seed and `report caps`.
pub fn history(
    store: &dyn Store,
    spec: &CapSpec,
    calendar: &dyn LocalCalendar,
    now: Timestamp,
) -> bandwatch_store::Result<(Option<Span>, f64, Vec<HourUsage>)> {
    let span = calendar.period(spec.period, now);
    let keys = spec.stored_series(store)?;
    let to = Timestamp(now.0 + 1);
    let mut used = 0.0;
    if let Some(s) = span {
        for k in &keys {
            used += delta_sum(store, k, s.start, to)?.sum;
        }
    }
    let from = Timestamp(now.0 - HISTORY_MS).floor_to(HOUR_MS);
    let mut hours: BTreeMap<Timestamp, f64> = BTreeMap::new();
    for k in &keys {
        for (t, b) in hour_sums(store, k, from, to)? {
            *hours.entry(t).or_default() += b;
        }
    }
    let mut hours: Vec<HourUsage> = hours
        .into_iter()
        .map(|(start, bytes)| HourUsage { start, bytes })
        .collect();
    // The history starts at its first minute, not at the start of its first hour: a rate
    // over the first hours would read the unrecorded part of that hour as idle.
    if let Some(first) = hours.first_mut() {
        let hour_end = Timestamp(first.start.0 + HOUR_MS);
        let mut earliest = hour_end;
        for k in &keys {
            let minutes =
                store.query_rollup(bandwatch_store::Tier::Minute, k, first.start, hour_end)?;
            if let Some(m) = minutes.iter().map(|m| m.bucket).min() {
                earliest = earliest.min(m);
            }
        }
        if earliest < hour_end {
            first.start = earliest;
        }
    }
    Ok((span, used, hours))
}

/// A cap's status at `now` computed from the store alone (`report caps`).
pub fn status_from_store(
    store: &dyn Store,
    spec: &CapSpec,
    calendar: &dyn LocalCalendar,
    now: Timestamp,
) -> bandwatch_store::Result<Option<CapStatus>> {
    let mut t = Tracked::new(spec.clone());
    t.seed(store, calendar, now)?;
    Ok(t.status(calendar, now))
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // sums of whole bytes are exact
mod tests {
    use bandwatch_core::Seconds;
    use bandwatch_store::{SqliteOptions, SqliteStore};
    use chrono::FixedOffset;

    use super::*;

    /// 2026-01-31T22:00:00Z: 23:00 in UTC+1, an hour before February starts there.
    const T0: i64 = 1_769_896_800_000;

    fn calendar() -> Box<dyn LocalCalendar> {
        Box::new(Zone(FixedOffset::east_opt(3600).expect("offset")))
    }

    fn spec(direction: CapDirection) -> CapSpec {
        CapSpec {
            name: "isp".into(),
            target: CapTarget::Interface("eth0".into()),
            direction,
            period: Period::MONTH,
            limit: 1_000_000,
        }
    }

    /// A netdev frame at `ms` after T0 with `rx` and `tx` bytes on eth0 and 7 bytes on eth1.
    fn tick(ms: i64, rx: f64, tx: f64) -> Frame {
        let catalog = bandwatch_collect::catalog();
        let mut f = Frame::new(NETDEV_SOURCE, Timestamp(T0 + ms), Seconds(1.0));
        for (role, v, iface) in [
            (Role::RxBytes, rx, "eth0"),
            (Role::TxBytes, tx, "eth0"),
            (Role::RxBytes, 7.0, "eth1"),
        ] {
            let key = SeriesKey::with_label(catalog.name_of(role), LABEL_IFACE, iface);
            f.push(Arc::new(key), v, SampleKind::Delta);
        }
        f
    }

    #[test]
    fn usage_is_exact_and_starts_again_at_the_local_billing_boundary() {
        let store = SqliteStore::open_in_memory(SqliteOptions::default()).expect("open");
        let mut caps = Caps::seed(
            &store,
            vec![spec(CapDirection::Total), {
                let mut s = spec(CapDirection::Rx);
                s.name = "down".into();
                s
            }],
            calendar(),
            Timestamp(T0),
        );
        let mut last = Frame::new(NETDEV_SOURCE, Timestamp(T0), Seconds(1.0));
        for i in 0..3600 {
            last = tick(i * 1000, 100.0, 50.0);
            caps.observe(&mut last);
        }
        assert_eq!(last.find(CAP_USED_BYTES, LABEL_CAP, "isp"), Some(540_000.0));
        assert_eq!(
            last.find(CAP_USED_BYTES, LABEL_CAP, "down"),
            Some(360_000.0)
        );
        assert_eq!(last.find(CAP_USED_PERCENT, LABEL_CAP, "isp"), Some(54.0));
        assert_eq!(last.find(CAP_LIMIT_BYTES, LABEL_CAP, "isp"), Some(1e6));
        // 2026-02-01T00:00 in UTC+1, the end of January there
        let end = (T0 + 3_600_000) as f64 / 1000.0;
        assert_eq!(
            last.find(CAP_PERIOD_END_TIMESTAMP_SECONDS, LABEL_CAP, "isp"),
            Some(end)
        );
        // the first frame of February counts alone
        let mut next = tick(3_600_000, 1.0, 2.0);
        caps.observe(&mut next);
        assert_eq!(next.find(CAP_USED_BYTES, LABEL_CAP, "isp"), Some(3.0));
        assert_eq!(next.find(CAP_USED_BYTES, LABEL_CAP, "down"), Some(1.0));
        let new_end = next
            .find(CAP_PERIOD_END_TIMESTAMP_SECONDS, LABEL_CAP, "isp")
            .expect("end");
        assert_eq!(new_end - end, 28.0 * 86_400.0, "February in UTC+1");
        // a frame of another source carries no cap gauges
        let mut other = Frame::new("system", Timestamp(T0 + 3_601_000), Seconds(1.0));
        caps.observe(&mut other);
        assert!(other.samples.is_empty());
    }

    #[test]
    fn a_restart_seeds_the_period_and_the_forecast_from_the_history() {
        let mut store = SqliteStore::open_in_memory(SqliteOptions::default()).expect("open");
        // the last 40 minutes of January and 20 of February, one frame a minute
        let frames: Vec<Frame> = (-40..20)
            .map(|m| tick(3_600_000 + m * 60_000, 1000.0, 500.0))
            .collect();
        store.write(&frames).expect("write");
        let now = Timestamp(T0 + 3_600_000 + 20 * 60_000);
        let mut caps = Caps::seed(&store, vec![spec(CapDirection::Total)], calendar(), now);
        let mut f = tick(3_600_000 + 20 * 60_000, 1000.0, 500.0);
        caps.observe(&mut f);
        // 20 stored minutes of February and this one
        assert_eq!(
            f.find(CAP_USED_BYTES, LABEL_CAP, "isp"),
            Some(21.0 * 1500.0)
        );
        // an hour of history at 1500 bytes a minute: a straight line to the end of February
        let statuses = caps.statuses(now);
        let status = statuses[0].1.expect("status");
        assert_eq!(status.forecast.method, forecast::Method::Linear);
        let rest_minutes = (status.span.end.0 - now.0) as f64 / 60_000.0;
        let want = 21.0 * 1500.0 + rest_minutes * 1500.0;
        // within one minute's delta of 60 (a delta stamped at its interval's end)
        assert!(
            (status.forecast.total - want).abs() / want < 0.02,
            "{} vs {want}",
            status.forecast.total
        );
        assert!(
            status.forecast.reach.is_some(),
            "1 MB is reached in February"
        );
    }
}
