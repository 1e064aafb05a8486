//! The delivery core: alert events are routed to channels, throttled by their rule's cooldown
//! (see [`crate::throttle`]), grouped, rendered once and written to the store's outbox before
//! anything is sent; due outbox items are then delivered with
//! retries. A failing channel only delays its own items, and what is in the outbox survives a
//! restart. Time comes from the caller; nothing here reads a clock.

use std::time::Duration;

use bandwatch_core::{AlertEvent, EventKind, Selector, Severity, Timestamp};
use bandwatch_store::{backoff, NewNotification, Outbox};

use crate::error::Result;
use crate::group::Grouper;
use crate::summary::Summary;
use crate::throttle::{Cooldowns, Throttle};

/// What one delivery attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver accepted it.
    Delivered,
    /// It may work later (server down, timeout, 5xx); the text says why.
    Retry(String),
    /// It will never work as it is (rejected, invalid); the text says why.
    Permanent(String),
}

/// One configured channel: how to turn events into a stored payload, and how to send it.
pub trait Deliver: Send {
    /// The channel's name, unique in the configuration (e.g. `email:ops`).
    fn name(&self) -> &str;
    /// The payload to store and later send for a batch of events.
    fn render(&self, events: &[AlertEvent]) -> Result<String>;
    /// The payload to store and later send for a scheduled summary; `None` when the channel
    /// carries no summaries (Alertmanager takes alerts only).
    fn render_summary(&self, _summary: &Summary) -> Option<Result<String>> {
        None
    }
    /// Sends a stored payload once.
    fn deliver(&mut self, payload: &str) -> Outcome;
    /// Sends a stored payload once, with its idempotency key for receivers that can use it
    /// (the webhook sends it as a header); by default the key is not sent.
    fn deliver_keyed(&mut self, payload: &str, _key: &str) -> Outcome {
        self.deliver(payload)
    }
}

/// Which events a channel receives.
#[derive(Debug, Clone)]
pub struct Route {
    /// Events below this severity are not sent.
    pub min_severity: Severity,
    /// Which alerts, by label (`rule` and `metric` stand for the rule and the metric); the
    /// one selector of rules and silences, so `iface = "!lo"` means the same everywhere.
    pub selector: Selector,
    /// Whether the end of an alert is announced too.
    pub send_resolved: bool,
}

impl Default for Route {
    fn default() -> Self {
        Self {
            min_severity: Severity::Low,
            selector: Selector::all(),
            send_resolved: true,
        }
    }
}

impl Route {
    /// Whether this channel wants the event. Pending alerts are never announced.
    pub fn accepts(&self, e: &AlertEvent) -> bool {
        let kind_ok = match e.kind {
            EventKind::Pending => false,
            EventKind::Resolved => self.send_resolved,
            EventKind::Fired | EventKind::Escalated | EventKind::Renotified => true,
        };
        kind_ok
            && e.severity >= self.min_severity
            && self.selector.matches_alert(&e.rule, &e.series)
    }
}

/// Retry timing of failed deliveries.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Delay after the first failure (doubled after each further one, with jitter).
    pub base: Duration,
    /// The longest delay.
    pub max: Duration,
    /// Failures after which an item is given up as dead.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(5),
            max: Duration::from_secs(600),
            max_attempts: 1000,
        }
    }
}

/// What one `deliver_due` pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Items accepted by their receivers.
    pub delivered: u64,
    /// Items that failed and will be retried.
    pub retrying: u64,
    /// Items given up.
    pub dead: u64,
}

/// Routes, groups, stores and delivers notifications.
pub struct Dispatcher<O: Outbox> {
    outbox: O,
    channels: Vec<(Box<dyn Deliver>, Route)>,
    /// One per channel, in the order of `channels`: what people heard of is per channel.
    throttles: Vec<Throttle>,
    grouper: Grouper,
    retry: RetryPolicy,
    /// The alert ids of each notification this process enqueued, by idempotency key, for
    /// the delivery log line; forgotten once the notification is finished.
    alert_ids: std::collections::HashMap<String, String>,
}

impl<O: Outbox> Dispatcher<O> {
    /// A dispatcher over an outbox, with channels and their routes; the first alert of a
    /// channel goes out at once, later ones at most once per `group_window`; no cooldown.
    pub fn new(
        outbox: O,
        channels: Vec<(Box<dyn Deliver>, Route)>,
        group_window: Duration,
        retry: RetryPolicy,
    ) -> Self {
        let throttles = vec![Throttle::default(); channels.len()];
        Self {
            outbox,
            channels,
            throttles,
            grouper: Grouper::new(group_window),
            retry,
            alert_ids: std::collections::HashMap::new(),
        }
    }

    /// The same, with the first alert of a group waiting `wait` for companions.
    #[must_use]
    pub fn group_wait(mut self, wait: Duration) -> Self {
        self.grouper = self.grouper.wait(wait);
        self
    }

    /// The same, holding back new alerts within their rule's cooldown.
    #[must_use]
    pub fn cooldowns(mut self, cooldowns: &Cooldowns) -> Self {
        self.throttles = vec![Throttle::new(cooldowns.clone()); self.channels.len()];
        self
    }

    /// Hands new alert events to the channels that want them and have not heard of the same
    /// rule on the same series within its cooldown.
    pub fn submit(&mut self, events: &[AlertEvent], now: Timestamp) {
        for e in events {
            for ((channel, route), throttle) in self.channels.iter().zip(&mut self.throttles) {
                if route.accepts(e) && throttle.admit(e) {
                    self.grouper.push(channel.name(), e.clone(), now);
                }
            }
        }
    }

    /// Renders the groups whose window has passed and writes them to the outbox.
    pub fn enqueue_due(&mut self, now: Timestamp) -> bandwatch_store::Result<usize> {
        let batches = self.grouper.due(now);
        self.enqueue(batches, now)
    }

    /// Renders every open group at once (shutdown) and writes them to the outbox.
    pub fn enqueue_all(&mut self, now: Timestamp) -> bandwatch_store::Result<usize> {
        let batches = self.grouper.flush();
        self.enqueue(batches, now)
    }

    fn enqueue(
        &mut self,
        batches: Vec<crate::group::Batch>,
        now: Timestamp,
    ) -> bandwatch_store::Result<usize> {
        let mut items = Vec::with_capacity(batches.len());
        for batch in batches {
            let Some((channel, _)) = self
                .channels
                .iter()
                .find(|(c, _)| c.name() == batch.channel)
            else {
                continue;
            };
            match channel.render(&batch.events) {
                Ok(payload) => {
                    let key = idempotency_key(&batch.channel, &batch.events);
                    let ids: Vec<&str> = batch.events.iter().map(|e| e.id.as_str()).collect();
                    self.alert_ids.insert(key.clone(), ids.join(","));
                    items.push(NewNotification::new(&batch.channel, key, payload, now));
                }
                Err(e) => {
                    tracing::error!(channel = %batch.channel, error = %e, "cannot render a notification; it is dropped");
                }
            }
        }
        self.outbox.enqueue(&items).map(|ids| ids.len())
    }

    /// Renders a scheduled summary for every channel that carries summaries and writes it to
    /// the outbox under the summary's key, so one already queued is not queued again.
    /// Summaries skip routes, cooldowns, grouping and silences: a report names its channels.
    pub fn enqueue_summary(
        &mut self,
        summary: &Summary,
        now: Timestamp,
    ) -> bandwatch_store::Result<usize> {
        let mut items = Vec::new();
        for (channel, _) in &self.channels {
            match channel.render_summary(summary) {
                Some(Ok(payload)) => {
                    self.alert_ids
                        .insert(summary.key.clone(), format!("summary {}", summary.report));
                    items.push(NewNotification::new(
                        channel.name(),
                        summary.key.clone(),
                        payload,
                        now,
                    ));
                }
                Some(Err(e)) => {
                    tracing::error!(channel = %channel.name(), report = %summary.report, error = %e, "cannot render the summary; it is dropped");
                }
                None => {
                    tracing::warn!(channel = %channel.name(), report = %summary.report, "this channel carries alerts only; the summary is not sent to it");
                }
            }
        }
        self.outbox.enqueue(&items).map(|ids| ids.len())
    }

    /// Sends every due outbox item of every channel once, recording the outcome.
    pub fn deliver_due(
        &mut self,
        now: Timestamp,
        per_channel: usize,
    ) -> bandwatch_store::Result<DeliveryReport> {
        let mut report = DeliveryReport::default();
        for (channel, _) in &mut self.channels {
            for item in self.outbox.due(channel.name(), now, per_channel)? {
                match channel.deliver_keyed(&item.payload, &item.idempotency_key) {
                    Outcome::Delivered => {
                        // Only failures were logged before: a delivery leaves its line too.
                        let alerts = self
                            .alert_ids
                            .remove(&item.idempotency_key)
                            .unwrap_or_else(|| "(queued by an earlier run)".into());
                        tracing::info!(
                            channel = %item.channel,
                            alerts = %alerts,
                            attempt = item.attempts + 1,
                            "notification delivered"
                        );
                        self.outbox.mark_delivered(item.id, now)?;
                        report.delivered += 1;
                    }
                    Outcome::Retry(why) if item.attempts + 1 < self.retry.max_attempts => {
                        let wait = backoff(
                            item.attempts + 1,
                            self.retry.base,
                            self.retry.max,
                            item.id.unsigned_abs(),
                        );
                        let next =
                            now.add_millis(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
                        tracing::warn!(channel = %item.channel, attempts = item.attempts + 1, retry_in = ?wait, "delivery failed: {why}");
                        self.outbox.mark_failed(item.id, now, &why, next)?;
                        report.retrying += 1;
                    }
                    Outcome::Retry(why) | Outcome::Permanent(why) => {
                        self.alert_ids.remove(&item.idempotency_key);
                        tracing::error!(channel = %item.channel, "delivery given up: {why}");
                        self.outbox.mark_dead(item.id, now, &why)?;
                        report.dead += 1;
                    }
                }
            }
        }
        Ok(report)
    }

    /// When the grouper next has something to release.
    pub fn next_group_due(&self) -> Option<Timestamp> {
        self.grouper.next_due()
    }
}

/// The same batch always gets the same key, so a retried enqueue never sends twice.
pub fn idempotency_key(channel: &str, events: &[AlertEvent]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |s: &str| {
        for b in s.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    feed(channel);
    for e in events {
        feed(&e.id);
        feed(e.kind.as_str());
        feed(&e.at.millis().to_string());
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use bandwatch_core::{alert_id, Labels, SeriesKey};

    use super::*;

    fn event(rule: &str, labels: &[(&str, &str)], kind: EventKind) -> AlertEvent {
        let series = SeriesKey::new(
            "net_rx_bits_per_second",
            Labels::from_pairs(labels.iter().copied()),
        );
        let at = Timestamp::from_secs(1_795_255_200);
        AlertEvent {
            id: alert_id(rule, &series, at),
            rule: rule.into(),
            series,
            kind,
            state: kind.state(),
            severity: Severity::High,
            value: 1.0,
            reference: 0.0,
            message: String::new(),
            started: at,
            ended: None,
            at,
        }
    }

    fn route(pairs: &[(&str, &str)]) -> Route {
        Route {
            selector: Selector::from_pairs(pairs.iter().copied()).expect("valid"),
            ..Route::default()
        }
    }

    #[test]
    fn routes_select_alerts_as_rules_and_silences_do() {
        let eth0 = event("wan-spike", &[("iface", "eth0")], EventKind::Fired);
        let lo = event("wan-spike", &[("iface", "lo")], EventKind::Fired);
        let total = event("wan-spike", &[("scope", "total")], EventKind::Fired);
        let not_lo = route(&[("iface", "!lo")]);
        assert!(not_lo.accepts(&eth0));
        assert!(!not_lo.accepts(&lo));
        assert!(
            !not_lo.accepts(&total),
            "a negated term still needs the label"
        );
        let by_rule = route(&[("rule", "wan*"), ("metric", "net_*"), ("iface", "eth*")]);
        assert!(by_rule.accepts(&eth0));
        assert!(!by_rule.accepts(&event("lan", &[("iface", "eth0")], EventKind::Fired)));
        assert!(Route::default().accepts(&total), "no terms: every alert");
    }

    #[test]
    fn pending_never_and_resolved_only_when_asked() {
        let e = |kind| event("r", &[], kind);
        let quiet = Route {
            send_resolved: false,
            ..Route::default()
        };
        assert!(!Route::default().accepts(&e(EventKind::Pending)));
        assert!(Route::default().accepts(&e(EventKind::Resolved)));
        assert!(!quiet.accepts(&e(EventKind::Resolved)));
        assert!(quiet.accepts(&e(EventKind::Escalated)));
    }
}
