//! The grouper: batches per channel, released by the timestamps it is given.

mod common;

use std::time::Duration;

use bandwatch_notify::{Grouper, DEFAULT_WINDOW};

fn ids(batch: &bandwatch_notify::Batch) -> Vec<&str> {
    batch.events.iter().map(|e| e.rule.as_str()).collect()
}

#[test]
fn holds_until_the_oldest_is_window_old() {
    let mut g = Grouper::default();
    assert_eq!(DEFAULT_WINDOW, Duration::from_secs(30));
    g.push("mail", common::fired_high(), common::at(0));
    g.push("mail", common::link_down(), common::at(20));
    assert!(g.due(common::at(29)).is_empty());
    assert_eq!(g.next_due(), Some(common::at(30)));
    let out = g.due(common::at(30));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].channel, "mail");
    assert_eq!(ids(&out[0]), ["wan_rx_high", "link_down"]);
    assert!(g.is_empty());
    assert_eq!(g.next_due(), None);
}

#[test]
fn a_new_batch_starts_after_release() {
    let mut g = Grouper::new(Duration::from_secs(10));
    g.push("slack", common::fired_high(), common::at(0));
    assert_eq!(g.due(common::at(10)).len(), 1);
    g.push("slack", common::resolved(), common::at(11));
    assert!(g.due(common::at(20)).is_empty());
    let out = g.due(common::at(21));
    assert_eq!(ids(&out[0]), ["wan_rx_high"]);
    assert_eq!(out[0].events[0].kind, bandwatch_core::EventKind::Resolved);
}

#[test]
fn channels_are_independent() {
    let mut g = Grouper::new(Duration::from_secs(30));
    g.push("mail", common::fired_high(), common::at(0));
    g.push("mqtt", common::link_down(), common::at(15));
    let out = g.due(common::at(30));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].channel, "mail");
    assert_eq!(g.next_due(), Some(common::at(45)));
    assert_eq!(g.due(common::at(45))[0].channel, "mqtt");
}

#[test]
fn flush_releases_everything_at_once() {
    let mut g = Grouper::default();
    g.push("mail", common::fired_high(), common::at(0));
    g.push("mqtt", common::link_down(), common::at(1));
    g.push("mail", common::escalated_critical(), common::at(2));
    let out = g.flush();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].events.len(), 2);
    assert!(g.is_empty());
    assert!(g.flush().is_empty());
}

#[test]
fn flush_one_channel() {
    let mut g = Grouper::default();
    g.push("mail", common::fired_high(), common::at(0));
    g.push("mqtt", common::link_down(), common::at(0));
    assert_eq!(g.flush_channel("mqtt").map(|b| b.events.len()), Some(1));
    assert_eq!(g.flush_channel("mqtt"), None);
    assert!(!g.is_empty());
}

#[test]
fn zero_window_releases_on_the_next_due() {
    let mut g = Grouper::new(Duration::ZERO);
    g.push("hook", common::fired_high(), common::at(5));
    assert_eq!(g.due(common::at(5)).len(), 1);
}

#[test]
fn clock_going_backwards_holds_the_batch() {
    let mut g = Grouper::new(Duration::from_secs(30));
    g.push("hook", common::fired_high(), common::at(100));
    assert!(g.due(common::at(50)).is_empty());
    assert_eq!(g.due(common::at(130)).len(), 1);
}
