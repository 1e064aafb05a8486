//! MQTT publisher settings and failures that need no broker.

use std::net::TcpListener;
use std::time::Duration;

use bandwatch_notify::render::mqtt::TopicPrefix;
use bandwatch_notify::send::mqtt::{MqttPublisher, MqttSettings, SendError};
use bandwatch_notify::Secret;

const PASSWORD: &str = "mqtt-secret-value";

fn settings(port: u16) -> MqttSettings {
    let mut s = MqttSettings::new(
        "127.0.0.1",
        port,
        "bw-settings-test",
        TopicPrefix::parse("bandwatch").expect("prefix"),
    );
    s.timeout = Duration::from_secs(5);
    s
}

fn field_of(err: &SendError) -> &'static str {
    match err {
        SendError::InvalidSetting { field, .. } => field,
        other => panic!("not a settings error: {other}"),
    }
}

#[tokio::test]
async fn invalid_settings_name_the_field() {
    let mut cases = Vec::new();
    let mut s = settings(1883);
    s.host = "broker lan".into();
    cases.push(("host", s));
    cases.push(("port", settings(0)));
    let mut s = settings(1883);
    s.client_id = String::new();
    cases.push(("client_id", s));
    let mut s = settings(1883);
    s.password = Some(Secret::new(PASSWORD));
    cases.push(("password", s));
    let mut s = settings(1883);
    s.timeout = Duration::ZERO;
    cases.push(("timeout", s));
    for (field, s) in cases {
        let err = MqttPublisher::connect(&s).await.expect_err(field);
        assert_eq!(field_of(&err), field, "{err}");
        assert!(err.to_string().contains(&format!("'{field}'")), "{err}");
        assert!(!err.to_string().contains(PASSWORD), "{err}");
    }
}

#[test]
fn password_never_prints() {
    let mut s = settings(1883);
    s.username = Some("bw".into());
    s.password = Some(Secret::new(PASSWORD));
    assert!(!format!("{s:?}").contains(PASSWORD));
}

#[tokio::test]
async fn broker_down_is_retryable_and_names_the_target() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let err = MqttPublisher::connect(&settings(port))
        .await
        .expect_err("nobody listens");
    assert!(err.is_retryable(), "{err}");
    let text = err.to_string();
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(text.contains("check that it runs"), "{text}");
}
