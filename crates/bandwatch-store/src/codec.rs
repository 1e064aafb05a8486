//! The text forms both back ends store: labels as a JSON object, and alert severities, states
//! and event kinds by their lowercase names.

use std::collections::BTreeMap;

use bandwatch_core::{AlertState, EventKind, Labels, Severity};

/// Labels as a JSON object with sorted keys, the stored form.
pub(crate) fn labels_to_text(labels: &Labels) -> String {
    let map: BTreeMap<&str, &str> = labels.iter().collect();
    serde_json::to_string(&map).unwrap_or_else(|_| "{}".to_owned())
}

/// Parses [`labels_to_text`] output back.
pub(crate) fn labels_from_text(text: &str) -> Result<Labels, String> {
    let map: BTreeMap<String, String> =
        serde_json::from_str(text).map_err(|e| format!("bad labels {text:?}: {e}"))?;
    Ok(Labels::from_pairs(map))
}

/// Every severity, lowest first.
pub(crate) const SEVERITIES: [Severity; 4] = [
    Severity::Low,
    Severity::Medium,
    Severity::High,
    Severity::Critical,
];

/// A severity by its stored name.
pub(crate) fn severity_from(text: &str) -> Option<Severity> {
    SEVERITIES.into_iter().find(|s| s.as_str() == text)
}

/// The stored name of an alert state.
pub(crate) fn state_str(state: AlertState) -> &'static str {
    match state {
        AlertState::Pending => "pending",
        AlertState::Firing => "firing",
        AlertState::Resolved => "resolved",
    }
}

/// An alert state by its stored name.
pub(crate) fn state_from(text: &str) -> Option<AlertState> {
    [
        AlertState::Pending,
        AlertState::Firing,
        AlertState::Resolved,
    ]
    .into_iter()
    .find(|s| state_str(*s) == text)
}

/// An event kind by its stored name.
pub(crate) fn kind_from(text: &str) -> Option<EventKind> {
    [
        EventKind::Pending,
        EventKind::Fired,
        EventKind::Escalated,
        EventKind::Renotified,
        EventKind::Resolved,
    ]
    .into_iter()
    .find(|k| k.as_str() == text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let l = Labels::from_pairs([("iface", "eth0"), ("a", "\"q\"")]);
        assert_eq!(labels_from_text(&labels_to_text(&l)), Ok(l));
        for s in SEVERITIES {
            assert_eq!(severity_from(s.as_str()), Some(s));
        }
        for s in [
            AlertState::Pending,
            AlertState::Firing,
            AlertState::Resolved,
        ] {
            assert_eq!(state_from(state_str(s)), Some(s));
        }
        assert_eq!(kind_from("fired"), Some(EventKind::Fired));
        assert_eq!(kind_from("nope"), None);
    }

    #[test]
    fn label_text_is_canonical_and_round_trips() {
        let a = Labels::from_pairs([("z", "1"), ("iface", "e\"th0")]);
        let b = Labels::from_pairs([("iface", "e\"th0"), ("z", "1")]);
        assert_eq!(labels_to_text(&a), labels_to_text(&b));
        assert_eq!(labels_to_text(&a), r#"{"iface":"e\"th0","z":"1"}"#);
        assert_eq!(labels_from_text(&labels_to_text(&a)), Ok(a));
        assert_eq!(labels_to_text(&Labels::new()), "{}");
        assert!(labels_from_text("[").is_err());
    }
}
