//! The view's state: the measured [`Model`] and how it is looked at (focused pane, sort,
//! selection, units, pause, help).

use std::time::Duration;

use crate::model::Model;
use crate::vocab::Vocabulary;

/// The panes that take the focus, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    /// Interfaces and the selected one's chart.
    Interfaces,
    /// LAN devices (top talkers).
    Devices,
    /// Probe targets.
    Probes,
    /// Firing alerts.
    Alerts,
}

impl Pane {
    /// Every pane in Tab order.
    pub const ALL: [Pane; 4] = [Pane::Interfaces, Pane::Devices, Pane::Probes, Pane::Alerts];

    fn index(self) -> usize {
        Self::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    /// The pane `step` places after this one (negative: before), wrapping around.
    #[must_use]
    pub fn step(self, step: isize) -> Pane {
        let n = Self::ALL.len() as isize;
        Self::ALL[(self.index() as isize + step).rem_euclid(n) as usize]
    }

    /// The orders `s` cycles through in this pane, the first being the default.
    pub fn sorts(self) -> &'static [Sort] {
        match self {
            Pane::Interfaces => &[Sort::Name, Sort::Down, Sort::Up],
            Pane::Devices => &[Sort::Down, Sort::Up, Sort::Name],
            Pane::Probes => &[Sort::Name, Sort::Rtt, Sort::Loss],
            Pane::Alerts => &[Sort::Severity, Sort::Newest],
        }
    }
}

/// A row order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sort {
    /// By name.
    Name,
    /// Highest download first.
    Down,
    /// Highest upload first.
    Up,
    /// Slowest round trip first.
    Rtt,
    /// Most loss first.
    Loss,
    /// Most severe first.
    Severity,
    /// Most recent first.
    Newest,
}

impl Sort {
    /// The order as the pane's title says it.
    pub fn label(self) -> &'static str {
        match self {
            Sort::Name => "name",
            Sort::Down => "↓",
            Sort::Up => "↑",
            Sort::Rtt => "rtt",
            Sort::Loss => "loss",
            Sort::Severity => "severity",
            Sort::Newest => "newest",
        }
    }
}

/// How rates are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Units {
    /// Bits per second (Mbps), as links are sold.
    Bits,
    /// Bytes per second (MiB/s), as downloads are shown.
    Bytes,
}

/// Fixed choices made when the view starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Colours (the 16 basic ones) or none at all (`NO_COLOR`).
    pub color: bool,
    /// How much history the chart shows.
    pub window: Duration,
    /// The first line's title (the host, or the agent attached to).
    pub title: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            color: true,
            window: Duration::from_secs(120),
            title: "bandwatch top".into(),
        }
    }
}

/// Everything the renderers read.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// Which series mean what.
    pub vocab: Vocabulary,
    /// The fixed choices.
    pub options: Options,
    /// The measured values.
    pub model: Model,
    /// The pane the keys act on.
    pub focus: Pane,
    /// Each pane's order, as an index into [`Pane::sorts`] (in [`Pane::ALL`] order).
    pub sort: [usize; 4],
    /// Each pane's selected row (in [`Pane::ALL`] order).
    pub selected: [usize; 4],
    /// Rates in bits or bytes.
    pub units: Units,
    /// Whether new values are held back (the view stands still).
    pub paused: bool,
    /// Whether the help is shown.
    pub help: bool,
    /// A line about the feed.
    pub status: Option<String>,
    /// The terminal's size.
    pub size: (u16, u16),
}

impl State {
    /// A view with nothing measured yet.
    pub fn new(vocab: Vocabulary, options: Options) -> Self {
        Self {
            vocab,
            options,
            model: Model::default(),
            focus: Pane::Interfaces,
            sort: [0; 4],
            selected: [0; 4],
            units: Units::Bits,
            paused: false,
            help: false,
            status: None,
            size: (80, 24),
        }
    }

    /// The order of `pane`.
    pub fn sort_of(&self, pane: Pane) -> Sort {
        let sorts = pane.sorts();
        sorts[self.sort[pane.index()] % sorts.len()]
    }

    /// The selected row of `pane`, kept within its rows.
    pub fn selected_in(&self, pane: Pane) -> usize {
        self.selected[pane.index()].min(self.rows(pane).saturating_sub(1))
    }

    /// How many rows `pane` has.
    pub fn rows(&self, pane: Pane) -> usize {
        match pane {
            Pane::Interfaces => self.model.interfaces.len(),
            Pane::Devices => self.model.devices.len(),
            Pane::Probes => self.model.probes.len(),
            Pane::Alerts => self.model.alerts.len(),
        }
    }

    /// The interfaces in the pane's order, with their values.
    pub fn interfaces(&self) -> Vec<(&String, &crate::model::Iface)> {
        let mut rows: Vec<_> = self.model.interfaces.iter().collect();
        match self.sort_of(Pane::Interfaces) {
            Sort::Down => rows.sort_by(|a, b| b.1.rx.total_cmp(&a.1.rx)),
            Sort::Up => rows.sort_by(|a, b| b.1.tx.total_cmp(&a.1.tx)),
            _ => {}
        }
        rows
    }

    /// The interface the chart shows: the selected row.
    pub fn charted(&self) -> Option<(&String, &crate::model::Iface)> {
        self.interfaces()
            .get(self.selected_in(Pane::Interfaces))
            .copied()
    }

    /// The devices in the pane's order.
    pub fn devices(&self) -> Vec<(&String, &crate::model::Device)> {
        let mut rows: Vec<_> = self.model.devices.iter().collect();
        match self.sort_of(Pane::Devices) {
            Sort::Down => rows.sort_by(|a, b| b.1.rx.total_cmp(&a.1.rx)),
            Sort::Up => rows.sort_by(|a, b| b.1.tx.total_cmp(&a.1.tx)),
            _ => {}
        }
        rows
    }

    /// The probe targets in the pane's order.
    pub fn probes(&self) -> Vec<(&String, &crate::model::Probe)> {
        let mut rows: Vec<_> = self.model.probes.iter().collect();
        let key = |v: Option<f64>| v.unwrap_or(f64::NEG_INFINITY);
        match self.sort_of(Pane::Probes) {
            Sort::Rtt => rows.sort_by(|a, b| key(b.1.rtt).total_cmp(&key(a.1.rtt))),
            Sort::Loss => rows.sort_by(|a, b| key(b.1.loss).total_cmp(&key(a.1.loss))),
            _ => {}
        }
        rows
    }

    /// The firing alerts in the pane's order.
    pub fn alerts(&self) -> Vec<&bandwatch_core::AlertEvent> {
        let mut rows: Vec<_> = self.model.alerts.values().collect();
        match self.sort_of(Pane::Alerts) {
            Sort::Newest => rows.sort_by_key(|a| std::cmp::Reverse(a.started)),
            _ => rows.sort_by(|a, b| b.severity.cmp(&a.severity).then(b.started.cmp(&a.started))),
        }
        rows
    }

    /// Index of `pane` in the per-pane arrays.
    pub(crate) fn slot(pane: Pane) -> usize {
        pane.index()
    }
}
