//! Subject templates: placeholders, literal braces and validation errors.

mod common;

use bandwatch_notify::render::email::{SubjectTemplate, DEFAULT_SUBJECT};
use bandwatch_notify::NotifyError;

#[test]
fn default_matches_the_documented_text() {
    assert_eq!(
        SubjectTemplate::parse(DEFAULT_SUBJECT).expect("default"),
        SubjectTemplate::default()
    );
}

#[test]
fn fills_every_placeholder() {
    let t = SubjectTemplate::parse("{{bw}} {count}x {severity}/{state} {rule} @ {subject}")
        .expect("valid");
    assert_eq!(
        t.render(&common::all()),
        "{bw} 4x CRITICAL/firing wan_rx_high, link_down @ eth0, eth1"
    );
    assert_eq!(
        t.render(&[common::resolved()]),
        "{bw} 1x CRITICAL/resolved wan_rx_high @ eth0"
    );
}

#[test]
fn unknown_placeholder_is_an_error_naming_it() {
    let err = SubjectTemplate::parse("alert {host}").expect_err("unknown");
    assert!(matches!(&err, NotifyError::UnknownPlaceholder { name, .. } if name == "host"));
    assert!(
        err.to_string().contains("unknown placeholder '{host}'"),
        "{err}"
    );
    assert!(err.to_string().contains("{severity}"), "{err}");
}

#[test]
fn unbalanced_braces_are_errors() {
    for bad in ["alert {rule", "alert } x", "{"] {
        let err = SubjectTemplate::parse(bad).expect_err(bad);
        assert!(
            matches!(err, NotifyError::UnbalancedBrace { .. }),
            "{bad}: {err}"
        );
    }
}
