//! The dashboard's files: the page, its main script and its ES modules, its style (compiled
//! in from `assets/`), and plotly.js, which comes from the `plotly` crate's own copy, gzipped
//! once and kept that way.

use std::io::{Read as _, Write as _};
use std::sync::LazyLock;

use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

const INDEX: &str = include_str!("../assets/index.html");
const APP_JS: &str = include_str!("../assets/app.js");
const APP_CSS: &str = include_str!("../assets/app.css");

/// The page's modules (`/assets/js/<name>`), one concern each; `app.js` imports them.
const MODULES: [(&str, &str); 15] = [
    ("alerts.js", include_str!("../assets/js/alerts.js")),
    ("api.js", include_str!("../assets/js/api.js")),
    ("banner.js", include_str!("../assets/js/banner.js")),
    ("cards.js", include_str!("../assets/js/cards.js")),
    ("catalog.js", include_str!("../assets/js/catalog.js")),
    ("charts.js", include_str!("../assets/js/charts.js")),
    ("config.js", include_str!("../assets/js/config.js")),
    ("devices.js", include_str!("../assets/js/devices.js")),
    ("dom.js", include_str!("../assets/js/dom.js")),
    ("download.js", include_str!("../assets/js/download.js")),
    ("format.js", include_str!("../assets/js/format.js")),
    ("history.js", include_str!("../assets/js/history.js")),
    ("live.js", include_str!("../assets/js/live.js")),
    ("range.js", include_str!("../assets/js/range.js")),
    ("samples.js", include_str!("../assets/js/samples.js")),
];

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

/// `GET /assets/js/{name}`: one of the page's modules, or 404.
pub async fn module(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    match MODULES.iter().find(|(n, _)| *n == name) {
        Some((_, body)) => with_type(body, "text/javascript; charset=utf-8"),
        None => crate::ApiError::not_found(format!(
            "no page module '{name}'; the page loads its modules itself from /assets/app.js"
        ))
        .into_response(),
    }
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
    fn every_module_the_page_imports_is_served() {
        let mut sources: Vec<&str> = MODULES.iter().map(|(_, body)| *body).collect();
        sources.push(APP_JS);
        for body in &sources {
            for line in body.lines().filter(|l| l.contains(" from './")) {
                let file = line
                    .rsplit("from './")
                    .next()
                    .and_then(|rest| rest.split('\'').next())
                    .unwrap_or_default();
                let file = file.strip_prefix("js/").unwrap_or(file);
                assert!(
                    MODULES.iter().any(|(n, _)| *n == file),
                    "'{file}' is imported ({line}) but not served"
                );
            }
        }
        for (name, _) in MODULES {
            assert!(
                INDEX.contains(&format!("/assets/js/{name}")),
                "{name} is preloaded by the page"
            );
        }
    }

    #[test]
    fn the_page_names_no_metric() {
        let mut sources: Vec<(&str, &str)> = MODULES.to_vec();
        sources.push(("app.js", APP_JS));
        sources.push(("index.html", INDEX));
        for (name, body) in sources {
            for prefix in ["net_", "system_", "probe_"] {
                assert!(!body.contains(prefix), "{name} names a metric ({prefix}…)");
            }
        }
    }

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
