//! Configuration tests that need the whole module: the example file, defaults, layering.

use std::path::Path;
use std::time::Duration;

use super::*;
use crate::cli::Options;

#[test]
fn example_config_parses_and_equals_the_defaults() {
    let text = include_str!("../../../../bandwatch.example.toml");
    let parsed = from_file_text(text, Path::new("bandwatch.example.toml"))
        .expect("example config must be valid");
    assert_eq!(parsed, defaults());
}

#[test]
fn example_config_documents_every_key() {
    let text = include_str!("../../../../bandwatch.example.toml");
    for key in keys::ALL {
        let name = key.file.split_once('.').map_or(key.file, |(_, n)| n);
        assert!(
            text.contains(&format!("{name} =")),
            "bandwatch.example.toml does not document {}",
            key.file
        );
        assert!(
            text.contains(key.env),
            "bandwatch.example.toml does not name {}",
            key.env
        );
    }
}

#[test]
fn defaults_are_the_documented_ones() {
    let d = defaults();
    assert_eq!(d.monitor.interval, Duration::from_secs(1));
    assert_eq!(d.monitor.duration, None);
    assert!((d.thresholds.upload_bps - 50e6).abs() < 1.0);
    assert!((d.thresholds.download_bps - 100e6).abs() < 1.0);
    assert_eq!(d.store.path, Path::new("./data/bandwatch.db"));
    assert_eq!(d.store.raw_retention, Duration::from_secs(48 * 3600));
    assert_eq!(d.store.minute_retention, Duration::from_secs(30 * 86_400));
    assert_eq!(d.output, OutputMode::Console);
}

#[test]
fn flags_beat_env_beat_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("bandwatch.toml"),
        "[thresholds]\nupload_mbps = 10\ndownload_mbps = 20\n",
    )
    .expect("write");
    let env = EnvVars::from_pairs([("BANDWATCH_DOWNLOAD_THRESHOLD", "30")]);
    let opts = Options {
        json: true,
        ..Options::default()
    };
    let r = resolve(&opts, &env, dir.path()).expect("valid");
    assert!((r.config.thresholds.upload_bps - 10e6).abs() < 1.0);
    assert!((r.config.thresholds.download_bps - 30e6).abs() < 1.0);
    assert_eq!(r.config.output, OutputMode::Json);
    assert_eq!(
        r.origins["thresholds.download_mbps"],
        Origin::Env("BANDWATCH_DOWNLOAD_THRESHOLD".into())
    );
}

#[test]
fn sub_second_interval_is_accepted_down_to_a_tenth() {
    let env = EnvVars::from_pairs([("BANDWATCH_INTERVAL", "0.1")]);
    let dir = tempfile::tempdir().expect("tempdir");
    let r = resolve(&Options::default(), &env, dir.path()).expect("0.1 s is allowed");
    assert_eq!(r.config.monitor.interval, Duration::from_millis(100));
}
