//! The metric catalogue of every source, gathered once: what the agent hands to rule
//! validation, the exporters, the API and the reports.

use std::sync::LazyLock;

use bandwatch_core::Catalog;

use crate::caps;
use crate::devices::metric as devices;
use crate::netdev::metric as netdev;
use crate::probe::metric as probe;
use crate::system::metric as system;

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let mut c = Catalog::new();
    for (source, metrics, labels) in [
        (
            crate::netdev::SOURCE_NAME,
            &netdev::ALL[..],
            &netdev::LABELS[..],
        ),
        (
            crate::system::SOURCE_NAME,
            &system::ALL[..],
            &system::LABELS[..],
        ),
        (
            crate::probe::source::SOURCE_NAME,
            &probe::ALL[..],
            &probe::LABELS[..],
        ),
        (
            crate::devices::SOURCE_NAME,
            &devices::ALL[..],
            &devices::LABELS[..],
        ),
        (caps::SOURCE_NAME, &caps::ALL[..], &caps::LABELS[..]),
    ] {
        // Names are unique across sources (a test below proves it), so this cannot fail.
        let _ = c.extend_source(source, metrics);
        c.extend_labels(labels);
    }
    c.set_aggregate(netdev::LABEL_SCOPE, netdev::SCOPE_TOTAL);
    c
});

/// Every metric that bandwatch's sources emit.
pub fn catalog() -> &'static Catalog {
    &CATALOG
}

#[cfg(test)]
mod tests {
    use bandwatch_core::SampleKind;

    use super::*;

    #[test]
    fn the_device_label_says_both_of_its_meanings() {
        // Disks and LAN devices share the label name; the API's catalogue shows one help.
        let help = catalog()
            .labels()
            .iter()
            .find(|l| l.name == "device")
            .map(|l| l.help)
            .unwrap();
        assert!(
            help.contains("disk") && help.contains("LAN device"),
            "{help}"
        );
    }

    #[test]
    fn names_are_unique_and_rates_derive_from_catalogued_deltas() {
        let mut c = Catalog::new();
        c.extend(&netdev::ALL).unwrap();
        c.extend(&system::ALL).unwrap();
        c.extend(&probe::ALL).unwrap();
        c.extend(&devices::ALL).unwrap();
        c.extend(&caps::ALL).unwrap();
        assert_eq!(c.metrics().len(), catalog().metrics().len());
        for m in catalog().metrics() {
            assert!(
                m.help.ends_with('.'),
                "{}: help ends with a full stop",
                m.name
            );
            assert!(m.prometheus.starts_with("bandwatch_"), "{}", m.name);
            assert!(catalog().source_of(m.name).is_some(), "{}", m.name);
            assert_eq!(
                m.is_counter(),
                m.prometheus.ends_with("_total"),
                "{}",
                m.name
            );
            match (m.kind, m.derives_from) {
                (SampleKind::Rate, Some(d)) => {
                    let delta = catalog().get(d.delta).expect("delta is catalogued");
                    assert_eq!(delta.kind, SampleKind::Delta, "{}", m.name);
                }
                (SampleKind::Rate, None) => panic!("rate {} derives from nothing", m.name),
                (_, Some(_)) => panic!("{} is not a rate but derives", m.name),
                _ => {}
            }
        }
    }
}
