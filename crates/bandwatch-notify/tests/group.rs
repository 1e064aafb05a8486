//! The grouper: the first alert of a channel at once, what follows batched per window, all by
//! the timestamps it is given.

mod common;

use std::time::Duration;

use bandwatch_notify::{Grouper, DEFAULT_WINDOW};

fn ids(batch: &bandwatch_notify::Batch) -> Vec<&str> {
    batch.events.iter().map(|e| e.rule.as_str()).collect()
}

#[test]
fn the_first_alert_goes_out_at_once_and_what_follows_waits_for_the_window() {
    let mut g = Grouper::default();
    assert_eq!(DEFAULT_WINDOW, Duration::from_secs(30));
    g.push("mail", common::fired_high(), common::at(0));
    assert_eq!(g.next_due(), Some(common::at(0)));
    let first = g.due(common::at(0));
    assert_eq!(first.len(), 1);
    assert_eq!(ids(&first[0]), ["wan_rx_high"]);
    assert!(g.is_empty());

    g.push("mail", common::link_down(), common::at(5));
    g.push("mail", common::escalated_critical(), common::at(20));
    assert!(g.due(common::at(29)).is_empty());
    assert_eq!(g.next_due(), Some(common::at(30)));
    let out = g.due(common::at(30));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].channel, "mail");
    assert_eq!(ids(&out[0]), ["link_down", "wan_rx_high"]);
    assert!(g.is_empty());
    assert_eq!(g.next_due(), None);
}

#[test]
fn after_a_quiet_window_the_next_alert_goes_out_at_once_again() {
    let mut g = Grouper::new(Duration::from_secs(10));
    g.push("slack", common::fired_high(), common::at(0));
    assert_eq!(g.due(common::at(0)).len(), 1);
    g.push("slack", common::resolved(), common::at(11));
    let out = g.due(common::at(11));
    assert_eq!(ids(&out[0]), ["wan_rx_high"]);
    assert_eq!(out[0].events[0].kind, bandwatch_core::EventKind::Resolved);
}

#[test]
fn a_wait_holds_the_first_alert_for_companions() {
    let mut g = Grouper::new(Duration::from_secs(30)).wait(Duration::from_secs(10));
    g.push("am", common::fired_high(), common::at(0));
    g.push("am", common::link_down(), common::at(4));
    assert!(g.due(common::at(9)).is_empty());
    assert_eq!(g.next_due(), Some(common::at(10)));
    assert_eq!(ids(&g.due(common::at(10))[0]), ["wan_rx_high", "link_down"]);
    // The next group waits for its own companions and for the window since the last message.
    g.push("am", common::resolved(), common::at(35));
    assert_eq!(g.next_due(), Some(common::at(45)));
    g.push("am", common::resolved(), common::at(100));
    assert_eq!(g.due(common::at(45)).len(), 1);
}

#[test]
fn channels_are_independent() {
    let mut g = Grouper::new(Duration::from_secs(30));
    g.push("mail", common::fired_high(), common::at(0));
    assert_eq!(g.due(common::at(0))[0].channel, "mail");
    g.push("mail", common::link_down(), common::at(10));
    g.push("mqtt", common::link_down(), common::at(15));
    let out = g.due(common::at(15));
    assert_eq!(out.len(), 1, "mqtt has sent nothing yet, mail has");
    assert_eq!(out[0].channel, "mqtt");
    assert_eq!(g.next_due(), Some(common::at(30)));
    assert_eq!(g.due(common::at(30))[0].channel, "mail");
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
    g.push("hook", common::resolved(), common::at(6));
    assert_eq!(g.due(common::at(6)).len(), 1);
}

#[test]
fn clock_going_backwards_holds_the_batch() {
    let mut g = Grouper::new(Duration::from_secs(30));
    g.push("hook", common::fired_high(), common::at(100));
    assert!(g.due(common::at(50)).is_empty());
    assert_eq!(g.due(common::at(100)).len(), 1);
}
