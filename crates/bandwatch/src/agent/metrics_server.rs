//! The Prometheus endpoint: `GET /metrics` encodes the exporter's latest snapshot (text
//! format, or OpenMetrics when the scraper asks for it). It never touches the store, so a
//! scrape costs the same however long the history is.

use std::net::SocketAddr;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bandwatch_export::prometheus::{Exporter, Format};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::error::BadInput;

/// Binds the port now, so a port in use stops the start with a message naming it.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, BadInput> {
    TcpListener::bind(addr).await.map_err(|e| {
        BadInput(format!(
            "key 'prometheus.port': cannot listen on {addr} for /metrics: {e}; pick a free port with --prometheus-port (or BANDWATCH_PROMETHEUS_PORT)"
        ))
    })
}

/// Serves `/metrics` until `shutdown` fires.
pub fn serve(listener: TcpListener, exporter: Exporter, shutdown: CancellationToken) {
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/", get(index))
        .with_state(exporter);
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "the /metrics server stopped");
        }
    });
}

async fn metrics(State(exporter): State<Exporter>, headers: HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let (body, content_type) = exporter.encode(Format::negotiate(accept));
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn index() -> impl IntoResponse {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<html><body><h1>bandwatch</h1><p><a href=\"/metrics\">/metrics</a></p></body></html>",
    )
}
