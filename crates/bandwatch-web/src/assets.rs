//! The dashboard's files: the page, its script and style (compiled in from `assets/`), and
//! plotly.js, which comes from the `plotly` crate's own copy, gzipped once and kept that way.

use std::io::{Read as _, Write as _};
use std::sync::LazyLock;

use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

const INDEX: &str = include_str!("../assets/index.html");
const APP_JS: &str = include_str!("../assets/app.js");
const APP_CSS: &str = include_str!("../assets/app.css");

/// plotly.js, gzipped (about a third of its 4.6 MB), made on first use.
static PLOTLY_GZ: LazyLock<Vec<u8>> = LazyLock::new(|| gzip(plotly_js().as_bytes()));

/// plotly.js as the `plotly` crate ships it: the first of the script tags it embeds.
fn plotly_js() -> String {
    let tags = plotly::Plot::offline_js_sources();
    let open = "<script type=\"text/javascript\">";
    let start = tags.find(open).map_or(0, |i| i + open.len());
    // The second tag (MathJax) follows; plotly's ends at the last close before it.
    let next = tags[start..].find(open).map_or(tags.len(), |i| start + i);
    let end = tags[start..next]
        .rfind("</script>")
        .map_or(next, |i| start + i);
    tags[start..end].to_string()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// Compresses plotly.js now (at start, on a blocking thread) so the first page load is quick.
pub fn warm() {
    LazyLock::force(&PLOTLY_GZ);
}

fn with_type(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

/// `GET /`.
pub async fn index() -> Response {
    with_type(INDEX, "text/html; charset=utf-8")
}

/// `GET /assets/app.js`.
pub async fn app_js() -> Response {
    with_type(APP_JS, "text/javascript; charset=utf-8")
}

/// `GET /assets/app.css`.
pub async fn app_css() -> Response {
    with_type(APP_CSS, "text/css; charset=utf-8")
}

/// `GET /assets/plotly.min.js`: gzipped when the browser accepts it (they all do).
pub async fn plotly(headers: HeaderMap) -> Response {
    let gz = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("gzip"));
    let body = tokio::task::spawn_blocking(move || {
        let packed: &'static [u8] = PLOTLY_GZ.as_slice();
        if gz {
            packed.to_vec()
        } else {
            let mut out = Vec::new();
            let _ = flate2::read::GzDecoder::new(packed).read_to_end(&mut out);
            out
        }
    })
    .await
    .unwrap_or_default();
    let mut resp = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        body,
    )
        .into_response();
    if gz {
        resp.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    resp.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plotly_is_extracted_whole() {
        let js = plotly_js();
        assert!(js.trim_start().starts_with("/**"), "{}", &js[..80]);
        assert!(js.contains("plotly.js v3"), "the crate's plotly.js");
        assert!(!js.contains("<script"), "no tag inside");
        assert!(!js.contains("MathJax = "), "MathJax is left out");
        assert!(js.len() > 3_000_000);
    }
}
