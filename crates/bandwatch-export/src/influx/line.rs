//! InfluxDB line protocol: escaping, points, and the mapping of frames to points.
//!
//! The interface metrics (picked by their catalogue role: rates, bytes, packets, errors,
//! drops) become one `network_bandwidth` point (from the aggregate series, `scope="total"`)
//! and one `network_interface` point per interface, the shape users' existing Flux and
//! InfluxQL queries expect; every other sample becomes a point named after its metric with
//! one `value` field.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use bandwatch_core::{Catalog, Frame, Labels, Role, Sample, SampleKind, Timestamp};
use rustc_hash::FxHashMap;

/// Measurement of the whole-machine bandwidth point.
pub const MEASUREMENT_BANDWIDTH: &str = "network_bandwidth";
/// Measurement of the per-interface points.
pub const MEASUREMENT_INTERFACE: &str = "network_interface";

/// One field value; the suffix in line protocol follows the variant.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// A float, written as is.
    Float(f64),
    /// An exact integer, written with the `i` suffix.
    Integer(i64),
    /// A string, quoted and escaped.
    Str(String),
    /// A boolean.
    Bool(bool),
}

/// One point under construction; write it with [`Point::write_to`].
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    measurement: String,
    tags: Vec<(String, String)>,
    fields: Vec<(String, FieldValue)>,
    ts: Timestamp,
}

impl Point {
    /// A point without tags or fields.
    pub fn new(measurement: impl Into<String>, ts: Timestamp) -> Self {
        Self {
            measurement: measurement.into(),
            tags: Vec::new(),
            fields: Vec::new(),
            ts,
        }
    }

    /// Adds a tag; an empty key or value is skipped (InfluxDB cannot store it).
    #[must_use]
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let (key, value) = (key.into(), value.into());
        if !key.is_empty() && !value.is_empty() {
            self.tags.push((key, value));
        }
        self
    }

    /// Adds a field; a non-finite float is skipped.
    #[must_use]
    pub fn field(mut self, key: impl Into<String>, value: FieldValue) -> Self {
        if !matches!(value, FieldValue::Float(v) if !v.is_finite()) {
            self.fields.push((key.into(), value));
        }
        self
    }

    /// Adds a float field when there is a value.
    #[must_use]
    pub fn float_opt(self, key: &str, value: Option<f64>) -> Self {
        match value {
            Some(v) => self.field(key, FieldValue::Float(v)),
            None => self,
        }
    }

    /// Adds an integer field (rounded) when there is a finite value.
    #[must_use]
    pub fn int_opt(self, key: &str, value: Option<f64>) -> Self {
        match value {
            Some(v) if v.is_finite() => self.field(key, FieldValue::Integer(v.round() as i64)),
            _ => self,
        }
    }

    /// True when the point has at least one field (a point without fields is not valid).
    pub fn has_fields(&self) -> bool {
        !self.fields.is_empty()
    }

    /// Appends the point as one line (with `\n`), tags sorted by key, timestamp in ms;
    /// returns false and writes nothing when it has no fields or no measurement name.
    pub fn write_to(&self, out: &mut String) -> bool {
        if self.fields.is_empty() || self.measurement.is_empty() {
            return false;
        }
        escape_measurement(&self.measurement, out);
        let mut tags: Vec<&(String, String)> = self.tags.iter().collect();
        tags.sort_by(|a, b| a.0.cmp(&b.0));
        for (k, v) in tags {
            out.push(',');
            escape_key(k, out);
            out.push('=');
            escape_key(v, out);
        }
        for (i, (k, v)) in self.fields.iter().enumerate() {
            out.push(if i == 0 { ' ' } else { ',' });
            escape_key(k, out);
            out.push('=');
            write_field_value(v, out);
        }
        let _ = writeln!(out, " {}", self.ts.millis());
        true
    }
}

fn write_field_value(value: &FieldValue, out: &mut String) {
    match value {
        // Display of f64 is the shortest text that reads back to the same value.
        FieldValue::Float(v) => {
            let _ = write!(out, "{v}");
        }
        FieldValue::Integer(v) => {
            let _ = write!(out, "{v}i");
        }
        FieldValue::Str(s) => escape_string_value(s, out),
        FieldValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
    }
}

/// Escapes a measurement name: comma and space (a newline, which line protocol cannot
/// carry, becomes the text `\n`; a backslash before a separator or at the end, `_`).
pub fn escape_measurement(s: &str, out: &mut String) {
    escape_with(s, &[',', ' '], out);
}

/// Escapes a tag key, tag value or field key: comma, equals sign and space (newline and
/// stray backslash as for [`escape_measurement`]).
pub fn escape_key(s: &str, out: &mut String) {
    escape_with(s, &[',', '=', ' '], out);
}

fn escape_with(s: &str, special: &[char], out: &mut String) {
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // Line protocol has no escape for a backslash that precedes a separator or ends
            // the text (InfluxDB 1.x rejects the whole batch), so that one becomes `_`.
            '\\' if chars.peek().is_none_or(|n| special.contains(n)) => out.push('_'),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if special.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
}

/// Writes a string field value in double quotes, escaping `"` and `\`.
pub fn escape_string_value(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// Turns frames into line protocol with a fixed `host` tag.
#[derive(Debug, Clone)]
pub struct LineEncoder {
    host: String,
    compat: Compat,
}

/// The catalogue roles whose metrics fill the compatibility measurements' fields.
const ROLES: [Role; 10] = [
    Role::RxRate,
    Role::TxRate,
    Role::RxBytes,
    Role::TxBytes,
    Role::RxPackets,
    Role::TxPackets,
    Role::RxErrors,
    Role::TxErrors,
    Role::RxDrops,
    Role::TxDrops,
];

/// Where a role's value sits in [`NetValues`].
fn slot(role: Role) -> usize {
    ROLES.iter().position(|r| *r == role).unwrap_or(0)
}

/// How samples reach the compatibility measurements, read from the catalogue once.
#[derive(Debug, Clone, Default)]
struct Compat {
    /// The slot (index into [`ROLES`]) each interface metric fills.
    slots: FxHashMap<&'static str, usize>,
    /// The label naming the interface (the receive rate's label that is not the aggregate's).
    iface: Option<&'static str>,
    /// The label and value of the sum over interfaces.
    aggregate: Option<(&'static str, &'static str)>,
}

impl Compat {
    fn new(catalog: &Catalog) -> Self {
        let aggregate = catalog.aggregate();
        let slots = ROLES
            .iter()
            .enumerate()
            .filter_map(|(i, role)| Some((catalog.by_role(*role)?.name, i)))
            .collect();
        let iface = catalog.by_role(Role::RxRate).and_then(|m| {
            m.labels
                .iter()
                .copied()
                .find(|l| aggregate.is_none_or(|(a, _)| a != *l))
        });
        Self {
            slots,
            iface,
            aggregate,
        }
    }

    /// Where a sample goes: the total, one interface, or neither (a point of its own).
    fn place<'a>(&self, s: &'a Sample) -> Option<(Option<&'a str>, usize)> {
        let slot = *self.slots.get(s.series.metric.as_str())?;
        let labels: &'a Labels = &s.series.labels;
        if self
            .aggregate
            .is_some_and(|(l, v)| labels.get(l) == Some(v))
        {
            return Some((None, slot));
        }
        Some((Some(labels.get(self.iface?)?), slot))
    }
}

/// The interface values of one interface (or the total) that make up one point.
#[derive(Debug, Default, Clone, Copy)]
struct NetValues([Option<f64>; ROLES.len()]);

impl NetValues {
    fn set(&mut self, slot: usize, v: f64) {
        self.0[slot] = Some(v);
    }

    fn get(&self, role: Role) -> Option<f64> {
        self.0[slot(role)]
    }

    /// The fields both measurements share.
    fn common_fields(&self, point: Point, interval_s: f64) -> Point {
        let mbps = |v: Option<f64>| v.map(|b| b / 1e6);
        let (rx, tx) = (self.get(Role::RxRate), self.get(Role::TxRate));
        let total = match (rx, tx) {
            (Some(r), Some(t)) => Some((r + t) / 1e6),
            _ => None,
        };
        point
            .float_opt("upload_mbps", mbps(tx))
            .float_opt("download_mbps", mbps(rx))
            .float_opt("total_mbps", total)
            .int_opt("bytes_sent", self.get(Role::TxBytes))
            .int_opt("bytes_recv", self.get(Role::RxBytes))
            .int_opt("packets_sent", self.get(Role::TxPackets))
            .int_opt("packets_recv", self.get(Role::RxPackets))
            .float_opt("interval_s", Some(interval_s))
    }

    /// The per-interface fields.
    fn interface_fields(&self, point: Point, interval_s: f64) -> Point {
        self.common_fields(point, interval_s)
            .int_opt("errors_sent", self.get(Role::TxErrors))
            .int_opt("errors_recv", self.get(Role::RxErrors))
            .int_opt("drops_sent", self.get(Role::TxDrops))
            .int_opt("drops_recv", self.get(Role::RxDrops))
    }
}

impl LineEncoder {
    /// An encoder that tags every point with `host=<host>` and finds the interface metrics
    /// of the compatibility measurements in `catalog` by their roles.
    pub fn new(host: impl Into<String>, catalog: &Catalog) -> Self {
        Self {
            host: host.into(),
            compat: Compat::new(catalog),
        }
    }

    /// The frame as line protocol, with the number of lines.
    pub fn encode(&self, frame: &Frame) -> (String, usize) {
        let mut out = String::new();
        let n = self.encode_into(frame, &mut out);
        (out, n)
    }

    /// Appends the frame's lines to `out`; returns how many were written.
    pub fn encode_into(&self, frame: &Frame, out: &mut String) -> usize {
        let mut total: Option<NetValues> = None;
        let mut ifaces: BTreeMap<&str, NetValues> = BTreeMap::new();
        let mut others: Vec<&Sample> = Vec::new();
        for s in frame.samples.iter().filter(|s| s.value.is_finite()) {
            match self.compat.place(s) {
                Some((None, slot)) => total
                    .get_or_insert_with(NetValues::default)
                    .set(slot, s.value),
                Some((Some(iface), slot)) => ifaces.entry(iface).or_default().set(slot, s.value),
                None => others.push(s),
            }
        }
        let mut lines = 0;
        let interval = frame.elapsed.0;
        if let Some(t) = total {
            let p = Point::new(MEASUREMENT_BANDWIDTH, frame.ts).tag("host", self.host.as_str());
            lines += usize::from(t.common_fields(p, interval).write_to(out));
        }
        for (iface, v) in ifaces {
            let p = Point::new(MEASUREMENT_INTERFACE, frame.ts)
                .tag("host", self.host.as_str())
                .tag("interface", iface);
            lines += usize::from(v.interface_fields(p, interval).write_to(out));
        }
        lines
            + others
                .into_iter()
                .filter(|s| self.write_generic(s, out))
                .count()
    }

    /// A point named after the metric with the series labels as tags and one `value` field.
    fn write_generic(&self, s: &Sample, out: &mut String) -> bool {
        let mut p = Point::new(s.series.metric.as_str(), s.ts).tag("host", self.host.as_str());
        for (k, v) in s.series.labels.iter() {
            // `host` names this machine, `time` and `_…` are reserved by InfluxDB (1.x drops
            // the point, 2.x the batch); a label of such a name keeps its value apart.
            if k == "host" || k == "time" || k.starts_with('_') {
                p = p.tag(format!("label_{k}"), v);
            } else {
                p = p.tag(k, v);
            }
        }
        let value = match s.kind {
            SampleKind::Delta => FieldValue::Integer(s.value.round() as i64),
            SampleKind::Gauge | SampleKind::Rate => FieldValue::Float(s.value),
        };
        p.field("value", value).write_to(out)
    }
}
