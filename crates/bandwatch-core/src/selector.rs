//! The one label selector: rules (`match = { iface = "!lo" }`), notification routes,
//! silences (`rule=wan*,iface=eth*`) and the API's `match=` parameters all select series with
//! it, so a pattern means the same everywhere.
//!
//! A term is `name=glob`, `name!=glob` (also written `name=!glob`), `name=~regex` or
//! `name!~regex`. Globs are shell-style (`*`, `?`, `[a-z]`); regexes are anchored at both
//! ends. Besides the series' labels, a term may name `metric` (the metric name) and, for
//! alerts, `rule` (the rule's name).
//!
//! **A missing label**: a term needs its label to be present, so `iface!=lo` means "an
//! interface other than lo" and does not select a series with no `iface` at all. The one
//! exception is an empty pattern: `scope=` selects exactly the series without a `scope`
//! label (or with an empty one), and `scope!=` those that have a non-empty one.

use std::fmt;

use globset::{Glob, GlobMatcher};
use regex::Regex;

use crate::series::SeriesKey;

/// How a term compares a value.
#[derive(Debug, Clone)]
enum Pattern {
    /// The empty pattern: "no value".
    Empty,
    /// A shell-style glob.
    Glob(GlobMatcher),
    /// An anchored regular expression.
    Regex(Regex),
}

/// One condition on one label.
#[derive(Debug, Clone)]
pub struct Term {
    label: String,
    pattern: Pattern,
    negated: bool,
    text: String,
}

/// Why a selector could not be read; the message names the term and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError(pub String);

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SelectorError {}

impl Term {
    /// A term from a label name and a pattern as configuration writes it: `eth*`, `!lo`
    /// (negated), `~eth[0-9]+` (regex), `!~wg.*` (negated regex), or empty.
    pub fn new(label: &str, pattern: &str) -> Result<Self, SelectorError> {
        let (negated, rest) = match pattern.strip_prefix('!') {
            Some(r) => (true, r),
            None => (false, pattern),
        };
        let (is_regex, body) = match rest.strip_prefix('~') {
            Some(b) => (true, b),
            None => (false, rest),
        };
        Self::build(label, body, negated, is_regex)
    }

    fn build(label: &str, body: &str, negated: bool, regex: bool) -> Result<Self, SelectorError> {
        let label = label.trim();
        if label.is_empty()
            || !label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        {
            return Err(SelectorError(format!(
                "'{label}' is not a label name; use letters, digits and '_' (e.g. iface)"
            )));
        }
        let pattern = if body.is_empty() {
            Pattern::Empty
        } else if regex {
            Pattern::Regex(Regex::new(&format!("^(?:{body})$")).map_err(|_| {
                SelectorError(format!(
                    "'{body}' is not a valid regular expression for label '{label}'"
                ))
            })?)
        } else {
            Pattern::Glob(
                Glob::new(body)
                    .map_err(|e| {
                        SelectorError(format!(
                            "bad glob '{body}' for label '{label}': {}; use shell-style globs like eth*",
                            e.kind()
                        ))
                    })?
                    .compile_matcher(),
            )
        };
        let op = match (negated, regex) {
            (false, false) => "=",
            (true, false) => "!=",
            (false, true) => "=~",
            (true, true) => "!~",
        };
        Ok(Self {
            label: label.to_string(),
            pattern,
            negated,
            text: format!("{label}{op}{body}"),
        })
    }

    /// Reads one `name=glob`, `name!=glob`, `name=~re` or `name!~re` term.
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let bad = || {
            SelectorError(format!(
                "'{text}' is not a label matcher; write name=glob, name!=glob, name=~regex or name!~regex (e.g. iface=eth*)"
            ))
        };
        let i = text.find(['=', '!']).ok_or_else(bad)?;
        let (name, rest) = text.split_at(i);
        let (negated, regex, body) = if let Some(b) = rest.strip_prefix("=~") {
            (false, true, b)
        } else if let Some(b) = rest.strip_prefix("!~") {
            (true, true, b)
        } else if let Some(b) = rest.strip_prefix("!=") {
            (true, false, b)
        } else if let Some(b) = rest.strip_prefix('=') {
            return Self::new(name, b.trim());
        } else {
            return Err(bad());
        };
        Self::build(name, body.trim(), negated, regex)
    }

    /// The label this term reads.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Whether a label value (or its absence) satisfies the term.
    pub fn matches(&self, value: Option<&str>) -> bool {
        let hit = match (&self.pattern, value) {
            (Pattern::Empty, v) => v.is_none_or(str::is_empty),
            (_, None) => return false,
            (Pattern::Glob(g), Some(v)) => g.is_match(v),
            (Pattern::Regex(r), Some(v)) => r.is_match(v),
        };
        hit != self.negated
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Terms that must all hold; the empty selector selects everything.
#[derive(Debug, Clone, Default)]
pub struct Selector {
    terms: Vec<Term>,
}

impl Selector {
    /// The selector that selects everything.
    pub fn all() -> Self {
        Self::default()
    }

    /// From terms.
    pub fn new(terms: Vec<Term>) -> Self {
        Self { terms }
    }

    /// From `(label, pattern)` pairs as configuration maps write them (`iface = "!lo"`).
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, SelectorError> {
        pairs
            .into_iter()
            .map(|(l, p)| Term::new(l, p))
            .collect::<Result<Vec<_>, _>>()
            .map(Self::new)
    }

    /// Reads comma-separated terms: `rule=wan*, iface!=lo`.
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        text.split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(Term::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(Self::new)
    }

    /// The terms.
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// True when it has no terms.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether every term holds, reading values through `get`.
    pub fn matches_with<'a>(&self, get: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.terms.iter().all(|t| t.matches(get(&t.label)))
    }

    /// Whether `series` is selected (`metric` names its metric).
    pub fn matches(&self, series: &SeriesKey) -> bool {
        self.matches_with(|name| match name {
            "metric" => Some(series.metric.as_str()),
            label => series.labels.get(label),
        })
    }

    /// Whether an alert of `rule` on `series` is selected (`rule` names the rule).
    pub fn matches_alert(&self, rule: &str, series: &SeriesKey) -> bool {
        self.matches_with(|name| match name {
            "rule" => Some(rule),
            "metric" => Some(series.metric.as_str()),
            label => series.labels.get(label),
        })
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{t}")?;
        }
        Ok(())
    }
}

/// What a silence covers: one alert by its id, or every alert a selector picks (with `rule`
/// and `metric` as pseudo-labels). Stored as the text the user gave.
#[derive(Debug, Clone)]
pub enum SilenceMatcher {
    /// Exactly one alert.
    AlertId(String),
    /// Every alert whose rule, metric and labels match all terms.
    Selector(Selector),
}

impl SilenceMatcher {
    /// Reads `ID` (no `=`) or `name=glob[,name=glob…]`.
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(SelectorError(
                "the silence matcher is empty; give an alert id or pairs like rule=wan-spike,iface=eth*".into(),
            ));
        }
        if !text.contains(['=', '~']) {
            return Ok(Self::AlertId(text.to_string()));
        }
        Selector::parse(text)
            .map(Self::Selector)
            .map_err(|e| SelectorError(format!("silence matcher: {e}")))
    }

    /// Whether the alert `id` of `rule` on `series` is covered.
    pub fn matches(&self, id: &str, rule: &str, series: &SeriesKey) -> bool {
        match self {
            Self::AlertId(want) => want == id,
            Self::Selector(s) => s.matches_alert(rule, series),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::Labels;

    fn key(pairs: &[(&str, &str)]) -> SeriesKey {
        SeriesKey::new("net_rx_bytes", Labels::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn globs_negation_and_regex() {
        let eth0 = key(&[("iface", "eth0")]);
        let lo = key(&[("iface", "lo")]);
        let s = |t: &str| Selector::parse(t).expect(t);
        assert!(s("iface=eth*").matches(&eth0));
        assert!(!s("iface=eth*").matches(&lo));
        assert!(s("iface!=lo").matches(&eth0));
        assert!(s("iface=!lo").matches(&eth0));
        assert!(!s("iface=!lo").matches(&lo));
        assert!(s("iface=~eth[0-9]").matches(&eth0));
        assert!(!s("iface=~eth").matches(&eth0), "regexes are anchored");
        assert!(s("iface!~lo|wg0").matches(&eth0));
        assert!(s("metric=net_*").matches(&eth0));
        assert!(s("").matches(&eth0), "no terms select everything");
    }

    #[test]
    fn a_missing_label_fails_every_term_but_the_empty_one() {
        let total = key(&[("scope", "total")]);
        let s = |t: &str| Selector::parse(t).expect(t);
        assert!(!s("iface=*").matches(&total));
        assert!(
            !s("iface!=lo").matches(&total),
            "negated still needs the label"
        );
        assert!(!s("iface=!lo").matches(&total));
        assert!(
            s("iface=").matches(&total),
            "empty selects the absent label"
        );
        assert!(!s("scope=").matches(&total));
        assert!(s("scope!=").matches(&total));
    }

    #[test]
    fn alerts_match_on_rule() {
        let s = Selector::parse("rule=wan*, iface=eth*").unwrap();
        assert!(s.matches_alert("wan-spike", &key(&[("iface", "eth0")])));
        assert!(!s.matches_alert("lan-spike", &key(&[("iface", "eth0")])));
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(Selector::parse("iface")
            .unwrap_err()
            .0
            .contains("not a label matcher"));
        assert!(Selector::parse("=eth0")
            .unwrap_err()
            .0
            .contains("label name"));
        assert!(Selector::parse("iface=[eth")
            .unwrap_err()
            .0
            .contains("bad glob"));
        assert!(Selector::parse("iface=~(")
            .unwrap_err()
            .0
            .contains("regular expression"));
        assert!(Term::new("iface", "eth[").is_err());
    }

    #[test]
    fn silences_by_id_or_selector() {
        let eth0 = key(&[("iface", "eth0")]);
        let by_id = SilenceMatcher::parse("wan-1-2").unwrap();
        assert!(by_id.matches("wan-1-2", "wan", &eth0));
        assert!(!by_id.matches("wan-1-3", "wan", &eth0));
        let by_labels = SilenceMatcher::parse("rule=wan*, iface=eth*").unwrap();
        assert!(by_labels.matches("x", "wan-spike", &eth0));
        assert!(!by_labels.matches("x", "lan-spike", &eth0));
        assert!(SilenceMatcher::parse("iface=[eth").is_err());
        assert!(SilenceMatcher::parse(" ").is_err());
    }

    #[test]
    fn displays_terms() {
        let s = Selector::from_pairs([("iface", "!lo"), ("cpu", "~[0-9]+")]).unwrap();
        assert_eq!(s.to_string(), "iface!=lo,cpu=~[0-9]+");
    }
}
