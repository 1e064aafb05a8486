//! A read-only server (`bandwatch serve`): it says so in `/config` and `/status`, answers
//! every change with 409 and a message naming the way to make it, after the same Host,
//! Origin and token guards as any server; reads still work; and the history the state
//! reaches through a [`Reader`] is read inside one consistent read per job.

mod support;

use std::sync::Arc;

use axum::http::StatusCode;
use bandwatch_store::{SqliteOptions, SqliteStore, Store};
use bandwatch_web::{Follow, PageConfig, Reader, WebState};
use support::{get, post, state};

fn read_only(mut s: WebState) -> WebState {
    s.page = Arc::new(PageConfig {
        read_only: true,
        ..s.page.as_ref().clone()
    });
    s
}

#[tokio::test]
async fn the_api_says_it_is_read_only() {
    let s = read_only(state(None));
    assert_eq!(get(&s, "/api/v1/config").await.json()["read_only"], true);
    assert_eq!(get(&s, "/api/v1/status").await.json()["read_only"], true);
    let normal = state(None);
    assert_eq!(
        get(&normal, "/api/v1/config").await.json()["read_only"],
        false
    );
    assert_eq!(
        get(&normal, "/api/v1/status").await.json()["read_only"],
        false
    );
}

#[tokio::test]
async fn changes_are_409_and_nothing_changes() {
    let s = read_only(state(None));
    let id = get(&s, "/api/v1/alerts").await.json()[0]["id"]
        .as_str()
        .expect("an alert")
        .to_string();
    let ack = post(&s, &format!("/api/v1/alerts/{id}/ack"), "{}", &[]).await;
    ack.error(StatusCode::CONFLICT, "read-only");
    assert!(ack.body.contains("bandwatch run"), "{}", ack.body);
    assert!(get(&s, "/api/v1/alerts").await.json()[0]["acked_at"].is_null());

    let silence = post(
        &s,
        "/api/v1/silences",
        r#"{"matcher":"rule=download-threshold","duration":"1h"}"#,
        &[],
    )
    .await;
    silence.error(StatusCode::CONFLICT, "read-only");
    // Whatever the body: nothing it could say would make the change possible.
    post(&s, "/api/v1/silences", "{}", &[])
        .await
        .error(StatusCode::CONFLICT, "read-only");
    assert_eq!(
        get(&s, "/api/v1/silences").await.json(),
        serde_json::json!([])
    );
    // Reads answer as on any server.
    assert_eq!(
        get(&s, "/api/v1/series?metric=net_rx_bits_per_second&start=-1h")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_usual_guards_come_first() {
    let s = read_only(state(Some("sekret")));
    let ack = "/api/v1/alerts/x/ack";
    post(&s, ack, "{}", &[])
        .await
        .error(StatusCode::UNAUTHORIZED, "token");
    let auth = ("authorization", "Bearer sekret");
    post(&s, ack, "{}", &[auth, ("host", "rebind.example:8080")])
        .await
        .error(StatusCode::MISDIRECTED_REQUEST, "web.allowed_hosts");
    post(
        &s,
        ack,
        "{}",
        &[
            auth,
            ("host", "127.0.0.1:8080"),
            ("origin", "http://evil.example"),
        ],
    )
    .await
    .error(StatusCode::FORBIDDEN, "another origin");
    post(&s, ack, "{}", &[auth])
        .await
        .error(StatusCode::CONFLICT, "read-only");
}

#[tokio::test]
async fn a_reader_serves_a_history_opened_read_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("h.db");
    let mut writer = SqliteStore::open(&path, SqliteOptions::default()).expect("writer");
    writer.write(&support::netdev_frames()).expect("write");
    writer
        .record_alerts(&[support::alert_event()])
        .expect("alerts");
    let reader = SqliteStore::open_read_only(&path, SqliteOptions::default()).expect("reader");
    let mut s = read_only(state(None));
    s.history = Arc::new(Reader::start(Box::new(reader)).expect("reader thread"));
    let alerts = get(&s, "/api/v1/alerts").await.json();
    assert_eq!(alerts.as_array().map(Vec::len), Some(1), "{alerts}");
    // The writer goes on; the next read sees it.
    writer
        .acknowledge(
            alerts[0]["id"].as_str().expect("id"),
            support::alert_event().at,
            Some("ops"),
        )
        .expect("ack");
    let alerts = get(&s, "/api/v1/alerts").await.json();
    assert_eq!(alerts[0]["acked_by"], "ops", "{alerts}");
    let series = get(
        &s,
        "/api/v1/series?metric=net_rx_bits_per_second&start=-1h&step=10s",
    )
    .await;
    assert_eq!(series.status, StatusCode::OK, "{}", series.body);
}

#[tokio::test]
async fn a_following_reader_shows_the_newest_recorded_values_as_the_snapshot() {
    use bandwatch_core::{FakeClock, Snapshot};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("h.db");
    let mut writer = SqliteStore::open(&path, SqliteOptions::default()).expect("writer");
    writer.write(&support::netdev_frames()).expect("write");
    let reader = SqliteStore::open_read_only(&path, SqliteOptions::default()).expect("reader");
    // Long after the recording: the first look back finds nothing and reads every minute.
    let clock = FakeClock::new(bandwatch_core::Timestamp(support::NOW + 30 * 86_400_000));
    let snapshot = Snapshot::new(std::sync::Arc::new(clock.clone()), std::time::Duration::MAX);
    let follow = Follow {
        snapshot: snapshot.clone(),
        catalog: bandwatch_collect::catalog(),
        clock: Arc::new(clock.clone()),
        every: std::time::Duration::from_millis(20),
    };
    let mut s = read_only(state(None));
    s.snapshot = snapshot.clone();
    s.history = Arc::new(Reader::following(Box::new(reader), follow).expect("reader thread"));
    // `following` returned once the newest values were read: the snapshot has them.
    let interfaces = get(&s, "/api/v1/interfaces").await.json();
    assert_eq!(interfaces[0]["name"], "eth0", "{interfaces}");
    assert!(
        interfaces[0]["rx_bps"].as_f64().is_some_and(|v| v > 0.0),
        "{interfaces}"
    );
    let (newest, _) = snapshot.all();
    assert_eq!(
        newest.map(|t| t.0 % 60_000),
        Some(0),
        "stamped with its minute"
    );
    // A later recording is picked up without being asked.
    let mut later = support::netdev_frames().pop().expect("a frame");
    later.ts = bandwatch_core::Timestamp(support::NOW + 120_000);
    for sample in &mut later.samples {
        sample.ts = later.ts;
        sample.value *= 3.0;
    }
    writer.write(&[later]).expect("write");
    let moved = || {
        snapshot
            .all()
            .0
            .is_some_and(|t| t.0 >= support::NOW + 60_000)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !moved() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(moved(), "the snapshot did not follow the recording");
}
