//! Property tests of the whole loader: hostile file text, hostile values for every key (in
//! the file, the environment and on the command line), and every section that holds lists.
//! The loader must never panic, and every rejection must be a clear error: one line, no
//! control character, saying where the value was set and what to do. Case counts are
//! bounded so this runs in seconds in a debug build.

use std::fmt::Write as _;
use std::path::Path;

use clap::Parser as _;
use proptest::prelude::*;

use super::key::KeyDef;
use super::{keys, resolve, ConfigError, EnvVars};
use crate::cli::Cli;

/// Values no sane config has, as TOML literals: huge, negative, not numbers, the wrong type,
/// odd text (controls, line separators, emoji, right-to-left marks), empty.
const HOSTILE: &[&str] = &[
    "1e30",
    "-1e30",
    "1e308",
    "nan",
    "-nan",
    "inf",
    "-inf",
    "-0.0",
    "0",
    "-1",
    "0.0000001",
    "9223372036854775807",
    "-9223372036854775808",
    "true",
    "\"\"",
    "\"   \"",
    "\"1e30\"",
    "\"1e30s\"",
    "\"-5s\"",
    "\"18446744073709551616ms\"",
    "\"99999999999999999999years\"",
    "\"nan\"",
    "\"0s\"",
    "\"1ns\"",
    "\"e\\u001b[31m\"",
    "\"u\\u2028x\\u2029\"",
    "\"\\u0000\"",
    "\"\\u202eevil\"",
    "\"\u{1F642}\u{FE0F}\"",
    "\"ü*\"",
    "\"[\"",
    "\"::\"",
    "\"http://\"",
    "\"tcp://[::1]:99999\"",
    "\"/\"",
    "\"/dev/null/x\"",
    "[]",
    "[\"a\", 1]",
    "[\"\\u001b\"]",
    "{}",
    "{ a = 1 }",
    "2026-01-01T00:00:00Z",
];

/// Raw environment texts no sane setup has.
const HOSTILE_ENV: &[&str] = &[
    "1e30",
    "-1e30",
    "NaN",
    "inf",
    "-1",
    "0",
    "18446744073709551616",
    "99999999999999999999h",
    "1e30s",
    ",,,",
    "0x10",
    "e\u{1b}[31m",
    "u\u{2028}x",
    "true,false",
    "   ",
    "[::1]:0",
    "999.999.999.999:99999",
];

/// A TOML basic string holding `s`, every control character escaped.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TOML literal for any float (TOML spells the special ones `nan`, `inf`, `-inf`).
fn toml_float(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{v:?}")
    }
}

/// A value as a TOML literal: hostile, arbitrary text, any float or any integer.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(HOSTILE).prop_map(str::to_owned),
        2 => any::<String>().prop_map(|s| toml_string(&s)),
        1 => any::<f64>().prop_map(toml_float),
        1 => any::<i64>().prop_map(|v| v.to_string()),
    ]
}

/// One of the keys of the key table.
fn key() -> impl Strategy<Value = &'static KeyDef> {
    prop::sample::select(keys::ALL)
}

/// Fields that tables of lists take, with a few that none takes.
const LIST_FIELDS: &[&str] = &[
    "name",
    "type",
    "url",
    "timeout",
    "server",
    "port",
    "tls",
    "allow_plain",
    "from",
    "to",
    "subject",
    "bot_token",
    "chat_id",
    "host",
    "prefix",
    "min_severity",
    "match",
    "headers",
    "metric",
    "condition",
    "above",
    "below",
    "factor",
    "window",
    "for",
    "within",
    "severity",
    "steps",
    "target",
    "interval",
    "count",
    "rtt_limit",
    "loss_limit",
    "tls_verify",
    "bogus",
];

/// A `[[rules]]`, `[[notify.channels]]` or `[[probe.targets]]` entry with random fields.
fn list_entry() -> impl Strategy<Value = String> {
    let header =
        prop::sample::select(&["[[rules]]", "[[notify.channels]]", "[[probe.targets]]"][..]);
    let fields = prop::collection::btree_map(prop::sample::select(LIST_FIELDS), value(), 0..6);
    let kind = prop::sample::select(
        &[
            "webhook",
            "email",
            "slack",
            "mqtt",
            "telegram",
            "threshold",
            "rate",
            "pager",
        ][..],
    );
    (header, fields, kind).prop_map(|(header, fields, kind)| {
        let mut text =
            format!("{header}\nname = \"x\"\ntype = \"{kind}\"\ncondition = \"{kind}\"\n");
        for (field, value) in fields {
            let _ = writeln!(text, "{field} = {value}");
        }
        text
    })
}

/// Config file text: hostile values for known keys grouped under their sections, `[notify]`
/// keys, list entries, and now and then a line of junk.
fn file_text() -> impl Strategy<Value = String> {
    let keyed = prop::collection::btree_map(key().prop_map(|k| k.name), value(), 0..8);
    let notify = prop::collection::btree_map(
        prop::sample::select(
            &[
                "group_window",
                "group_wait",
                "send_resolved",
                "dashboard_url",
                "url_notify",
                "retry_base",
                "retry_max",
            ][..],
        ),
        value(),
        0..3,
    );
    let lists = prop::collection::vec(list_entry(), 0..3);
    let junk = prop::option::weighted(0.2, any::<String>());
    (keyed, notify, lists, junk).prop_map(|(keyed, notify, lists, junk)| {
        let mut text = String::new();
        let mut section = "";
        for (name, value) in keyed {
            let (s, field) = name.split_once('.').unwrap_or(("", name));
            if s != section {
                section = s;
                let _ = writeln!(text, "[{s}]");
            }
            let _ = writeln!(text, "{field} = {value}");
        }
        if !notify.is_empty() {
            text.push_str("[notify]\n");
            for (field, value) in notify {
                let _ = writeln!(text, "{field} = {value}");
            }
        }
        for entry in lists {
            text.push_str(&entry);
        }
        if let Some(junk) = junk {
            text.push_str(&junk);
        }
        text
    })
}

/// Fails unless `e` reads as a clear error: one line without control characters, saying
/// where the value came from and, after a `;`, what to do.
fn assert_clear(e: &ConfigError) -> Result<(), TestCaseError> {
    let msg = e.to_string();
    prop_assert!(!msg.trim().is_empty());
    prop_assert!(
        !msg.chars()
            .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')),
        "a raw control character in {:?}",
        msg
    );
    let places = [
        "line ",
        "environment variable ",
        "command-line flag ",
        ".env",
        "config file",
    ];
    prop_assert!(
        places.iter().any(|p| msg.contains(p)),
        "does not say where: {}",
        msg
    );
    prop_assert!(msg.contains("; "), "does not say what to do: {}", msg);
    Ok(())
}

/// Resolves with the config file `text` (if any), the environment `env` and the command line
/// `args`; an error must be clear, and a configuration that resolves must also build its
/// interface source (the globs are compiled there).
fn check(
    dir: &Path,
    text: Option<&str>,
    env: &[(&str, &str)],
    args: &[String],
) -> Result<(), TestCaseError> {
    let file = dir.join("bandwatch.toml");
    match text {
        Some(t) => std::fs::write(&file, t).expect("write the config"),
        None => {
            let _ = std::fs::remove_file(&file);
        }
    }
    let command_line = ["bandwatch", "config", "check"]
        .into_iter()
        .map(String::from)
        .chain(args.iter().cloned());
    let Ok(cli) = Cli::try_parse_from(command_line) else {
        // clap refused a flag's value itself: its own message, exit 2.
        return Ok(());
    };
    let env = EnvVars::from_pairs(env.iter().copied());
    let flags = cli.flags().expect("config check takes every flag");
    match resolve(cli.config.as_deref(), &flags, &env, dir) {
        Ok(resolved) => {
            let _ = super::render(&resolved);
            let _ = crate::wiring::sources::netdev_source(&resolved.config);
            Ok(())
        }
        Err(e) => assert_clear(&e),
    }
}

/// A key's variables and flags that take a value.
fn env_vars(key: &KeyDef) -> Vec<&'static str> {
    key.env
        .iter()
        .flat_map(|e| match *e {
            super::key::Env::Var(v)
            | super::key::Env::Minutes(v)
            | super::key::Env::BytesPerSecond(v) => vec![v],
            super::key::Env::HostPort { host, port } => vec![host, port],
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_file_text_loads_or_is_refused_clearly(text in file_text()) {
        let dir = tempfile::tempdir().expect("tempdir");
        check(dir.path(), Some(&text), &[], &[])?;
    }

    #[test]
    fn any_bytes_as_a_file_are_refused_clearly_or_load(
        bytes in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("bandwatch.toml"), &bytes).expect("write");
        let cli = Cli::try_parse_from(["bandwatch", "config", "check"]).expect("cli");
        let flags = cli.flags().expect("no flags");
        if let Err(e) = resolve(None, &flags, &EnvVars::default(), dir.path()) {
            assert_clear(&e)?;
        }
    }

    #[test]
    fn any_environment_value_loads_or_is_refused_clearly(
        settings in prop::collection::vec(
            (key(), prop_oneof![
                3 => prop::sample::select(HOSTILE_ENV).prop_map(str::to_owned),
                1 => any::<String>(),
            ]),
            1..6,
        ),
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let env: Vec<(&str, &str)> = settings
            .iter()
            .flat_map(|(k, v)| env_vars(k).into_iter().map(move |var| (var, v.as_str())))
            .collect();
        check(dir.path(), None, &env, &[])?;
    }

    #[test]
    fn any_flag_value_loads_or_is_refused_clearly(
        settings in prop::collection::vec(
            (key(), prop_oneof![
                3 => prop::sample::select(HOSTILE_ENV).prop_map(str::to_owned),
                1 => "[^\u{0}]{0,12}",
            ]),
            1..4,
        ),
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut args = Vec::new();
        for (key, v) in &settings {
            for flag in key.flags.iter().filter(|f| f.sets.is_none()) {
                // `--flag=value`, so a value starting with '-' is a value, not a flag.
                args.push(format!("{}={v}", flag.name));
            }
        }
        check(dir.path(), None, &[], &args)?;
    }
}
