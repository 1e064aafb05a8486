//! bandwatch's web side, served by `bandwatch run`: the dashboard page, the versioned JSON API
//! (`/api/v1`, see `API.md`), and the live stream of frames and alerts. Handlers read the
//! newest values from the shared [`bandwatch_core::Snapshot`], the stream from [`live::Live`],
//! the metric catalogue, and the history through [`history::History`]; they never hold up
//! the sampling loop.

pub mod api;
mod assets;
pub mod auth;
pub mod error;
pub mod history;
pub mod json;
pub mod live;
pub mod metrics;
mod openapi;
pub mod params;
pub mod query;
pub mod recorded;
pub mod server;
pub mod sink;
pub mod state;

use std::future::Future;
use std::net::SocketAddr;

use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

pub use error::{ApiError, ApiResult};
pub use history::{Direct, Follow, History, Reader};
pub use live::Live;
pub use query::Limits;
pub use state::{PageConfig, PageThresholds, WebState};

/// Every route: the page and its files, and the API; all behind the Host check and the token
/// check, with the security headers, and every refusal as a JSON error.
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/", get(assets::index))
        .route("/assets/app.js", get(assets::app_js))
        .route("/assets/js/{*name}", get(assets::module))
        .route("/assets/app.css", get(assets::app_css))
        .route("/metrics", get(metrics_here))
        .nest("/api/v1", api::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard,
        ))
        .layer(axum::middleware::from_fn(error::method_errors))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::host,
        ))
        .layer(axum::middleware::from_fn(auth::headers))
        .with_state(state)
}

/// `/metrics` on the dashboard's port, when the agent keeps an exporter.
async fn metrics_here(
    axum::extract::State(state): axum::extract::State<WebState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    match &state.exporter {
        Some(e) => metrics::scrape(e, &headers),
        None => ApiError::not_found("no metrics here").into_response(),
    }
}

/// Binds the address now, so a port in use stops the start with an error naming it.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Serves until `shutdown` completes. The page's files are static bytes, so there is
/// nothing to prepare first.
pub async fn serve(
    listener: TcpListener,
    state: WebState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
