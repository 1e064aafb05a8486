//! Scheduled summaries (`[[reports]]`) from the real binary to real receivers on 127.0.0.1:
//! an aiosmtpd mail sink and an HTTP webhook receiver. The history holds yesterday's traffic
//! (generated, so its totals are known); the daily report is due at 00:00 today, which the
//! agent missed, so it goes out at start: one mail with the chart inline and one webhook
//! POST, with the exact totals. A restart sends nothing again.
//!
//! Skips with "SKIPPED" when aiosmtpd is missing, and fails instead when
//! BANDWATCH_REQUIRE_ROOT_TESTS=1.

mod support;

#[path = "support/gen_history.rs"]
mod gen_history;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bandwatch_core::{
    Clock as _, Frame, Labels, SampleKind, Seconds, SeriesKey, SystemClock, Timestamp,
};
use bandwatch_store::{SqliteOptions, SqliteStore, Store as _};
use bandwatch_testkit::{free_port, require};
use serde_json::Value;
use support::mail::{aiosmtpd_missing, email_channel, part, Sink, WAIT};
use support::receiver::Receiver;
use support::{bandwatch, LineChild};

const DAY_MS: i64 = 86_400_000;
/// Samples of the generated history: two hours at ten seconds.
const SAMPLES: i64 = 720;

/// The loopback-free total of the generated interfaces, as the agent writes it, so the
/// summary's chart has bars.
fn add_total(db: &Path, known: &gen_history::Known) -> (u64, u64) {
    let mut store = SqliteStore::open(db, SqliteOptions::default()).expect("store");
    let key = |m: &str| Arc::new(SeriesKey::new(m, Labels::from_pairs([("scope", "total")])));
    let (mut rx_sum, mut tx_sum) = (0u64, 0u64);
    let frames: Vec<Frame> = known
        .times
        .iter()
        .zip(known.eth0_rx.iter().zip(&known.eth0_tx))
        .map(|(t, (rx, tx))| {
            // eth0 plus wlan0's 100 B down
            let (rx, tx) = (rx + 100.0, *tx);
            rx_sum += rx as u64;
            tx_sum += tx as u64;
            let mut f = Frame::new("netdev", *t, Seconds(gen_history::TICK_S as f64));
            f.push(key("net_rx_bytes"), rx, SampleKind::Delta);
            f.push(key("net_tx_bytes"), tx, SampleKind::Delta);
            f
        })
        .collect();
    store.write(&frames).expect("write");
    store.flush().expect("flush");
    let last = *known.times.last().expect("samples");
    store
        .maintain(last.add_millis(3_600_000))
        .expect("maintain");
    (rx_sum, tx_sum)
}

fn config(mail_port: u16, hook_port: u16) -> String {
    format!(
        r#"
[notify]
retry_base = "100ms"
retry_max = "500ms"

[[notify.channels]]
{}
[[notify.channels]]
name = "noc"
type = "webhook"
url = "http://127.0.0.1:{hook_port}/hooks/summary"

[[caps]]
interface = "eth0"
limit = "40MB"
period = "day"

[[reports]]
schedule = "daily 00:00"
"#,
        email_channel(mail_port)
    )
}

fn run(dir: &Path) -> LineChild {
    let mut cmd = bandwatch(dir);
    cmd.env("TZ", "UTC0")
        .args(["run", "--interval", "0.2", "--db", "h.db", "--quiet"]);
    LineChild::spawn(cmd)
}

#[test]
fn a_missed_daily_summary_goes_out_at_start_by_mail_and_webhook_once() {
    if !require(
        "scheduled summaries e2e",
        &aiosmtpd_missing(),
        "run `bash .ci/deps/smtp.sh`",
    ) {
        return;
    }
    let mail_dir = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    let now = SystemClock::new().wall();
    let today = now.millis().div_euclid(DAY_MS) * DAY_MS;
    // Yesterday 10:00 to 12:00 UTC.
    let t0 = Timestamp(today - DAY_MS + 10 * 3_600_000);
    let db = dir.path().join("h.db");
    let known = gen_history::write(&db, t0, SAMPLES);
    let (total_rx, total_tx) = add_total(&db, &known);
    let eth0_rx: u64 = known.eth0_rx.iter().map(|b| *b as u64).sum();

    let mail_port = free_port();
    let sink = Sink::start(mail_port, mail_dir.path());
    let hook = Receiver::start(0, Vec::new(), false);
    std::fs::write(
        dir.path().join("bandwatch.toml"),
        config(mail_port, hook.port),
    )
    .expect("config");
    let bw = run(dir.path());
    let mails = sink.wait_for(1);
    let posts = hook.wait_for(1, WAIT);
    let (status, _, stderr) = bw.terminate();
    assert!(status.success(), "{stderr}");

    // The mail: text, HTML and the chart, which the HTML shows by its Content-ID.
    let m = &mails[0];
    let day = chrono::DateTime::from_timestamp_millis(t0.millis())
        .expect("day")
        .format("%a %-d %b %Y")
        .to_string();
    let subject = m["subject"].as_str().expect("subject");
    assert!(
        subject.starts_with(&format!("bandwatch daily summary for {day} on ")),
        "{subject}"
    );
    assert_eq!(m["content_type"], "multipart/alternative");
    // Mail carries lines ending in CRLF.
    let text = part(m, "text/plain").replace("\r\n", "\n");
    assert!(text.contains("eth0"), "{text}");
    assert!(
        text.starts_with(&format!("{subject}\n\nPeriod: ")),
        "{text}"
    );
    assert!(text.contains("Alerts"), "alerts of the period: {text}");
    assert!(text.contains("eth0-day"), "the caps: {text}");
    let html = part(m, "text/html");
    assert!(html.contains("src=\"cid:chart@bandwatch\""), "{html}");
    assert!(html.contains("upload-spike"), "the period's alerts: {html}");
    let image = m["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .find(|p| p["content_type"] == "image/png")
        .unwrap_or_else(|| panic!("no inline chart: {m}"));
    assert_eq!(image["content_id"], "<chart@bandwatch>");
    assert_eq!(image["disposition"], "inline");
    let png = base64_decode(image["base64"].as_str().expect("base64"));
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG image");

    // The webhook: the summary's JSON, with the exact totals of yesterday.
    let body: Value = serde_json::from_str(&posts[0].body).expect("JSON body");
    assert_eq!(body["kind"], "bandwatch.summary");
    assert_eq!(body["version"], 1);
    assert_eq!(body["report"], "daily");
    assert_eq!(body["schedule"], "daily 00:00");
    assert_eq!(body["period"]["label"], day);
    let eth0 = body["analysis"]["interfaces"]
        .as_array()
        .expect("interfaces")
        .iter()
        .find(|i| i["iface"] == "eth0")
        .expect("eth0");
    assert_eq!(eth0["rx"]["bytes"], eth0_rx);
    assert_eq!(eth0["tx"]["bytes"], 500 * SAMPLES);
    let bars = body["traffic"].as_array().expect("traffic");
    assert_eq!(bars.len(), 24, "one bar per hour of the day");
    let sum = |k: &str| {
        bars.iter()
            .map(|b| b[k].as_u64().expect("bytes"))
            .sum::<u64>()
    };
    assert_eq!((sum("rx_bytes"), sum("tx_bytes")), (total_rx, total_tx));
    assert!(
        body["analysis"]["alerts"]
            .as_array()
            .is_some_and(|a| !a.is_empty()),
        "{body}"
    );
    // The day's cap as it stood at the day's end: over, with eth0's exact bytes.
    let cap = &body["analysis"]["caps"][0];
    assert_eq!(cap["name"], "eth0-day");
    assert_eq!(cap["used_bytes"], eth0_rx + 500 * SAMPLES as u64);
    assert_eq!(cap["over"], true);

    // A restart the same day: the summary is in the outbox, nothing goes out again.
    let bw = run(dir.path());
    std::thread::sleep(Duration::from_secs(3));
    let (status, _, stderr) = bw.terminate();
    assert!(status.success(), "{stderr}");
    assert_eq!(sink.messages().len(), 1, "one mail");
    assert_eq!(hook.requests().len(), 1, "one POST");
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64")
}
