//! Settings of the InfluxDB writer; `Debug` never prints a token or password.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use bandwatch_core::Catalog;

use super::error::{Error, Result};

/// Default number of lines per request.
pub const DEFAULT_BATCH_LINES: usize = 5_000;
/// Default longest time a line waits in memory before it is sent.
pub const DEFAULT_FLUSH_EVERY: Duration = Duration::from_secs(1);
/// Default request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default size bound of the on-disk buffer (100 MiB).
pub const DEFAULT_BUFFER_MAX_BYTES: u64 = 100 * 1024 * 1024;
/// Default number of frames the queue between the caller and the writer thread holds.
pub const DEFAULT_QUEUE_FRAMES: usize = 1_024;
/// Default first wait after a failed request.
pub const DEFAULT_RETRY_INITIAL: Duration = Duration::from_millis(500);
/// Default longest wait between retries.
pub const DEFAULT_RETRY_MAX: Duration = Duration::from_secs(30);

/// Which write API the server speaks, with its credentials.
#[derive(Clone, PartialEq, Eq)]
pub enum Api {
    /// InfluxDB 2.x / 3.x: `POST /api/v2/write?org=…&bucket=…`, `Authorization: Token …`.
    V2 {
        /// The API token (never printed).
        token: String,
        /// Organisation name or id.
        org: String,
        /// Bucket name.
        bucket: String,
    },
    /// InfluxDB 1.x: `POST /write?db=…`, optional basic auth.
    V1 {
        /// Database name.
        database: String,
        /// User name, when the server has auth enabled.
        username: Option<String>,
        /// Password (never printed).
        password: Option<String>,
    },
}

impl Api {
    /// The secrets a log line or error must never contain.
    pub(crate) fn secrets(&self) -> Vec<&str> {
        match self {
            Self::V2 { token, .. } => vec![token.as_str()],
            Self::V1 { password, .. } => password.iter().map(String::as_str).collect(),
        }
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect()
    }
}

impl fmt::Debug for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::V2 { org, bucket, .. } => f
                .debug_struct("V2")
                .field("token", &"<redacted>")
                .field("org", org)
                .field("bucket", bucket)
                .finish(),
            Self::V1 {
                database,
                username,
                password,
            } => f
                .debug_struct("V1")
                .field("database", database)
                .field("username", username)
                .field("password", &password.as_ref().map(|_| "<redacted>"))
                .finish(),
        }
    }
}

/// Everything the writer needs; build it with [`InfluxConfig::new`] and adjust fields.
#[derive(Clone)]
pub struct InfluxConfig {
    /// Base URL of the server, e.g. `http://127.0.0.1:8086` (a path prefix is kept).
    pub url: String,
    /// API version and credentials.
    pub api: Api,
    /// Value of the `host` tag on every point.
    pub host_tag: String,
    /// Lines per request; a batch is sent as soon as it has this many.
    pub batch_lines: usize,
    /// Longest time a line waits in memory before it is sent.
    pub flush_every: Duration,
    /// Timeout of one request.
    pub timeout: Duration,
    /// Directory of the on-disk buffer (created when missing).
    pub buffer_dir: PathBuf,
    /// Size bound of the on-disk buffer; the oldest batches are dropped beyond it.
    pub buffer_max_bytes: u64,
    /// Frames the queue in front of the writer thread holds; a frame sent when it is full is dropped.
    pub queue_frames: usize,
    /// First wait after a failed request; it doubles on each further failure.
    pub retry_initial: Duration,
    /// Longest wait between retries (a larger `Retry-After` from the server still wins).
    pub retry_max: Duration,
    /// The metric catalogue, where the compatibility measurements find their fields.
    pub catalog: &'static Catalog,
}

impl InfluxConfig {
    /// A configuration with the defaults for everything but the server, API, buffer
    /// directory and the metric catalogue.
    pub fn new(
        url: impl Into<String>,
        api: Api,
        buffer_dir: impl Into<PathBuf>,
        catalog: &'static Catalog,
    ) -> Self {
        Self {
            url: url.into(),
            api,
            host_tag: default_host_tag(),
            batch_lines: DEFAULT_BATCH_LINES,
            flush_every: DEFAULT_FLUSH_EVERY,
            timeout: DEFAULT_TIMEOUT,
            buffer_dir: buffer_dir.into(),
            buffer_max_bytes: DEFAULT_BUFFER_MAX_BYTES,
            queue_frames: DEFAULT_QUEUE_FRAMES,
            retry_initial: DEFAULT_RETRY_INITIAL,
            retry_max: DEFAULT_RETRY_MAX,
            catalog,
        }
    }

    /// Checks every rule; the writer only runs with a configuration that passed.
    pub fn validate(&self) -> Result<()> {
        let fail = |reason: String| Err(Error::Config { reason });
        let url = reqwest::Url::parse(&self.url);
        match url {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => {}
            _ => {
                return fail(format!(
                    "url '{}' is not an http(s) URL; write it like http://127.0.0.1:8086",
                    redact_url(&self.url)
                ))
            }
        }
        if self.batch_lines == 0 {
            return fail("batch_lines must be > 0 (default 5000)".into());
        }
        if self.flush_every.is_zero() {
            return fail("flush_every must be > 0 (default 1s)".into());
        }
        if self.queue_frames == 0 {
            return fail("queue_frames must be > 0 (default 1024)".into());
        }
        if self.retry_initial.is_zero() || self.retry_max < self.retry_initial {
            return fail("retry_initial must be > 0 and no larger than retry_max".into());
        }
        let empty = match &self.api {
            Api::V2 { org, bucket, .. } => org.is_empty() || bucket.is_empty(),
            Api::V1 { database, .. } => database.is_empty(),
        };
        if empty {
            return fail("the v2 API needs org and bucket, the v1 API needs database".into());
        }
        Ok(())
    }
}

impl fmt::Debug for InfluxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InfluxConfig")
            .field("url", &redact_url(&self.url))
            .field("api", &self.api)
            .field("host_tag", &self.host_tag)
            .field("batch_lines", &self.batch_lines)
            .field("flush_every", &self.flush_every)
            .field("timeout", &self.timeout)
            .field("buffer_dir", &self.buffer_dir)
            .field("buffer_max_bytes", &self.buffer_max_bytes)
            .field("queue_frames", &self.queue_frames)
            .field("retry_initial", &self.retry_initial)
            .field("retry_max", &self.retry_max)
            // The catalogue is the program's own table, not a setting.
            .finish_non_exhaustive()
    }
}

/// The URL with any `user:password@` removed, for messages.
pub(crate) fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            if !u.username().is_empty() || u.password().is_some() {
                // Setting these only fails for URLs without a host, which have no credentials.
                let _ = u.set_username("");
                let _ = u.set_password(None);
            }
            u.to_string().trim_end_matches('/').to_string()
        }
        Err(_) => "<unparsable url>".to_string(),
    }
}

/// The machine's host name from `/proc/sys/kernel/hostname`, or `localhost`.
pub fn default_host_tag() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2() -> InfluxConfig {
        InfluxConfig::new(
            "http://u:hunter2@127.0.0.1:8086",
            Api::V2 {
                token: "s3cr3t-token".into(),
                org: "o".into(),
                bucket: "b".into(),
            },
            "/tmp/x",
            bandwatch_collect::catalog(),
        )
    }

    #[test]
    fn debug_hides_secrets() {
        let text = format!("{:?}", v2());
        assert!(!text.contains("s3cr3t-token"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        let v1 = InfluxConfig::new(
            "http://127.0.0.1:8086",
            Api::V1 {
                database: "d".into(),
                username: Some("me".into()),
                password: Some("pa55".into()),
            },
            "/tmp/x",
            bandwatch_collect::catalog(),
        );
        let text = format!("{v1:?}");
        assert!(!text.contains("pa55") && text.contains("me"), "{text}");
    }

    #[test]
    fn validation_names_the_problem() {
        assert!(v2().validate().is_ok());
        let mut c = v2();
        c.url = "localhost:8086".into();
        assert!(c.validate().unwrap_err().to_string().contains("http://"));
        let mut c = v2();
        c.batch_lines = 0;
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("batch_lines"));
    }
}
