//! The JSON shapes shared by the API and the live stream: labels as an object, a sample as
//! `{"metric", "labels", "value"}`.

use bandwatch_core::{Labels, SeriesKey};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// Serializes labels as a JSON object (`{"iface": "eth0"}`).
pub fn labels_map<S: Serializer>(labels: &Labels, s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(None)?;
    for (k, v) in labels.iter() {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

/// One sample as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SampleJson<'a> {
    /// Metric name.
    pub metric: &'a str,
    /// Labels.
    #[serde(serialize_with = "labels_map")]
    pub labels: &'a Labels,
    /// Value in base units; `null` when not finite.
    pub value: Option<f64>,
    /// When it was taken (snapshots only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
}

impl<'a> SampleJson<'a> {
    /// A sample of `key`.
    pub fn new(key: &'a SeriesKey, value: f64, ts: Option<i64>) -> Self {
        Self {
            metric: &key.metric,
            labels: &key.labels,
            value: value.is_finite().then_some(value),
            ts,
        }
    }
}
