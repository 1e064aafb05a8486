//! Silence matchers: an alert id, or `label=glob` pairs where `rule` and `metric` stand for
//! the rule's name and the series' metric.

use bandwatch_core::SeriesKey;
use globset::{Glob, GlobMatcher};

use crate::error::BadInput;

/// What a silence covers.
#[derive(Debug, Clone)]
pub enum SilenceMatcher {
    /// Exactly one alert.
    AlertId(String),
    /// Every alert whose rule, metric and labels match all pairs.
    Labels(Vec<(String, GlobMatcher)>),
}

impl SilenceMatcher {
    /// Parses `ID` or `name=glob[,name=glob…]`.
    pub fn parse(text: &str) -> Result<Self, BadInput> {
        let text = text.trim();
        if text.is_empty() {
            return Err(BadInput("the silence matcher is empty; give an alert id or pairs like rule=wan-spike,iface=eth*".into()));
        }
        if !text.contains('=') {
            return Ok(Self::AlertId(text.to_string()));
        }
        let mut pairs = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, glob) = part.split_once('=').ok_or_else(|| {
                BadInput(format!(
                    "silence matcher part '{part}' is not name=glob; write e.g. iface=eth*"
                ))
            })?;
            let glob = Glob::new(glob.trim())
                .map_err(|e| {
                    BadInput(format!(
                        "silence matcher '{part}': {e}; use shell-style globs like eth*"
                    ))
                })?
                .compile_matcher();
            pairs.push((name.trim().to_string(), glob));
        }
        Ok(Self::Labels(pairs))
    }

    /// Whether an alert of `rule` on `series` with this id is covered.
    pub fn matches(&self, id: &str, rule: &str, series: &SeriesKey) -> bool {
        match self {
            Self::AlertId(want) => want == id,
            Self::Labels(pairs) => pairs.iter().all(|(name, glob)| {
                let value = match name.as_str() {
                    "rule" => Some(rule),
                    "metric" => Some(series.metric.as_str()),
                    label => series.labels.get(label),
                };
                value.is_some_and(|v| glob.is_match(v))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_by_id_or_labels() {
        let eth0 = SeriesKey::with_label("net_rx_bits_per_second", "iface", "eth0");
        let by_id = SilenceMatcher::parse("wan-1-2").unwrap();
        assert!(by_id.matches("wan-1-2", "wan", &eth0));
        assert!(!by_id.matches("wan-1-3", "wan", &eth0));
        let by_labels = SilenceMatcher::parse("rule=wan*, iface=eth*").unwrap();
        assert!(by_labels.matches("x", "wan-spike", &eth0));
        assert!(!by_labels.matches("x", "lan-spike", &eth0));
        let wlan = SeriesKey::with_label("net_rx_bits_per_second", "iface", "wlan0");
        assert!(!by_labels.matches("x", "wan-spike", &wlan));
        assert!(SilenceMatcher::parse("iface=[eth").is_err());
        assert!(SilenceMatcher::parse(" ").is_err());
    }
}
