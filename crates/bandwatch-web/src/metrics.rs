//! `GET /metrics`: the Prometheus exporter's latest snapshot, as Prometheus text or, when the
//! scraper asks for it, OpenMetrics. It never touches the store, so a scrape costs the same
//! however long the history is. Served on its own port (`--prometheus`) and, behind the
//! dashboard's token, on the dashboard's port.

use std::future::Future;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bandwatch_export::prometheus::{Exporter, Format};
use tokio::net::TcpListener;

/// The handler, for any router whose state can give an exporter.
pub fn scrape(exporter: &Exporter, headers: &HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let (body, content_type) = exporter.encode(Format::negotiate(accept));
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// The exporter's own small server: `/metrics` and a page that links to it.
pub fn router(exporter: Exporter) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(|State(e): State<Exporter>, h: HeaderMap| async move { scrape(&e, &h) }),
        )
        .route("/", get(index))
        .with_state(exporter)
}

/// Serves [`router`] until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    exporter: Exporter,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(exporter))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Serves [`router`] on `listener` from a thread of its own until the returned server is
/// stopped.
pub fn start(
    listener: std::net::TcpListener,
    exporter: Exporter,
) -> std::io::Result<crate::server::WebServer> {
    crate::server::spawn("metrics", listener, move |l, stop| serve(l, exporter, stop))
}

async fn index() -> impl IntoResponse {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<html><body><h1>bandwatch</h1><p><a href=\"/metrics\">/metrics</a></p></body></html>",
    )
}
