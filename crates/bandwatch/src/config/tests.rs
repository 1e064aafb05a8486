//! Configuration tests that need the whole module: the example file, defaults, layering.

use std::path::Path;
use std::time::Duration;

use clap::Parser as _;

use super::*;
use crate::cli::Cli;

/// The key flags of `bandwatch ARGS`.
fn parse_flags(args: &[&str]) -> FlagValues {
    Cli::try_parse_from(std::iter::once("bandwatch").chain(args.iter().copied()))
        .expect("valid flags")
        .flags()
        .expect("flags the command takes")
}

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
        assert!(
            text.contains(&format!("{} =", key.field())),
            "bandwatch.example.toml does not document {}",
            key.name
        );
        assert!(
            text.contains(key.env_name()),
            "bandwatch.example.toml does not name {}",
            key.env_name()
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
    let opts = parse_flags(&["--json"]);
    let r = resolve(None, &opts, &env, dir.path()).expect("valid");
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
    let r = resolve(None, &FlagValues::default(), &env, dir.path()).expect("0.1 s is allowed");
    assert_eq!(r.config.monitor.interval, Duration::from_millis(100));
}

#[test]
fn flags_set_their_keys_with_their_origin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = parse_flags(&[
        "config",
        "check",
        "--quiet",
        "--interface",
        "eth*",
        "--interface",
        "wl*",
        "--no-web",
        "--prometheus-port",
        "9100",
    ]);
    assert!(!opts.switched("--json"));
    let r = resolve(None, &opts, &EnvVars::default(), dir.path()).expect("valid");
    assert_eq!(r.config.output, OutputMode::Quiet);
    assert_eq!(r.config.monitor.interfaces, ["eth*", "wl*"]);
    assert!(!r.config.web.enabled);
    assert_eq!(r.config.prometheus.addr.port(), 9100);
    assert_eq!(r.origins["monitor.interfaces"], Origin::Flag("--interface"));
    assert_eq!(r.origins["web.enabled"], Origin::Flag("--no-web"));
    assert!(parse_flags(&["--json"]).switched("--json"));
    assert!(Cli::try_parse_from(["bandwatch", "--json", "--quiet"]).is_err());
}

#[test]
fn every_key_with_a_default_is_valid_and_rendered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = resolve(
        None,
        &FlagValues::default(),
        &EnvVars::default(),
        dir.path(),
    )
    .expect("valid");
    let text = render(&r);
    for key in keys::ALL {
        let line = text.lines().find(|l| {
            l.starts_with(&format!("{} = ", key.field()))
                || *l == format!("# {} is not set", key.field())
        });
        assert!(
            line.is_some(),
            "config check does not show {}:\n{text}",
            key.name
        );
        assert_eq!(
            key.default.is_some(),
            r.origins.contains_key(key.name),
            "{}",
            key.name
        );
    }
}

#[test]
fn a_channel_is_typed_after_validation() {
    let c = from_file_text(
        "[[notify.channels]]\nname = \"m\"\ntype = \"email\"\nserver = \"mx\"\nport = 465\ntls = \"implicit\"\nfrom = \"a@example.com\"\nto = [\"b@example.com\"]\n",
        Path::new("t.toml"),
    )
    .expect("valid");
    let ch = &c.notify.channels[0].value;
    assert_eq!(ch.kind, notify::ChannelKind::Email);
    assert_eq!(ch.tls, notify::TlsMode::Implicit);
    let err = from_file_text(
        "[[notify.channels]]\nname = \"m\"\ntype = \"email\"\nserver = \"mx\"\ntls = \"ssl\"\nfrom = \"a@example.com\"\nto = [\"b@example.com\"]\n",
        Path::new("t.toml"),
    )
    .expect_err("unknown tls");
    assert!(
        err.to_string()
            .contains("field 'tls' 'ssl' is not starttls, implicit or plain"),
        "{err}"
    );
}

/// A configuration that sets a bit of everything, with secrets in the file and in the
/// environment.
const RICH: &str = r#"
[monitor]
interval = 0.5
interfaces = ["eth*"]

[thresholds]
upload_mbps = 20

[store]
url = "postgres://db.example/bw"

[web]
auto_refresh = false

[probe]
targets = ["192.0.2.1", { name = "nas", target = "tcp://192.0.2.2:22", interval = "10s", rtt_limit = "50ms", loss_limit = 5.0, count = 3 }]

[[rules]]
name = "wan-spike"
metric = "net_rx_bits_per_second"
match = { iface = "eth*" }
condition = "spike"
factor = 2.5
window = 30
severity = "high"
for = "10s"

[[rules]]
name = "wan-busy"
metric = "net_tx_bits_per_second"
condition = "threshold"
above = 80e6
steps = [{ above = 80e6, severity = "medium" }, { above = 95e6, severity = "critical" }]

[notify]
group_window = "1m"
dashboard_url = "http://bw.lan:8080/"
url_notify = "https://hooks.example.com/T0/SECRETPATH0"

[[notify.channels]]
name = "ops"
type = "email"
server = "smtp.example.com"
port = 465
tls = "implicit"
username = "bw"
password = "SECRETPASSWORD"
from = "bw@example.com"
to = ["ops@example.com"]
subject = "[{severity}] {subject}"

[[notify.channels]]
name = "hook"
type = "webhook"
url = "https://hooks.example.com/T1/SECRETPATH1"
secret = "SECRETHMAC"
headers = { Authorization = "Bearer SECRETBEARER" }
match = { iface = "eth*" }
min_severity = "high"
timeout = "5s"
send_resolved = false

[[notify.channels]]
name = "tg"
type = "telegram"
bot_token = "123:SECRETBOT"
chat_id = "42"

[[notify.channels]]
name = "mq"
type = "mqtt"
host = "broker.lan"
prefix = "home/bw"
discovery = true
"#;

/// The configuration without what `config check` hides: where channels were written, and
/// the secrets of channels (written as placeholders to put back).
fn comparable(mut c: Config) -> Config {
    for ch in &mut c.notify.channels {
        ch.origin = Origin::Default;
        let v = &mut ch.value;
        v.url = None;
        v.secret = None;
        v.password = None;
        v.bot_token = None;
        v.headers.clear();
    }
    c
}

/// Lines that are values, without the origin comments.
fn values_only(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split("  # ").next().unwrap_or(l).to_string())
        .collect()
}

/// The defect: `config check > out.toml; config check --config out.toml` failed. Its output
/// is a config that reads back to the same configuration, and prints the same again.
#[test]
fn config_check_output_reads_back_to_the_same_configuration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = dir.path().join("first.toml");
    std::fs::write(&first, RICH).expect("write");
    let env = EnvVars::from_pairs([
        ("BANDWATCH_WEB_TOKEN", "SECRETWEBTOKEN"),
        ("BANDWATCH_INFLUXDB_TOKEN", "SECRETINFLUX"),
        ("SMTP_SERVER", "mail.example.com"),
        ("EMAIL_USER", "seed@example.com"),
        ("EMAIL_PASSWORD", "SECRETSEED"),
        ("ALERT_RECIPIENTS", "noc@example.com"),
    ]);
    let flags = FlagValues::default();
    let r1 = resolve(Some(&first), &flags, &env, dir.path()).expect("valid");
    let out1 = render(&r1);
    assert!(!out1.contains("SECRET"), "a secret was printed:\n{out1}");
    let doc: toml::Table = toml::from_str(&out1).unwrap_or_else(|e| panic!("{e}\n{out1}"));
    assert!(
        doc.contains_key("rules") && doc.contains_key("notify"),
        "{out1}"
    );

    let second = dir.path().join("second.toml");
    std::fs::write(&second, &out1).expect("write");
    let r2 =
        resolve(Some(&second), &flags, &env, dir.path()).unwrap_or_else(|e| panic!("{e}\n{out1}"));
    assert_eq!(comparable(r2.config.clone()), comparable(r1.config.clone()));
    assert_eq!(r2.config.web.token.as_deref(), Some("SECRETWEBTOKEN"));
    assert_eq!(values_only(&render(&r2)), values_only(&out1));
}

#[test]
fn config_check_output_of_the_defaults_reads_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let flags = FlagValues::default();
    let r1 = resolve(None, &flags, &EnvVars::default(), dir.path()).expect("defaults");
    let out = render(&r1);
    let file = dir.path().join("out.toml");
    std::fs::write(&file, &out).expect("write");
    let r2 = resolve(Some(&file), &flags, &EnvVars::default(), dir.path()).expect("reads back");
    assert_eq!(r2.config, r1.config);
    let headers: Vec<&str> = out.lines().filter(|l| l.starts_with('[')).collect();
    let mut unique = headers.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(
        headers.len(),
        unique.len(),
        "a table written twice: {headers:?}"
    );
}

/// The README's table of the replaced scripts' names lists every one bandwatch reads, beside
/// the key it sets (the reserved names join it when their keys are declared).
#[test]
fn readme_lists_every_seed_name_with_its_key() {
    let readme = include_str!("../../../../README.md");
    let table = readme
        .split("| old name | bandwatch key | notes |")
        .nth(1)
        .expect("the README has the table")
        .split("\n\n")
        .next()
        .unwrap_or_default();
    for name in keys::seed_env_names() {
        let row = table
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("{name} is not in the README's table"));
        let key_of = keys::ALL.iter().find(|k| {
            k.env.iter().any(|e| match *e {
                super::key::Env::Var(v)
                | super::key::Env::Minutes(v)
                | super::key::Env::BytesPerSecond(v) => v == name,
                super::key::Env::HostPort { host, port } => host == name || port == name,
            })
        });
        if let Some(key) = key_of {
            assert!(row.contains(&format!("`{}`", key.name)), "{name}: {row}");
        }
    }
}
