//! The query string of one request: repeated keys allowed, unknown keys refused, so a typo
//! is a 400 that names it instead of a silently ignored filter.

use crate::error::{ApiError, ApiResult};

/// Decoded `name=value` pairs in order.
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Decodes `query`, refusing names not in `allowed`.
    pub fn parse(query: Option<&str>, allowed: &[&str]) -> ApiResult<Self> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if let Some((k, _)) = pairs.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
            return Err(ApiError::bad_request(format!(
                "unknown parameter '{k}'; this endpoint takes: {}",
                allowed.join(", ")
            )));
        }
        Ok(Self(pairs))
    }

    /// The last value of `name`, trimmed; empty values count as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }

    /// Every value of `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_decoded_and_strict() {
        let p = Params::parse(
            Some("metric=a&match=iface%3Deth0&match=x!%3Dy&step="),
            &["metric", "match", "step"],
        )
        .expect("valid");
        assert_eq!(p.get("metric"), Some("a"));
        assert_eq!(p.all("match").collect::<Vec<_>>(), ["iface=eth0", "x!=y"]);
        assert_eq!(p.get("step"), None);
        let e = Params::parse(Some("metrc=a"), &["metric"]).expect_err("typo");
        assert!(e.message.contains("unknown parameter 'metrc'"), "{e}");
    }
}
