//! The versioned JSON API under `/api/v1` (documented in `crates/bandwatch-web/API.md` and
//! served as OpenAPI at `/api/v1/openapi.json`).

pub mod alerts;
pub mod body;
pub mod caps;
pub mod catalog;
pub mod device_report;
pub mod devices;
pub mod params;
pub mod series;
pub mod status;
pub mod stream;

use axum::routing::{get, post};
use axum::{Json, Router};

use crate::error::ApiError;
use crate::state::WebState;

/// The `/api/v1` routes.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/config", get(status::config))
        .route("/catalog", get(catalog::catalog))
        .route("/status", get(status::status))
        .route("/snapshot", get(status::snapshot))
        .route("/interfaces", get(status::interfaces))
        .route("/devices", get(devices::devices))
        .route("/caps", get(caps::caps))
        .route("/devices/report", get(device_report::report))
        .route("/series", get(series::series))
        .route("/export", get(series::export))
        .route("/alerts", get(alerts::list))
        .route("/alerts/{id}/ack", post(alerts::ack))
        .route("/silences", get(alerts::silences).post(alerts::silence))
        .route("/stream", get(stream::stream))
        .route(
            "/openapi.json",
            get(|| async { Json(crate::openapi::document()) }),
        )
        .fallback(|| async {
            ApiError::not_found("no such API endpoint; see /api/v1/openapi.json")
        })
}
