//! The pure `update` on recorded actions: keys, frames and alert events in, state out.

// The values are copied through, never computed: exact comparison is the point.
#![allow(clippy::float_cmp)]

mod support;

use bandwatch_core::{EventKind, Severity};
use bandwatch_tui::state::Sort;
use bandwatch_tui::{render::rate, update, Action, Effect, Key, Pane, Units};
use support::{alert, devices, net, probes, recording, replay, state, system, T0};

fn press(s: &mut bandwatch_tui::State, keys: &[Key]) -> Vec<Effect> {
    keys.iter().map(|k| update(s, Action::Key(*k))).collect()
}

#[test]
fn the_catalogue_names_every_series_the_view_reads() {
    let v = support::vocab();
    for (what, name) in [
        ("rx", v.rx_rate),
        ("tx", v.tx_rate),
        ("iface", v.iface),
        ("cpu", v.cpu),
        ("cpu label", v.cpu_label),
        ("memory", v.memory),
        ("disk", v.disk),
        ("mount", v.mount),
        ("probe up", v.probe_up),
        ("rtt", v.probe_rtt),
        ("loss", v.probe_loss),
        ("target", v.target),
        ("stat", v.stat_label),
        ("device rx", v.device_rx),
        ("device tx", v.device_tx),
        ("device", v.device),
    ] {
        assert!(name.is_some(), "{what} not found in the catalogue");
    }
    assert_eq!(v.iface, Some("iface"));
    assert_eq!(v.target, Some("target"));
    assert_eq!(v.stat_label, Some("stat"));
    assert_eq!(v.device, Some("device"));
    assert_eq!(v.mount, Some("mount"));
}

#[test]
fn the_recording_gives_rates_peaks_system_probes_devices_and_firing_alerts() {
    let s = replay(state(true), recording());
    let eth0 = &s.model.interfaces["eth0"];
    assert_eq!(eth0.rx, 20e6 + 19.0 * 2e6);
    assert_eq!(eth0.peak_rx, 20e6 + 9.0 * 2e6 + 60e6, "the burst");
    // A 60 s window at 0.5 s: every sample of the last minute, sub-second steps included.
    assert_eq!(eth0.history.len(), 121);
    let (first, last) = (eth0.history[0].0, eth0.history[120].0);
    assert_eq!(last.millis() - first.millis(), 60_000);
    assert_eq!(s.model.system.cpu, Some(23.5 + 2.0));
    assert_eq!(s.model.system.memory, Some(61.25));
    assert_eq!(s.model.system.disks["/srv"], 93.5);
    let dns = &s.model.probes["dns"];
    assert_eq!(
        (dns.up, dns.rtt, dns.loss),
        (Some(false), None, Some(100.0))
    );
    // The average, not the min or max of the same metric.
    assert_eq!(s.model.probes["router"].rtt, Some(0.0012));
    assert_eq!(s.model.devices.len(), 3);
    let firing: Vec<&str> = s.alerts().iter().map(|a| a.rule.as_str()).collect();
    assert_eq!(firing, ["download-threshold", "download-spike"]);
}

#[test]
fn tab_and_arrows_move_between_panes_and_wrap() {
    let mut s = state(true);
    press(&mut s, &[Key::Tab]);
    assert_eq!(s.focus, Pane::Devices);
    press(&mut s, &[Key::Right, Key::Right]);
    assert_eq!(s.focus, Pane::Alerts);
    press(&mut s, &[Key::Tab]);
    assert_eq!(s.focus, Pane::Interfaces);
    press(&mut s, &[Key::BackTab]);
    assert_eq!(s.focus, Pane::Alerts);
    press(&mut s, &[Key::Left]);
    assert_eq!(s.focus, Pane::Probes);
}

#[test]
fn s_cycles_the_focused_panes_order_only() {
    let mut s = replay(state(true), recording());
    let names = |s: &bandwatch_tui::State| -> Vec<String> {
        s.devices().into_iter().map(|(n, _)| n.clone()).collect()
    };
    press(&mut s, &[Key::Tab]);
    assert_eq!(s.sort_of(Pane::Devices), Sort::Down);
    assert_eq!(names(&s), ["tv", "laptop", "phone"]);
    press(&mut s, &[Key::Char('s')]);
    assert_eq!(s.sort_of(Pane::Devices), Sort::Up);
    assert_eq!(names(&s), ["laptop", "phone", "tv"]);
    press(&mut s, &[Key::Char('s')]);
    assert_eq!(names(&s), ["laptop", "phone", "tv"]);
    assert_eq!(s.sort_of(Pane::Devices), Sort::Name);
    press(&mut s, &[Key::Char('s')]);
    assert_eq!(s.sort_of(Pane::Devices), Sort::Down);
    assert_eq!(
        s.sort_of(Pane::Interfaces),
        Sort::Name,
        "other panes keep theirs"
    );
}

#[test]
fn arrows_select_rows_within_bounds_and_the_chart_follows() {
    let mut s = replay(state(true), recording());
    assert_eq!(s.charted().map(|(n, _)| n.as_str()), Some("eth0"));
    press(&mut s, &[Key::Down, Key::Down, Key::Down, Key::Down]);
    assert_eq!(s.selected_in(Pane::Interfaces), 2);
    assert_eq!(s.charted().map(|(n, _)| n.as_str()), Some("wlan0"));
    press(&mut s, &[Key::Up, Key::Up, Key::Up]);
    assert_eq!(s.charted().map(|(n, _)| n.as_str()), Some("eth0"));
}

#[test]
fn pause_holds_new_values_back_until_resumed() {
    let mut s = state(true);
    update(&mut s, Action::Frame(net(T0, &[("eth0", 1e6, 2e6)])));
    press(&mut s, &[Key::Char('p')]);
    assert!(s.paused);
    update(&mut s, Action::Frame(net(T0 + 500, &[("eth0", 9e6, 9e6)])));
    update(
        &mut s,
        Action::Alert(alert("a", "eth0", Severity::High, EventKind::Fired, T0, T0)),
    );
    assert_eq!(s.model.interfaces["eth0"].rx, 1e6);
    assert!(s.model.alerts.is_empty());
    press(&mut s, &[Key::Char('p')]);
    update(&mut s, Action::Frame(net(T0 + 1000, &[("eth0", 5e6, 1e6)])));
    assert_eq!(s.model.interfaces["eth0"].rx, 5e6);
}

#[test]
fn u_switches_between_bits_and_bytes() {
    let mut s = state(true);
    assert_eq!(s.units, Units::Bits);
    assert_eq!(rate(s.units, 8e6), "8.00 Mbps");
    press(&mut s, &[Key::Char('u')]);
    assert_eq!(s.units, Units::Bytes);
    assert_eq!(rate(s.units, 8e6), "976.56 KiB/s");
    press(&mut s, &[Key::Char('u')]);
    assert_eq!(s.units, Units::Bits);
}

#[test]
fn help_opens_with_question_mark_and_any_key_closes_it_but_q_quits() {
    let mut s = state(true);
    press(&mut s, &[Key::Char('?')]);
    assert!(s.help);
    // The key that closes the help does nothing else.
    press(&mut s, &[Key::Tab]);
    assert!(!s.help);
    assert_eq!(s.focus, Pane::Interfaces);
    press(&mut s, &[Key::Char('?')]);
    assert_eq!(press(&mut s, &[Key::Char('q')]), [Effect::Quit]);
    assert_eq!(press(&mut state(true), &[Key::Interrupt]), [Effect::Quit]);
    assert_eq!(
        press(&mut state(true), &[Key::Char('x'), Key::Esc]),
        [Effect::Continue; 2]
    );
}

#[test]
fn resolved_alerts_leave_and_a_firing_list_replaces_the_view() {
    let mut s = state(true);
    let fired = alert("a", "eth0", Severity::High, EventKind::Fired, T0, T0);
    update(&mut s, Action::Alert(fired.clone()));
    update(
        &mut s,
        Action::Alert(alert(
            "a",
            "eth0",
            Severity::High,
            EventKind::Pending,
            T0 + 1,
            T0 + 1,
        )),
    );
    assert_eq!(
        s.model.alerts.len(),
        1,
        "a pending alert of another start is not shown"
    );
    update(
        &mut s,
        Action::Alert(alert(
            "a",
            "eth0",
            Severity::High,
            EventKind::Resolved,
            T0,
            T0 + 5,
        )),
    );
    assert!(s.model.alerts.is_empty());
    let other = alert("b", "wlan0", Severity::Low, EventKind::Renotified, T0, T0);
    update(&mut s, Action::Firing(vec![fired, other]));
    assert_eq!(s.model.alerts.len(), 2);
    update(&mut s, Action::Firing(vec![]));
    assert!(s.model.alerts.is_empty());
}

#[test]
fn a_repeated_snapshot_adds_no_point_and_stale_entries_leave() {
    let mut s = state(true);
    update(
        &mut s,
        Action::Frame(net(T0, &[("eth0", 1e6, 1e6), ("old0", 1.0, 1.0)])),
    );
    update(&mut s, Action::Frame(net(T0, &[("eth0", 1e6, 1e6)])));
    assert_eq!(s.model.interfaces["eth0"].history.len(), 1);
    update(
        &mut s,
        Action::Frame(probes(T0, &[("gone", true, Some(0.001), 0.0)])),
    );
    update(&mut s, Action::Frame(devices(T0, &[("left", 1.0, 1.0)])));
    let later = T0 + 5 * 60 * 1000 + 1;
    update(&mut s, Action::Frame(net(later, &[("eth0", 2e6, 1e6)])));
    assert!(!s.model.interfaces.contains_key("old0"));
    assert!(s.model.probes.is_empty() && s.model.devices.is_empty());
    assert_eq!(
        s.model.interfaces["eth0"].history.len(),
        1,
        "older than the window"
    );
    update(&mut s, Action::Frame(system(later, 5.0, 6.0, &[])));
    assert_eq!(s.model.system.cpu, Some(5.0));
}

#[test]
fn resize_and_status_are_kept_for_the_renderers() {
    let mut s = state(true);
    update(
        &mut s,
        Action::Resize {
            width: 132,
            height: 40,
        },
    );
    update(
        &mut s,
        Action::Status(Some("attached to http://127.0.0.1:8080".into())),
    );
    assert_eq!(s.size, (132, 40));
    assert_eq!(
        s.status.as_deref(),
        Some("attached to http://127.0.0.1:8080")
    );
    update(&mut s, Action::Status(None));
    assert_eq!(s.status, None);
}
