//! `GET /api/v1/caps`: each data cap as the agent last counted it, from the snapshot's cap
//! gauges (found by catalogue role; the cap is the gauges' one label), for the dashboard's
//! bars. No caps configured: an empty list.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use bandwatch_core::{Catalog, Role, Snapshot};
use serde::Serialize;

use crate::state::WebState;

/// The answer's shape version.
pub const VERSION: u32 = 1;

/// The answer: `{"version": 1, "caps": [Cap…]}`, sorted by name.
#[derive(Debug, Serialize, PartialEq)]
pub struct CapsAnswer {
    /// Shape version.
    pub version: u32,
    /// Every cap in the snapshot.
    pub caps: Vec<Cap>,
}

/// One cap now.
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct Cap {
    /// Its name.
    pub name: String,
    /// Bytes used so far in the period.
    pub used_bytes: Option<f64>,
    /// The limit in bytes.
    pub limit_bytes: Option<f64>,
    /// Used over limit (1 = the whole cap).
    pub used_ratio: Option<f64>,
    /// Bytes forecast at the period's end.
    pub forecast_bytes: Option<f64>,
    /// Forecast over limit.
    pub forecast_ratio: Option<f64>,
    /// When the period ends, Unix milliseconds.
    pub period_end: Option<i64>,
    /// When the cap is forecast to be reached, Unix milliseconds; `null` when not this
    /// period.
    pub reach: Option<i64>,
}

/// `GET /api/v1/caps`.
pub async fn caps(State(state): State<WebState>) -> Json<CapsAnswer> {
    Json(answer(state.catalog, &state.snapshot))
}

/// The caps in `snapshot`.
pub fn answer(catalog: &Catalog, snapshot: &Snapshot) -> CapsAnswer {
    let mut caps: BTreeMap<String, Cap> = BTreeMap::new();
    let roles = [
        Role::CapUsedBytes,
        Role::CapLimitBytes,
        Role::CapUsedPercent,
        Role::CapForecastBytes,
        Role::CapForecastPercent,
        Role::CapPeriodEnd,
        Role::CapReach,
    ];
    for role in roles {
        let Some(def) = catalog.by_role(role) else {
            continue;
        };
        let Some(label) = def.labels.first() else {
            continue;
        };
        for (key, latest) in snapshot.metric(def.name) {
            let Some(name) = key.labels.get(label) else {
                continue;
            };
            let cap = caps.entry(name.to_string()).or_insert_with(|| Cap {
                name: name.to_string(),
                ..Cap::default()
            });
            let v = latest.value;
            #[allow(clippy::cast_possible_truncation)] // epoch seconds to milliseconds
            let ms = (v * 1000.0).round() as i64;
            match role {
                Role::CapUsedBytes => cap.used_bytes = Some(v),
                Role::CapLimitBytes => cap.limit_bytes = Some(v),
                Role::CapUsedPercent => cap.used_ratio = Some(v / 100.0),
                Role::CapForecastBytes => cap.forecast_bytes = Some(v),
                Role::CapForecastPercent => cap.forecast_ratio = Some(v / 100.0),
                Role::CapPeriodEnd => cap.period_end = Some(ms),
                _ => cap.reach = Some(ms),
            }
        }
    }
    CapsAnswer {
        version: VERSION,
        caps: caps.into_values().collect(),
    }
}
