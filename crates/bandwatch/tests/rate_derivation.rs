//! The dashboard derives raw-tier rates from stored deltas with its own table
//! (`bandwatch_web::query::derived`, since the web crate may not depend on the sources). This
//! checks that table against what the sources really emit, so a renamed or added rate cannot
//! silently show an empty chart.

use bandwatch_collect::{netdev, probe, system};
use bandwatch_core::SampleKind;

#[test]
fn every_source_rate_derives_from_a_delta_of_the_same_source() {
    let sources = [
        (netdev::SOURCE_NAME, &netdev::metric::ALL[..]),
        (system::SOURCE_NAME, &system::metric::ALL[..]),
        (probe::source::SOURCE_NAME, &probe::metric::ALL[..]),
    ];
    for (source, metrics) in sources {
        for m in metrics.iter().filter(|m| m.kind == SampleKind::Rate) {
            let d = bandwatch_web::query::derived(m.name)
                .unwrap_or_else(|| panic!("{} ({source}) has no entry in query::derived", m.name));
            assert_eq!(d.source, source, "{}", m.name);
            assert!(
                metrics
                    .iter()
                    .any(|x| x.name == d.delta && x.kind == SampleKind::Delta),
                "{} derives from {}, which {source} does not emit as a delta",
                m.name,
                d.delta
            );
        }
    }
}
