//! The two names the old exporter that bandwatch replaces used, `network_upload_mbps` and
//! `network_download_mbps`, so Grafana panels and alert rules written for it keep their
//! data: gauges of the total rates (loopback-free, the catalogue's aggregate series of the
//! `TxRate` and `RxRate` roles) in Mbit/s, beside the node_exporter-style families.

use bandwatch_core::{Catalog, Role, SeriesKey, Snapshot};

/// Bits per second in one Mbit/s.
const BITS_PER_MBIT: f64 = 1e6;

/// One compatibility family: its name, help and the series it is read from.
#[derive(Debug)]
struct Family {
    name: &'static str,
    help: &'static str,
    series: SeriesKey,
}

/// One compatibility family's value in one scrape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Value {
    /// The family name.
    pub name: &'static str,
    /// Its `# HELP` text.
    pub help: &'static str,
    /// The total in Mbit/s.
    pub mbps: f64,
}

/// The compatibility families a catalogue can feed.
#[derive(Debug, Default)]
pub(crate) struct Compat(Vec<Family>);

impl Compat {
    /// Both names, when the catalogue has the two rate roles and an aggregate series.
    pub(crate) fn new(catalog: &Catalog) -> Self {
        let Some((label, value)) = catalog.aggregate() else {
            return Self::default();
        };
        let total = |role| {
            let metric = catalog.by_role(role)?.name;
            Some(SeriesKey::with_label(metric, label, value))
        };
        let names = [
            (
                "network_upload_mbps",
                "Total upload rate (all interfaces but loopback) over the last interval in Mbit/s; \
                 the compatibility name of the exporter bandwatch replaces \
                 (8 x bandwatch_network_transmit_bytes_per_second summed, / 1e6).",
                Role::TxRate,
            ),
            (
                "network_download_mbps",
                "Total download rate (all interfaces but loopback) over the last interval in Mbit/s; \
                 the compatibility name of the exporter bandwatch replaces \
                 (8 x bandwatch_network_receive_bytes_per_second summed, / 1e6).",
                Role::RxRate,
            ),
        ];
        Self(
            names
                .into_iter()
                .filter_map(|(name, help, role)| {
                    Some(Family {
                        name,
                        help,
                        series: total(role)?,
                    })
                })
                .collect(),
        )
    }

    /// Every family whose total is fresh in `snapshot`, with its value.
    pub(crate) fn values(&self, snapshot: &Snapshot) -> Vec<Value> {
        self.0
            .iter()
            .filter_map(|f| {
                Some(Value {
                    name: f.name,
                    help: f.help,
                    mbps: snapshot.get(&f.series)?.value / BITS_PER_MBIT,
                })
            })
            .collect()
    }
}
