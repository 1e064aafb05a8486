//! The files under `deploy/` (docker compose, Prometheus, Alertmanager, Grafana, systemd)
//! stay consistent with each other and with the metric names bandwatch exports: every YAML
//! file parses, the compose file runs the five services with bandwatch's exporter on, the
//! dashboard only uses provisioned data sources, every `bandwatch_*` name in the dashboard,
//! the rules and the rule tests is in the exporter's contract, and `promtool check config`,
//! `promtool check rules` and `promtool test rules` pass. Without promtool the promtool test
//! prints `SKIPPED` and passes, unless BANDWATCH_REQUIRE_ROOT_TESTS=1.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;
use serde_yaml_ng::Value as Yaml;

/// The exported Prometheus names (the exporter contract). Names not listed here must not
/// appear in the dashboard or the rules; a new metric has to be added here too.
const EXPORTED: &[&str] = &[
    // Network, per interface (label `device`).
    "bandwatch_network_receive_bytes_total",
    "bandwatch_network_transmit_bytes_total",
    "bandwatch_network_receive_packets_total",
    "bandwatch_network_transmit_packets_total",
    "bandwatch_network_receive_errs_total",
    "bandwatch_network_transmit_errs_total",
    "bandwatch_network_receive_drop_total",
    "bandwatch_network_transmit_drop_total",
    "bandwatch_network_receive_multicast_total",
    "bandwatch_network_receive_bytes_per_second",
    "bandwatch_network_transmit_bytes_per_second",
    "bandwatch_network_receive_packets_per_second",
    "bandwatch_network_transmit_packets_per_second",
    "bandwatch_network_up",
    "bandwatch_network_carrier",
    "bandwatch_network_speed_bytes",
    // System.
    "bandwatch_cpu_busy_ratio",
    "bandwatch_load1",
    "bandwatch_load5",
    "bandwatch_load15",
    "bandwatch_memory_total_bytes",
    "bandwatch_memory_available_bytes",
    "bandwatch_memory_used_ratio",
    "bandwatch_swap_total_bytes",
    "bandwatch_swap_free_bytes",
    "bandwatch_swap_used_ratio",
    "bandwatch_filesystem_size_bytes",
    "bandwatch_filesystem_avail_bytes",
    "bandwatch_filesystem_used_ratio",
    "bandwatch_disk_read_bytes_total",
    "bandwatch_disk_written_bytes_total",
    "bandwatch_disk_read_bytes_per_second",
    "bandwatch_disk_write_bytes_per_second",
    // Probes (label `target`).
    "bandwatch_probe_up",
    "bandwatch_probe_loss_ratio",
    "bandwatch_probe_rtt_seconds",
    "bandwatch_probe_jitter_seconds",
    "bandwatch_probe_http_status_code",
    "bandwatch_probe_sent_total",
    "bandwatch_probe_received_total",
    "bandwatch_probe_uptime_ratio",
    // Alerts and bandwatch itself.
    "bandwatch_alerts_firing",
    "bandwatch_alert_events_total",
    "bandwatch_source_frames_total",
    "bandwatch_source_errors_total",
    "bandwatch_source_last_frame_timestamp_seconds",
    "bandwatch_source_duration_seconds",
    "bandwatch_build_info",
    "bandwatch_exporter_series",
];

const SERVICES: &[&str] = &[
    "bandwatch",
    "prometheus",
    "alertmanager",
    "influxdb",
    "grafana",
];

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

fn read(rel: &str) -> String {
    let path = deploy().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml(rel: &str) -> Yaml {
    serde_yaml_ng::from_str(&read(rel)).unwrap_or_else(|e| panic!("deploy/{rel}: {e}"))
}

fn dashboard() -> Json {
    serde_json::from_str(&read("grafana/dashboards/bandwatch.json"))
        .unwrap_or_else(|e| panic!("deploy/grafana/dashboards/bandwatch.json: {e}"))
}

/// `value[key]` as a string, or a panic naming `what`.
fn str_at<'a>(value: &'a Yaml, key: &str, what: &str) -> &'a str {
    value
        .get(key)
        .and_then(Yaml::as_str)
        .unwrap_or_else(|| panic!("{what}: no string `{key}` in {value:?}"))
}

fn seq<'a>(value: &'a Yaml, key: &str, what: &str) -> &'a [Yaml] {
    value
        .get(key)
        .and_then(Yaml::as_sequence)
        .map_or_else(|| panic!("{what}: no list `{key}`"), Vec::as_slice)
}

/// Every file under `dir` (recursively) whose name ends in one of `exts`.
fn files(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            files(&path, exts, out);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| exts.contains(&e))
        {
            out.push(path);
        }
    }
}

/// The `bandwatch_*` metric names in a PromQL expression (or any text): a name starts at
/// `bandwatch_` not preceded by a name character and runs over `[A-Za-z0-9_:]`.
fn metric_names(text: &str, out: &mut BTreeSet<String>) {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    for (at, _) in text.match_indices("bandwatch_") {
        if text[..at].chars().next_back().is_some_and(is_name) {
            continue;
        }
        let end = text[at..]
            .find(|c: char| !is_name(c))
            .map_or(text.len(), |n| at + n);
        out.insert(text[at..end].to_owned());
    }
}

fn assert_exported(names: &BTreeSet<String>, file: &str) {
    let unknown: Vec<_> = names
        .iter()
        .filter(|n| !EXPORTED.contains(&n.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "deploy/{file} uses metrics bandwatch does not export: {unknown:?}"
    );
}

#[test]
fn every_yaml_file_parses() {
    let mut found = Vec::new();
    files(&deploy(), &["yml", "yaml"], &mut found);
    assert!(
        found.len() >= 7,
        "too few YAML files under deploy/: {found:?}"
    );
    for path in found {
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let parsed: Yaml =
            serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(parsed.is_mapping(), "{}: not a mapping", path.display());
    }
}

#[test]
fn compose_runs_the_stack_with_the_exporter_on() {
    let compose = yaml("docker-compose.yml");
    let services = compose.get("services").expect("services");
    for name in SERVICES {
        assert!(services.get(name).is_some(), "service {name} missing");
    }

    let bw = &services["bandwatch"];
    let command: Vec<&str> = match &bw["command"] {
        Yaml::String(s) => s.split_whitespace().collect(),
        Yaml::Sequence(items) => items.iter().filter_map(Yaml::as_str).collect(),
        other => panic!("bandwatch command: {other:?}"),
    };
    for flag in [
        "--prometheus",
        "--prometheus-port",
        "--influxdb",
        "--influxdb-url",
        "--influxdb-org",
        "--influxdb-bucket",
    ] {
        assert!(
            command.contains(&flag),
            "bandwatch command lacks {flag}: {command:?}"
        );
    }
    let after = |flag: &str| {
        let at = command.iter().position(|c| *c == flag).expect("flag");
        command[at + 1]
    };
    assert_eq!(after("--prometheus-port"), "8000");
    assert_eq!(after("--influxdb-org"), "bandwatch");
    assert_eq!(after("--influxdb-bucket"), "network_metrics");
    assert_eq!(str_at(bw, "network_mode", "bandwatch"), "host");
    assert!(
        seq(bw, "cap_add", "bandwatch")
            .iter()
            .any(|c| c.as_str() == Some("NET_RAW")),
        "bandwatch needs cap_add NET_RAW"
    );
    let env = &bw["environment"];
    assert_eq!(
        str_at(env, "BANDWATCH_PROC_ROOT", "bandwatch env"),
        "/host/proc"
    );
    assert_eq!(
        str_at(env, "BANDWATCH_SYS_ROOT", "bandwatch env"),
        "/host/sys"
    );
    assert!(
        env.get("BANDWATCH_INFLUXDB_TOKEN").is_some() || command.contains(&"--influxdb-token"),
        "bandwatch gets no InfluxDB token"
    );
    let volumes: Vec<&str> = seq(bw, "volumes", "bandwatch")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert!(volumes.contains(&"/proc:/host/proc:ro"), "{volumes:?}");
    assert!(volumes.contains(&"/sys:/host/sys:ro"), "{volumes:?}");
}

#[test]
fn compose_builds_the_image_and_mounts_existing_files() {
    let compose = yaml("docker-compose.yml");
    let services = &compose["services"];
    let bw = &services["bandwatch"];

    // Built from deploy/Dockerfile, which builds bandwatch in rust:1-bookworm and runs it
    // on debian:bookworm-slim.
    let build = &bw["build"];
    let dockerfile = str_at(build, "dockerfile", "bandwatch build");
    let context = deploy().join(str_at(build, "context", "bandwatch build"));
    let dockerfile = std::fs::read_to_string(context.join(dockerfile)).expect("Dockerfile");
    assert!(dockerfile.contains("FROM rust:1-bookworm AS builder"));
    assert!(dockerfile.contains("cargo build --release --locked -p bandwatch"));
    assert!(dockerfile.contains("FROM debian:bookworm-slim"));

    let influx = &services["influxdb"]["environment"];
    assert_eq!(
        str_at(influx, "DOCKER_INFLUXDB_INIT_MODE", "influxdb"),
        "setup"
    );
    assert_eq!(
        str_at(influx, "DOCKER_INFLUXDB_INIT_ORG", "influxdb"),
        "bandwatch"
    );
    assert_eq!(
        str_at(influx, "DOCKER_INFLUXDB_INIT_BUCKET", "influxdb"),
        "network_metrics"
    );
    assert!(str_at(influx, "DOCKER_INFLUXDB_INIT_ADMIN_TOKEN", "influxdb").starts_with("${"));

    // Every file or folder a service mounts from deploy/ exists.
    for name in SERVICES {
        for volume in services[name]
            .get("volumes")
            .and_then(Yaml::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(Yaml::as_str)
        {
            if let Some(rel) = volume.strip_prefix("./") {
                let source = rel.split(':').next().unwrap_or(rel);
                assert!(
                    deploy().join(source).exists(),
                    "{name} mounts missing ./{source}"
                );
            }
        }
    }
    // Grafana loads dashboards from where compose mounts them.
    let provider = yaml("grafana/provisioning/dashboards/dashboards.yml");
    let path = str_at(
        &seq(&provider, "providers", "dashboards.yml")[0]["options"],
        "path",
        "provider",
    );
    assert!(
        seq(&services["grafana"], "volumes", "grafana")
            .iter()
            .filter_map(Yaml::as_str)
            .any(|v| v.starts_with("./grafana/dashboards:") && v.contains(&format!(":{path}"))),
        "grafana does not mount the dashboards at {path}"
    );
}

/// uid → type of the provisioned Grafana data sources.
fn datasources() -> Vec<(String, String)> {
    let file = yaml("grafana/provisioning/datasources/datasources.yml");
    seq(&file, "datasources", "datasources.yml")
        .iter()
        .map(|ds| {
            (
                str_at(ds, "uid", "datasource").to_owned(),
                str_at(ds, "type", "datasource").to_owned(),
            )
        })
        .collect()
}

#[test]
fn datasources_are_prometheus_and_influx_flux() {
    let file = yaml("grafana/provisioning/datasources/datasources.yml");
    let all = seq(&file, "datasources", "datasources.yml");
    let types: Vec<_> = datasources().into_iter().map(|(_, t)| t).collect();
    assert!(types.contains(&"prometheus".to_owned()), "{types:?}");
    assert!(types.contains(&"influxdb".to_owned()), "{types:?}");
    let influx = all
        .iter()
        .find(|d| d["type"].as_str() == Some("influxdb"))
        .expect("influxdb");
    assert_eq!(str_at(&influx["jsonData"], "version", "influxdb"), "Flux");
    assert!(influx["secureJsonData"].get("token").is_some());
}

/// Every panel, rows' collapsed panels included.
fn panels(dashboard: &Json) -> Vec<&Json> {
    let mut out = Vec::new();
    let mut stack: Vec<&Json> = dashboard["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .collect();
    while let Some(panel) = stack.pop() {
        if let Some(inner) = panel.get("panels").and_then(Json::as_array) {
            stack.extend(inner);
        }
        out.push(panel);
    }
    out
}

fn check_datasource(ds: &Json, known: &[(String, String)], what: &str) {
    if ds.is_null() {
        return;
    }
    let uid = ds["uid"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: datasource without uid: {ds}"));
    let (_, kind) = known
        .iter()
        .find(|(u, _)| u == uid)
        .unwrap_or_else(|| panic!("{what}: datasource uid {uid} is not provisioned"));
    if let Some(t) = ds["type"].as_str() {
        assert_eq!(t, kind, "{what}: datasource {uid} has type {kind}, not {t}");
    }
}

#[test]
fn dashboard_is_valid_and_uses_provisioned_datasources() {
    let dash = dashboard();
    let known = datasources();
    assert!(dash["schemaVersion"].as_u64().is_some_and(|v| v >= 36));
    assert!(dash["uid"].as_str().is_some_and(|u| !u.is_empty()));
    assert!(dash["title"].is_string());

    let mut ids = BTreeSet::new();
    let mut targets = 0;
    let mut influx_targets = 0;
    for panel in panels(&dash) {
        let title = panel["title"].as_str().unwrap_or("?");
        let id = panel["id"].as_u64().expect("panel id");
        assert!(ids.insert(id), "panel id {id} twice");
        let grid = &panel["gridPos"];
        let [h, w, x, y] = ["h", "w", "x", "y"].map(|k| {
            grid[k]
                .as_u64()
                .unwrap_or_else(|| panic!("panel {title}: gridPos.{k}"))
        });
        assert!(
            h > 0 && w > 0 && x + w <= 24,
            "panel {title}: gridPos {grid} (y {y})"
        );
        check_datasource(&panel["datasource"], &known, title);
        if panel["type"] == "row" {
            continue;
        }
        let list = panel["targets"]
            .as_array()
            .unwrap_or_else(|| panic!("panel {title} has no targets"));
        assert!(!list.is_empty(), "panel {title} has no targets");
        for target in list {
            assert!(
                target["datasource"].is_object(),
                "panel {title}: target without datasource"
            );
            check_datasource(&target["datasource"], &known, title);
            let query = target["expr"].as_str().or(target["query"].as_str());
            assert!(
                query.is_some_and(|q| !q.is_empty()),
                "panel {title}: empty target"
            );
            targets += 1;
            if target["datasource"]["type"] == "influxdb" {
                let flux = target["query"].as_str().expect("flux query");
                assert!(flux.contains("from(bucket: \"network_metrics\")"), "{flux}");
                influx_targets += 1;
            }
        }
    }
    assert!(targets >= 20, "only {targets} targets");
    assert!(influx_targets >= 1, "no InfluxDB panel");

    let variables = dash["templating"]["list"].as_array().expect("templating");
    let names: Vec<_> = variables
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    assert!(
        names.contains(&"instance") && names.contains(&"device"),
        "{names:?}"
    );
    for var in variables {
        check_datasource(&var["datasource"], &known, "variable");
    }
}

#[test]
fn dashboard_uses_only_exported_metrics() {
    fn walk(value: &Json, out: &mut BTreeSet<String>) {
        match value {
            Json::Object(map) => {
                for (key, v) in map {
                    match (key.as_str(), v) {
                        ("expr" | "query" | "definition", Json::String(s)) => metric_names(s, out),
                        _ => walk(v, out),
                    }
                }
            }
            Json::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut names = BTreeSet::new();
    walk(&dashboard(), &mut names);
    assert!(names.len() >= 20, "{names:?}");
    for needed in [
        "bandwatch_network_receive_bytes_total",
        "bandwatch_network_transmit_bytes_total",
        "bandwatch_cpu_busy_ratio",
        "bandwatch_memory_used_ratio",
        "bandwatch_filesystem_used_ratio",
        "bandwatch_probe_up",
        "bandwatch_probe_rtt_seconds",
        "bandwatch_probe_loss_ratio",
        "bandwatch_alerts_firing",
    ] {
        assert!(names.contains(needed), "dashboard does not show {needed}");
    }
    assert_exported(&names, "grafana/dashboards/bandwatch.json");
}

#[test]
fn rules_are_complete_and_use_only_exported_metrics() {
    let rules = yaml("prometheus/rules/bandwatch.rules.yml");
    let mut names = BTreeSet::new();
    let mut exprs = Vec::new();
    for group in seq(&rules, "groups", "rules") {
        for rule in seq(group, "rules", "group") {
            let alert = str_at(rule, "alert", "rule");
            let expr = str_at(rule, "expr", alert);
            assert!(rule.get("for").is_some(), "{alert}: no `for`");
            let severity = str_at(&rule["labels"], "severity", alert);
            assert!(
                ["critical", "warning", "info"].contains(&severity),
                "{alert}: {severity}"
            );
            for key in ["summary", "description"] {
                assert!(!str_at(&rule["annotations"], key, alert).is_empty());
            }
            metric_names(expr, &mut names);
            exprs.push(expr.to_owned());
        }
    }
    for needed in [
        "up{job=\"bandwatch\"} == 0",
        "bandwatch_probe_up == 0",
        "bandwatch_source_last_frame_timestamp_seconds",
        "bandwatch_probe_loss_ratio",
        "bandwatch_probe_rtt_seconds",
        "bandwatch_network_transmit_bytes_total",
        "bandwatch_network_receive_bytes_total",
        "bandwatch_cpu_busy_ratio",
        "bandwatch_memory_used_ratio",
        "bandwatch_filesystem_used_ratio",
    ] {
        assert!(
            exprs.iter().any(|e| e.contains(needed)),
            "no rule on {needed}"
        );
    }
    assert_exported(&names, "prometheus/rules/bandwatch.rules.yml");

    // The rule unit tests feed series with the same names.
    let tests = read("prometheus/rules/bandwatch.rules.test.yml");
    let mut names = BTreeSet::new();
    metric_names(&tests, &mut names);
    assert!(!names.is_empty());
    assert_exported(&names, "prometheus/rules/bandwatch.rules.test.yml");
}

#[test]
fn prometheus_scrapes_bandwatch_with_rules_and_alertmanager() {
    let config = yaml("prometheus/prometheus.yml");
    let rule_files: Vec<_> = seq(&config, "rule_files", "prometheus.yml")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert!(
        rule_files.contains(&"rules/bandwatch.rules.yml"),
        "{rule_files:?}"
    );
    let job = seq(&config, "scrape_configs", "prometheus.yml")
        .iter()
        .find(|j| j["job_name"].as_str() == Some("bandwatch"))
        .expect("scrape job bandwatch");
    let targets: Vec<_> = seq(job, "static_configs", "job bandwatch")
        .iter()
        .flat_map(|s| seq(s, "targets", "static_config"))
        .filter_map(Yaml::as_str)
        .collect();
    assert!(targets.len() >= 2, "{targets:?}");
    assert!(targets.iter().all(|t| t.ends_with(":8000")), "{targets:?}");
    assert!(!seq(&config["alerting"], "alertmanagers", "alerting").is_empty());
}

#[test]
fn systemd_unit_and_readme() {
    let unit = read("bandwatch.service");
    for line in [
        "AmbientCapabilities=CAP_NET_RAW",
        "CapabilityBoundingSet=CAP_NET_RAW",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
    ] {
        assert!(
            unit.lines().any(|l| l == line),
            "bandwatch.service lacks {line}"
        );
    }
    // The packaged binary; what it serves (the exporter too) is the config file's to say.
    assert!(unit.contains("ExecStart=/usr/bin/bandwatch run"));
    let readme = read("README.md");
    assert!(readme.contains("## Monitoring many hosts"));
}

/// The defect: the unit told people to write `/etc/bandwatch/bandwatch.toml`, a file the
/// loader never reads. Every config file the unit names is the system-wide one the loader
/// looks for (the last place `--config`'s help lists).
#[test]
fn the_systemd_unit_names_the_config_file_the_loader_reads() {
    let unit = read("bandwatch.service");
    let named: Vec<&str> = unit
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',')
        .filter(|w| {
            w.starts_with("/etc/bandwatch/")
                && Path::new(w).extension().is_some_and(|e| e == "toml")
        })
        .collect();
    assert!(!named.is_empty(), "the unit says where settings go");
    let help = Command::new(env!("CARGO_BIN_EXE_bandwatch"))
        .args(["run", "--help"])
        .output()
        .expect("run --help");
    let help = String::from_utf8_lossy(&help.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let list = help
        .split("Configuration file (default: ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .expect("--config lists where it looks");
    let system = list.rsplit(", then ").next().expect("a last place");
    assert!(system.starts_with("/etc/"), "{list}");
    for path in named {
        assert_eq!(
            path, system,
            "the unit names {path}; the loader reads {system}"
        );
    }
}

/// Runs `promtool args` in deploy/ and panics with its output when it fails.
fn promtool(args: &[&str]) {
    let out = Command::new("promtool")
        .args(args)
        .current_dir(deploy())
        .output()
        .expect("run promtool");
    assert!(
        out.status.success(),
        "promtool {}: {}\n{}{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn promtool_accepts_config_rules_and_rule_tests() {
    if !bandwatch_testkit::require_program(
        "promtool_accepts_config_rules_and_rule_tests",
        "promtool",
        "install it with `apt-get install -y prometheus`",
    ) {
        return;
    }
    promtool(&["check", "rules", "prometheus/rules/bandwatch.rules.yml"]);
    promtool(&["check", "config", "prometheus/prometheus.yml"]);
    promtool(&["test", "rules", "prometheus/rules/bandwatch.rules.test.yml"]);
}
