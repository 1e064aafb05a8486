//! The dashboard's files: the page, its main script and its ES modules (the charts are ours,
//! in `js/chart/`), and its style, compiled in from `assets/` twice: as text, and gzipped by
//! `build.rs`. A browser that takes gzip gets the compressed bytes as they are; nothing is
//! compressed, copied or allocated for them while the server runs.

use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// One file of the page, as written and as `build.rs` gzipped it.
struct Asset {
    text: &'static str,
    gz: &'static [u8],
    content_type: &'static str,
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The file `assets/<path>` with its gzip from `OUT_DIR/assets/<path>.gz`.
macro_rules! asset {
    ($path:literal, $content_type:expr) => {
        Asset {
            text: include_str!(concat!("../assets/", $path)),
            gz: include_bytes!(concat!(env!("OUT_DIR"), "/assets/", $path, ".gz")),
            content_type: $content_type,
        }
    };
}

const INDEX: Asset = asset!("index.html", HTML);
const APP_JS: Asset = asset!("app.js", JS);
const APP_CSS: Asset = asset!("app.css", CSS);

/// The page's modules (`/assets/js/<name>`), one concern each; `app.js` imports them.
const MODULES: [(&str, Asset); 29] = [
    ("alerts.js", asset!("js/alerts.js", JS)),
    ("api.js", asset!("js/api.js", JS)),
    ("banner.js", asset!("js/banner.js", JS)),
    ("caps.js", asset!("js/caps.js", JS)),
    ("cards.js", asset!("js/cards.js", JS)),
    ("catalog.js", asset!("js/catalog.js", JS)),
    ("chart/chart.js", asset!("js/chart/chart.js", JS)),
    ("chart/data.js", asset!("js/chart/data.js", JS)),
    ("chart/frame.js", asset!("js/chart/frame.js", JS)),
    ("chart/legend.js", asset!("js/chart/legend.js", JS)),
    ("chart/overlay.js", asset!("js/chart/overlay.js", JS)),
    ("chart/paint.js", asset!("js/chart/paint.js", JS)),
    ("chart/pointer.js", asset!("js/chart/pointer.js", JS)),
    ("chart/scale.js", asset!("js/chart/scale.js", JS)),
    ("chart/theme.js", asset!("js/chart/theme.js", JS)),
    ("chart/time.js", asset!("js/chart/time.js", JS)),
    ("chart/tooltip.js", asset!("js/chart/tooltip.js", JS)),
    ("charts.js", asset!("js/charts.js", JS)),
    ("config.js", asset!("js/config.js", JS)),
    ("devices.js", asset!("js/devices.js", JS)),
    ("dom.js", asset!("js/dom.js", JS)),
    ("download.js", asset!("js/download.js", JS)),
    ("format.js", asset!("js/format.js", JS)),
    ("history.js", asset!("js/history.js", JS)),
    ("lan.js", asset!("js/lan.js", JS)),
    ("live.js", asset!("js/live.js", JS)),
    ("range.js", asset!("js/range.js", JS)),
    ("recorded.js", asset!("js/recorded.js", JS)),
    ("samples.js", asset!("js/samples.js", JS)),
];

/// Whether `Accept-Encoding` takes gzip (`gzip`, `x-gzip` or `*`, unless its `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let wanted = ["gzip", "x-gzip", "*"]
                .iter()
                .any(|c| coding.eq_ignore_ascii_case(c));
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            wanted && !refused
        })
}

/// The entity tag of a file in one encoding: the CRC-32 and length of its text (both in
/// the gzip trailer, so nothing is hashed here), plus `-gz` for the compressed form.
fn etag(asset: &Asset, gz: bool) -> String {
    let trailer = asset
        .gz
        .len()
        .checked_sub(8)
        .map_or(&[][..], |i| &asset.gz[i..]);
    let crc = trailer
        .get(..4)
        .map_or(0, |b| u32::from_le_bytes(b.try_into().unwrap_or_default()));
    format!(
        "\"{crc:08x}-{:x}{}\"",
        asset.text.len(),
        if gz { "-gz" } else { "" }
    )
}

/// Whether `If-None-Match` names `tag` (or is `*`); weak tags compare equal to strong ones.
fn not_modified(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == tag)
}

/// `asset`, gzipped when the browser takes it, or 304 when the browser's copy is current.
/// The browser checks each time (`no-cache`), so a new binary's page is never stale.
fn serve(asset: &Asset, headers: &HeaderMap) -> Response {
    let gz = accepts_gzip(headers);
    let tag = etag(asset, gz);
    let mut resp = if not_modified(headers, &tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if gz {
        let mut r = asset.gz.into_response();
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        asset.text.into_response()
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(v) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, v);
    }
    resp
}

/// `GET /`.
pub async fn index(headers: HeaderMap) -> Response {
    serve(&INDEX, &headers)
}

/// `GET /assets/app.js`.
pub async fn app_js(headers: HeaderMap) -> Response {
    serve(&APP_JS, &headers)
}

/// `GET /assets/js/{*name}`: one of the page's modules, or 404.
pub async fn module(
    axum::extract::Path(name): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    match MODULES.iter().find(|(n, _)| *n == name) {
        Some((_, asset)) => serve(asset, &headers),
        None => crate::ApiError::not_found(format!(
            "no page module '{name}'; the page loads its modules itself from /assets/app.js"
        ))
        .into_response(),
    }
}

/// `GET /assets/app.css`.
pub async fn app_css(headers: HeaderMap) -> Response {
    serve(&APP_CSS, &headers)
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;
    use std::path::Path;

    use super::*;

    /// Every file: its path under `assets/` and itself.
    fn all() -> Vec<(String, &'static Asset)> {
        let mut out = vec![
            ("index.html".to_string(), &INDEX),
            ("app.js".to_string(), &APP_JS),
            ("app.css".to_string(), &APP_CSS),
        ];
        out.extend(MODULES.iter().map(|(n, a)| (format!("js/{n}"), a)));
        out
    }

    /// Whether `path` is a script.
    fn is_script(path: &str) -> bool {
        Path::new(path).extension().is_some_and(|e| e == "js")
    }

    /// The modules `body` (at `path` under `assets/`) imports, as paths under `assets/`.
    fn imports(path: &str, body: &str) -> Vec<String> {
        let dir: Vec<&str> = path.split('/').collect();
        let dir = &dir[..dir.len() - 1];
        let mut out = Vec::new();
        for line in body.lines().filter(|l| l.contains(" from '.")) {
            let spec = line
                .rsplit(" from '")
                .next()
                .and_then(|rest| rest.split('\'').next())
                .unwrap_or_default();
            let mut parts: Vec<&str> = dir.to_vec();
            for seg in spec.split('/') {
                match seg {
                    "." => {}
                    ".." => {
                        parts.pop();
                    }
                    s => parts.push(s),
                }
            }
            out.push(parts.join("/"));
        }
        out
    }

    #[test]
    fn every_module_the_page_imports_is_served() {
        let served: Vec<String> = all().into_iter().map(|(p, _)| p).collect();
        let mut seen = 0;
        for (path, asset) in all().into_iter().filter(|(p, _)| is_script(p)) {
            for file in imports(&path, asset.text) {
                seen += 1;
                assert!(
                    served.contains(&file),
                    "'{file}' is imported by {path} but not served"
                );
            }
        }
        assert!(seen > 40, "the import lines were found ({seen})");
        for (name, _) in MODULES {
            assert!(
                INDEX.text.contains(&format!("/assets/js/{name}\"")),
                "{name} is preloaded by the page"
            );
        }
    }

    #[test]
    fn the_import_paths_resolve_like_a_browser() {
        assert_eq!(
            imports("app.js", "import { a } from './js/dom.js';"),
            ["js/dom.js"]
        );
        assert_eq!(
            imports(
                "js/chart/paint.js",
                "} from '../format.js';\nimport { b } from './data.js';"
            ),
            ["js/format.js", "js/chart/data.js"]
        );
    }

    #[test]
    fn every_file_in_assets_is_served() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
        let mut stack = vec![root.clone()];
        let served: Vec<String> = all().into_iter().map(|(p, _)| p).collect();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("assets/ is readable") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let rel = path
                    .strip_prefix(&root)
                    .expect("under assets/")
                    .to_string_lossy()
                    .replace('\\', "/");
                assert!(served.contains(&rel), "assets/{rel} is not in assets.rs");
            }
        }
    }

    #[test]
    fn the_page_names_no_metric() {
        for (name, asset) in all() {
            for prefix in ["net_", "system_", "probe_", "device_", "devices_"] {
                assert!(
                    !asset.text.contains(prefix),
                    "{name} names a metric ({prefix}…)"
                );
            }
        }
    }

    #[test]
    fn the_page_has_no_third_party_script() {
        for (name, asset) in all() {
            let text = asset.text.to_ascii_lowercase();
            assert!(!text.contains("plotly"), "{name} mentions plotly");
            if is_script(&name) {
                assert!(
                    !text.contains("http://") && !text.contains("https://"),
                    "{name} names another host"
                );
                assert!(
                    !text.contains("eval(") && !text.contains("new function("),
                    "{name} evaluates text"
                );
            }
        }
        for attr in ["src=\"", "href=\""] {
            for value in INDEX.text.split(attr).skip(1) {
                assert!(
                    value.starts_with('/') || value.starts_with("data:"),
                    "index.html loads {attr}{}",
                    &value[..value.len().min(40)]
                );
            }
        }
        assert!(
            !INDEX.text.contains("<script>") && INDEX.text.matches("<script").count() == 1,
            "one script tag: the app module"
        );
    }

    #[test]
    fn each_gzip_is_its_file() {
        for (name, asset) in all() {
            let mut text = String::new();
            flate2::read::GzDecoder::new(asset.gz)
                .read_to_string(&mut text)
                .expect("gzip");
            assert_eq!(text, asset.text, "{name}");
        }
    }

    #[test]
    fn the_scripts_are_at_most_300_kb_gzipped() {
        let total: usize = all()
            .iter()
            .filter(|(p, _)| is_script(p))
            .map(|(_, a)| a.gz.len())
            .sum();
        assert!(
            total <= 300_000,
            "the page's scripts are {total} bytes gzipped"
        );
    }

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k, HeaderValue::from_str(v).expect("value"));
        }
        h
    }

    #[test]
    fn gzip_goes_to_browsers_that_take_it() {
        for (value, gz) in [
            ("gzip, deflate, br, zstd", true),
            ("br;q=1.0, GZIP;q=0.5", true),
            ("*", true),
            ("x-gzip", true),
            ("identity", false),
            ("gzip;q=0", false),
            ("gzip; q=0.000, br", false),
            ("", false),
        ] {
            assert_eq!(
                accepts_gzip(&headers(&[(header::ACCEPT_ENCODING, value)])),
                gz,
                "{value:?}"
            );
        }
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn a_current_copy_is_not_sent_again() {
        let gz = headers(&[(header::ACCEPT_ENCODING, "gzip")]);
        let first = serve(&APP_JS, &gz);
        assert_eq!(first.status(), StatusCode::OK);
        assert_eq!(first.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(first.headers()[header::VARY], "accept-encoding");
        let tag = first.headers()[header::ETAG]
            .to_str()
            .expect("etag")
            .to_string();
        assert!(tag.ends_with("-gz\""), "{tag}");

        let again = headers(&[
            (header::ACCEPT_ENCODING, "gzip"),
            (header::IF_NONE_MATCH, &tag),
        ]);
        assert_eq!(serve(&APP_JS, &again).status(), StatusCode::NOT_MODIFIED);
        // the plain form is another representation: the gzip's tag does not stand for it
        let plain = headers(&[(header::IF_NONE_MATCH, &tag)]);
        let r = serve(&APP_JS, &plain);
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers().get(header::CONTENT_ENCODING).is_none());
        assert_ne!(r.headers()[header::ETAG], tag.as_str());
        // another file's tag is not this one's
        let other = etag(&APP_CSS, true);
        let stale = headers(&[
            (header::ACCEPT_ENCODING, "gzip"),
            (header::IF_NONE_MATCH, &other),
        ]);
        assert_eq!(serve(&APP_JS, &stale).status(), StatusCode::OK);
    }
}
