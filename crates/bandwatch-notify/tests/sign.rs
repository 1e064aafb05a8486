//! HMAC-SHA256 signing of webhook bodies.

use bandwatch_notify::render::webhook::{sign, SIGNATURE_HEADER};
use bandwatch_notify::Secret;

#[test]
fn rfc4231_case_2() {
    let sig = sign(b"what do ya want for nothing?", &Secret::new("Jefe"));
    assert_eq!(
        sig,
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn long_keys_and_header_name() {
    assert_eq!(sign(b"x", &Secret::new("k".repeat(200))).len(), 64);
    assert_eq!(SIGNATURE_HEADER, "X-Bandwatch-Signature");
}

#[test]
fn secrets_do_not_print() {
    let s = Secret::new("hunter2");
    assert_eq!(format!("{s:?}"), "Secret(***)");
    assert_eq!(s.expose(), "hunter2");
}
