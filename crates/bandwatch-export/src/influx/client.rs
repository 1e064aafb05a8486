//! One write request: URL and headers for the v1 or v2 API, gzip body, and the
//! classification of the answer into success, retry later, or never.

use std::io::Write as _;
use std::time::Duration;

use flate2::write::GzEncoder;
use flate2::Compression;
use reqwest::blocking::Client;
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{StatusCode, Url};

use super::config::{redact_url, Api, InfluxConfig};
use super::error::{Error, Result};

/// Longest server message kept in an error.
const MAX_MESSAGE_CHARS: usize = 500;
/// Longest `Retry-After` honoured, so a confused server cannot stall the writer for days.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Gzips a batch of line protocol.
pub fn gzip(lines: &str) -> Vec<u8> {
    let mut enc = GzEncoder::new(
        Vec::with_capacity(lines.len() / 4 + 64),
        Compression::fast(),
    );
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(lines.as_bytes());
    enc.finish().unwrap_or_default()
}

/// Sends batches to one InfluxDB endpoint.
pub struct InfluxClient {
    http: Client,
    write_url: Url,
    display_url: String,
    auth: Auth,
    secrets: Vec<String>,
}

/// How a request proves who sends it.
enum Auth {
    None,
    Header(HeaderValue),
    Basic { username: String, password: String },
}

impl std::fmt::Debug for InfluxClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InfluxClient")
            .field("url", &self.display_url)
            .finish_non_exhaustive()
    }
}

/// The write endpoint of `config`: `{url}/api/v2/write?org&bucket&precision=ms` or
/// `{url}/write?db&precision=ms`.
pub fn write_url(config: &InfluxConfig) -> Result<Url> {
    let mut url = Url::parse(&config.url).map_err(|e| Error::Config {
        reason: format!("url '{}': {e}", redact_url(&config.url)),
    })?;
    let (tail, params): (&str, Vec<(&str, &str)>) = match &config.api {
        Api::V2 { org, bucket, .. } => ("api/v2/write", vec![("org", org), ("bucket", bucket)]),
        Api::V1 { database, .. } => ("write", vec![("db", database)]),
    };
    let path = format!("{}/{tail}", url.path().trim_end_matches('/'));
    url.set_path(&path);
    url.set_query(None);
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        q.append_pair("precision", "ms");
    }
    Ok(url)
}

impl InfluxClient {
    /// A client for the configured server; checks the configuration first.
    pub fn new(config: &InfluxConfig) -> Result<Self> {
        config.validate()?;
        let write_url = write_url(config)?;
        let http = Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .build()
            .map_err(|source| Error::Client { source })?;
        let auth = match &config.api {
            Api::V2 { token, .. } => {
                let mut value = HeaderValue::from_str(&format!("Token {token}")).map_err(|_| {
                    Error::Config {
                        reason: "the v2 token contains characters not allowed in an HTTP header"
                            .into(),
                    }
                })?;
                value.set_sensitive(true);
                Auth::Header(value)
            }
            Api::V1 {
                username: Some(username),
                password,
                ..
            } => Auth::Basic {
                username: username.clone(),
                password: password.clone().unwrap_or_default(),
            },
            Api::V1 { .. } => Auth::None,
        };
        Ok(Self {
            http,
            display_url: redact_url(write_url.as_str()),
            write_url,
            auth,
            secrets: config.api.secrets().into_iter().map(String::from).collect(),
        })
    }

    /// The write endpoint without credentials, for messages.
    pub fn display_url(&self) -> &str {
        &self.display_url
    }

    /// Gzips and sends one batch of line protocol.
    pub fn write_lines(&self, lines: &str) -> Result<()> {
        self.write_gzip(gzip(lines))
    }

    /// Sends one gzip batch of line protocol.
    pub fn write_gzip(&self, body: Vec<u8>) -> Result<()> {
        let mut req = self
            .http
            .post(self.write_url.clone())
            .header(CONTENT_ENCODING, "gzip")
            .header(CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(body);
        req = match &self.auth {
            Auth::None => req,
            Auth::Header(value) => req.header(AUTHORIZATION, value.clone()),
            Auth::Basic { username, password } => req.basic_auth(username, Some(password)),
        };
        let resp = req.send().map_err(|e| self.connect_error(e))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| parse_retry_after(v.to_str().ok()?));
        let text = resp.text().unwrap_or_default();
        Err(self.classify(status, retry_after, &text))
    }

    fn connect_error(&self, e: reqwest::Error) -> Error {
        Error::Connect {
            url: self.display_url.clone(),
            source: e.without_url(),
        }
    }

    fn classify(&self, status: StatusCode, retry_after: Option<Duration>, text: &str) -> Error {
        let url = self.display_url.clone();
        let message = self.server_message(text);
        let code = status.as_u16();
        match status {
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => Error::Unavailable {
                url,
                status: code,
                retry_after,
                message,
            },
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::Unauthorized {
                url,
                status: code,
                message,
            },
            s if s.is_client_error() => Error::Rejected {
                url,
                status: code,
                message,
            },
            _ => Error::Unavailable {
                url,
                status: code,
                retry_after: None,
                message,
            },
        }
    }

    /// The server's explanation (`error` or `message` of a JSON body, else the text), short,
    /// with any credential blotted out in case the server echoed it.
    fn server_message(&self, text: &str) -> String {
        let parsed: Option<String> = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| {
                v.get("error")
                    .or_else(|| v.get("message"))
                    .and_then(|m| m.as_str().map(String::from))
            });
        let mut message = parsed.unwrap_or_else(|| text.trim().to_string());
        for secret in &self.secrets {
            message = message.replace(secret.as_str(), "<redacted>");
        }
        if message.is_empty() {
            message = "(no message)".into();
        }
        if message.chars().count() > MAX_MESSAGE_CHARS {
            message = message.chars().take(MAX_MESSAGE_CHARS).collect::<String>() + "…";
        }
        message
    }
}

/// `Retry-After` in delta-seconds; the HTTP-date form is rare for these APIs and falls back
/// to the writer's own backoff.
fn parse_retry_after(text: &str) -> Option<Duration> {
    let secs: u64 = text.trim().parse().ok()?;
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_for_both_apis() {
        let v2 = InfluxConfig::new(
            "https://influx.example:8086/prefix/",
            Api::V2 {
                token: "t".into(),
                org: "my org".into(),
                bucket: "b&c".into(),
            },
            "/tmp",
            bandwatch_collect::catalog(),
        );
        assert_eq!(
            write_url(&v2).unwrap().as_str(),
            "https://influx.example:8086/prefix/api/v2/write?org=my+org&bucket=b%26c&precision=ms"
        );
        let v1 = InfluxConfig::new(
            "http://127.0.0.1:8086",
            Api::V1 {
                database: "bw".into(),
                username: None,
                password: None,
            },
            "/tmp",
            bandwatch_collect::catalog(),
        );
        assert_eq!(
            write_url(&v1).unwrap().as_str(),
            "http://127.0.0.1:8086/write?db=bw&precision=ms"
        );
    }

    #[test]
    fn retry_after_seconds_only() {
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("999999"), Some(MAX_RETRY_AFTER));
    }
}
