//! What may be shown of a URL in an error or a log line: chat URLs carry their token in the
//! path, other URLs may carry credentials or a token in the query.

use reqwest::Url;

/// `scheme://host[:port]` of a URL: what may be shown of one that carries a token.
pub fn redact_to_host(url: &str) -> String {
    match Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(host), Some(port)) => format!("{}://{host}:{port}", u.scheme()),
            (Some(host), None) => format!("{}://{host}", u.scheme()),
            _ => format!("{}:", u.scheme()),
        },
        Err(_) => "(unparseable URL, not shown)".into(),
    }
}

/// A URL without its credentials, query and fragment.
pub fn redact_to_path(url: &str) -> String {
    match Url::parse(url) {
        Ok(u) if u.host_str().is_some() => {
            format!("{}{}", redact_to_host(url), u.path())
        }
        _ => redact_to_host(url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction() {
        assert_eq!(
            redact_to_host("https://u:p@hooks.slack.com/services/a/b?c=d#e"),
            "https://hooks.slack.com"
        );
        assert_eq!(
            redact_to_host("http://127.0.0.1:8080/x"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            redact_to_path("http://u:p@am:9093/api/v2/alerts?x=1"),
            "http://am:9093/api/v2/alerts"
        );
        assert_eq!(
            redact_to_host("::not a url::"),
            "(unparseable URL, not shown)"
        );
    }
}
