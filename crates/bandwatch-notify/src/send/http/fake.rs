//! An [`HttpPost`] for tests. Only built for this crate's tests and with the `fake` feature,
//! which other crates (and this crate's integration tests) enable from `[dev-dependencies]`:
//! it is not part of the public API of a normal build.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::error::SendError;
use super::transport::{parse_http_url, HttpPost, HttpReply};

/// One request as [`FakeHttp`] saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedPost {
    /// The full URL.
    pub url: String,
    /// The headers as given.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// The timeout asked for.
    pub timeout: Duration,
}

impl RecordedPost {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An [`HttpPost`] for tests: records every request and answers from a script (then 200).
/// Like the real client it refuses a URL that is not http(s).
#[derive(Debug, Default)]
pub struct FakeHttp {
    script: Mutex<VecDeque<Result<HttpReply, SendError>>>,
    seen: Mutex<Vec<RecordedPost>>,
}

impl FakeHttp {
    /// A fake that answers 200 to everything.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues the outcome of the next unanswered request.
    pub fn then(&self, outcome: Result<HttpReply, SendError>) -> &Self {
        self.script
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(outcome);
        self
    }

    /// The requests so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedPost> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl HttpPost for FakeHttp {
    fn post(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
        timeout: Duration,
    ) -> Result<HttpReply, SendError> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(RecordedPost {
                url: url.to_string(),
                headers: headers.to_vec(),
                body: body.to_vec(),
                timeout,
            });
        parse_http_url(url)?;
        self.script
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
            .unwrap_or_else(|| Ok(HttpReply::status(200)))
    }
}
