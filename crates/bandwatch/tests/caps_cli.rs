//! `bandwatch caps` (to become `report caps`) over a generated history: exact usage since
//! the period's start in the local zone, limits, forecasts, `--alert` for cron, and the
//! messages for a missing history and for no caps; and in `bandwatch run`, a cap alert that
//! reaches a webhook.

mod support;

use std::sync::Arc;

use bandwatch_core::calendar::{period_at, Period};
use bandwatch_core::{Clock as _, Frame, SampleKind, Seconds, SeriesKey, SystemClock, Timestamp};
use bandwatch_store::{SqliteOptions, SqliteStore, Store as _};
use support::receiver::Receiver;
use support::{bandwatch, LineChild};

const TEN_MINUTES: i64 = 600_000;

/// Forty days of eth0 (1,000 B received and 500 B sent every ten minutes) and eth1 (which no
/// cap counts), the last frame a minute ago. Returns the frames' instants.
fn write_history(path: &std::path::Path, now: Timestamp) -> Vec<Timestamp> {
    let mut store = SqliteStore::open(path, SqliteOptions::default()).expect("store");
    let catalog = bandwatch_collect::catalog();
    let rx = catalog.name_of(bandwatch_core::Role::RxBytes);
    let tx = catalog.name_of(bandwatch_core::Role::TxBytes);
    let last = Timestamp(now.0 - 60_000);
    let times: Vec<Timestamp> = (0..40 * 144)
        .rev()
        .map(|k| Timestamp(last.0 - k * TEN_MINUTES))
        .collect();
    let frames: Vec<Frame> = times
        .iter()
        .map(|t| {
            let mut f = Frame::new("netdev", *t, Seconds(600.0));
            for (m, v, iface) in [(rx, 1000.0, "eth0"), (tx, 500.0, "eth0"), (rx, 7.0, "eth1")] {
                f.push(
                    Arc::new(SeriesKey::with_label(m, "iface", iface)),
                    v,
                    SampleKind::Delta,
                );
            }
            f
        })
        .collect();
    store.write(&frames).expect("write");
    store.maintain(now).expect("rollups");
    store.flush().expect("flush");
    times
}

const CONFIG: &str = r#"
[[caps]]
name = "isp"
interface = "eth0"
limit = "1TB"
billing_day = 15

[[caps]]
interface = "eth0"
direction = "rx"
period = "day"
limit = "100kB"
"#;

fn caps_json(dir: &std::path::Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let out = bandwatch(dir)
        .env("TZ", "UTC0")
        .args(["report", "caps", "--json", "--db", "h.db"])
        .args(extra)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {} {err}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().expect("exit code"), json)
}

#[test]
fn usage_is_exact_from_the_billing_day_and_the_forecast_says_when() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("bandwatch.toml"), CONFIG).expect("config");
    let now = SystemClock::new().wall();
    let times = write_history(&dir.path().join("h.db"), now);
    let (code, doc) = caps_json(dir.path(), &[]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["version"], 1);
    let caps = doc["caps"].as_array().expect("caps");
    assert_eq!(caps.len(), 2);
    let count_since = |p: Period| {
        let span = period_at(&chrono::Utc, p, SystemClock::new().wall()).expect("span");
        times.iter().filter(|t| span.contains(**t)).count() as u64
    };
    let month = count_since(Period::Month { billing_day: 15 });
    let day = count_since(Period::Day);
    let isp = &caps[0];
    assert_eq!(isp["name"], "isp");
    assert_eq!(isp["period"], "month");
    assert_eq!(isp["billing_day"], 15);
    assert_eq!(isp["period_start"].as_str().expect("start")[8..10], *"15");
    assert_eq!(isp["used_bytes"], month * 1500, "{isp}");
    assert_eq!(isp["limit_bytes"], 1_000_000_000_000u64);
    assert_eq!(isp["forecast_method"], "weekly");
    assert_eq!(isp["over"], false);
    assert_eq!(isp["forecast_over"], false);
    assert_eq!(isp["reach"], serde_json::Value::Null);
    // a flat 1,500 B every ten minutes: the forecast is the whole period at that rate
    let span = period_at(&chrono::Utc, Period::Month { billing_day: 15 }, now).expect("span");
    let whole = (span.millis() / TEN_MINUTES * 1500) as f64;
    let forecast = isp["forecast_bytes"].as_f64().expect("forecast");
    assert!(
        (forecast - whole).abs() / whole < 0.02,
        "{forecast} vs {whole}"
    );
    let daily = &caps[1];
    assert_eq!(daily["name"], "eth0-rx-day");
    assert_eq!(daily["used_bytes"], day * 1000, "{daily}");
    // 144,000 B a day against 100 kB: over by the end of the day, the reach time today
    assert_eq!(daily["forecast_over"], true, "{daily}");
    assert!(daily["reach"].is_string(), "{daily}");
    // cron: exit 1 when a cap is over or forecast over, 0 otherwise
    let (code, _) = caps_json(dir.path(), &["--alert"]);
    assert_eq!(code, 1);
    std::fs::write(
        dir.path().join("bandwatch.toml"),
        CONFIG.split("\n\n[[caps]]").next().expect("first cap"),
    )
    .expect("config");
    let (code, doc) = caps_json(dir.path(), &["--alert"]);
    assert_eq!(code, 0, "{doc}");
}

#[test]
fn the_table_names_each_cap_with_its_period_and_units() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("bandwatch.toml"), CONFIG).expect("config");
    write_history(&dir.path().join("h.db"), SystemClock::new().wall());
    let out = bandwatch(dir.path())
        .env("TZ", "UTC0")
        .args(["report", "caps", "--db", "h.db"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with("cap ") && lines[0].contains("forecast"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("isp ") && lines[1].contains("eth0 total"),
        "{text}"
    );
    assert!(
        lines[1].contains("931.32 GiB"),
        "the limit in binary units: {text}"
    );
    assert!(
        lines[2].starts_with("eth0-rx-day ") && lines[2].contains("eth0 rx"),
        "{text}"
    );
}

#[test]
fn a_missing_history_and_no_caps_say_what_to_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("bandwatch.toml"), CONFIG).expect("config");
    let out = bandwatch(dir.path())
        .args(["report", "caps"])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("no history in ./data/bandwatch.db yet: run `bandwatch run` first"),
        "{err}"
    );
    std::fs::write(dir.path().join("bandwatch.toml"), "").expect("config");
    let out = bandwatch(dir.path())
        .args(["report", "caps"])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no data caps are configured"), "{err}");
}

/// `bandwatch run` over a fake kernel whose eth0 receives 1 MB every 20 ms: a 5 MB daily cap
/// crosses its steps within a second, and the alert goes out to the webhook like any other.
#[test]
fn a_cap_alert_reaches_a_webhook() {
    let kernel = bandwatch_testkit::kernel::FakeKernel::start(1_000_000);
    let receiver = Receiver::start(0, vec![], false);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = format!(
        r#"
[[caps]]
interface = "eth0"
direction = "rx"
period = "day"
limit = "5MB"
steps = [50, 100]

[notify]
group_window = "200ms"
retry_base = "100ms"
retry_max = "500ms"

[[notify.channels]]
name = "hook"
type = "webhook"
url = "http://127.0.0.1:{}/hook"
"#,
        receiver.port
    );
    std::fs::write(dir.path().join("bandwatch.toml"), config).expect("config");
    let mut cmd = support::run_on(dir.path(), kernel.root());
    cmd.args(["--interval", "0.1", "--db", "h.db", "--quiet"]);
    let bw = LineChild::spawn(cmd);
    let got = receiver.wait_for(1, std::time::Duration::from_secs(20));
    let (status, _, stderr) = bw.terminate();
    assert!(status.success(), "{stderr}");
    let bodies: String = got.iter().map(|r| r.body.as_str()).collect();
    assert!(bodies.contains("cap-eth0-rx-day"), "{bodies}");
    assert!(bodies.contains("cap_used_percent"), "{bodies}");
}
