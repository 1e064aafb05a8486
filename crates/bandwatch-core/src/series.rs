//! Series identity: a metric name plus a sorted set of labels.

use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};

use serde::{Deserialize, Serialize};

/// Label pairs, kept sorted by name so that equal sets compare and hash equal.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Labels(Vec<(String, String)>);

impl Labels {
    /// No labels.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Builds a label set from pairs in any order; a later duplicate name wins.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let mut out = Self::new();
        for (k, v) in pairs {
            out.insert(k, v);
        }
        out
    }

    /// Sets one label, replacing any value it had.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        let value = value.into();
        match self.0.binary_search_by(|(k, _)| k.as_str().cmp(&name)) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (name, value)),
        }
    }

    /// The value of one label.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(name))
            .ok()
            .map(|i| self.0[i].1.as_str())
    }

    /// The pairs in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// True when there are no labels.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The identity of one time series: `net_rx_bits_per_second{iface="eth0"}`.
///
/// Keys are looked up in maps for every sample by the snapshot, the engine and the store, so
/// each key carries the hash of its name and labels, computed once when it is built; hashing
/// a key writes that one number. Build a new key rather than changing the fields of one:
/// the hash would no longer match (debug builds check).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "KeyParts")]
pub struct SeriesKey {
    /// Metric name, snake_case with the base unit as suffix.
    pub metric: String,
    /// Labels that tell this series apart from others of the same metric.
    pub labels: Labels,
    #[serde(skip)]
    hash: u64,
}

/// The fields of a [`SeriesKey`] as read from a document, before its hash is computed.
#[derive(Deserialize)]
struct KeyParts {
    metric: String,
    labels: Labels,
}

impl From<KeyParts> for SeriesKey {
    fn from(parts: KeyParts) -> Self {
        Self::new(parts.metric, parts.labels)
    }
}

/// The hash of a key's name and labels. Keyed at random once per process (SipHash), so
/// label values that come from the network (device addresses) cannot be chosen to collide.
fn key_hash(metric: &str, labels: &Labels) -> u64 {
    static KEYS: std::sync::OnceLock<std::hash::RandomState> = std::sync::OnceLock::new();
    KEYS.get_or_init(std::hash::RandomState::new)
        .hash_one((metric, labels))
}

impl PartialEq for SeriesKey {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.metric == other.metric && self.labels == other.labels
    }
}

impl Eq for SeriesKey {}

impl Hash for SeriesKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        debug_assert_eq!(
            self.hash,
            key_hash(&self.metric, &self.labels),
            "a series key was changed after it was built"
        );
        state.write_u64(self.hash);
    }
}

impl PartialOrd for SeriesKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SeriesKey {
    /// By metric name, then labels: the order people read lists in.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (&self.metric, &self.labels).cmp(&(&other.metric, &other.labels))
    }
}

impl SeriesKey {
    /// A series key from a metric name and labels.
    pub fn new(metric: impl Into<String>, labels: Labels) -> Self {
        let metric = metric.into();
        Self {
            hash: key_hash(&metric, &labels),
            metric,
            labels,
        }
    }

    /// A series key with a single label.
    pub fn with_label(metric: impl Into<String>, name: &str, value: &str) -> Self {
        Self::new(metric, Labels::from_pairs([(name, value)]))
    }

    /// The labels rendered as `{a="b",c="d"}` (empty string when there are none).
    pub fn labels_text(&self) -> String {
        if self.labels.is_empty() {
            return String::new();
        }
        let inner: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
            .collect();
        format!("{{{}}}", inner.join(","))
    }
}

fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

impl fmt::Display for SeriesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.metric, self.labels_text())
    }
}

/// Why a series text like `metric{a="b"}` could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesParseError(pub String);

impl fmt::Display for SeriesParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SeriesParseError {}

impl std::str::FromStr for SeriesKey {
    type Err = SeriesParseError;

    /// Reads the form [`SeriesKey`]'s `Display` writes: `metric` or `metric{a="b",c="d"}`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let (metric, rest) = match text.find('{') {
            Some(i) => (&text[..i], Some(&text[i + 1..])),
            None => (text, None),
        };
        let valid_name = |n: &str| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        };
        if !valid_name(metric) {
            return Err(SeriesParseError(format!(
                "'{text}': a series starts with a metric name like net_rx_bytes"
            )));
        }
        let mut labels = Labels::new();
        if let Some(rest) = rest {
            let body = rest
                .strip_suffix('}')
                .ok_or_else(|| SeriesParseError(format!("'{text}': missing the closing '}}'")))?;
            parse_labels(body, &mut labels)
                .map_err(|e| SeriesParseError(format!("'{text}': {e}")))?;
        }
        Ok(Self::new(metric, labels))
    }
}

/// Reads `a="b",c="d"` (values may escape `\`, `"` and `\n`).
fn parse_labels(body: &str, labels: &mut Labels) -> Result<(), String> {
    let mut chars = body.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(());
        }
        let name: String = chars.by_ref().take_while(|c| *c != '=').collect();
        let name = name.trim().to_string();
        if name.is_empty() {
            return Err("a label needs a name before '='".into());
        }
        if chars.next() != Some('"') {
            return Err(format!(
                "the value of label '{name}' must be in double quotes"
            ));
        }
        labels.insert(name, read_quoted(&mut chars)?);
    }
}

fn read_quoted(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<String, String> {
    let mut value = String::new();
    loop {
        match chars.next() {
            Some('"') => return Ok(value),
            Some('\\') => match chars.next() {
                Some('n') => value.push('\n'),
                Some(c) => value.push(c),
                None => return Err("a label value ends inside an escape".into()),
            },
            Some(c) => value.push(c),
            None => return Err("a label value is missing its closing quote".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash_of(key: &SeriesKey) -> u64 {
        std::hash::BuildHasherDefault::<std::hash::DefaultHasher>::default().hash_one(key)
    }

    #[test]
    fn equal_keys_hash_equal_and_order_by_name_then_labels() {
        let a = SeriesKey::new("m", Labels::from_pairs([("x", "1"), ("y", "2")]));
        let b = SeriesKey::new("m", Labels::from_pairs([("y", "2"), ("x", "1")]));
        assert_eq!(a, b);
        assert_eq!(hash_of(&a), hash_of(&b));
        let c = SeriesKey::with_label("m", "x", "2");
        assert_ne!(a, c);
        let mut keys = [c.clone(), SeriesKey::with_label("a", "x", "9"), a.clone()];
        keys.sort();
        let names: Vec<String> = keys.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["a{x=\"9\"}", "m{x=\"1\",y=\"2\"}", "m{x=\"2\"}"]);
    }

    #[test]
    fn a_key_read_back_from_a_document_has_its_hash() {
        let a = SeriesKey::with_label("net_rx_bytes", "iface", "eth0");
        let text = serde_json::to_string(&a).unwrap();
        assert!(!text.contains("hash"), "{text}");
        let back: SeriesKey = serde_json::from_str(&text).unwrap();
        assert_eq!(back, a);
        assert_eq!(hash_of(&back), hash_of(&a));
    }

    #[test]
    fn labels_sort_and_replace() {
        let l = Labels::from_pairs([("z", "1"), ("a", "2"), ("z", "3")]);
        assert_eq!(l.iter().collect::<Vec<_>>(), vec![("a", "2"), ("z", "3")]);
        assert_eq!(l.get("z"), Some("3"));
        assert_eq!(l.get("q"), None);
    }

    #[test]
    fn parses_what_it_displays() {
        let k = SeriesKey::new(
            "net_rx_bytes",
            Labels::from_pairs([("iface", "e\"th0"), ("scope", "a,b")]),
        );
        assert_eq!(k.to_string().parse::<SeriesKey>().unwrap(), k);
        assert_eq!(
            "up".parse::<SeriesKey>().unwrap(),
            SeriesKey::new("up", Labels::new())
        );
        assert!("net{iface=eth0}".parse::<SeriesKey>().is_err());
        assert!("{iface=\"x\"}".parse::<SeriesKey>().is_err());
        assert!("net{iface=\"x\"".parse::<SeriesKey>().is_err());
    }

    #[test]
    fn displays_prometheus_style() {
        let k = SeriesKey::with_label("net_rx_bytes", "iface", "e\"th0");
        assert_eq!(k.to_string(), "net_rx_bytes{iface=\"e\\\"th0\"}");
        assert_eq!(SeriesKey::new("up", Labels::new()).to_string(), "up");
    }
}
