//! Bad database URLs and credentials give errors a person can act on, and never show the password.

mod sqlcommon;

use bandwatch_store::{redacted_url, SqlOptions, SqlStore, StoreError};
use sqlcommon::Server;

const SECRET: &str = "Sup3r-Secret-Pw";

/// The server's admin URL (by default `mysql://root@127.0.0.1:3306/test` or
/// `postgres://postgres@127.0.0.1:5432/postgres`) with `password`, and another database.
fn with_password(server: Server, password: &str, database: Option<&str>) -> String {
    let mut url = url::Url::parse(&server.admin_url()).expect("admin url");
    url.set_password(Some(password)).expect("password");
    if let Some(db) = database {
        url.set_path(&format!("/{db}"));
    }
    url.to_string()
}

fn connect_err(url: &str) -> StoreError {
    let err = SqlStore::connect(url, SqlOptions::default()).expect_err("must not connect");
    let (text, debug) = (err.to_string(), format!("{err:?}"));
    assert!(!text.contains(SECRET), "password in message: {text}");
    assert!(!debug.contains(SECRET), "password in Debug: {debug}");
    err
}

#[test]
fn an_unreachable_port_says_so() {
    for scheme in ["mysql", "postgres"] {
        // Port 1 on loopback: nothing listens there.
        let err = connect_err(&format!("{scheme}://root:{SECRET}@127.0.0.1:1/test"));
        assert!(matches!(err, StoreError::Unreachable { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.starts_with("cannot reach the database at 127.0.0.1:1: ")
                && text.ends_with("; is it running?"),
            "{text}"
        );
        assert!(err.is_retryable());
    }
}

#[test]
fn a_wrong_mysql_password_is_refused_without_showing_it() {
    if !Server::MySql.available() {
        return;
    }
    let err = connect_err(&with_password(Server::MySql, SECRET, None));
    assert!(matches!(err, StoreError::AccessDenied { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("the database refused user 'root' (wrong password?)"),
        "{err}"
    );
    // The brief's example URL.
    let err = SqlStore::connect(
        "mysql://root:wrong@127.0.0.1:3306/test",
        SqlOptions::default(),
    )
    .expect_err("must not connect");
    assert!(matches!(err, StoreError::AccessDenied { .. }), "{err:?}");
}

#[test]
fn a_missing_postgres_database_is_named_without_showing_the_password() {
    if !Server::Postgres.available() {
        return;
    }
    // Trust authentication accepts any password, so the database name is what is wrong.
    let err = connect_err(&with_password(
        Server::Postgres,
        SECRET,
        Some("bw_no_such_database"),
    ));
    assert!(matches!(err, StoreError::NoSuchDatabase { .. }), "{err:?}");
    assert!(err.to_string().contains("'bw_no_such_database'"), "{err}");
}

#[test]
fn malformed_urls_name_the_problem() {
    let err = connect_err(&format!("mysql://root:{SECRET}@127.0.0.1:notaport/test"));
    assert!(matches!(err, StoreError::BadUrl { .. }), "{err:?}");
    assert!(err.to_string().contains("invalid port number"), "{err}");
    assert!(err.to_string().contains("root:***@"), "{err}");
    let err = connect_err(&format!("postgres://u:{SECRET}@127.0.0.1:5432"));
    assert!(err.to_string().contains("names no database"), "{err}");
    let err = connect_err(&format!("redis://u:{SECRET}@127.0.0.1/0"));
    assert!(matches!(err, StoreError::UnknownScheme { .. }), "{err:?}");
    assert!(err.to_string().contains("'redis'"), "{err}");
    let err = connect_err("just some text");
    assert!(matches!(err, StoreError::BadUrl { .. }), "{err:?}");
}

#[test]
fn redaction_hides_passwords_everywhere() {
    assert_eq!(
        redacted_url(&format!(
            "mysql://root:{SECRET}@db:3306/bw?password={SECRET}"
        )),
        "mysql://root:***@db:3306/bw?password=***"
    );
}
